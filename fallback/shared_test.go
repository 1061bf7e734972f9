package fallback

import (
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/llmfall/llmfall/clock"
	"github.com/llmfall/llmfall/provider"
)

// memShared is an in-memory Shared: it keeps what an engine publishes, for
// the test to hand to another engine's Apply, as a store's loop would.
type memShared struct {
	mu      sync.Mutex
	changes []Change
}

func (m *memShared) Publish(c Change) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.changes = append(m.changes, c)
}

// take returns what was published since the last take.
func (m *memShared) take() []Change {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := m.changes
	m.changes = nil
	return out
}

// replica is one engine of two sharing health, each on its own fake clock
// (the clocks need not agree: changes carry durations).
type replica struct {
	e      *Engine
	shared *memShared
	a      *fake
	b      *fake
}

func newReplica(t *testing.T, cfg Config, aScript ...step) replica {
	t.Helper()
	r := replica{shared: &memShared{}, a: newFake("a", aScript...), b: newFake("b")}
	cfg.Shared = r.shared
	r.e = mustNew(t, cfg, r.a, r.b, newFake("c"))
	return r
}

func (r replica) call(t *testing.T) *Result {
	t.Helper()
	res, err := r.e.Complete(testCtx(t), userRequest("fast"))
	if err != nil {
		t.Fatalf("Complete() error = %v", err)
	}
	return res
}

// relay applies every change from to the other engine, as a store would.
func relay(t *testing.T, from, to replica) []Change {
	t.Helper()
	cs := from.shared.take()
	for _, c := range cs {
		if err := to.e.Apply(c); err != nil {
			t.Fatalf("Apply(%+v) error = %v", c, err)
		}
	}
	return cs
}

// An outage one engine sees opens the breaker of the other, whose next call
// goes straight to the second link without asking the first; the other's
// probe that finds the link back closes the first engine's breaker in turn.
// Nothing applied from elsewhere is published again.
func TestSharedBreakerOpensElsewhere(t *testing.T) {
	clk1, clk2 := newClock(), newClock()
	clk2.Advance(time.Hour) // the replicas' clocks disagree
	config := func(clk *clock.Fake) Config {
		cfg := testConfig()
		cfg.BreakerFailures = 1
		cfg.BreakerMinCooldown = 2 * time.Second
		cfg.Clock = clk
		return cfg
	}
	r1 := newReplica(t, config(clk1), step{err: perr("a", provider.ClassServer)})
	r2 := newReplica(t, config(clk2))

	if got := outcomes(r1.call(t).Attempts); !cmp.Equal(got, []string{"a:error:server", "b:ok"}) {
		t.Fatalf("replica 1 attempts = %v; want a to fail over to b", got)
	}
	want := []Change{{Kind: BreakerOpened, Target: Target{Provider: "a", Model: "a-mini"}, Cooldown: 2 * time.Second}}
	if diff := cmp.Diff(want, relay(t, r1, r2)); diff != "" {
		t.Fatalf("replica 1 published (-want +got):\n%s", diff)
	}

	if got := outcomes(r2.call(t).Attempts); !cmp.Equal(got, []string{"a:skipped", "b:ok"}) {
		t.Errorf("replica 2 attempts = %v; want a skipped (breaker open from replica 1)", got)
	}
	if n := r2.a.Calls(); n != 0 {
		t.Errorf("replica 2 called a %d times; want 0", n)
	}
	if state, _ := r2.e.Breaker(Target{Provider: "a", Model: "a-mini"}); state != StateOpen {
		t.Errorf("replica 2 breaker of a = %v; want open", state)
	}
	if got := r2.shared.take(); len(got) != 0 {
		t.Errorf("replica 2 published %+v after applying; want nothing (no echo)", got)
	}

	// The cool-down runs on replica 2's clock: just before it ends a is
	// still skipped, at its end replica 2's probe finds a back.
	clk2.Advance(2*time.Second - time.Millisecond)
	if got := outcomes(r2.call(t).Attempts); !cmp.Equal(got, []string{"a:skipped", "b:ok"}) {
		t.Errorf("replica 2 attempts before the cool-down ends = %v; want a skipped", got)
	}
	clk2.Advance(time.Millisecond)
	if got := outcomes(r2.call(t).Attempts); !cmp.Equal(got, []string{"a:ok"}) {
		t.Fatalf("replica 2 attempts after the cool-down = %v; want a probe of a that succeeds", got)
	}
	want = []Change{{Kind: BreakerClosed, Target: Target{Provider: "a", Model: "a-mini"}}}
	if diff := cmp.Diff(want, relay(t, r2, r1)); diff != "" {
		t.Fatalf("replica 2 published (-want +got):\n%s", diff)
	}
	// Replica 1's own cool-down has not passed, yet a is back for it.
	r1.a.mu.Lock()
	r1.a.script = []step{{}}
	r1.a.mu.Unlock()
	if got := outcomes(r1.call(t).Attempts); !cmp.Equal(got, []string{"a:ok"}) {
		t.Errorf("replica 1 attempts after replica 2's probe = %v; want a used again at once", got)
	}
	if got := r1.shared.take(); len(got) != 0 {
		t.Errorf("replica 1 published %+v after applying a close; want nothing", got)
	}
}

// A manual order set on one engine is set on the other, and not published
// back by it.
func TestSharedOrder(t *testing.T) {
	r1 := newReplica(t, testConfig())
	r2 := newReplica(t, testConfig())
	if err := r1.e.SetOrder("fast", []string{"c", "a"}); err != nil {
		t.Fatal(err)
	}
	want := []Change{{Kind: OrderSet, Category: "fast", Order: []string{"c", "a"}}}
	if diff := cmp.Diff(want, relay(t, r1, r2)); diff != "" {
		t.Fatalf("published (-want +got):\n%s", diff)
	}
	chain, _ := r2.e.Chain("fast")
	if got, want := targetNames(chain), []string{"c", "a", "b"}; !cmp.Equal(got, want) {
		t.Errorf("replica 2 chain = %v; want %v", got, want)
	}
	if got := r2.shared.take(); len(got) != 0 {
		t.Errorf("replica 2 published %+v after applying; want nothing", got)
	}
	// Removing the override there removes it here.
	if err := r1.e.SetOrder("fast", nil); err != nil {
		t.Fatal(err)
	}
	relay(t, r1, r2)
	chain, _ = r2.e.Chain("fast")
	if got, want := targetNames(chain), []string{"a", "b", "c"}; !cmp.Equal(got, want) {
		t.Errorf("replica 2 chain after the override is removed = %v; want %v", got, want)
	}
}

func targetNames(ts []Target) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.Provider
	}
	return out
}

// What Apply refuses: a target this engine has no breaker for, an order
// naming an unknown provider. The engine is unchanged.
func TestSharedApplyErrors(t *testing.T) {
	e := mustNew(t, testConfig(), newFake("a"), newFake("b"), newFake("c"))
	for _, c := range []Change{
		{Kind: BreakerOpened, Target: Target{Provider: "a", Model: "gpt-9"}, Cooldown: time.Second},
		{Kind: OrderSet, Category: "fast", Order: []string{"zz"}},
		{Kind: OrderSet, Category: "nope", Order: []string{"a"}},
		{},
	} {
		if err := e.Apply(c); err == nil {
			t.Errorf("Apply(%+v) = nil; want an error", c)
		}
	}
	chain, _ := e.Chain("fast")
	if got := targetNames(chain); !cmp.Equal(got, []string{"a", "b", "c"}) {
		t.Errorf("chain = %v; want it unchanged", got)
	}
}

// The breaker's side of sharing: what each local change publishes, and how
// an opening from elsewhere combines with the local state.
func TestBreakerSharedChanges(t *testing.T) {
	target := Target{Provider: "a", Model: "a-mini"}
	opened := func(cool, down time.Duration) Change {
		return Change{Kind: BreakerOpened, Target: target, Cooldown: cool, Down: down}
	}
	setup := func() (*breaker, *memShared, func(time.Duration)) {
		clk := newClock()
		b := newBreaker(2, time.Second, time.Minute, clk.Now)
		m := &memShared{}
		b.target, b.shared = target, m
		return b, m, clk.Advance
	}
	fail := func(b *breaker, retryAfter time.Duration) {
		gen, _ := b.allow()
		b.failure(gen, retryAfter)
	}

	t.Run("a run of failures publishes once, when it opens", func(t *testing.T) {
		b, m, advance := setup()
		fail(b, 0)
		advance(3 * time.Second)
		fail(b, 0)
		if diff := cmp.Diff([]Change{opened(time.Second, 3*time.Second)}, m.take()); diff != "" {
			t.Errorf("published (-want +got):\n%s", diff)
		}
	})
	t.Run("a Retry-After publishes its wait", func(t *testing.T) {
		b, m, _ := setup()
		fail(b, 20*time.Second)
		if diff := cmp.Diff([]Change{opened(20*time.Second, 0)}, m.take()); diff != "" {
			t.Errorf("published (-want +got):\n%s", diff)
		}
	})
	t.Run("an opening elsewhere keeps a longer local cool-down", func(t *testing.T) {
		b, m, advance := setup()
		fail(b, 0)
		advance(300 * time.Second)
		fail(b, 0) // opens for a tenth of the 300 s outage
		if diff := cmp.Diff([]Change{opened(30*time.Second, 300*time.Second)}, m.take()); diff != "" {
			t.Errorf("published (-want +got):\n%s", diff)
		}
		b.observe(opened(10*time.Second, 0))
		advance(29 * time.Second)
		if _, ok := b.allow(); ok {
			t.Errorf("allow() = true before the local 30 s cool-down passed")
		}
		advance(time.Second)
		if _, ok := b.allow(); !ok {
			t.Errorf("allow() = false once the local cool-down passed; want a probe")
		}
	})
	t.Run("an opening elsewhere grows the cool-down from its outage's start", func(t *testing.T) {
		b, m, advance := setup()
		// Elsewhere the link has been failing for 100 s.
		b.observe(opened(time.Second, 100*time.Second))
		advance(time.Second)
		fail(b, 0) // the probe fails: a tenth of the 101 s outage
		if diff := cmp.Diff([]Change{opened(10100*time.Millisecond, 101*time.Second)}, m.take()); diff != "" {
			t.Errorf("published after the failed probe (-want +got):\n%s", diff)
		}
	})
	t.Run("a probe in flight when the link opens elsewhere is stale", func(t *testing.T) {
		b, m, advance := setup()
		fail(b, 0)
		fail(b, 0)
		advance(time.Second)
		probe, ok := b.allow()
		if !ok {
			t.Fatal("no probe after the cool-down")
		}
		m.take()
		b.observe(opened(5*time.Second, 0))
		b.success(probe)
		if state, _ := b.snapshot(); state != StateOpen {
			t.Errorf("state after a stale probe's success = %v; want open", state)
		}
		if got := m.take(); len(got) != 0 {
			t.Errorf("published %+v; want nothing", got)
		}
	})
}
