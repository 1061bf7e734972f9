package eval

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/llmfall/llmfall/provider"
)

// Retries says how often an overloaded link is tried again: the default 3,
// the number set, or never (NoRetries, what `eval.retries: 0` becomes).
func TestRunRetriesOption(t *testing.T) {
	overloaded := &provider.Error{Provider: "a", Status: 529, Class: provider.ClassOverloaded}
	tests := []struct {
		retries   int
		wantCalls int32
	}{{0, 4}, {1, 2}, {5, 6}, {NoRetries, 1}}
	for _, tc := range tests {
		plan := mustPlan(t, suiteOf(t, 1, `{type: contains, value: "ticket"}`), PlanOptions{Depth: 1})
		ps, fs := fakes(func(int, *provider.Request) (string, error) { return "", overloaded })
		var s sleeper
		rs, err := Run(context.Background(), plan, RunOptions{Providers: ps, Retries: tc.retries, sleep: s.sleep})
		if err != nil {
			t.Fatal(err)
		}
		if got := fs["a"].calls.Load(); got != tc.wantCalls || !rs.Results[0].Errored() {
			t.Errorf("retries %d: %d calls, result %+v; want %d calls and an errored case", tc.retries, got, rs.Results[0], tc.wantCalls)
		}
	}
}

// A rate limit that names a short wait (429, Retry-After 2s) is waited out
// and retried as often as Retries allows, and never under NoRetries (what
// `eval.retries: 0` becomes): a user who asked for no retries sees the raw
// failure, although provider.Retry alone would wait out one named wait even
// with Max 0. The waits are the ones eval asked its injected sleep for.
func TestRunRetriesAfterANamedWait(t *testing.T) {
	limited := &provider.Error{Provider: "a", Status: 429, Class: provider.ClassRateLimited, RetryAfter: 2 * time.Second}
	tests := []struct {
		name      string
		retries   int
		wantCalls int32
		wantWaits []time.Duration
	}{
		{"none", NoRetries, 1, nil},
		{"one", 1, 2, []time.Duration{2 * time.Second}},
		{"default", 0, 4, []time.Duration{2 * time.Second, 2 * time.Second, 2 * time.Second}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			plan := mustPlan(t, suiteOf(t, 1, `{type: contains, value: "ticket"}`), PlanOptions{Depth: 1})
			ps, fs := fakes(func(int, *provider.Request) (string, error) { return "", limited })
			var s sleeper
			rs, err := Run(context.Background(), plan, RunOptions{Providers: ps, Retries: tc.retries, sleep: s.sleep})
			if err != nil {
				t.Fatal(err)
			}
			if got := fs["a"].calls.Load(); got != tc.wantCalls || !rs.Results[0].Errored() {
				t.Errorf("%d calls, result %+v; want %d calls and an errored case", got, rs.Results[0], tc.wantCalls)
			}
			if diff := cmp.Diff(tc.wantWaits, s.waits); diff != "" {
				t.Errorf("waits (-want +got):\n%s", diff)
			}
		})
	}
}

// deadlineProvider records how long each call was given.
type deadlineProvider struct{ left chan time.Duration }

func (p *deadlineProvider) Complete(ctx context.Context, req *provider.Request) (*provider.Response, error) {
	d, ok := ctx.Deadline()
	if !ok {
		p.left <- -1
	} else {
		p.left <- time.Until(d)
	}
	return &provider.Response{Text: "ticket", FinishReason: provider.FinishStop, Model: req.Model}, nil
}

func (p *deadlineProvider) Stream(context.Context, *provider.Request) (provider.Stream, error) {
	return nil, nil
}

// Each call is bounded by Timeout, DefaultTimeout (2 minutes) when unset.
// (The bounds are loose: only a machine stalled for most of a minute
// could miss them.)
func TestRunCallTimeout(t *testing.T) {
	tests := []struct {
		timeout  time.Duration
		min, max time.Duration
	}{
		{0, time.Minute, 2 * time.Minute},
		{30 * time.Second, time.Second, 30 * time.Second},
	}
	for _, tc := range tests {
		plan := mustPlan(t, suiteOf(t, 1, `{type: contains, value: "ticket"}`), PlanOptions{Depth: 1})
		p := &deadlineProvider{left: make(chan time.Duration, 1)}
		if _, err := Run(context.Background(), plan, RunOptions{Providers: map[string]provider.Provider{"a": p}, Timeout: tc.timeout}); err != nil {
			t.Fatal(err)
		}
		if left := <-p.left; left < tc.min || left > tc.max {
			t.Errorf("timeout %v: the call had %v left; want between %v and %v", tc.timeout, left, tc.min, tc.max)
		}
	}
}

// A concurrency limit of 100 is used in full: a run does not run out of
// waiting cases to fill its slots (it keeps a few per slot, at least 64).
// That no more calls will start cannot be seen without a timer, so the
// bound on waiting cases is checked first, where it is decided: a bound
// under the limit (the mutants that ran 64 calls) fails at once. The run
// must then start all 100 calls; one that stalls short of them for another
// reason fails by go test's -timeout, which names the test.
func TestRunFillsALargeConcurrencyLimit(t *testing.T) {
	const limit = 100
	plan := mustPlan(t, suiteOf(t, limit+20, `{type: contains, value: "ticket"}`), PlanOptions{Depth: 1})
	ps, fs := fakes(echo)
	opts := RunOptions{Providers: ps, Limits: map[string]Limit{"a": {Concurrency: limit}}}
	if got := newRunner(plan, opts).maxPending(); got < limit {
		t.Fatalf("a run keeps at most %d cases waiting; want at least the limit %d", got, limit)
	}
	started := make(chan struct{}, limit+20)
	release := make(chan struct{})
	fs["a"].onStart = func(context.Context) {
		started <- struct{}{}
		<-release
	}
	done := make(chan error, 1)
	go func() {
		_, err := Run(context.Background(), plan, opts)
		done <- err
	}()
	defer func() {
		close(release)
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	for range limit {
		<-started
	}
	fs["a"].mu.Lock()
	got := fs["a"].maxInflight
	fs["a"].mu.Unlock()
	if got != limit {
		t.Errorf("max in flight = %d; want %d", got, limit)
	}
}
