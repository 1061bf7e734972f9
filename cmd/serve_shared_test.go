package cmd

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/llmfall/llmfall/internal/redistest"
	"github.com/llmfall/llmfall/internal/redisurl"
	"github.com/llmfall/llmfall/provider/wiretest"
)

// mainEnv, set in a test binary's environment, makes it llmfall itself:
// the tests of shared health run gateways as processes of their own, as
// replicas run, from the binary already built.
const mainEnv = "LLMFALL_TEST_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(mainEnv) == "1" {
		os.Exit(Execute())
	}
	os.Exit(m.Run())
}

// upstream is a fake OpenAI that answers every request alike and records
// which replica sent it (each replica has its own upstream key).
type upstream struct {
	url  string
	resp wiretest.Response
	mu   sync.Mutex
	keys []string
}

func newUpstream(t *testing.T, resp wiretest.Response) *upstream {
	t.Helper()
	u := &upstream{resp: resp}
	// It checks bodies as wiretest's fakes do, and answers without a script.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		u.mu.Lock()
		u.keys = append(u.keys, strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
		u.mu.Unlock()
		if err := wiretest.OpenAI(body); err != nil {
			t.Errorf("upstream rejected a request: %v", err)
		}
		w.Header().Set("Content-Type", u.resp.ContentType)
		w.WriteHeader(max(u.resp.Status, http.StatusOK))
		io.WriteString(w, u.resp.Body)
	}))
	t.Cleanup(srv.Close)
	u.url = srv.URL
	return u
}

// from counts the requests that came with the given upstream key.
func (u *upstream) from(key string) int {
	u.mu.Lock()
	defer u.mu.Unlock()
	n := 0
	for _, k := range u.keys {
		if k == key {
			n++
		}
	}
	return n
}

const adminKey = "admin-key-1"

var serverError = wiretest.Response{Status: 500, ContentType: "application/json",
	Body: `{"error":{"message":"The server had an error while processing your request.","type":"server_error","param":null,"code":null}}`}

// sharedConfig is a gateway over primary then backup sharing health through
// Redis; minCool is the breaker's first cool-down.
func sharedConfig(t *testing.T, primary, backup, redisURL, prefix, minCool string) string {
	t.Helper()
	cfg := fmt.Sprintf(`providers:
  primary: { type: openai, base_url: %s/v1, api_key_env: UPSTREAM_KEY }
  backup:  { type: openai, base_url: %s/v1, api_key_env: UPSTREAM_KEY }
categories:
  fast: { primary: gpt-4.1-mini, backup: gpt-4.1 }
fallback: { breaker_failures: 1, breaker_cooldown: 10m, breaker_min_cooldown: %s }
serve: { drain: 5s, admin_keys_env: GW_ADMIN }
state: { redis: %q, key_prefix: %s }
`, primary, backup, minCool, redisURL, prefix)
	path := filepath.Join(t.TempDir(), "llmfall.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// replicaProc is a gateway process.
type replicaProc struct {
	url string
	mu  sync.Mutex
	log strings.Builder // its stderr, for failure messages
}

var listeningRE = regexp.MustCompile(`listening on (http://\S+)`)

// startReplica runs `llmfall serve` on config as a process of its own,
// with upstreamKey as its key to the fake providers, and returns once it
// listens. The process is stopped (SIGTERM, drained) when the test ends.
func startReplica(t *testing.T, config, upstreamKey string) *replicaProc {
	t.Helper()
	cmd := exec.Command(os.Args[0], "--config", config, "serve", "--addr", "127.0.0.1:0")
	cmd.Env = append(os.Environ(), mainEnv+"=1", "UPSTREAM_KEY="+upstreamKey, "GW_ADMIN="+adminKey)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r := &replicaProc{}
	addr := make(chan string, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			r.mu.Lock()
			r.log.WriteString(sc.Text() + "\n")
			r.mu.Unlock()
			if m := listeningRE.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
		}
	}()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		<-done
		cmd.Wait()
		if t.Failed() {
			t.Logf("replica %s stderr:\n%s", upstreamKey, r.stderr())
		}
	})
	select {
	case r.url = <-addr:
	case <-done:
		cmd.Wait()
		t.Fatalf("replica ended before listening:\n%s", r.stderr())
	}
	return r
}

func (r *replicaProc) stderr() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.log.String()
}

// chat sends one chat request and returns the status and the headers that
// say who answered.
func (r *replicaProc) chat(t *testing.T) (status int, provider, attempts string) {
	t.Helper()
	resp, err := http.Post(r.url+"/v1/chat/completions", "application/json",
		strings.NewReader(`{"model":"fast","messages":[{"role":"user","content":"Summarise ticket 1182."}]}`))
	if err != nil {
		t.Fatalf("chat: %v", err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, resp.Header.Get("X-Llmfall-Provider"), resp.Header.Get("X-Llmfall-Attempts")
}

func (r *replicaProc) get(t *testing.T, path string) string {
	t.Helper()
	resp, err := http.Get(r.url + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET %s = %d; want 200 (a replica without Redis still serves)", path, resp.StatusCode)
	}
	return string(b)
}

// await polls the replica until cond holds of the body at path. Two
// processes and a Redis decide it, with no event to wait on across them;
// the deadline is far above the milliseconds it takes, so that load cannot
// trip it, and no outcome hangs on a timing.
func (r *replicaProc) await(t *testing.T, path, what string, cond func(body string) bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		body := r.get(t, path)
		if cond(body) {
			return
		}
		if time.Now().After(deadline) {
			if own := grepLines(body, "llmfall_"); own != "" {
				body = own // the metrics that could matter
			}
			t.Fatalf("after 60 s, %s %s still not %s:\n%s", r.url, path, what, body)
		}
		<-tick.C
	}
}

func contains(s string) func(string) bool {
	return func(b string) bool { return strings.Contains(b, s) }
}

const primaryOpen = `llmfall_breaker_state{model="gpt-4.1-mini",provider="primary"} 1`

// Two gateway processes share one real Redis: the outage the first one
// meets opens the primary's breaker on the second, whose next request goes
// straight to the backup without asking the primary.
func TestReplicasShareAnOutage(t *testing.T) {
	redisURL := redistest.URL(t)
	primary := newUpstream(t, serverError)
	backup := newUpstream(t, wiretest.TextAnswer(wiretest.KindOpenAI, false, "Refund for order 1182."))
	// The first cool-down is long: the second replica's request must find
	// the breaker open however slowly this machine runs.
	config := sharedConfig(t, primary.url, backup.url, redisURL, redistest.Prefix(), "10m")
	r1, r2 := startReplica(t, config, "sk-replica-1"), startReplica(t, config, "sk-replica-2")
	for _, r := range []*replicaProc{r1, r2} {
		r.await(t, "/readyz", "sharing its state", contains("shared state: ok"))
	}

	status, provider, attempts := r1.chat(t)
	if status != 200 || provider != "backup" || attempts != "2" {
		t.Fatalf("replica 1: status %d, provider %q, attempts %q; want 200 from backup after the primary failed", status, provider, attempts)
	}
	seen := time.Now()
	r2.await(t, "/metrics", "showing the primary's breaker open", contains(primaryOpen))
	t.Logf("replica 2 saw replica 1's outage %v after replica 1 answered (polled every 5 ms)", time.Since(seen).Round(time.Millisecond))

	status, provider, attempts = r2.chat(t)
	if status != 200 || provider != "backup" || attempts != "2" {
		t.Errorf("replica 2: status %d, provider %q, attempts %q; want 200 from backup, the primary skipped", status, provider, attempts)
	}
	if n := primary.from("sk-replica-2"); n != 0 {
		t.Errorf("the primary got %d requests from replica 2; want none: its breaker was open", n)
	}
	if n := backup.from("sk-replica-2"); n != 1 {
		t.Errorf("the backup got %d requests from replica 2; want 1", n)
	}
	if m := r2.get(t, "/metrics"); !strings.Contains(m, `llmfall_attempts_total{error_class="",model="gpt-4.1-mini",outcome="skipped",provider="primary"} 1`) {
		t.Errorf("replica 2's metrics do not count the primary skipped once:\n%s", grepLines(m, "llmfall_attempts_total"))
	}
}

// awaitRedis polls Redis until cond holds; as await, a real process decides.
func awaitRedis(t *testing.T, url, what string, cond func(*goredis.Client) bool) {
	t.Helper()
	opts, err := redisurl.Parse(url)
	if err != nil {
		t.Fatal(err)
	}
	c := goredis.NewClient(opts)
	defer c.Close()
	deadline := time.Now().Add(60 * time.Second)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond(c) {
		if time.Now().After(deadline) {
			t.Fatalf("after 60 s, still not in Redis: %s", what)
		}
		<-tick.C
	}
}

func grepLines(s, prefix string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// Killing Redis under a steady stream of requests loses none of them: the
// replica goes on with its local state, says so in /readyz and /metrics,
// and shares again once Redis is back.
func TestReplicaSurvivesRedisKill(t *testing.T) {
	redis := redistest.Start(t) // private: this test kills it
	primary := newUpstream(t, serverError)
	backup := newUpstream(t, wiretest.TextAnswer(wiretest.KindOpenAI, false, "Refund for order 1182."))
	// A short first cool-down: the primary's breaker opens, probes and
	// reopens while Redis is away, and each change it publishes fails.
	prefix := redistest.Prefix()
	r := startReplica(t, sharedConfig(t, primary.url, backup.url, redis.URL(), prefix, "100ms"), "sk-replica-1")
	r.await(t, "/readyz", "sharing its state", contains("shared state: ok"))
	// A manual switchover in force: every request goes to the backup
	// first, in one attempt, as long as the order holds.
	req, _ := http.NewRequest("POST", r.url+"/admin/order", strings.NewReader(`{"category":"fast","order":["backup","primary"]}`))
	req.Header.Set("Authorization", "Bearer "+adminKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /admin/order = %d; want 200", resp.StatusCode)
	}

	type result struct {
		status   int
		attempts string
		err      error
	}
	results := make(chan result, 1)
	stop := make(chan struct{})
	streamed := make(chan struct{})
	var once sync.Once
	stopStream := func() {
		once.Do(func() { close(stop) })
		<-streamed
	}
	t.Cleanup(stopStream) // before the replica stops, should the test fail
	go func() {
		defer close(streamed)
		for {
			select {
			case <-stop:
				return
			default:
			}
			resp, err := http.Post(r.url+"/v1/chat/completions", "application/json",
				strings.NewReader(`{"model":"fast","messages":[{"role":"user","content":"Summarise ticket 1182."}]}`))
			res := result{err: err}
			if err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				res.status, res.attempts = resp.StatusCode, resp.Header.Get("X-Llmfall-Attempts")
			}
			select {
			case results <- res:
			case <-stop:
				return
			}
		}
	}()
	total := 0
	// answered takes n more answers off the stream, failing on any that is
	// not a 200 from the backup at once.
	answered := func(n int) {
		t.Helper()
		for range n {
			res := <-results
			total++
			if res.err != nil || res.status != http.StatusOK || res.attempts != "1" {
				t.Fatalf("request %d: status %d, attempts %q, error %v; want every request answered 200 by the backup, first in the manual order",
					total, res.status, res.attempts, res.err)
			}
		}
	}

	answered(10)
	redis.Kill()
	// Requests go on while the replica notices.
	answered(10)
	r.await(t, "/readyz", "reporting the shared state degraded", contains("shared state: degraded, serving on local state"))
	r.await(t, "/metrics", "reporting the shared state down", contains("\nllmfall_shared_state_up 0\n"))
	answered(10)

	redis.Restart()
	answered(10)
	r.await(t, "/readyz", "sharing its state again", contains("shared state: ok"))
	r.await(t, "/metrics", "reporting the shared state up", contains("\nllmfall_shared_state_up 1\n"))
	// The restarted Redis is empty: the replica writes back the order it
	// holds, rather than taking the empty hash for the override removed.
	awaitRedis(t, redis.URL(), "the order written back", func(c *goredis.Client) bool {
		return c.HGet(context.Background(), prefix+":order", "fast").Val() == `["backup","primary"]`
	})
	answered(10)
	stopStream()
	t.Logf("%d requests, every one answered 200; shared-state metrics:\n%s", total, grepLines(r.get(t, "/metrics"), "llmfall_shared_state"))
}
