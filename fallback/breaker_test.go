package fallback

import (
	"context"
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/llmfall/llmfall/clock"
	"github.com/llmfall/llmfall/provider"
)

func TestBreakerStateMachine(t *testing.T) {
	clock := newClock()
	b := newBreaker(3, 10*time.Second, 10*time.Second, clock.Now)
	fail := func() {
		gen, ok := b.allow()
		if !ok {
			t.Fatalf("allow() = false; want a request let through")
		}
		b.failure(gen, 0)
	}
	state := func() BreakerState { s, _ := b.snapshot(); return s }

	fail()
	fail()
	if got := state(); got != StateClosed {
		t.Fatalf("after 2 failures state = %v; want closed", got)
	}
	gen, _ := b.allow()
	b.success(gen) // a success breaks the run
	fail()
	fail()
	if got := state(); got != StateClosed {
		t.Fatalf("after success + 2 failures state = %v; want closed", got)
	}
	fail()
	if got := state(); got != StateOpen {
		t.Fatalf("after 3 consecutive failures state = %v; want open", got)
	}
	if _, ok := b.allow(); ok {
		t.Errorf("allow() on an open breaker = true; want false")
	}
	clock.Advance(10 * time.Second)
	probe, ok := b.allow()
	if !ok || state() != StateHalfOpen {
		t.Fatalf("after the cool-down allow() = %v, state %v; want a half-open probe", ok, state())
	}
	if _, ok := b.allow(); ok {
		t.Errorf("second allow() while probing = true; want one probe at a time")
	}
	b.failure(probe, 0)
	if got := state(); got != StateOpen {
		t.Fatalf("after a failed probe state = %v; want open", got)
	}
	clock.Advance(10 * time.Second)
	probe, _ = b.allow()
	b.success(probe)
	if got := state(); got != StateClosed {
		t.Fatalf("after a good probe state = %v; want closed", got)
	}
	// A failure from a request that started before the recovery is stale.
	b.failure(gen, 0)
	if got := state(); got != StateClosed || !b.healthy.Load() {
		t.Errorf("a stale failure changed the breaker: state %v healthy %v", got, b.healthy.Load())
	}
}

func TestBreakerRetryAfterCools(t *testing.T) {
	clock := newClock()
	b := newBreaker(5, time.Minute, time.Minute, clock.Now)
	gen, _ := b.allow()
	b.failure(gen, 20*time.Second)
	if _, ok := b.allow(); ok {
		t.Fatalf("allow() during Retry-After = true; want false")
	}
	clock.Advance(20 * time.Second)
	if _, ok := b.allow(); !ok {
		t.Fatalf("allow() after Retry-After = false; want true")
	}
}

func TestBreakerOpensOnOutageAndRecovers(t *testing.T) {
	clock := newClock()
	cfg := testConfig()
	cfg.Clock = clock
	cfg.BreakerFailures = 3
	cfg.BreakerCooldown = 30 * time.Second
	a := newFake("a", step{err: perr("a", provider.ClassServer)})
	e := mustNew(t, cfg, a, newFake("b"), newFake("c"))
	ta := Target{Provider: "a", Model: "a-mini"}

	for range 3 {
		if _, err := e.Complete(context.Background(), userRequest("fast")); err != nil {
			t.Fatal(err)
		}
	}
	if s, _ := e.Breaker(ta); s != StateOpen {
		t.Fatalf("after 3 failures Breaker(a) = %v; want open", s)
	}
	res, err := e.Complete(context.Background(), userRequest("fast"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"a:skipped", "b:ok"}, outcomes(res.Attempts)); diff != "" {
		t.Errorf("attempts with a open (-want +got):\n%s", diff)
	}
	if a.Calls() != 3 {
		t.Errorf("a called %d times; want 3 (none while open)", a.Calls())
	}

	// a recovers; after the cool-down one probe goes through and closes it.
	a.mu.Lock()
	a.script = []step{{}}
	a.mu.Unlock()
	clock.Advance(30 * time.Second)
	res, err = e.Complete(context.Background(), userRequest("fast"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"a:ok"}, outcomes(res.Attempts)); diff != "" {
		t.Errorf("probe attempts (-want +got):\n%s", diff)
	}
	if s, _ := e.Breaker(ta); s != StateClosed {
		t.Errorf("after a good probe Breaker(a) = %v; want closed", s)
	}
}

// A partial degradation must be left to per-request fallback: a seeded 5%
// error rate over many calls never opens the breaker.
func TestBreakerStaysClosedUnderPartialDegradation(t *testing.T) {
	cfg := testConfig()
	cfg.Clock = newClock()
	rng := rand.New(rand.NewPCG(1, 2))
	const calls = 5000
	script := make([]step, calls)
	failures := 0
	for i := range script {
		if rng.Float64() < 0.05 {
			script[i] = step{err: perr("a", provider.ClassServer)}
			failures++
		}
	}
	a := newFake("a", script...)
	e := mustNew(t, cfg, a, newFake("b"), newFake("c"))
	for i := range calls {
		res, err := e.Complete(context.Background(), userRequest("fast"))
		if err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
		if res.Attempts[0].Outcome == OutcomeSkipped {
			t.Fatalf("call %d skipped a; want the breaker closed under a 5%% error rate", i)
		}
	}
	if failures < calls/40 {
		t.Fatalf("only %d scripted failures; the test needs a real error rate", failures)
	}
	if a.Calls() != calls {
		t.Errorf("a called %d times; want %d", a.Calls(), calls)
	}
}

func TestAllOpenStillTries(t *testing.T) {
	clk := newClock()
	cfg := oneStrikeConfig(clk)
	cfg.BreakerMinCooldown = 30 * time.Second // all still open at the end
	a, b, c := down("a"), down("b"), down("c")
	e := mustNew(t, cfg, a, b, c)
	openInTurn(t, e, clk, targetC, targetA, targetB)
	for _, tg := range []Target{targetA, targetB, targetC} {
		if s, _ := e.Breaker(tg); s != StateOpen {
			t.Fatalf("Breaker(%v) = %v; want open", tg, s)
		}
	}
	b.mu.Lock()
	b.script = []step{{}}
	b.mu.Unlock()
	res, err := e.Complete(context.Background(), userRequest("fast"))
	if err != nil {
		t.Fatalf("Complete() with every link open: %v; want b tried and answering", err)
	}
	want := []string{"c:error:server", "a:error:server", "b:ok"}
	if diff := cmp.Diff(want, outcomes(res.Attempts)); diff != "" {
		t.Errorf("attempts, least recently failed first (-want +got):\n%s", diff)
	}
	if s, _ := e.Breaker(targetB); s != StateClosed {
		t.Errorf("Breaker(b) after it answered = %v; want closed", s)
	}
}

// TestRateLimitCoolsOnlyWhenMostlyRefused: a 429's Retry-After cools the
// whole link only once most of its recent requests are refused; a single
// one is a capacity signal, not an outage.
func TestRateLimitCoolsOnlyWhenMostlyRefused(t *testing.T) {
	clock := newClock()
	cfg := testConfig()
	cfg.Clock = clock
	cfg.BreakerFailures = 100 // the consecutive-failure breaker is not what this tests
	rl := &provider.Error{Provider: "a", Status: 429, Class: provider.ClassRateLimited, RetryAfter: 17500 * time.Millisecond}
	a := newFake("a", step{err: rl}, step{}, step{err: rl}, step{err: rl}, step{err: rl}, step{err: rl}, step{})
	e := mustNew(t, cfg, a, newFake("b"), newFake("c"))
	for i, want := range [][]string{
		{"a:error:rate_limited", "b:ok"},
		{"a:ok"}, // one 429 did not cool a
		{"a:error:rate_limited", "b:ok"},
		{"a:error:rate_limited", "b:ok"},
		{"a:error:rate_limited", "b:ok"},
		{"a:error:rate_limited", "b:ok"}, // 5 of 6 refused: now it cools
		{"a:skipped", "b:ok"},
	} {
		res, err := e.Complete(context.Background(), userRequest("fast"))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, outcomes(res.Attempts)); diff != "" {
			t.Errorf("call %d attempts (-want +got):\n%s", i, diff)
		}
	}
	clock.Advance(17500 * time.Millisecond)
	res, err := e.Complete(context.Background(), userRequest("fast"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"a:ok"}, outcomes(res.Attempts)); diff != "" {
		t.Errorf("after Retry-After attempts (-want +got):\n%s", diff)
	}
}

// TestRateLimitOnHalfOrLessDoesNotCool: a link that refuses a third, or
// exactly half, of its requests has refused many of its recent requests, but
// not most: it keeps being asked first, and only the refused requests go
// down the chain.
func TestRateLimitOnHalfOrLessDoesNotCool(t *testing.T) {
	refused := step{err: rateLimited("a", 17500*time.Millisecond)}
	for _, tc := range []struct {
		name    string
		pattern []step // repeated; the first 429 starts the count
	}{
		{"a third", []step{refused, {}, {}}},
		{"half", []step{{}, refused}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk := newClock()
			cfg := testConfig()
			cfg.Clock = clk
			script := []step{refused, {}}
			for range 30 / len(tc.pattern) {
				script = append(script, tc.pattern...)
			}
			e := mustNew(t, cfg, newFake("a", script...), newFake("b"), newFake("c"))
			for i, st := range script {
				res, err := e.Complete(context.Background(), userRequest("fast"))
				if err != nil {
					t.Fatal(err)
				}
				want := []string{"a:ok"}
				if st.err != nil {
					want = []string{"a:error:rate_limited", "b:ok"}
				}
				if diff := cmp.Diff(want, outcomes(res.Attempts)); diff != "" {
					t.Fatalf("call %d attempts (-want +got):\n%s", i, diff)
				}
				clk.Advance(100 * time.Millisecond)
			}
		})
	}
}

func TestBreakersDisabled(t *testing.T) {
	cfg := testConfig()
	cfg.BreakerFailures = -1
	a := newFake("a", step{err: perr("a", provider.ClassServer)})
	e := mustNew(t, cfg, a, newFake("b"), newFake("c"))
	for range 20 {
		if _, err := e.Complete(context.Background(), userRequest("fast")); err != nil {
			t.Fatal(err)
		}
	}
	if a.Calls() != 20 {
		t.Errorf("a called %d times; want 20 with breakers disabled", a.Calls())
	}
}

// outageProvider fails every call with a server error while its clock is
// before back, and answers after.
type outageProvider struct {
	clk  *clock.Fake
	back time.Time
}

func (p *outageProvider) Complete(ctx context.Context, req *provider.Request) (*provider.Response, error) {
	if p.clk.Now().Before(p.back) {
		return nil, perr("a", provider.ClassServer)
	}
	return &provider.Response{Text: "ok from a", FinishReason: provider.FinishStop, Model: req.Model}, nil
}

func (p *outageProvider) Stream(ctx context.Context, req *provider.Request) (provider.Stream, error) {
	return nil, errors.New("not used")
}

// TestBreakerRecoveryAtLowTraffic is the recovery test: the primary
// is down for 60 s and a request arrives every 4 s; with the default
// breaker settings the primary serves again within 10 s of coming back.
// (A fixed 30 s cool-down, restarted by every failed probe, kept it unused
// for up to 34 s.)
func TestBreakerRecoveryAtLowTraffic(t *testing.T) {
	clk := newClock()
	start := clk.Now()
	back := start.Add(60 * time.Second)
	cfg := testConfig()
	cfg.Clock = clk
	e, err := New(cfg, map[string]provider.Provider{"a": &outageProvider{clk: clk, back: back}, "b": newFake("b"), "c": newFake("c")})
	if err != nil {
		t.Fatal(err)
	}
	var probes int
	for at := time.Duration(0); at <= 3*time.Minute; at += 4 * time.Second {
		clk.Advance(start.Add(at).Sub(clk.Now()))
		res, err := e.Complete(context.Background(), userRequest("fast"))
		if err != nil {
			t.Fatalf("request at %v: %v", at, err)
		}
		if a := res.Attempts[0]; a.Provider == "a" && a.Outcome != OutcomeSkipped && at < 60*time.Second {
			probes++
		}
		if res.Target.Provider != "a" || at < 60*time.Second {
			continue
		}
		if late := at - 60*time.Second; late > 10*time.Second {
			t.Errorf("primary served again %v after it came back; want within 10 s", late)
		}
		if probes > 5+8 {
			t.Errorf("%d calls to the dead primary in 60 s at one request every 4 s; want at most 13 (5 to open, then probes)", probes)
		}
		return
	}
	t.Fatal("the primary never served again")
}

// TestBreakerCooldownGrowsWithTheOutage: the wait before a probe is a tenth
// of how long the target has been failing, between the minimum and the
// cap, and starts again from the minimum after a successful probe.
func TestBreakerCooldownGrowsWithTheOutage(t *testing.T) {
	clock := newClock()
	b := newBreaker(1, time.Second, 30*time.Second, clock.Now)
	probe := func(ok bool) time.Duration {
		t.Helper()
		// Wait for the breaker to let a probe through, in small steps.
		var waited time.Duration
		for {
			if gen, allowed := b.allow(); allowed {
				if ok {
					b.success(gen)
				} else {
					b.failure(gen, 0)
				}
				return waited
			}
			clock.Advance(100 * time.Millisecond)
			waited += 100 * time.Millisecond
		}
	}
	probe(false) // opens at 0
	var waits []time.Duration
	for range 4 {
		waits = append(waits, probe(false))
	}
	clock.Advance(100 * time.Second) // a probe fails at 104 s: the next waits 10.4 s
	probe(false)
	waits = append(waits, probe(false))
	clock.Advance(time.Hour)
	probe(false)
	waits = append(waits, probe(false))
	probe(true) // closes
	probe(false)
	waits = append(waits, probe(false))
	want := []time.Duration{time.Second, time.Second, time.Second, time.Second, 10400 * time.Millisecond, 30 * time.Second, time.Second}
	if diff := cmp.Diff(want, waits); diff != "" {
		t.Errorf("waits between probes (-want +got):\n%s", diff)
	}
}
