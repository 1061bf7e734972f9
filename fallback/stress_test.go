package fallback

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"hash/fnv"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/llmfall/llmfall/provider"
	"github.com/llmfall/llmfall/provider/anthropic"
	"github.com/llmfall/llmfall/provider/gemini"
	"github.com/llmfall/llmfall/provider/openai"
	"github.com/llmfall/llmfall/provider/wiretest"
)

// stress turns TestStress on: under -race it takes 12 s on a quiet 2-core
// machine and well over a minute on a loaded one, too long for every run of
// the suite.
var stress = flag.Bool("stress", false, "run TestStress, the engine's concurrency stress test (docs/stress.md)")

// stressCalls is how many calls TestStress makes, all at once.
const stressCalls = 2000

// TestStress runs the engine as a library under load: stressCalls
// concurrent calls, half of them streams and a third of them hedged, over
// the real adapters and fake servers speaking each API's wire format (a is
// OpenAI, b Anthropic, c Gemini). The servers fail some requests (overload,
// a connection cut mid-stream), some callers cancel (while the primary
// hangs, or after their first chunk), and the primary dies for good a
// quarter of the way in, cutting the streams it is serving. It checks what
// a user of the engine relies on, whatever the interleaving: every call
// ends; every success is the complete answer of exactly one link; a call
// its caller did not cancel never ends as cancelled; and once the servers
// are closed no goroutine is left. Run it under -race (docs/stress.md).
func TestStress(t *testing.T) {
	if !*stress || testing.Short() {
		t.Skip("stress test: run it with -stress (docs/stress.md)")
	}
	baseline := goleak.IgnoreCurrent()
	before := runtime.NumGoroutine()
	begun := time.Now()

	a := newStressServer(t, "a", wiretest.KindOpenAI, stressCalls/4)
	b := newStressServer(t, "b", wiretest.KindAnthropic, 0)
	c := newStressServer(t, "c", wiretest.KindGemini, 0)
	servers := []*stressServer{a, b, c}
	hc := provider.NewHTTPClient()
	cfg := testConfig()
	hedged := cfg.Categories[0]
	hedged.Name, hedged.HedgeAfter = "hedged", 20*time.Millisecond
	cfg.Categories = append(cfg.Categories, hedged)
	e, err := New(cfg, map[string]provider.Provider{
		"a": openai.New(openai.Config{Name: "a", BaseURL: a.URL + "/v1", APIKey: "sk-stress", HTTPClient: hc}),
		"b": anthropic.New(anthropic.Config{Name: "b", BaseURL: b.URL, APIKey: "sk-ant-stress", HTTPClient: hc}),
		"c": gemini.New(gemini.Config{Name: "c", BaseURL: c.URL, APIKey: "AIza-stress", HTTPClient: hc}),
	})
	if err != nil {
		t.Fatal(err)
	}

	start := make(chan struct{})
	results := make(chan stressResult, stressCalls)
	var wg sync.WaitGroup
	for id := range stressCalls {
		wg.Go(func() {
			<-start
			results <- stressCall(e, a, id)
		})
	}
	during := runtime.NumGoroutine()
	close(start)
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	// A safety net, far above the run's length on a loaded machine: calls
	// that never end fail the test instead of hanging it.
	select {
	case <-done:
	case <-time.After(5 * time.Minute):
		t.Fatalf("%d of %d calls had not ended after 5 minutes", stressCalls-len(results), stressCalls)
	}
	close(results)

	counts := map[string]int{}
	for r := range results {
		counts[r.kind]++
		if r.problem != "" {
			t.Errorf("call %d: %s", r.id, r.problem)
		}
	}
	t.Logf("%d calls in %v: %v; goroutines %d before, %d with the calls started",
		stressCalls, time.Since(begun).Round(time.Millisecond), counts, before, during)
	// The run must have gone through what it claims to test.
	if !a.dead.Load() {
		t.Error("the primary never died")
	}
	for _, k := range []string{"ok", "cancelled"} {
		if counts[k] == 0 {
			t.Errorf("no call ended %s: the run did not exercise it", k)
		}
	}

	for _, s := range servers {
		s.Close()
	}
	hc.CloseIdleConnections()
	goleak.VerifyNone(t, baseline)
}

// stressResult is how one call ended, and what was wrong with it if anything.
type stressResult struct {
	id      int
	kind    string // ok, cancelled, interrupted, exhausted
	problem string
}

// stressCall makes call id: a stream when id is even, hedged when id is a
// multiple of 3, cancelled by its caller while the primary hangs when id%10
// is 3 and after its first chunk when id%10 is 7.
func stressCall(e *Engine, primary *stressServer, id int) stressResult {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cancels := id%10 == 3 || id%10 == 7
	req := &Request{Category: "fast", Request: provider.Request{
		Messages: []provider.Message{{Role: provider.RoleUser, Content: fmt.Sprintf("call %d", id)}},
	}}
	if id%3 == 0 {
		req.Category = "hedged"
	}
	ended := make(chan struct{})
	defer close(ended)
	if id%10 == 3 {
		hung := primary.hangFor(id)
		go func() {
			select {
			case <-hung:
				cancel()
			case <-ended: // the primary was skipped, or dead
			}
		}()
	}

	var text string
	var res *Result
	var err error
	if id%2 == 0 {
		var s *Stream
		s, err = e.Stream(ctx, req)
		if err != nil {
			return stressResult{id: id, kind: "bad request", problem: fmt.Sprintf("Stream() = %v", err)}
		}
		var sb strings.Builder
		for s.Next() {
			sb.WriteString(s.Current().Text)
			if id%10 == 7 {
				cancel()
			}
		}
		text, err, res = sb.String(), s.Err(), s.Result()
		s.Close()
		if err == nil && res.Response.Text != text {
			return stressResult{id: id, kind: "ok", problem: fmt.Sprintf("streamed %q but the result says %q", text, res.Response.Text)}
		}
	} else {
		res, err = e.Complete(ctx, req)
		if err == nil {
			text = res.Response.Text
		}
	}
	return judgeStress(id, cancels, text, res, err)
}

// judgeStress checks one call's outcome against what the engine promises.
func judgeStress(id int, cancelled bool, text string, res *Result, err error) stressResult {
	r := stressResult{id: id}
	var ie *InterruptedError
	var ee *ExhaustedError
	switch {
	case err == nil:
		r.kind = "ok"
		if want := stressAnswer(id, res.Target.Provider); text != want {
			r.problem = fmt.Sprintf("answer %q from %s; want its complete answer %q", text, res.Target.Provider, want)
		}
		var oks []string
		for _, a := range res.Attempts {
			if a.Outcome == OutcomeOK {
				oks = append(oks, a.Provider)
			}
		}
		if len(oks) != 1 || oks[0] != res.Target.Provider {
			r.problem = fmt.Sprintf("attempts %v; want exactly one ok, from the target %s", outcomes(res.Attempts), res.Target.Provider)
		}
	case errors.Is(err, context.Canceled):
		r.kind = "cancelled"
		if !cancelled {
			r.problem = fmt.Sprintf("ended as cancelled (%v), but its caller never cancelled", err)
		}
	case errors.As(err, &ie):
		r.kind = "interrupted"
	case errors.As(err, &ee):
		r.kind = "exhausted"
	default:
		r.kind = "other"
		r.problem = fmt.Sprintf("error %v; want an ExhaustedError, an InterruptedError or a cancellation", err)
	}
	return r
}

// stressAnswer is link's complete answer to call id.
func stressAnswer(id int, link string) string {
	return fmt.Sprintf("Call %d, answered by %s: the order was refunded in full.", id, link)
}

// stressServer is a fake provider for TestStress: it checks each request
// body as its API would, and answers by the call's id (found in the
// prompt), with faults chosen by a hash of the id and the link.
type stressServer struct {
	*httptest.Server
	name     string
	kind     wiretest.Kind
	validate wiretest.Validator
	t        *testing.T
	// dieAfter, if positive, is how many requests it serves before it
	// dies: from then on it drops every connection, the ones streaming
	// included.
	dieAfter int64
	served   atomic.Int64
	dead     atomic.Bool

	mu   sync.Mutex
	hang map[int]chan struct{} // calls to hang on, closed once hanging
}

func newStressServer(t *testing.T, name string, kind wiretest.Kind, dieAfter int64) *stressServer {
	s := &stressServer{name: name, kind: kind, validate: kind.Validator(), t: t, dieAfter: dieAfter, hang: map[int]chan struct{}{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// hangFor makes the server hang on call id until the caller gives up; the
// channel is closed once it hangs.
func (s *stressServer) hangFor(id int) <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := make(chan struct{})
	s.hang[id] = ch
	return ch
}

var callID = regexp.MustCompile(`call (\d+)`)

func (s *stressServer) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if err := s.validate(body); err != nil {
		s.t.Errorf("%s rejected a request: %v", s.name, err)
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if n := s.served.Add(1); s.dieAfter > 0 && n > s.dieAfter {
		s.dead.Store(true)
	}
	if s.dead.Load() {
		panic(http.ErrAbortHandler) // the connection drops
	}
	m := callID.FindSubmatch(body)
	if m == nil {
		s.t.Errorf("%s: no call id in %s", s.name, body)
		http.Error(w, "no call id", http.StatusBadRequest)
		return
	}
	id, _ := strconv.Atoi(string(m[1]))
	s.mu.Lock()
	hung := s.hang[id]
	delete(s.hang, id)
	s.mu.Unlock()
	if hung != nil {
		close(hung)
		<-r.Context().Done()
		return
	}
	var req struct {
		Stream bool `json:"stream"`
	}
	_ = json.Unmarshal(body, &req) // validated above
	stream := req.Stream || strings.Contains(r.URL.Path, ":streamGenerateContent")
	h := fnv.New32a()
	fmt.Fprintf(h, "%s/%d", s.name, id)
	switch fault := h.Sum32() % 100; {
	case fault < 6:
		resp := wiretest.Overloaded(s.kind)
		w.Header().Set("Content-Type", resp.ContentType)
		w.WriteHeader(resp.Status)
		io.WriteString(w, resp.Body)
		return
	case fault < 9:
		if !stream {
			panic(http.ErrAbortHandler)
		}
		s.stream(w, id, 2)
		return
	}
	if !stream {
		resp := wiretest.TextAnswer(s.kind, false, stressAnswer(id, s.name))
		w.Header().Set("Content-Type", resp.ContentType)
		io.WriteString(w, resp.Body)
		return
	}
	s.stream(w, id, -1)
}

// stream sends call id's answer a few words per event, in the API's event
// format, and drops the connection after cutAfter events (-1: never) or
// once the server has died.
func (s *stressServer) stream(w http.ResponseWriter, id, cutAfter int) {
	w.Header().Set("Content-Type", "text/event-stream")
	fl := w.(http.Flusher)
	for i, ev := range stressEvents(s.kind, strings.SplitAfter(stressAnswer(id, s.name), " ")) {
		if i == cutAfter || s.dead.Load() {
			panic(http.ErrAbortHandler)
		}
		io.WriteString(w, ev)
		fl.Flush()
	}
}

// stressEvents are the SSE events of a text answer streamed as chunks, as
// each API frames them.
func stressEvents(k wiretest.Kind, chunks []string) []string {
	var evs []string
	q := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	switch k {
	case wiretest.KindOpenAI:
		for _, c := range chunks {
			evs = append(evs, `data: {"id":"chatcmpl-s","object":"chat.completion.chunk","model":"gpt-4.1-mini","choices":[{"index":0,"delta":{"content":`+q(c)+`},"finish_reason":null}]}`+"\n\n")
		}
		evs = append(evs, `data: {"id":"chatcmpl-s","object":"chat.completion.chunk","model":"gpt-4.1-mini","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}`+"\n\n", "data: [DONE]\n\n")
	case wiretest.KindAnthropic:
		ev := func(typ, data string) string { return "event: " + typ + "\ndata: " + data + "\n\n" }
		evs = append(evs,
			ev("message_start", `{"type":"message_start","message":{"id":"msg_s","type":"message","role":"assistant","model":"claude-3-5-haiku-20241022","content":[],"usage":{"input_tokens":9,"output_tokens":1}}}`),
			ev("content_block_start", `{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`))
		for i, c := range chunks {
			evs = append(evs, ev("content_block_delta", `{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":`+q(c)+`}}`))
			if i == 1 {
				evs = append(evs, ev("ping", `{"type": "ping"}`))
			}
		}
		evs = append(evs,
			ev("content_block_stop", `{"type":"content_block_stop","index":0}`),
			ev("message_delta", `{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":12}}`),
			ev("message_stop", `{"type":"message_stop"}`))
	default:
		for i, c := range chunks {
			finish := ""
			if i == len(chunks)-1 {
				finish = `,"finishReason":"STOP"`
			}
			evs = append(evs, `data: {"candidates":[{"content":{"role":"model","parts":[{"text":`+q(c)+`}]}`+finish+`}],"modelVersion":"gemini-2.5-flash"}`+"\r\n\r\n")
		}
	}
	return evs
}
