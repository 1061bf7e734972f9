package serve_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/llmfall/llmfall/clock"
	"github.com/llmfall/llmfall/provider"
	"github.com/llmfall/llmfall/provider/wiretest"
	"github.com/llmfall/llmfall/serve"
)

// TestAnswerNamesTheLinksModel: a provider that does not say which model
// answered leaves the link's own model in the answer and every chunk,
// never an empty one.
func TestAnswerNamesTheLinksModel(t *testing.T) {
	srv := memServer(t, nil, memLink{"mem", memProvider{words: []string{"hello"}}})
	rec := serveOne(srv.Handler(), "POST", "/v1/chat/completions", hello)
	var c struct{ Model string }
	if err := json.Unmarshal(rec.Body.Bytes(), &c); err != nil || rec.Code != 200 || c.Model != "mem-1" {
		t.Errorf("completion %d %s (%v); want model mem-1", rec.Code, rec.Body, err)
	}
	rec = serveOne(srv.Handler(), "POST", "/v1/chat/completions", helloStream(""))
	cs := decodeChunks(t, readEvents(t, rec.Body))
	if len(cs) != 2 {
		t.Fatalf("chunks %+v; want the word and the finish", cs)
	}
	for _, c := range cs {
		if c.Model != "mem-1" {
			t.Errorf("chunk model %q; want mem-1", c.Model)
		}
	}
}

// TestAttemptTTFTOnlyForStreams: an attempt's time to first token is
// observed for streams only; a non-streaming attempt has none (its TTFT is
// zero), and counting it would drag the histogram to zero.
func TestAttemptTTFTOnlyForStreams(t *testing.T) {
	oa := wiretest.NewServer(t, wiretest.OpenAI, wiretest.TextAnswer(wiretest.KindOpenAI, false, "Hi"),
		wiretest.TextAnswer(wiretest.KindOpenAI, true, "Hi"))
	g := newGateway(t, links{openai: oa.URL})
	const series = `llmfall_attempt_time_to_first_token_seconds_count{model="gpt-4.1-mini",provider="openai"}`
	readAll(t, g.post(t, hello).Body)
	if m := readAll(t, g.do(t, "GET", "/metrics", "", "").Body); strings.Contains(m, series) {
		t.Errorf("after a non-streaming call the metrics have %s", series)
	}
	readAll(t, g.post(t, helloStream("")).Body)
	if m := readAll(t, g.do(t, "GET", "/metrics", "", "").Body); !strings.Contains(m, series+" 1\n") {
		t.Errorf("after one stream the metrics lack %s 1", series)
	}
}

// TestAdminOrderRequests: the admin endpoint answers a body it cannot read
// with a 400 saying what it takes, sets the global order when no category
// is named, and removes an override given an empty order.
func TestAdminOrderRequests(t *testing.T) {
	g := newGateway(t, links{openai: "http://127.0.0.1:1", anthropic: "http://127.0.0.1:1"})
	for _, body := range []string{`not json`, `{"order":"anthropic"}`, `{"order":["` + strings.Repeat("a", 70<<10) + `"]}`} {
		resp := g.do(t, "POST", "/admin/order", "admin-key", body)
		if resp.StatusCode != 400 {
			t.Errorf("body %.40q: status %d; want 400", body, resp.StatusCode)
			continue
		}
		if e := decodeErr(t, resp); !strings.Contains(e.Error.Message, `the body must be {"category"`) {
			t.Errorf("body %.40q: message %q; want the shape of the body", body, e.Error.Message)
		}
	}
	chains := func(body string) string {
		t.Helper()
		resp := g.do(t, "POST", "/admin/order", "admin-key", body)
		text := readAll(t, resp.Body)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" {
			t.Fatalf("%s: status %d, %s", body, resp.StatusCode, text)
		}
		return text
	}
	const swapped = `{"chains":{"fast":["anthropic/claude-3-5-haiku-latest","openai/gpt-4.1-mini"]}}`
	if got := chains(`{"order":["anthropic","openai"]}`); got != swapped {
		t.Errorf("global order: %s; want %s", got, swapped)
	}
	if got := chains(`{"order":[]}`); got != `{"chains":{"fast":["openai/gpt-4.1-mini","anthropic/claude-3-5-haiku-latest"]}}` {
		t.Errorf("override removed: %s; want the configured order", got)
	}
	resp := g.do(t, "POST", "/admin/order", "admin-key", `{"category":"slow","order":["openai"]}`)
	if e := decodeErr(t, resp); resp.StatusCode != 400 || e.Error.Param == nil || *e.Error.Param != "order" {
		t.Errorf("unknown category: status %d, %+v; want 400 on param order", resp.StatusCode, e.Error)
	}
}

// TestKeysNeedTheBearerScheme: a key is read from `Authorization: Bearer
// KEY` only (spaces around it do not matter), and a blank configured key
// is no key: it does not let a request with an empty one in.
func TestKeysNeedTheBearerScheme(t *testing.T) {
	oa := wiretest.NewServer(t, wiretest.OpenAI, wiretest.TextAnswer(wiretest.KindOpenAI, false, "hi"),
		wiretest.TextAnswer(wiretest.KindOpenAI, false, "hi"))
	g := newGateway(t, links{openai: oa.URL, adjust: func(c *serve.Config) { c.Keys = []string{"", "  ", " " + clientKey + "\n"} }})
	for _, tc := range []struct {
		header string
		status int
	}{
		{clientKey, 401},
		{"Basic " + clientKey, 401},
		{"bearer " + clientKey, 401},
		{"Bearer ", 401},
		{"Bearer   ", 401},
		{"Bearer " + clientKey, 200},
		{"Bearer  " + clientKey + " ", 200},
	} {
		req, _ := http.NewRequest("POST", g.URL+"/v1/chat/completions", strings.NewReader(hello))
		req.Header.Set("Authorization", tc.header)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		readAll(t, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status {
			t.Errorf("Authorization %q: status %d; want %d", tc.header, resp.StatusCode, tc.status)
		}
	}
}

// TestHeapFloorUnlessGOGC: StartHeapFloor raises the heap goal of a
// process with a small heap, from its next collection on, unless GOGC is
// set in the environment.
func TestHeapFloorUnlessGOGC(t *testing.T) {
	gogc := func() uint64 {
		s := []metrics.Sample{{Name: "/gc/gogc:percent"}}
		metrics.Read(s)
		return s[0].Value.Uint64()
	}
	base := gogc()
	// A collection runs the floor's tuner, on the runtime's own
	// goroutine, soon after it: it has moved GOGC within a few
	// collections, and a floor never started never moves it.
	raised := func(collections int) bool {
		for range collections {
			runtime.GC()
			runtime.Gosched()
			if gogc() != base {
				return true
			}
		}
		return false
	}
	stop := serve.StartHeapFloor(func(k string) string {
		if k == "GOGC" {
			return "100"
		}
		return ""
	})
	if raised(20) {
		t.Errorf("GOGC set: the heap floor moved GOGC from %d to %d", base, gogc())
	}
	stop()
	stop = serve.StartHeapFloor(func(string) string { return "" })
	defer stop()
	if !raised(500) {
		t.Errorf("GOGC unset: GOGC still %d after the heap floor started", base)
	}
}

// TestDrainDefaultsTo30s: with Drain unset a drain waits DefaultDrain, the
// 30 s README promises, on the gateway's clock: a stream that finishes
// just before it ends whole.
func TestDrainDefaultsTo30s(t *testing.T) {
	if serve.DefaultDrain != 30*time.Second {
		t.Errorf("DefaultDrain = %v; README documents 30s", serve.DefaultDrain)
	}
	release := make(chan struct{})
	clk := clock.NewFake(time.Unix(1700000000, 0))
	g := newGateway(t, links{openai: held(t, release).URL, adjust: func(c *serve.Config) { c.Clock = clk }})
	url, stop, served := serveOn(t, g.srv)
	resp := postTo(t, url, helloStream(""))
	stop()
	clk.WaitTimers(1)
	clk.Advance(30*time.Second - time.Nanosecond)
	close(release)
	evs := readEvents(t, resp.Body)
	if evs[len(evs)-1].data != "[DONE]" {
		t.Errorf("stream drained for 30s less a nanosecond = %v; want it whole", evs)
	}
	if err := <-served; err != nil {
		t.Errorf("Serve = %v; want nil", err)
	}
}

// TestBlankKeysDoNotOpenTheGateway: Keys that are all blank (an unset
// variable read into the list, say) are a mistake, not a wish to run
// open: New refuses them rather than serving anyone who asks.
func TestBlankKeysDoNotOpenTheGateway(t *testing.T) {
	oa := wiretest.NewServer(t, wiretest.OpenAI) // never called
	g := newGateway(t, links{openai: oa.URL})
	for _, keys := range [][]string{{""}, {" ", "\t\n"}} {
		srv, err := serve.New(serve.Config{Engine: g.eng, Keys: keys})
		if err == nil {
			rec := serveOne(srv.Handler(), "POST", "/v1/chat/completions", hello)
			t.Errorf("Keys %q: New = nil error, and a request got %d; want New to refuse blank keys", keys, rec.Code)
			continue
		}
		if !strings.Contains(err.Error(), "blank") {
			t.Errorf("Keys %q: New = %v; want it to say the keys are blank", keys, err)
		}
	}
}

// brokenBody fails as a client's body does when its connection breaks.
type brokenBody struct{}

func (brokenBody) Read([]byte) (int, error) { return 0, errors.New("connection reset by peer") }

// TestUnreadableBodyIs400: a body that cannot be read to its end is the
// client's 400, naming why, and reaches no provider.
func TestUnreadableBodyIs400(t *testing.T) {
	srv := memServer(t, nil, memLink{"solo", failing{errors.New("a provider was called")}})
	req := httptest.NewRequest("POST", "/v1/chat/completions", brokenBody{})
	req.Header.Set("Authorization", "Bearer "+clientKey)
	rec := httptest.NewRecorder()
	srv.Handler().ServeHTTP(rec, req)
	e := wantError(t, rec, 400, "invalid_request_error", nil, "")
	if !strings.Contains(e.Error.Message, "reading the request body: connection reset by peer") {
		t.Errorf("message %q; want the read error", e.Error.Message)
	}
}

// TestModelsListEachLinkOnce: a link in two categories is one model of
// GET /v1/models and one breaker in the metrics.
func TestModelsListEachLinkOnce(t *testing.T) {
	g := configGateway(t, `providers:
  openai:    { type: openai, base_url: http://127.0.0.1:1/v1 }
  anthropic: { type: anthropic, base_url: http://127.0.0.1:1 }
categories:
  fast:  { openai: gpt-4.1-mini, anthropic: claude-3-5-haiku-latest }
  cheap: { openai: gpt-4.1-mini }
`, nil)
	var list struct {
		Data []struct {
			ID      string `json:"id"`
			OwnedBy string `json:"owned_by"`
		} `json:"data"`
	}
	if err := json.NewDecoder(g.do(t, "GET", "/v1/models", clientKey, "").Body).Decode(&list); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range list.Data {
		got = append(got, m.ID+" by "+m.OwnedBy)
	}
	want := "[cheap by llmfall fast by llmfall openai/gpt-4.1-mini by openai anthropic/claude-3-5-haiku-latest by anthropic]"
	if fmt.Sprint(got) != want {
		t.Errorf("models = %v; want %s", got, want)
	}
	m := readAll(t, g.do(t, "GET", "/metrics", "", "").Body)
	if n := strings.Count(m, `llmfall_breaker_state{model="gpt-4.1-mini",provider="openai"}`); n != 1 {
		t.Errorf("openai's breaker appears %d times in the metrics; want once", n)
	}
}

// cutShort is a link whose answer ends at its length limit before its
// first token, as with a max_tokens too small for one.
type cutShort struct{}

func (cutShort) Complete(context.Context, *provider.Request) (*provider.Response, error) {
	return &provider.Response{FinishReason: provider.FinishLength}, nil
}

func (cutShort) Stream(context.Context, *provider.Request) (provider.Stream, error) {
	return &emptyStream{resp: provider.Response{FinishReason: provider.FinishLength}}, nil
}

type emptyStream struct{ resp provider.Response }

func (*emptyStream) Next() bool                     { return false }
func (*emptyStream) Current() provider.Chunk        { return provider.Chunk{} }
func (*emptyStream) Err() error                     { return nil }
func (s *emptyStream) Response() *provider.Response { return &s.resp }
func (*emptyStream) Close() error                   { return nil }

// TestStreamWithoutATokenEndsWhole: a stream that ends well before any
// token (cut at its length limit at once) is a 200 with the finish and
// [DONE], not an error.
func TestStreamWithoutATokenEndsWhole(t *testing.T) {
	srv := memServer(t, nil, memLink{"mem", cutShort{}})
	rec := serveOne(srv.Handler(), "POST", "/v1/chat/completions", helloStream(""))
	if rec.Code != 200 {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	evs := readEvents(t, rec.Body)
	cs := decodeChunks(t, evs)
	if len(evs) != 2 || evs[1].data != "[DONE]" || len(cs) != 1 || cs[0].Choices[0].FinishReason == nil || *cs[0].Choices[0].FinishReason != "length" {
		t.Fatalf("events = %v; want the finish (length) and [DONE]", evs)
	}
}

// TestSlotsAreGivenBack: a request's slot is free again once it is
// answered, so a gateway of one slot serves requests one after another,
// errors included.
func TestSlotsAreGivenBack(t *testing.T) {
	oa := wiretest.NewServer(t, wiretest.OpenAI, wiretest.TextAnswer(wiretest.KindOpenAI, false, "one"),
		wiretest.TextAnswer(wiretest.KindOpenAI, true, "two"))
	g := newGateway(t, links{openai: oa.URL, adjust: func(c *serve.Config) { c.MaxConcurrent = 1 }})
	for i, body := range []string{hello, `{"model":"nope","messages":[{"role":"user","content":"hi"}]}`, helloStream("")} {
		resp := g.post(t, body)
		readAll(t, resp.Body)
		if want := []int{200, 404, 200}[i]; resp.StatusCode != want {
			t.Errorf("request %d: status %d; want %d", i, resp.StatusCode, want)
		}
	}
}

// TestServeReportsAListenerThatFails: Serve returns the listener's error
// when serving fails, without waiting for its context.
func TestServeReportsAListenerThatFails(t *testing.T) {
	g := newGateway(t, links{openai: "http://127.0.0.1:1"})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln.Close()
	if err := g.srv.Serve(t.Context(), ln); err == nil || !errors.Is(err, net.ErrClosed) {
		t.Errorf("Serve on a closed listener = %v; want its error", err)
	}
}

// TestLongBodyReadWhole: a body sent without a declared length (chunked)
// and far longer than one read is read to its end, every byte of it.
func TestLongBodyReadWhole(t *testing.T) {
	oa := wiretest.NewServer(t, wiretest.OpenAI, wiretest.TextAnswer(wiretest.KindOpenAI, false, "ok"),
		wiretest.TextAnswer(wiretest.KindOpenAI, false, "ok"))
	g := newGateway(t, links{openai: oa.URL})
	long := strings.Repeat("0123456789abcdef", 8<<10) // 128 KiB
	for _, declared := range []bool{true, false} {
		resp := g.postBody(t, `{"model":"fast","messages":[{"role":"user","content":"`+long+`"}]}`, declared)
		text := readAll(t, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("declared=%t: status %d: %.200s", declared, resp.StatusCode, text)
		}
	}
	for i := range 2 {
		msgs, _ := oa.Body(t, i)["messages"].([]any)
		if len(msgs) != 1 || fmt.Sprint(msgs[0].(map[string]any)["content"]) != long {
			t.Errorf("request %d: the upstream did not get the whole message", i)
		}
	}
}

// timersClock is a fake clock that keeps the duration of every timer
// armed through AfterFunc.
type timersClock struct {
	*clock.Fake
	mu    sync.Mutex
	armed []time.Duration
}

func (c *timersClock) AfterFunc(d time.Duration, f func()) clock.Timer {
	c.mu.Lock()
	c.armed = append(c.armed, d)
	c.mu.Unlock()
	return c.Fake.AfterFunc(d, f)
}

// TestCutDrainReturnsOnceTheRequestsEnded: Serve, cutting the requests
// still in flight at the drain's deadline, returns only once they have
// ended (their in-band error written) and their connections have had up
// to a second more, on the gateway's clock, to send the response's end:
// a process exiting after it cuts no stream short.
func TestCutDrainReturnsOnceTheRequestsEnded(t *testing.T) {
	never := make(chan struct{})
	clk := &timersClock{Fake: clock.NewFake(time.Unix(1700000000, 0))}
	g := newGateway(t, links{openai: held(t, never).URL, adjust: func(c *serve.Config) { c.Drain, c.Clock = time.Minute, clk }})
	url, stop, served := serveOn(t, g.srv)
	resp := postTo(t, url, helloStream(""))
	stop()
	clk.WaitTimers(1)
	clk.Advance(time.Minute)
	if err := <-served; err != context.DeadlineExceeded {
		t.Fatalf("Serve = %v; want the drain deadline", err)
	}
	rec := httptest.NewRecorder()
	g.srv.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if !strings.Contains(rec.Body.String(), "\nllmfall_requests_in_flight 0\n") {
		t.Error("Serve returned with a cut request still in flight")
	}
	clk.mu.Lock()
	armed := fmt.Sprint(clk.armed)
	clk.mu.Unlock()
	if armed != "[1m0s 1s]" {
		t.Errorf("timers armed on the gateway's clock: %s; want the drain's minute, then the second for the connections", armed)
	}
	if evs := readEvents(t, resp.Body); evs[len(evs)-1].name != "error" {
		t.Errorf("cut stream = %v; want an error event last", evs)
	}
}

// countingProcs is a Procs that counts requests, and heavy requests
// started and done.
type countingProcs struct{ requests, started, done, inFlight atomic.Int64 }

func (p *countingProcs) Request() { p.requests.Add(1) }

func (p *countingProcs) Heavy() func() {
	p.started.Add(1)
	p.inFlight.Add(1)
	return func() { p.done.Add(1); p.inFlight.Add(-1) }
}

// TestHeavyRequestsTellProcs: every chat request counts for Procs' rate,
// and a request whose body is HeavyBody or more is heavy for Procs from
// before the gateway decodes it until its answer is written, so that a
// process on one P has every CPU while it works; one byte less is not.
func TestHeavyRequestsTellProcs(t *testing.T) {
	for _, size := range []int{serve.HeavyBody, serve.HeavyBody - 1} {
		p := &countingProcs{}
		var upstreamSaw atomic.Int64
		up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, r.Body)
			upstreamSaw.Store(p.inFlight.Load())
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"id":"chatcmpl-h","object":"chat.completion","model":"gpt-4.1-mini","choices":[{"index":0,"message":{"role":"assistant","content":"Hi"},"finish_reason":"stop"}]}`)
		}))
		t.Cleanup(up.Close)
		g := newGateway(t, links{openai: up.URL, adjust: func(c *serve.Config) { c.Procs = p }})
		head, tail := `{"model":"fast","messages":[{"role":"user","content":"`, `"}]}`
		resp := g.post(t, head+strings.Repeat("x", size-len(head)-len(tail))+tail)
		readAll(t, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("%d bytes: status %d", size, resp.StatusCode)
		}
		if n := p.requests.Load(); n != 1 {
			t.Errorf("%d bytes: %d requests counted; want 1", size, n)
		}
		heavy := size >= serve.HeavyBody
		if want := int64(0); heavy {
			want = 1
			if p.started.Load() != want || p.done.Load() != want || upstreamSaw.Load() != want {
				t.Errorf("%d bytes: %d heavy started, %d done, %d in flight at the upstream; want 1, 1, 1",
					size, p.started.Load(), p.done.Load(), upstreamSaw.Load())
			}
		} else if p.started.Load() != want {
			t.Errorf("%d bytes: %d heavy started; want none", size, p.started.Load())
		}
	}
}

// TestProcsUnlessGOMAXPROCS: StartProcs leaves the Ps to a user who set
// GOMAXPROCS, and otherwise starts a controller (where there is more than
// one CPU to choose from) whose stop leaves the process on every CPU.
func TestProcsUnlessGOMAXPROCS(t *testing.T) {
	before := runtime.GOMAXPROCS(0)
	p, stop := serve.StartProcs(func(k string) string {
		if k == "GOMAXPROCS" {
			return "2"
		}
		return ""
	})
	stop()
	if p != nil {
		t.Errorf("GOMAXPROCS set: StartProcs started %v", p)
	}
	p, stop = serve.StartProcs(func(string) string { return "" })
	if p == nil && before > 1 {
		t.Fatal("GOMAXPROCS unset: StartProcs started nothing")
	}
	stop()
	if n := runtime.GOMAXPROCS(0); os.Getenv("GOMAXPROCS") == "" && n != before {
		t.Errorf("GOMAXPROCS %d after stop; want the default %d", n, before)
	}
}
