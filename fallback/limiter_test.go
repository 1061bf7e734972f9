package fallback

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/llmfall/llmfall/clock"
	"github.com/llmfall/llmfall/provider"
)

// TestPartialRateLimitKeepsServing is the case of issue 10: a primary that
// refuses 5 % of requests with a 429 (Retry-After: 1s) must keep serving
// what it can take instead of being cooled for a second after every
// refusal. Requests arrive every 100 ms on the breakers' clock; nothing
// waits on the wall clock.
func TestPartialRateLimitKeepsServing(t *testing.T) {
	const requests = 2000
	clock := newClock()
	cfg := testConfig()
	cfg.Clock = clock
	script := make([]step, requests)
	refusals := 0
	for i := range script {
		if i%20 == 19 {
			script[i] = step{err: rateLimited("a", time.Second)}
			refusals++
		}
	}
	a := newFake("a", script...)
	e := mustNew(t, cfg, a, newFake("b"), newFake("c"))
	served := 0
	for range requests {
		res, err := e.Complete(context.Background(), userRequest("fast"))
		if err != nil {
			t.Fatal(err)
		}
		if res.Target.Provider == "a" {
			served++
		}
		clock.Advance(100 * time.Millisecond)
	}
	// What a can take is every request it is asked that it does not
	// refuse; it is asked every request unless it is cooled.
	canTake := requests - refusals
	t.Logf("a served %d of the %d requests it could take", served, canTake)
	if share := float64(served) / float64(canTake); share < 0.9 {
		t.Errorf("a served %d of the %d requests it could take (%.0f%%); want at least 90%%", served, canTake, 100*share)
	}
}

// TestLimiterAIMD drives one target's limiter through a burst of refusals,
// recovery and the end of the limit, one result at a time.
func TestLimiterAIMD(t *testing.T) {
	var l limiter
	for range 8 {
		if !l.acquire() {
			t.Fatal("acquire() = false before any rate limit; want no limit")
		}
	}
	// The first 429 of the burst sets the limit to half the 8 in flight;
	// the other refusals of the same round do not cut it again.
	for range 3 {
		l.release(provider.ClassRateLimited)
	}
	if limit, inflight := l.snapshot(); limit != 4 || inflight != 5 {
		t.Fatalf("after a burst of 429s: limit %d, in flight %d; want 4, 5", limit, inflight)
	}
	if l.acquire() {
		t.Error("acquire() = true with 5 in flight over a limit of 4")
	}
	if err := l.overLimit(); !strings.Contains(err.Error(), "adaptive limit") {
		t.Errorf("overLimit() = %v; want it to say why", err)
	}
	// The round drains; 4 successes grow the limit by one.
	for range 5 {
		l.release("")
	}
	if limit, _ := l.snapshot(); limit != 5 {
		t.Errorf("after 4+1 successes: limit %d; want 5", limit)
	}
	// A refusal of the next round halves it, floor 1.
	for range 3 {
		l.acquire()
	}
	l.release(provider.ClassRateLimited)
	if limit, _ := l.snapshot(); limit != 2 {
		t.Errorf("after a 429 of a new round: limit %d; want 5/2 = 2", limit)
	}
	l.release("")
	l.release("")
	for range 3 {
		l.acquire()
		l.release(provider.ClassRateLimited)
	}
	if limit, _ := l.snapshot(); limit != 1 {
		t.Errorf("after 429s one at a time: limit %d; want the floor, 1", limit)
	}
	if !l.acquire() {
		t.Error("acquire() = false with none in flight; the floor is 1")
	}
	l.release("")
	// Successes with no refusal left in the window lift the limit.
	for range 200 {
		if !l.acquire() {
			t.Fatal("acquire() = false with none in flight")
		}
		l.release("")
	}
	if limit, inflight := l.snapshot(); limit != 0 || inflight != 0 {
		t.Errorf("after 200 successes: limit %d, in flight %d; want no limit, 0", limit, inflight)
	}
}

// TestLimiterShedsOverflow: a link that can take 6 requests at once, asked
// 10 at a time, keeps serving about what it can (AIMD averages ¾ of it)
// and the rest is skipped rather than refused.
func TestLimiterShedsOverflow(t *testing.T) {
	const capacity, offered, rounds = 6, 10, 200
	var l limiter
	served, refused, skipped := 0, 0, 0
	for range rounds {
		sent := 0
		for range offered {
			if l.acquire() {
				sent++
			} else {
				skipped++
			}
		}
		for i := range sent {
			if i < capacity {
				served++
				l.release("")
			} else {
				refused++
				l.release(provider.ClassRateLimited)
			}
		}
	}
	t.Logf("served %d of %d, refused %d, skipped %d", served, capacity*rounds, refused, skipped)
	if share := float64(served) / (capacity * rounds); share < 0.7 {
		t.Errorf("served %d of the %d it could take (%.0f%%); want at least 70%%", served, capacity*rounds, 100*share)
	}
	if refused > rounds/2 {
		t.Errorf("%d requests refused over %d rounds; want the limiter to send about what the link takes", refused, rounds)
	}
	if skipped == 0 {
		t.Error("no request skipped; want the overflow to go down the chain")
	}
}

// TestOverflowSkipsDownTheChain: with a's limit full, the next call skips a
// with a clear reason and is served by b.
func TestOverflowSkipsDownTheChain(t *testing.T) {
	e := mustNew(t, testConfig(), newFake("a"), newFake("b"), newFake("c"))
	lim := e.state.Load().limiters[Target{Provider: "a", Model: "a-mini"}]
	// One request in flight refused: the limit is 1, and one is still in
	// flight.
	lim.acquire()
	lim.acquire()
	lim.release(provider.ClassRateLimited)
	res, err := e.Complete(context.Background(), userRequest("fast"))
	if err != nil {
		t.Fatal(err)
	}
	if got := outcomes(res.Attempts); len(got) != 2 || got[0] != "a:skipped:rate_limited" || got[1] != "b:ok" {
		t.Fatalf("attempts = %v; want a skipped, b ok", got)
	}
	if msg := res.Attempts[0].Err.Error(); !strings.Contains(msg, "over capacity") {
		t.Errorf("skip reason = %q; want over capacity", msg)
	}
	if _, inflight := lim.snapshot(); inflight != 1 {
		t.Errorf("in flight after the call = %d; want the 1 left before it", inflight)
	}
}

// TestLimiterInFlightBalanced: every attempt that counted itself in flight
// counts itself out, on every path an attempt can end by.
func TestLimiterInFlightBalanced(t *testing.T) {
	cfg := testConfig()
	cfg.Retries = 1
	cfg.Clock = &sleeper{Clock: clock.Real()}
	a := newFake("a",
		step{}, // Complete ok
		step{err: perr("a", provider.ClassServer)}, step{err: perr("a", provider.ClassServer)}, // retried, then b
		step{chunks: []string{"x", "y"}},                                      // stream drained
		step{chunks: []string{"x", "y"}},                                      // stream closed mid-way
		step{err: perr("a", provider.ClassAuth)},                              // stream fails before its first token
		step{chunks: []string{"x"}, midErr: perr("a", provider.ClassNetwork)}, // interrupted
		step{err: rateLimited("a", 0)},                                        // hedged: a refused, b wins
	)
	e := mustNew(t, cfg, a, newFake("b"), newFake("c"))
	ctx := context.Background()
	for range 2 {
		if _, err := e.Complete(ctx, userRequest("fast")); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 4 {
		s, err := e.Stream(ctx, userRequest("fast"))
		if err != nil {
			t.Fatal(err)
		}
		if i == 1 {
			s.Next()
		} else {
			drain(s)
		}
		s.Close()
	}
	cfg.Categories[0].HedgeAfter = time.Hour
	if err := e.Reload(cfg, providers(a, newFake("b"), newFake("c"))); err != nil {
		t.Fatal(err)
	}
	s, err := e.Stream(ctx, userRequest("fast"))
	if err != nil {
		t.Fatal(err)
	}
	drain(s)
	s.Close()
	if got := outcomes(s.Result().Attempts); len(got) != 2 || got[1] != "b:ok" {
		t.Errorf("hedged attempts = %v; want a refused, then b", got)
	}
	// A call whose context is already done sends nothing.
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := e.Complete(cancelled, userRequest("fast")); err == nil {
		t.Error("Complete() on a cancelled context: err = nil")
	}
	for target, lim := range e.state.Load().limiters {
		if _, inflight := lim.snapshot(); inflight != 0 {
			t.Errorf("%s: %d in flight after every call ended; want 0", target, inflight)
		}
	}
}

// TestLimiterCutsOncePerRound: a round is the requests in flight when the
// limit was last cut. When every one of them is refused, that is one signal,
// and the limit is halved once (to half the requests in flight), not again
// by the round's last refusal; a refusal after the round is a new signal
// and halves it again. A limit's worth of successes grows it by one.
func TestLimiterCutsOncePerRound(t *testing.T) {
	var l limiter
	for range 8 {
		l.acquire()
	}
	for range 8 {
		l.release(provider.ClassRateLimited)
	}
	if limit, inflight := l.snapshot(); limit != 4 || inflight != 0 {
		t.Fatalf("after all 8 in flight were refused: limit %d, in flight %d; want 4, 0", limit, inflight)
	}
	for i := range 4 {
		if !l.acquire() {
			t.Fatalf("acquire() #%d = false; want 4 requests let through under a limit of 4", i+1)
		}
	}
	if l.acquire() {
		t.Error("acquire() #5 = true; want the limit of 4 kept")
	}
	// A limit's worth of successes grows it by one.
	for range 4 {
		l.release("")
	}
	if limit, _ := l.snapshot(); limit != 5 {
		t.Errorf("after 4 successes under a limit of 4: limit %d; want 5", limit)
	}
	// Requests one at a time, each refused: each is a round of its own.
	for _, want := range []int{2, 1} {
		l.acquire()
		l.release(provider.ClassRateLimited)
		if limit, _ := l.snapshot(); limit != want {
			t.Errorf("after a refusal of a new round: limit %d; want %d", limit, want)
		}
	}
}
