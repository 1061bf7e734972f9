package fallback

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"

	"github.com/llmfall/llmfall/provider"
)

func hedgeConfig(after time.Duration) Config {
	cfg := testConfig()
	cfg.Categories[0].HedgeAfter = after
	return cfg
}

func TestHedgeFasterLinkWins(t *testing.T) {
	tests := []struct {
		name string
		a    step
	}{
		{"first link hangs before headers", step{hang: true}},
		{"first link stalls before its first token", step{chunks: []string{}, stall: true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			defer goleak.VerifyNone(t)
			clk := newClock()
			silent := make(chan struct{})
			if tc.a.stall {
				tc.a.stalled = silent
			} else {
				tc.a.started = silent
			}
			advanceOn(clk, silent, 20*time.Millisecond)
			a, b, c := newFake("a", tc.a), newFake("b", step{chunks: []string{"b1 ", "b2"}}), newFake("c")
			cfg := hedgeConfig(20 * time.Millisecond)
			cfg.Clock = clk
			e := mustNew(t, cfg, a, b, c)
			s, err := e.Stream(testCtx(t), userRequest("fast"))
			if err != nil {
				t.Fatal(err)
			}
			if got, want := drain(s), "b1 b2"; got != want {
				t.Errorf("text = %q; want %q", got, want)
			}
			s.Close()
			if s.Err() != nil {
				t.Fatalf("Err() = %v", s.Err())
			}
			res := s.Result()
			if diff := cmp.Diff([]string{"a:cancelled:cancelled", "b:ok"}, outcomes(res.Attempts)); diff != "" {
				t.Errorf("attempts (-want +got):\n%s", diff)
			}
			if got := a.Cancelled(); got != 1 {
				t.Errorf("a saw %d cancellations; want the loser's request cancelled", got)
			}
			if c.Calls() != 0 {
				t.Errorf("c called %d times; want 0", c.Calls())
			}
			if got, want := res.Attempts[1].Start, 20*time.Millisecond; got != want {
				t.Errorf("b started at %v; want at hedge_after, %v", got, want)
			}
			if res.Target != (Target{Provider: "b", Model: "b-haiku"}) {
				t.Errorf("Target = %v; want b", res.Target)
			}
		})
	}
}

func TestHedgeNotNeeded(t *testing.T) {
	defer goleak.VerifyNone(t)
	a, b := newFake("a"), newFake("b")
	e := mustNew(t, hedgeConfig(time.Hour), a, b, newFake("c"))
	s, err := e.Stream(testCtx(t), userRequest("fast"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got, want := drain(s), "ok from a/a-mini"; got != want {
		t.Errorf("text = %q; want %q", got, want)
	}
	if b.Calls() != 0 {
		t.Errorf("b called %d times; want no hedge when a answers first", b.Calls())
	}
}

func TestHedgeFailureMovesOn(t *testing.T) {
	defer goleak.VerifyNone(t)
	a := newFake("a", step{err: perr("a", provider.ClassOverloaded)})
	b := newFake("b", step{err: perr("b", provider.ClassServer)})
	e := mustNew(t, hedgeConfig(time.Hour), a, b, newFake("c"))
	s, err := e.Stream(testCtx(t), userRequest("fast"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got, want := drain(s), "ok from c/c-flash"; got != want {
		t.Errorf("text = %q; want %q (failures fall back at once, not after hedge_after)", got, want)
	}
	want := []string{"a:error:overloaded", "b:error:server", "c:ok"}
	if diff := cmp.Diff(want, outcomes(s.Result().Attempts)); diff != "" {
		t.Errorf("attempts (-want +got):\n%s", diff)
	}
}

func TestHedgeStopsOnInvalidRequest(t *testing.T) {
	defer goleak.VerifyNone(t)
	clk := newClock()
	started := make(chan struct{})
	advanceOn(clk, started, 10*time.Millisecond)
	a := newFake("a", step{hang: true, started: started})
	b := newFake("b", step{err: perr("b", provider.ClassInvalidRequest)})
	c := newFake("c")
	cfg := hedgeConfig(10 * time.Millisecond)
	cfg.Clock = clk
	e := mustNew(t, cfg, a, b, c)
	s, err := e.Stream(testCtx(t), userRequest("fast"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	drain(s)
	if provider.ClassOf(s.Err()) != provider.ClassInvalidRequest {
		t.Fatalf("Err() = %v; want b's invalid_request", s.Err())
	}
	if c.Calls() != 0 {
		t.Errorf("c called %d times; want 0", c.Calls())
	}
	want := []string{"a:cancelled:cancelled", "b:error:invalid_request"}
	if diff := cmp.Diff(want, outcomes(s.Result().Attempts)); diff != "" {
		t.Errorf("attempts (-want +got):\n%s", diff)
	}
}

func TestHedgeCallerCancels(t *testing.T) {
	defer goleak.VerifyNone(t)
	clk := newClock()
	aStarted, started := make(chan struct{}), make(chan struct{})
	advanceOn(clk, aStarted, 5*time.Millisecond)
	a := newFake("a", step{hang: true, started: aStarted})
	b := newFake("b", step{hang: true, started: started})
	cfg := hedgeConfig(5 * time.Millisecond)
	cfg.Clock = clk
	e := mustNew(t, cfg, a, b, newFake("c"))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-started
		cancel()
	}()
	s, err := e.Stream(ctx, userRequest("fast"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	drain(s)
	if provider.ClassOf(s.Err()) != provider.ClassCancelled {
		t.Fatalf("Err() = %v; want the caller's cancellation", s.Err())
	}
	for _, a := range s.Result().Attempts {
		if a.Outcome != OutcomeCancelled {
			t.Errorf("attempt %v outcome %s; want cancelled", a.Target, a.Outcome)
		}
	}
}

// 1,000 concurrent calls while the order flips underneath them: run with
// -race. Every call must succeed and be served by a link of its chain.
func TestConcurrentCallsWithSetOrder(t *testing.T) {
	cfg := testConfig()
	cfg.Categories = append(cfg.Categories, Category{
		Name:       "smart",
		Models:     map[string]string{"a": "a-big", "b": "b-sonnet"},
		Order:      []string{"b", "a"},
		HedgeAfter: 50 * time.Millisecond,
	})
	flaky := make([]step, 200)
	for i := range flaky {
		if i%7 == 0 {
			flaky[i] = step{err: perr("a", provider.ClassOverloaded)}
		}
	}
	e := mustNew(t, cfg, newFake("a", flaky...), newFake("b"), newFake("c"))

	stop := make(chan struct{})
	flipped := make(chan struct{})
	go func() {
		defer close(flipped)
		orders := [][]string{{"a", "b", "c"}, {"c", "b", "a"}, nil}
		smart := [][]string{{"a", "b"}, nil, {"b", "a"}}
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if err := e.SetOrder("", orders[i%3]); err != nil {
				t.Errorf("SetOrder global: %v", err)
				return
			}
			if err := e.SetOrder("smart", smart[i%3]); err != nil {
				t.Errorf("SetOrder smart: %v", err)
				return
			}
		}
	}()

	var wg sync.WaitGroup
	errs := make(chan error, 1000)
	for i := range 1000 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cat := []string{"fast", "smart"}[i%2]
			req := userRequest(cat)
			var res *Result
			var err error
			if i%3 == 0 {
				var s *Stream
				if s, err = e.Stream(context.Background(), req); err == nil {
					drain(s)
					s.Close()
					res, err = s.Result(), s.Err()
				}
			} else {
				res, err = e.Complete(context.Background(), req)
			}
			if err != nil {
				errs <- fmt.Errorf("call %d (%s): %w", i, cat, err)
				return
			}
			if res.Response == nil || res.Target.Provider == "" {
				errs <- fmt.Errorf("call %d: no response or target: %+v", i, res)
			}
		}()
	}
	wg.Wait()
	close(stop)
	<-flipped
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestHedgeLossesOpenTheBreaker: a hung primary that keeps losing hedges is
// down for latency purposes; after BreakerFailures losses in a row its
// breaker opens and later requests skip it instead of paying hedge_after.
func TestHedgeLossesOpenTheBreaker(t *testing.T) {
	defer goleak.VerifyNone(t)
	clk := newClock()
	var hangs []step
	for range 3 {
		started := make(chan struct{})
		advanceOn(clk, started, 5*time.Millisecond)
		hangs = append(hangs, step{hang: true, started: started})
	}
	a, b := newFake("a", hangs...), newFake("b", step{chunks: []string{"b1"}})
	cfg := hedgeConfig(5 * time.Millisecond)
	cfg.BreakerFailures = 3
	cfg.BreakerCooldown = time.Hour
	cfg.Clock = clk
	e := mustNew(t, cfg, a, b, newFake("c"))
	for i := range 3 {
		s, err := e.Stream(testCtx(t), userRequest("fast"))
		if err != nil {
			t.Fatal(err)
		}
		if got := drain(s); got != "b1" {
			t.Fatalf("request %d: text = %q; want b1", i, got)
		}
		s.Close()
	}
	if st, _ := e.Breaker(Target{Provider: "a", Model: "a-mini"}); st != StateOpen {
		t.Fatalf("after 3 lost hedges a's breaker is %v; want open", st)
	}
	if st, _ := e.Breaker(Target{Provider: "b", Model: "b-haiku"}); st != StateClosed {
		t.Errorf("the winner's breaker is %v; want closed", st)
	}
	s, err := e.Stream(testCtx(t), userRequest("fast"))
	if err != nil {
		t.Fatal(err)
	}
	drain(s)
	s.Close()
	if diff := cmp.Diff([]string{"a:skipped", "b:ok"}, outcomes(s.Result().Attempts)); diff != "" {
		t.Errorf("attempts once open (-want +got):\n%s", diff)
	}
	if got := a.Calls(); got != 3 {
		t.Errorf("a called %d times; want 3 (none once its breaker opened)", got)
	}
}

// TestHedgeLateJoinerNotCharged: the link the hedge started is not charged
// when the primary it was racing answers first.
func TestHedgeLateJoinerNotCharged(t *testing.T) {
	defer goleak.VerifyNone(t)
	// a answers only once the hedge has started b, so b joins late and loses.
	clk := newClock()
	aStarted, bStarted := make(chan struct{}), make(chan struct{})
	advanceOn(clk, aStarted, time.Millisecond)
	a := newFake("a", step{chunks: []string{"a1"}, gate: bStarted, started: aStarted})
	b := newFake("b", step{hang: true, started: bStarted})
	cfg := hedgeConfig(time.Millisecond)
	cfg.BreakerFailures = 1
	cfg.Clock = clk
	e := mustNew(t, cfg, a, b, newFake("c"))
	s, err := e.Stream(testCtx(t), userRequest("fast"))
	if err != nil {
		t.Fatal(err)
	}
	if got := drain(s); got != "a1" {
		t.Fatalf("text = %q; want a1", got)
	}
	s.Close()
	if diff := cmp.Diff([]string{"a:ok", "b:cancelled:cancelled"}, outcomes(s.Result().Attempts)); diff != "" {
		t.Errorf("attempts (-want +got):\n%s", diff)
	}
	if st, _ := e.Breaker(Target{Provider: "b", Model: "b-haiku"}); st != StateClosed {
		t.Errorf("b's breaker is %v after losing a race it joined late; want closed", st)
	}
}
