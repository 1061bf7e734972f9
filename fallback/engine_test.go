package fallback

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"

	"github.com/llmfall/llmfall/provider"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// testCtx is a safety net for tests whose fakes hang until cancelled: if the
// engine's own timer never fires, the test fails instead of hanging. It is
// far above any timeout under test, so load cannot trip it.
func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// mode runs one call through Complete or Stream and returns what a caller sees.
type mode struct {
	name string
	run  func(e *Engine, ctx context.Context, req *Request) (text string, res *Result, err error)
}

var modes = []mode{
	{"complete", func(e *Engine, ctx context.Context, req *Request) (string, *Result, error) {
		res, err := e.Complete(ctx, req)
		if err != nil || res == nil || res.Response == nil {
			return "", res, err
		}
		return res.Response.Text, res, nil
	}},
	{"stream", func(e *Engine, ctx context.Context, req *Request) (string, *Result, error) {
		s, err := e.Stream(ctx, req)
		if err != nil {
			return "", nil, err
		}
		defer s.Close()
		text := drain(s)
		return text, s.Result(), s.Err()
	}},
}

func TestFaultMatrix(t *testing.T) {
	noFallback := map[provider.Class]bool{
		provider.ClassInvalidRequest: true,
		provider.ClassContentFilter:  true,
		provider.ClassCancelled:      true,
	}
	for _, m := range modes {
		for _, class := range provider.Classes {
			t.Run(m.name+"/"+string(class), func(t *testing.T) {
				a := newFake("a", step{err: perr("a", class)})
				b := newFake("b")
				e := mustNew(t, testConfig(), a, b, newFake("c"))
				text, res, err := m.run(e, context.Background(), userRequest("fast"))

				wantOutcome := OutcomeError
				if class == provider.ClassTimeout {
					wantOutcome = OutcomeTimeout
				}
				first := "a:" + string(wantOutcome) + ":" + string(class)
				if noFallback[class] {
					var pe *provider.Error
					if !errors.As(err, &pe) || pe.Class != class {
						t.Fatalf("err = %v; want the link's %s error", err, class)
					}
					if got := b.Calls(); got != 0 {
						t.Errorf("second link called %d times; want 0", got)
					}
					if diff := cmp.Diff([]string{first}, outcomes(res.Attempts)); diff != "" {
						t.Errorf("attempts (-want +got):\n%s", diff)
					}
					return
				}
				if err != nil {
					t.Fatalf("err = %v; want a fallback to b", err)
				}
				if want := "ok from b/b-haiku"; text != want {
					t.Errorf("text = %q; want %q", text, want)
				}
				if diff := cmp.Diff([]string{first, "b:ok"}, outcomes(res.Attempts)); diff != "" {
					t.Errorf("attempts (-want +got):\n%s", diff)
				}
				if got, want := res.Target, (Target{Provider: "b", Model: "b-haiku"}); got != want {
					t.Errorf("Target = %v; want %v", got, want)
				}
			})
		}
	}
}

func TestOnContentFilterFallsBack(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			cfg := testConfig()
			cfg.OnContentFilter = true
			e := mustNew(t, cfg, newFake("a", step{err: perr("a", provider.ClassContentFilter)}), newFake("b"), newFake("c"))
			_, res, err := m.run(e, context.Background(), userRequest("fast"))
			if err != nil {
				t.Fatalf("err = %v; want a fallback", err)
			}
			want := []string{"a:error:content_filter", "b:ok"}
			if diff := cmp.Diff(want, outcomes(res.Attempts)); diff != "" {
				t.Errorf("attempts (-want +got):\n%s", diff)
			}
		})
	}
}

// The fakes hang until cancelled and the engine runs on a fake clock, which
// the test moves past the timeout once the link has been called.
func TestTimeoutsFallBack(t *testing.T) {
	tests := []struct {
		name    string
		mode    mode
		to      Timeouts
		a       step
		wantErr string // in a's attempt error
	}{
		{"complete hangs before headers", modes[0], Timeouts{Attempt: 30 * time.Millisecond}, step{hang: true}, "attempt timeout"},
		{"stream hangs before headers", modes[1], Timeouts{FirstToken: 30 * time.Millisecond}, step{hang: true}, "first token timeout"},
		{"stream stalls before first token", modes[1], Timeouts{FirstToken: 30 * time.Millisecond}, step{chunks: []string{}, stall: true}, "first token timeout"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clk := newClock()
			silent := make(chan struct{}) // a is waiting for its context
			if tc.a.stall {
				tc.a.stalled = silent
			} else {
				tc.a.started = silent
			}
			advanceOn(clk, silent, 30*time.Millisecond)
			a, b := newFake("a", tc.a), newFake("b")
			cfg := testConfig()
			cfg.Timeouts, cfg.Clock = tc.to, clk
			e := mustNew(t, cfg, a, b, newFake("c"))
			text, res, err := tc.mode.run(e, testCtx(t), userRequest("fast"))
			if err != nil {
				t.Fatalf("err = %v; want a fallback to b", err)
			}
			if want := "ok from b/b-haiku"; text != want {
				t.Errorf("text = %q; want %q", text, want)
			}
			want := []string{"a:timeout:timeout", "b:ok"}
			if diff := cmp.Diff(want, outcomes(res.Attempts)); diff != "" {
				t.Fatalf("attempts (-want +got):\n%s", diff)
			}
			if got := res.Attempts[0].Err.Error(); !strings.Contains(got, tc.wantErr) {
				t.Errorf("attempt error = %q; want it to mention %q", got, tc.wantErr)
			}
			if a.Cancelled() != 1 {
				t.Errorf("a saw %d cancellations; want 1 (the abandoned attempt)", a.Cancelled())
			}
			if got, want := res.Attempts[0].Duration, 30*time.Millisecond; got != want {
				t.Errorf("a's attempt lasted %v; want the timeout, %v", got, want)
			}
		})
	}
}

func TestStreamFailsAfterFirstToken(t *testing.T) {
	tests := []struct {
		name      string
		a         step
		to        Timeouts
		wantClass provider.Class
		wantOut   Outcome
		wantErr   string
	}{
		{"stall", step{chunks: []string{"Order ", "1182 "}, stall: true}, Timeouts{Idle: 30 * time.Second},
			provider.ClassTimeout, OutcomeTimeout, "idle timeout 30s"},
		{"total runs out", step{chunks: []string{"Order ", "1182 "}, stall: true}, Timeouts{Total: 40 * time.Second, Idle: time.Hour},
			provider.ClassTimeout, OutcomeTimeout, "total timeout 40s"},
		{"network error", step{chunks: []string{"Order ", "1182 "}, midErr: perr("a", provider.ClassNetwork)}, Timeouts{},
			provider.ClassNetwork, OutcomeError, "scripted network"},
		{"overloaded event", step{chunks: []string{"Order ", "1182 "}, midErr: perr("a", provider.ClassOverloaded)}, Timeouts{Idle: time.Minute, FirstToken: time.Minute},
			provider.ClassOverloaded, OutcomeError, "scripted overloaded"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clk := newClock()
			if tc.a.stall {
				tc.a.stalled = make(chan struct{})
				advanceOn(clk, tc.a.stalled, time.Minute)
			}
			a, b := newFake("a", tc.a), newFake("b")
			cfg := testConfig()
			cfg.Timeouts, cfg.Clock = tc.to, clk
			e := mustNew(t, cfg, a, b, newFake("c"))
			s, err := e.Stream(testCtx(t), userRequest("fast"))
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if got, want := drain(s), "Order 1182 "; got != want {
				t.Errorf("text = %q; want %q (no second link spliced on)", got, want)
			}
			var ie *InterruptedError
			if !errors.As(s.Err(), &ie) {
				t.Fatalf("Err() = %v; want *InterruptedError", s.Err())
			}
			if want := (InterruptedError{Target: Target{Provider: "a", Model: "a-mini"}, Chunks: 2, Bytes: 11}); ie.Target != want.Target || ie.Chunks != want.Chunks || ie.Bytes != want.Bytes {
				t.Errorf("interrupted at %v after %d chunks, %d bytes; want %v, %d, %d", ie.Target, ie.Chunks, ie.Bytes, want.Target, want.Chunks, want.Bytes)
			}
			if got := provider.ClassOf(s.Err()); got != tc.wantClass {
				t.Errorf("class = %s; want %s", got, tc.wantClass)
			}
			if msg := s.Err().Error(); !strings.Contains(msg, tc.wantErr) {
				t.Errorf("Err() = %q; want it to mention %q", msg, tc.wantErr)
			}
			if !strings.Contains(s.Err().Error(), "interrupted after 2 chunks (11 bytes)") {
				t.Errorf("Err() = %q; want it to say how much was delivered", s.Err())
			}
			if b.Calls() != 0 {
				t.Errorf("b called %d times after the first token; want 0", b.Calls())
			}
			res := s.Result()
			want := []string{"a:" + string(tc.wantOut) + ":" + string(tc.wantClass)}
			if diff := cmp.Diff(want, outcomes(res.Attempts)); diff != "" {
				t.Errorf("attempts (-want +got):\n%s", diff)
			}
			if res.Response == nil || res.Response.Text != "Order 1182 " {
				t.Errorf("Response = %+v; want the partial text", res.Response)
			}
			if a := res.Attempts[0]; a.TTFT != 0 || a.Duration < a.TTFT {
				t.Errorf("TTFT = %v, Duration %v; want 0 (the first token came at once on the fake clock) and no more than the attempt", a.TTFT, a.Duration)
			}
		})
	}
}

// TestAllLinksDown: a call with every link failing tries each once, with the
// breakers on or off (BreakerFailures < 0), and reports every failure.
func TestAllLinksDown(t *testing.T) {
	for _, m := range modes {
		for _, breakers := range []struct {
			name     string
			failures int
		}{{"breakers", 0}, {"no breakers", -1}} {
			t.Run(m.name+"/"+breakers.name, func(t *testing.T) {
				testAllLinksDown(t, m, breakers.failures)
			})
		}
	}
}

func testAllLinksDown(t *testing.T, m mode, breakerFailures int) {
	cfg := testConfig()
	cfg.BreakerFailures = breakerFailures
	fakes := []*fake{
		newFake("a", step{err: perr("a", provider.ClassServer)}),
		newFake("b", step{err: perr("b", provider.ClassRateLimited)}),
		newFake("c", step{err: perr("c", provider.ClassAuth)}),
	}
	e := mustNew(t, cfg, fakes...)
	_, res, err := m.run(e, context.Background(), userRequest("fast"))
	var ee *ExhaustedError
	if !errors.As(err, &ee) {
		t.Fatalf("err = %v; want *ExhaustedError", err)
	}
	want := []string{"a:error:server", "b:error:rate_limited", "c:error:auth"}
	if diff := cmp.Diff(want, outcomes(ee.Attempts)); diff != "" {
		t.Errorf("attempts (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, outcomes(res.Attempts)); diff != "" {
		t.Errorf("Result attempts (-want +got):\n%s", diff)
	}
	msg := err.Error()
	for _, s := range []string{"a/a-mini", "b/b-haiku", "c/c-flash", "scripted server", "scripted auth"} {
		if !strings.Contains(msg, s) {
			t.Errorf("Error() = %q; want it to mention %q", msg, s)
		}
	}
	var pe *provider.Error
	if !errors.As(err, &pe) {
		t.Errorf("errors.As(*provider.Error) = false; want the attempts' errors unwrapped")
	}
	for _, f := range fakes {
		if got := f.Calls(); got != 1 {
			t.Errorf("%s called %d times; want 1: a failing call walks the chain once", f.name, got)
		}
	}
}

func TestCallerCancels(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			started := make(chan struct{})
			a, b := newFake("a", step{hang: true, started: started}), newFake("b")
			e := mustNew(t, testConfig(), a, b, newFake("c"))
			ctx, cancel := context.WithCancel(context.Background())
			go func() {
				<-started
				cancel()
			}()
			_, res, err := m.run(e, ctx, userRequest("fast"))
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("err = %v; want context.Canceled", err)
			}
			if b.Calls() != 0 {
				t.Errorf("b called %d times; want no attempt after the cancellation", b.Calls())
			}
			want := []string{"a:cancelled:cancelled"}
			if diff := cmp.Diff(want, outcomes(res.Attempts)); diff != "" {
				t.Errorf("attempts (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCallerCancelsMidStream(t *testing.T) {
	a := newFake("a", step{chunks: []string{"one ", "two "}, stall: true})
	e := mustNew(t, testConfig(), a, newFake("b"), newFake("c"))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s, err := e.Stream(ctx, userRequest("fast"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for s.Next() {
		if s.Current().Text == "two " {
			cancel()
		}
	}
	if !errors.Is(s.Err(), context.Canceled) {
		t.Fatalf("Err() = %v; want it to wrap context.Canceled", s.Err())
	}
	var ie *InterruptedError
	if !errors.As(s.Err(), &ie) || ie.Chunks != 2 {
		t.Errorf("Err() = %v; want *InterruptedError after 2 chunks", s.Err())
	}
	if diff := cmp.Diff([]string{"a:cancelled:cancelled"}, outcomes(s.Result().Attempts)); diff != "" {
		t.Errorf("attempts (-want +got):\n%s", diff)
	}
}

func TestTotalTimeout(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			clk := newClock()
			cfg := testConfig()
			cfg.Timeouts.Total, cfg.Clock = 40*time.Millisecond, clk
			started := make(chan struct{})
			advanceOn(clk, started, 40*time.Millisecond)
			a := newFake("a", step{err: perr("a", provider.ClassServer)})
			b := newFake("b", step{hang: true, started: started})
			c := newFake("c")
			e := mustNew(t, cfg, a, b, c)
			_, _, err := m.run(e, testCtx(t), userRequest("fast"))
			var ee *ExhaustedError
			if !errors.As(err, &ee) {
				t.Fatalf("err = %v; want *ExhaustedError", err)
			}
			if ee.Total != cfg.Timeouts.Total {
				t.Errorf("Total = %v; want %v", ee.Total, cfg.Timeouts.Total)
			}
			want := []string{"a:error:server", "b:timeout:timeout"}
			if diff := cmp.Diff(want, outcomes(ee.Attempts)); diff != "" {
				t.Errorf("attempts (-want +got):\n%s", diff)
			}
			if c.Calls() != 0 {
				t.Errorf("c called %d times after the total timeout; want 0", c.Calls())
			}
			if msg := err.Error(); !strings.Contains(msg, "total timeout 40ms") || !strings.Contains(msg, "a/a-mini") || !strings.Contains(msg, "b/b-haiku") {
				t.Errorf("Error() = %q; want the total timeout and the links tried", msg)
			}
		})
	}
}

func TestPerCallTimeoutOverride(t *testing.T) {
	clk := newClock()
	cfg := testConfig()
	cfg.Timeouts.Attempt, cfg.Clock = time.Hour, clk
	cfg.Categories[0].Timeouts.Attempt = 2 * time.Hour
	started := make(chan struct{})
	advanceOn(clk, started, 20*time.Millisecond)
	e := mustNew(t, cfg, newFake("a", step{hang: true, started: started}), newFake("b"), newFake("c"))
	req := userRequest("fast")
	req.Timeouts.Attempt = 20 * time.Millisecond
	res, err := e.Complete(testCtx(t), req)
	if err != nil {
		t.Fatalf("Complete() error = %v", err)
	}
	if diff := cmp.Diff([]string{"a:timeout:timeout", "b:ok"}, outcomes(res.Attempts)); diff != "" {
		t.Errorf("attempts (-want +got):\n%s", diff)
	}
}

func TestRetriesSameLink(t *testing.T) {
	cfg := testConfig()
	s := &sleeper{Clock: newClock()}
	cfg.Retries, cfg.Clock = 2, s
	cfg.RetryBackoff = time.Second
	a := newFake("a", step{err: perr("a", provider.ClassOverloaded)}, step{err: perr("a", provider.ClassServer)}, step{})
	e := mustNew(t, cfg, a, newFake("b"), newFake("c"))
	res, err := e.Complete(testCtx(t), userRequest("fast"))
	// Jittered by ±50 %: the first backoff is 0.5 s to 1.5 s, the second
	// (doubled) 1 s to 3 s.
	waits := s.Waits()
	if len(waits) != 2 || waits[0] < 500*time.Millisecond || waits[0] > 1500*time.Millisecond ||
		waits[1] < time.Second || waits[1] > 3*time.Second {
		t.Errorf("waits = %v; want two backoffs, of 0.5 s to 1.5 s and 1 s to 3 s", waits)
	}
	if err != nil {
		t.Fatalf("Complete() error = %v", err)
	}
	want := []string{"a:error:overloaded", "a:error:server", "a:ok"}
	if diff := cmp.Diff(want, outcomes(res.Attempts)); diff != "" {
		t.Errorf("attempts (-want +got):\n%s", diff)
	}

	// Auth is not transient: no retry, straight to the next link.
	a = newFake("a", step{err: perr("a", provider.ClassAuth)})
	e = mustNew(t, cfg, a, newFake("b"), newFake("c"))
	res, err = e.Complete(context.Background(), userRequest("fast"))
	if err != nil {
		t.Fatalf("Complete() error = %v", err)
	}
	if diff := cmp.Diff([]string{"a:error:auth", "b:ok"}, outcomes(res.Attempts)); diff != "" {
		t.Errorf("attempts (-want +got):\n%s", diff)
	}
}

func TestExplicitChain(t *testing.T) {
	a, c := newFake("a"), newFake("c")
	e := mustNew(t, testConfig(), a, newFake("b"), c)
	req := userRequest("")
	req.Chain = []Target{{Provider: "c", Model: "c-pro"}, {Provider: "a", Model: "a-big"}}
	res, err := e.Complete(context.Background(), req)
	if err != nil {
		t.Fatalf("Complete() error = %v", err)
	}
	if got, want := res.Response.Text, "ok from c/c-pro"; got != want {
		t.Errorf("text = %q; want %q", got, want)
	}
	req.Chain = []Target{{Provider: "zz", Model: "m"}}
	if _, err := e.Complete(context.Background(), req); err == nil {
		t.Errorf("Complete() with an unknown provider in the chain: err = nil; want an error")
	}
	if _, err := e.Complete(context.Background(), userRequest("nope")); err == nil {
		t.Errorf("Complete() with an unknown category: err = nil; want an error")
	}
}

func TestModelSetPerLinkAndRequestUntouched(t *testing.T) {
	a, b := newFake("a", step{err: perr("a", provider.ClassServer)}), newFake("b")
	e := mustNew(t, testConfig(), a, b, newFake("c"))
	req := userRequest("fast")
	req.Model = "caller-model"
	if _, err := e.Complete(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	if got := append(a.models, b.models...); !cmp.Equal(got, []string{"a-mini", "b-haiku"}) {
		t.Errorf("models sent = %v; want [a-mini b-haiku]", got)
	}
	if req.Model != "caller-model" {
		t.Errorf("req.Model = %q; want the caller's request untouched", req.Model)
	}
}

func TestOnAttempt(t *testing.T) {
	var got []string
	cfg := testConfig()
	// Calls are sequential here, so the hook needs no lock.
	cfg.OnAttempt = func(category string, a Attempt) { got = append(got, category+" "+a.Provider+":"+string(a.Outcome)) }
	e := mustNew(t, cfg, newFake("a", step{err: perr("a", provider.ClassServer)}), newFake("b"), newFake("c"))
	for _, m := range modes {
		got = nil
		if _, _, err := m.run(e, context.Background(), userRequest("fast")); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"fast a:error", "fast b:ok"}, got); diff != "" {
			t.Errorf("%s: hook calls (-want +got):\n%s", m.name, diff)
		}
	}
}

// TestEmptyAnswerFallsBack: an answer with no text that finished as if
// complete is of no use to the caller; another link may do better. A
// refusal or a tool-call finish with no text is an answer of its own.
func TestEmptyAnswerFallsBack(t *testing.T) {
	tests := []struct {
		name   string
		finish provider.FinishReason
		want   []string
	}{
		{"stop", provider.FinishStop, []string{"a:error:malformed", "b:ok"}},
		{"no reason", provider.FinishOther, []string{"a:error:malformed", "b:ok"}},
		{"tool calls", provider.FinishToolCalls, []string{"a:ok"}},
		{"content filter", provider.FinishContentFilter, []string{"a:ok"}},
	}
	for _, tc := range tests {
		for _, streaming := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/stream=%t", tc.name, streaming), func(t *testing.T) {
				e := mustNew(t, testConfig(), newFake("a", step{chunks: []string{}, finish: tc.finish}), newFake("b"), newFake("c"))
				res := runOnce(t, e, streaming)
				if diff := cmp.Diff(tc.want, outcomes(res.Attempts)); diff != "" {
					t.Errorf("attempts (-want +got):\n%s", diff)
				}
			})
		}
	}
}

// TestMalformedEventsInAttemptLog: the bad events a stream skipped are
// counted on the serving attempt and in its JSON.
func TestMalformedEventsInAttemptLog(t *testing.T) {
	e := mustNew(t, testConfig(), newFake("a", step{chunks: []string{"x", "y"}, malformed: 2}), newFake("b"), newFake("c"))
	res := runOnce(t, e, true)
	if got := res.Attempts[0].MalformedEvents; got != 2 {
		t.Errorf("Attempts[0].MalformedEvents = %d; want 2", got)
	}
	b, err := json.Marshal(res.Attempts[0])
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"malformed_events":2`) {
		t.Errorf("attempt JSON = %s; want malformed_events 2", b)
	}
}

func TestCloseMidStream(t *testing.T) {
	e := mustNew(t, testConfig(), newFake("a", step{chunks: []string{"x", "y", "z"}}), newFake("b"), newFake("c"))
	s, err := e.Stream(context.Background(), userRequest("fast"))
	if err != nil {
		t.Fatal(err)
	}
	if !s.Next() {
		t.Fatalf("Next() = false; want a first chunk (Err %v)", s.Err())
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close() = %v", err)
	}
	if s.Next() {
		t.Errorf("Next() after Close = true; want false")
	}
	if diff := cmp.Diff([]string{"a:cancelled:cancelled"}, outcomes(s.Result().Attempts)); diff != "" {
		t.Errorf("attempts (-want +got):\n%s", diff)
	}
}

func TestAttemptJSON(t *testing.T) {
	as := []Attempt{
		{Target: Target{Provider: "openai", Model: "gpt-4.1-mini"}, Start: 1500 * time.Microsecond, Duration: 250 * time.Millisecond,
			Outcome: OutcomeError, Class: provider.ClassAuth,
			Err: &provider.Error{Provider: "openai", Status: 401, Class: provider.ClassAuth, Message: "Incorrect API key provided: sk-proj-abcdef123456"}},
		{Target: Target{Provider: "anthropic", Model: "claude-3-5-haiku-latest"}, Start: 252 * time.Millisecond, Duration: 900 * time.Millisecond, Outcome: OutcomeOK},
	}
	got, err := json.Marshal(as)
	if err != nil {
		t.Fatal(err)
	}
	want := `[{"provider":"openai","model":"gpt-4.1-mini","started_ms":1,"duration_ms":250,"outcome":"error","error_class":"auth","error":"openai: auth (HTTP 401): Incorrect API key provided: [REDACTED]"},` +
		`{"provider":"anthropic","model":"claude-3-5-haiku-latest","started_ms":252,"duration_ms":900,"outcome":"ok","error_class":"","error":""}]`
	if string(got) != want {
		t.Errorf("json.Marshal =\n%s\nwant\n%s", got, want)
	}
}

func TestErrorsNeverCarryKeys(t *testing.T) {
	const key = "sk-proj-Zx81kqLmN0pQrStUvWx"
	e := mustNew(t, testConfig(),
		newFake("a", step{err: &provider.Error{Provider: "a", Class: provider.ClassAuth, Message: "bad key " + key}}),
		newFake("b", step{err: perr("b", provider.ClassServer)}),
		newFake("c", step{err: perr("c", provider.ClassServer)}))
	_, err := e.Complete(context.Background(), userRequest("fast"))
	if err == nil {
		t.Fatal("Complete() error = nil; want every link failed")
	}
	if strings.Contains(err.Error(), key) {
		t.Errorf("Error() = %q; it contains the key", err)
	}
}

// The idle timeout measures the provider, not the caller: a reader that
// takes longer than it between chunks must not be cut off.
func TestIdleIgnoresSlowReader(t *testing.T) {
	clk := newClock()
	cfg := testConfig()
	cfg.Timeouts.Idle, cfg.Clock = 100*time.Millisecond, clk
	e := mustNew(t, cfg, newFake("a", step{chunks: []string{"one ", "two ", "three"}}), newFake("b"), newFake("c"))
	s, err := e.Stream(testCtx(t), userRequest("fast"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var got strings.Builder
	for s.Next() {
		got.WriteString(s.Current().Text)
		// A slow consumer (a terminal, a client): the idle watchdog
		// fires, on this goroutine, while the caller holds the stream.
		clk.Advance(250 * time.Millisecond)
	}
	if s.Err() != nil || got.String() != "one two three" {
		t.Errorf("got %q, Err() = %v; want the whole answer", got.String(), s.Err())
	}
}

// TestIdleTimeoutIsPrompt: `idle: 2s` ends a stream whose link went silent
// within 2.2 s of the engine asking it for the next token, and never before
// 2 s. (The watchdog used to look once per idle period, which caught a
// stall only after up to twice the idle timeout.)
func TestIdleTimeoutIsPrompt(t *testing.T) {
	for _, idle := range []time.Duration{2 * time.Second, 30 * time.Second, 100 * time.Millisecond} {
		t.Run(idle.String(), func(t *testing.T) {
			clk := newClock()
			start := clk.Now()
			stalled := make(chan struct{})
			a := newFake("a", step{chunks: []string{"one ", "two "}, stall: true, stalled: stalled})
			noticed := make(chan time.Duration, 1)
			go func() {
				// Time passes in steps of 1% of the timeout; the watchdog
				// fires within a step, on this goroutine, and cancels the
				// link's context before Advance returns.
				<-stalled
				for range 300 {
					clk.Advance(idle / 100)
					if a.LastCtx().Err() != nil {
						break
					}
				}
				noticed <- clk.Now().Sub(start)
			}()
			cfg := testConfig()
			cfg.Timeouts.Idle, cfg.Clock = idle, clk
			e := mustNew(t, cfg, a, newFake("b"), newFake("c"))
			s, err := e.Stream(testCtx(t), userRequest("fast"))
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if got := drain(s); got != "one two " {
				t.Errorf("text = %q; want %q", got, "one two ")
			}
			if got := provider.ClassOf(s.Err()); got != provider.ClassTimeout {
				t.Fatalf("Err() = %v; want an idle timeout", s.Err())
			}
			// The tokens and the stall all came at the clock's start.
			got := <-noticed
			if limit := idle + idle/10; got < idle || got > limit {
				t.Errorf("stall noticed after %v; want between %v and %v", got, idle, limit)
			}
		})
	}
}
