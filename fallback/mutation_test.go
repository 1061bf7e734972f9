package fallback

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/llmfall/llmfall/provider"
)

// Tests of decisions a mutation run showed no other test pinned down
// (issue 16), each written as what a user of the engine would notice.

// TestAllOpenCallsLeaveTheChainAlone: calls made while every breaker is
// open try the links least recently failed first, but that order is the
// call's own: concurrent calls must not reorder the category's chain (a
// data race under -race), and once the links recover the chain is tried in
// its configured order again.
func TestAllOpenCallsLeaveTheChainAlone(t *testing.T) {
	clock := newClock()
	cfg := testConfig()
	cfg.Clock = clock
	cfg.BreakerFailures = 1
	cfg.BreakerMinCooldown = 30 * time.Second
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
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if _, err := e.Complete(context.Background(), userRequest("fast")); err == nil {
				t.Error("Complete() with every link down: error = nil")
			}
		})
	}
	wg.Wait()
	// Every link recovers; the cool-downs end.
	for _, f := range []*fake{a, b, c} {
		f.mu.Lock()
		f.script = []step{{}}
		f.mu.Unlock()
	}
	clock.Advance(10 * time.Minute)
	for range 3 {
		res, err := e.Complete(context.Background(), userRequest("fast"))
		if err != nil {
			t.Fatalf("Complete() after recovery: %v", err)
		}
		if diff := cmp.Diff([]string{"a:ok"}, outcomes(res.Attempts)); diff != "" {
			t.Errorf("attempts after recovery, configured order a, b, c (-want +got):\n%s", diff)
		}
	}
}

// TestCallersShouldFallbackDecides: a caller that wants server errors
// reported rather than masked by another link gets them, and the next link
// is never asked.
func TestCallersShouldFallbackDecides(t *testing.T) {
	cfg := testConfig()
	cfg.Clock = newClock()
	cfg.ShouldFallback = func(err error) bool { return provider.ClassOf(err) != provider.ClassServer }
	a, b := newFake("a", step{err: perr("a", provider.ClassServer)}), newFake("b")
	e := mustNew(t, cfg, a, b, newFake("c"))
	_, err := e.Complete(context.Background(), userRequest("fast"))
	if provider.ClassOf(err) != provider.ClassServer {
		t.Errorf("Complete() error = %v; want a's server error", err)
	}
	if b.Calls() != 0 {
		t.Errorf("b called %d times; want 0: the caller said not to fall back", b.Calls())
	}
}

// TestBadRequestsDoNotOpenBreakers: a prompt too long or malformed for a
// link says nothing about the link's health; however often callers send
// one, the link stays in use for everyone else.
func TestBadRequestsDoNotOpenBreakers(t *testing.T) {
	for _, class := range []provider.Class{provider.ClassInvalidRequest, provider.ClassContextLength} {
		t.Run(string(class), func(t *testing.T) {
			cfg := testConfig()
			cfg.Clock = newClock()
			cfg.BreakerFailures = 1
			a := newFake("a", step{err: perr("a", class)}, step{err: perr("a", class)}, step{err: perr("a", class)}, step{})
			e := mustNew(t, cfg, a, newFake("b"), newFake("c"))
			for range 3 {
				_, _ = e.Complete(context.Background(), userRequest("fast")) // the bad request's outcome is not under test
			}
			if s, _ := e.Breaker(Target{Provider: "a", Model: "a-mini"}); s != StateClosed {
				t.Fatalf("Breaker(a) after %s errors = %v; want closed", class, s)
			}
			res, err := e.Complete(context.Background(), userRequest("fast"))
			if err != nil {
				t.Fatalf("Complete() after the bad requests: %v", err)
			}
			if diff := cmp.Diff([]string{"a:ok"}, outcomes(res.Attempts)); diff != "" {
				t.Errorf("attempts of a good request (-want +got):\n%s", diff)
			}
		})
	}
}

// TestLateSuccessDoesNotCloseAFreshlyOpenedBreaker: a slow answer that
// started before a link went down is no news of its health; the breaker
// that opened meanwhile stays open and keeps sending callers elsewhere.
func TestLateSuccessDoesNotCloseAFreshlyOpenedBreaker(t *testing.T) {
	cfg := testConfig()
	cfg.Clock = newClock()
	cfg.BreakerFailures = 1
	cfg.BreakerMinCooldown = 30 * time.Second
	started, gate := make(chan struct{}), make(chan struct{})
	a := newFake("a", step{started: started, gate: gate}, step{err: perr("a", provider.ClassServer)})
	e := mustNew(t, cfg, a, newFake("b"), newFake("c"))
	slow := make(chan error, 1)
	go func() {
		// A stream, whose fake holds the headers until the gate opens.
		st, err := e.Stream(context.Background(), userRequest("fast"))
		if err == nil {
			drain(st)
			err = st.Err()
		}
		slow <- err
	}()
	<-started
	if _, err := e.Complete(context.Background(), userRequest("fast")); err != nil {
		t.Fatalf("Complete() while a goes down: %v; want b answering", err)
	}
	target := Target{Provider: "a", Model: "a-mini"}
	if s, _ := e.Breaker(target); s != StateOpen {
		t.Fatalf("Breaker(a) after its failure = %v; want open", s)
	}
	close(gate)
	if err := <-slow; err != nil {
		t.Fatalf("slow Complete() = %v; want a's late answer", err)
	}
	if s, _ := e.Breaker(target); s != StateOpen {
		t.Errorf("Breaker(a) after a late success from before it opened = %v; want still open", s)
	}
}
