package fallback

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/llmfall/llmfall/provider"
)

func TestBreakerStateMachine(t *testing.T) {
	clock := newClock()
	b := newBreaker(3, 10*time.Second, clock.Now)
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
	b := newBreaker(5, time.Minute, clock.Now)
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
	cfg.Now = clock.Now
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
	cfg.Now = newClock().Now
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
	clock := newClock()
	cfg := testConfig()
	cfg.Now = clock.Now
	cfg.BreakerFailures = 1
	down := func(name string) *fake { return newFake(name, step{err: perr(name, provider.ClassServer)}) }
	a, b, c := down("a"), down("b"), down("c")
	e := mustNew(t, cfg, a, b, c)
	// Open them at distinct times: c first, then a, then b.
	for _, tg := range []Target{{Provider: "c", Model: "c-flash"}, {Provider: "a", Model: "a-mini"}, {Provider: "b", Model: "b-haiku"}} {
		req := userRequest("")
		req.Chain = []Target{tg}
		if _, err := e.Complete(context.Background(), req); err == nil {
			t.Fatalf("Complete(%v) error = nil; want the scripted failure", tg)
		}
		clock.Advance(time.Second)
	}
	for _, tg := range []Target{{Provider: "a", Model: "a-mini"}, {Provider: "b", Model: "b-haiku"}, {Provider: "c", Model: "c-flash"}} {
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
	if s, _ := e.Breaker(Target{Provider: "b", Model: "b-haiku"}); s != StateClosed {
		t.Errorf("Breaker(b) after it answered = %v; want closed", s)
	}
}

func TestRateLimitRetryAfterSkipsTarget(t *testing.T) {
	clock := newClock()
	cfg := testConfig()
	cfg.Now = clock.Now
	rl := &provider.Error{Provider: "a", Status: 429, Class: provider.ClassRateLimited, RetryAfter: 17500 * time.Millisecond}
	a := newFake("a", step{err: rl}, step{})
	e := mustNew(t, cfg, a, newFake("b"), newFake("c"))
	for i, want := range [][]string{
		{"a:error:rate_limited", "b:ok"},
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
