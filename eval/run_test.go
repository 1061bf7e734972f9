package eval

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/llmfall/llmfall/provider"
	"github.com/llmfall/llmfall/provider/openai"
)

// sleeper records the waits before retries instead of waiting.
type sleeper struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (s *sleeper) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.waits = append(s.waits, d)
	return ctx.Err()
}

func fakes(answer func(int, *provider.Request) (string, error)) (map[string]provider.Provider, map[string]*fakeProvider) {
	ps := map[string]provider.Provider{}
	fs := map[string]*fakeProvider{}
	for _, name := range []string{"a", "b", "c"} {
		f := &fakeProvider{answer: answer}
		ps[name], fs[name] = f, f
	}
	return ps, fs
}

func TestRunGradesEveryLink(t *testing.T) {
	s := suiteOf(t, 2, `{type: contains, value: "ticket"}`, `{type: judge, rubric: "mentions ticket"}`, `{type: consistent}`)
	plan := mustPlan(t, s, PlanOptions{Depth: 3})
	ps, fs := fakes(echo)
	j := &fakeJudge{}
	rs, err := Run(context.Background(), plan, RunOptions{Providers: ps, Judge: j, Prices: Prices(nil).WithDefaults()})
	if err != nil {
		t.Fatal(err)
	}
	if rs.Summary.Total != 6 || rs.Summary.Passed != 6 {
		t.Errorf("summary = %+v; want 6 passed of 6", rs.Summary)
	}
	for name, f := range fs {
		if got := f.calls.Load(); got != 2 {
			t.Errorf("provider %s calls = %d; want 2", name, got)
		}
	}
	if got := j.rubricCalls.Load(); got != 6 {
		t.Errorf("rubric calls = %d; want 6", got)
	}
	// The primary's consistent assertion needs no judge call.
	if got := j.pairCalls.Load(); got != 4 {
		t.Errorf("pair calls = %d; want 4", got)
	}
	for _, in := range j.pairs {
		if in.PrimaryProvider != "a" || in.Primary != in.Candidate {
			t.Errorf("pair input = %+v; want a's answer as primary", in)
		}
	}
	r := rs.Results[0]
	want := Result{Prompt: "p", Test: "t0", Provider: "a", Model: "gpt-4.1-mini", Position: 0, Output: "ticket 0",
		Pass: true, Score: 1, Usage: provider.Usage{InputTokens: 100, OutputTokens: 50}, CostUSD: (100*0.40 + 50*1.60) / 1e6,
		Assertions: []AssertionResult{
			{Type: "contains", Pass: true, Score: 1},
			{Type: "judge", Pass: true, Score: 1, Reason: "fake rubric"},
			{Type: "consistent", Pass: true, Score: 1, Reason: "primary link: the answer the others are compared with"},
		},
		Fingerprint: plan.Cases[0].Fingerprint.Sum.String(), Inputs: plan.Cases[0].Fingerprint.Parts.Map(), Reason: "no baseline",
		Input: "ticket 0", // the prompt as sent, on the primary's result only
	}
	if diff := cmp.Diff(want, r, cmp.AllowUnexported(AssertionResult{}), cmpIgnoreLocation); diff != "" {
		t.Errorf("first result (-want +got):\n%s", diff)
	}
	for _, r := range rs.Results {
		if r.Position > 0 && r.Input != "" {
			t.Errorf("%s on link %d carries the prompt %q; only the primary's result should", r.Test, r.Position, r.Input)
		}
	}
}

var cmpIgnoreLocation = cmp.FilterPath(func(p cmp.Path) bool {
	switch p.Last().String() {
	case ".File", ".Line", ".LatencyMS":
		return true
	}
	return false
}, cmp.Ignore())

func TestRunRespectsConcurrencyLimits(t *testing.T) {
	s := suiteOf(t, 8, `{type: contains, value: "ticket"}`)
	tests := []struct {
		name        string
		limits      map[string]Limit
		global      int
		wantPer     int // per provider
		wantOverall int
	}{
		{"per provider", map[string]Limit{"a": {Concurrency: 2}, "b": {Concurrency: 3}, "c": {Concurrency: 1}}, 0, 3, 6},
		{"global cap", map[string]Limit{"a": {Concurrency: 4}, "b": {Concurrency: 4}, "c": {Concurrency: 4}}, 5, 4, 5},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			plan := mustPlan(t, s, PlanOptions{Depth: 3})
			ps, fs := fakes(echo)
			shared := &inflightCounter{}
			started := make(chan struct{}, 100)
			gate := make(chan struct{})
			for _, f := range fs {
				f.shared = shared
				f.onStart = func(ctx context.Context) {
					started <- struct{}{}
					<-gate
				}
			}
			done := make(chan struct{})
			go func() {
				defer close(done)
				if _, err := Run(context.Background(), plan, RunOptions{Providers: ps, Limits: tc.limits, Concurrency: tc.global}); err != nil {
					t.Error(err)
				}
			}()
			// Hold the first calls until the limits are full, then let
			// everything through: any call past a limit shows in the
			// maxima.
			for range tc.wantOverall {
				<-started
			}
			close(gate)
			<-done
			if shared.max != tc.wantOverall {
				t.Errorf("max calls in flight = %d; want %d", shared.max, tc.wantOverall)
			}
			for name, f := range fs {
				limit := tc.limits[name].Concurrency
				if f.maxInflight > limit {
					t.Errorf("provider %s: max in flight = %d; want at most %d", name, f.maxInflight, limit)
				}
			}
		})
	}
}

func TestRunRateLimit(t *testing.T) {
	s := suiteOf(t, 4, `{type: contains, value: "ticket"}`)
	plan := mustPlan(t, s, PlanOptions{Depth: 1})
	ps, _ := fakes(echo)
	start := time.Now()
	if _, err := Run(context.Background(), plan, RunOptions{Providers: ps, Limits: map[string]Limit{"a": {RPM: 600}}}); err != nil {
		t.Fatal(err)
	}
	// 600 a minute is one every 100 ms: the 4th call starts 300 ms in.
	if got := time.Since(start); got < 290*time.Millisecond {
		t.Errorf("4 calls at 600 rpm took %v; want at least 300ms", got)
	}
}

func TestRunRetries(t *testing.T) {
	overloaded := &provider.Error{Provider: "a", Status: 529, Class: provider.ClassOverloaded}
	auth := &provider.Error{Provider: "a", Status: 401, Class: provider.ClassAuth, Message: "Incorrect API key provided: sk-abc1****wxyz"}
	timeout := &provider.Error{Provider: "a", Class: provider.ClassTimeout, Message: "context deadline exceeded"}
	limited := func(after time.Duration) error {
		return &provider.Error{Provider: "a", Status: 429, Class: provider.ClassRateLimited, RetryAfter: after}
	}
	mid := func(n int64) int64 { return n / 2 }
	tests := []struct {
		name      string
		failures  int // calls that fail before one succeeds
		err       error
		wantCalls int32
		wantError string
		wantWaits []time.Duration
	}{
		{"transient then success", 2, overloaded, 3, "", []time.Duration{time.Second, 2 * time.Second}},
		{"transient every time", 10, overloaded, 4, "a: overloaded (HTTP 529)", []time.Duration{time.Second, 2 * time.Second, 4 * time.Second}},
		{"auth is not retried", 10, auth, 1, "a: auth (HTTP 401): Incorrect API key provided: [REDACTED]", nil},
		// The same policy as the engine's: a timeout already spent the
		// link's budget.
		{"timeout is not retried", 10, timeout, 1, "a: timeout: context deadline exceeded", nil},
		{"retry-after is waited out", 1, limited(7 * time.Second), 2, "", []time.Duration{7 * time.Second}},
		{"retry-after beyond MaxBackoff is not", 10, limited(time.Hour), 1, "a: rate_limited (HTTP 429) (retry after 1h0m0s)", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			plan := mustPlan(t, suiteOf(t, 1, `{type: contains, value: "ticket"}`), PlanOptions{Depth: 1})
			ps, fs := fakes(func(n int, req *provider.Request) (string, error) {
				if n <= tc.failures {
					return "", tc.err
				}
				return "ticket", nil
			})
			var s sleeper
			rs, err := Run(context.Background(), plan, RunOptions{Providers: ps, Rand: mid, sleep: s.sleep})
			if err != nil {
				t.Fatal(err)
			}
			if got := fs["a"].calls.Load(); got != tc.wantCalls {
				t.Errorf("calls = %d; want %d", got, tc.wantCalls)
			}
			r := rs.Results[0]
			if r.Error != tc.wantError {
				t.Errorf("error = %q; want %q", r.Error, tc.wantError)
			}
			if tc.wantError == "" && !r.Pass {
				t.Errorf("result = %+v; want a pass after retries", r)
			}
			if diff := cmp.Diff(tc.wantWaits, s.waits); diff != "" {
				t.Errorf("waits (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRunRetryAfterOverHTTP runs a case against an OpenAI-compatible server
// that rate-limits the first call with a Retry-After header.
func TestRunRetryAfterOverHTTP(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if calls.Add(1) == 1 {
			w.Header().Set("Retry-After", "7")
			w.WriteHeader(http.StatusTooManyRequests)
			fmt.Fprint(w, `{"error":{"message":"Rate limit reached for gpt-4.1-mini on requests per min (RPM): Limit 3, Used 3, Requested 1.","type":"requests","param":null,"code":"rate_limit_exceeded"}}`)
			return
		}
		fmt.Fprint(w, chatCompletion("ticket 0 is about a refund"))
	}))
	defer srv.Close()
	plan := mustPlan(t, suiteOf(t, 1, `{type: icontains, value: "refund"}`), PlanOptions{Depth: 1})
	var s sleeper
	ps := map[string]provider.Provider{"a": openai.New(openai.Config{Name: "a", BaseURL: srv.URL + "/v1", APIKey: "sk-test-0123456789"})}
	rs, err := Run(context.Background(), plan, RunOptions{Providers: ps, sleep: s.sleep})
	if err != nil {
		t.Fatal(err)
	}
	if r := rs.Results[0]; !r.Pass || r.Usage.OutputTokens != 9 {
		t.Errorf("result = %+v; want a pass with the server's usage", r)
	}
	if diff := cmp.Diff([]time.Duration{7 * time.Second}, s.waits); diff != "" {
		t.Errorf("waits (-want +got):\n%s", diff)
	}
}

// chatCompletion is a chat.completion body as OpenAI sends it.
func chatCompletion(text string) string {
	return fmt.Sprintf(`{"id":"chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG","object":"chat.completion","created":1741570283,"model":"gpt-4.1-mini-2025-04-14","choices":[{"index":0,"message":{"role":"assistant","content":%q,"refusal":null,"annotations":[]},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":19,"completion_tokens":9,"total_tokens":28},"service_tier":"default","system_fingerprint":"fp_6ec83003ad"}`, text)
}

func TestRunErroredIsNotFailed(t *testing.T) {
	plan := mustPlan(t, suiteOf(t, 2, `{type: contains, value: "ticket 1"}`, `{type: consistent}`), PlanOptions{Depth: 2})
	ps, _ := fakes(echo)
	ps["a"] = &fakeProvider{answer: func(n int, req *provider.Request) (string, error) {
		if req.Messages[0].Content == "ticket 0" {
			return "", &provider.Error{Provider: "a", Status: 404, Class: provider.ClassNotFound, Message: "model not found"}
		}
		return req.Messages[0].Content, nil
	}}
	rs, err := Run(context.Background(), plan, RunOptions{Providers: ps, Judge: &fakeJudge{}})
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		Test, Provider string
		Pass           bool
		Error          string
	}
	var got []row
	for _, r := range rs.Results {
		got = append(got, row{r.Test, r.Provider, r.Pass, r.Error})
	}
	want := []row{
		{"t0", "a", false, "a: not_found (HTTP 404): model not found"},
		{"t0", "b", false, "consistent (" + plan.Cases[0].Test.File + ":7): no primary answer to compare with: a/gpt-4.1-mini failed: a: not_found (HTTP 404): model not found"},
		{"t1", "a", true, ""},
		{"t1", "b", true, ""},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("results (-want +got):\n%s", diff)
	}
	if s := rs.Summary; s.Errored != 2 || s.Passed != 2 || s.Failed != 0 {
		t.Errorf("summary = %d passed, %d failed, %d errored; want 2, 0, 2", s.Passed, s.Failed, s.Errored)
	}
}

func TestRunCancellationKeepsFinishedResults(t *testing.T) {
	plan := mustPlan(t, suiteOf(t, 6, `{type: contains, value: "ticket"}`), PlanOptions{Depth: 1})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ps, _ := fakes(func(n int, req *provider.Request) (string, error) { return req.Messages[0].Content, nil })
	a := ps["a"].(*fakeProvider)
	a.onStart = func(callCtx context.Context) {
		if a.calls.Load() == 3 {
			cancel() // Ctrl-C while the third call is in flight
			<-callCtx.Done()
		}
	}
	a.answer = func(n int, req *provider.Request) (string, error) {
		if n == 3 {
			return "", provider.TransportError(ctx, "a", context.Canceled)
		}
		return req.Messages[0].Content, nil
	}
	rs, err := Run(ctx, plan, RunOptions{Providers: ps, Limits: map[string]Limit{"a": {Concurrency: 1}}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run error = %v; want context.Canceled", err)
	}
	if s := rs.Summary; s.Total != 2 || s.Passed != 2 || s.NotRun != 4 || !s.Interrupted {
		t.Errorf("summary = %+v; want 2 finished, 4 not run, interrupted", s)
	}
	for _, r := range rs.Results {
		if !r.Pass || r.Output != "ticket "+r.Test[1:] {
			t.Errorf("kept result = %+v; want a finished pass", r)
		}
	}
}

func TestRunCacheMakesNoCalls(t *testing.T) {
	s := suiteOf(t, 3, `{type: contains, value: "ticket"}`, `{type: judge, rubric: "ticket"}`, `{type: consistent}`)
	cache, err := OpenCache(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	run := func() (*Results, map[string]*fakeProvider, *fakeJudge) {
		ps, fs := fakes(echo)
		j := &fakeJudge{}
		rs, err := Run(context.Background(), mustPlan(t, s, PlanOptions{Depth: 2}), RunOptions{Providers: ps, Judge: j, Cache: cache, JudgeID: "fake"})
		if err != nil {
			t.Fatal(err)
		}
		return rs, fs, j
	}
	first, fs, j := run()
	if fs["a"].calls.Load() != 3 || j.rubricCalls.Load() != 6 || j.pairCalls.Load() != 3 {
		t.Fatalf("first run: %d calls, %d rubric, %d pair; want 3, 6, 3", fs["a"].calls.Load(), j.rubricCalls.Load(), j.pairCalls.Load())
	}
	second, fs, j := run()
	for name, f := range fs {
		if n := f.calls.Load(); n != 0 {
			t.Errorf("second run: provider %s made %d calls; want 0", name, n)
		}
	}
	if n := j.rubricCalls.Load() + j.pairCalls.Load(); n != 0 {
		t.Errorf("second run: %d judge calls; want 0", n)
	}
	if second.Summary.Cached != 6 {
		t.Errorf("cached = %d; want 6", second.Summary.Cached)
	}
	if diff := cmp.Diff(first.Results, second.Results, cmp.AllowUnexported(AssertionResult{}), cmpIgnoreLocation,
		cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".Cached" }, cmp.Ignore())); diff != "" {
		t.Errorf("cached results differ (-first +second):\n%s", diff)
	}
}

func TestRunRejectsWhatCannotRun(t *testing.T) {
	plan := mustPlan(t, suiteOf(t, 1, `{type: judge, rubric: "x"}`), PlanOptions{Depth: 2})
	_, err := Run(context.Background(), plan, RunOptions{Providers: map[string]provider.Provider{"a": &fakeProvider{answer: echo}}})
	want := "provider \"b\" (in the chain of \"fast\") is not configured\nthe suite has judge or consistent assertions but no judge is configured"
	if err == nil || err.Error() != want {
		t.Errorf("Run error = %v; want %q", err, want)
	}
}
