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
