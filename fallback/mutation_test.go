package fallback

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"

	"github.com/llmfall/llmfall/clock"
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
	clk := newClock()
	cfg := oneStrikeConfig(clk)
	cfg.BreakerMinCooldown = 30 * time.Second
	a, b, c := down("a"), down("b"), down("c")
	e := mustNew(t, cfg, a, b, c)
	openInTurn(t, e, clk, targetC, targetA, targetB)
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
	clk.Advance(10 * time.Minute)
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
			cfg := oneStrikeConfig(newClock())
			a := newFake("a", step{err: perr("a", class)}, step{err: perr("a", class)}, step{err: perr("a", class)}, step{})
			e := mustNew(t, cfg, a, newFake("b"), newFake("c"))
			for range 3 {
				_, _ = e.Complete(context.Background(), userRequest("fast")) // the bad request's outcome is not under test
			}
			if s, _ := e.Breaker(targetA); s != StateClosed {
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
	cfg := oneStrikeConfig(newClock())
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
	if s, _ := e.Breaker(targetA); s != StateOpen {
		t.Fatalf("Breaker(a) after its failure = %v; want open", s)
	}
	close(gate)
	if err := <-slow; err != nil {
		t.Fatalf("slow Complete() = %v; want a's late answer", err)
	}
	if s, _ := e.Breaker(targetA); s != StateOpen {
		t.Errorf("Breaker(a) after a late success from before it opened = %v; want still open", s)
	}
}

// TestHungProbeRearmsTheCooldown: a probe of an open link that hangs (the
// link accepts connections but never answers) lets one more probe through
// per cool-down, and every other request keeps skipping the link, however
// long the probes hang.
func TestHungProbeRearmsTheCooldown(t *testing.T) {
	clk := newClock()
	cfg := oneStrikeConfig(clk)
	cfg.BreakerMinCooldown, cfg.BreakerCooldown = 10*time.Second, 10*time.Second
	probe1, probe2 := make(chan struct{}), make(chan struct{})
	// a fails, then hangs on both probes; were it asked a third time it
	// would answer, which is what the test looks for.
	a := newFake("a", step{err: perr("a", provider.ClassServer)},
		step{hang: true, started: probe1}, step{hang: true, started: probe2}, step{})
	e := mustNew(t, cfg, a, newFake("b"), newFake("c"))
	if _, err := e.Complete(context.Background(), userRequest("fast")); err != nil {
		t.Fatalf("Complete() as a goes down: %v; want b answering", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	var probes sync.WaitGroup
	defer probes.Wait()
	defer cancel()
	hungProbe := func(started chan struct{}) {
		t.Helper()
		ended := make(chan struct{})
		probes.Go(func() {
			defer close(ended)
			_, _ = e.Complete(ctx, userRequest("fast")) // ends when the test cancels it
		})
		select {
		case <-started:
		case <-ended:
			t.Fatalf("a was not probed once its cool-down had passed; calls to a: %d", a.Calls())
		}
	}
	clk.Advance(10 * time.Second)
	hungProbe(probe1)
	// The probe outlives the cool-down: one more probe is let through...
	clk.Advance(10 * time.Second)
	hungProbe(probe2)
	// ...and the rest of that cool-down skips a.
	for i := range 3 {
		clk.Advance(time.Second)
		res, err := e.Complete(context.Background(), userRequest("fast"))
		if err != nil {
			t.Fatalf("request %d while probes hang: %v", i, err)
		}
		if diff := cmp.Diff([]string{"a:skipped", "b:ok"}, outcomes(res.Attempts)); diff != "" {
			t.Errorf("request %d, %v after the second probe (-want +got):\n%s", i, time.Duration(i+1)*time.Second, diff)
		}
	}
	if got := a.Calls(); got != 3 {
		t.Errorf("a called %d times; want 3 (the failure and two probes, one per cool-down)", got)
	}
}

// TestRetryWaitsOutTheBackoff: a link that failed with a transient error is
// asked again only once the backoff has passed on the engine's clock, not at
// once (which would hammer a struggling provider), and the attempt log
// shows the retry starting after the wait.
func TestRetryWaitsOutTheBackoff(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			clk := newClock()
			cfg := testConfig()
			cfg.Clock, cfg.BreakerFailures = clk, -1
			cfg.Retries, cfg.RetryBackoff = 1, time.Second
			cfg.Rand = func(n int64) int64 { return n / 2 } // no jitter: the wait is the backoff
			a := newFake("a", step{err: perr("a", provider.ClassServer)}, step{})
			e := mustNew(t, cfg, a, newFake("b"), newFake("c"))

			type outcome struct {
				res *Result
				err error
			}
			done := make(chan outcome, 1)
			go func() {
				_, res, err := m.run(e, testCtx(t), userRequest("fast"))
				done <- outcome{res, err}
			}()
			// The call's only timer is the backoff (no timeouts are set).
			armed := make(chan struct{})
			go func() {
				clk.WaitTimers(1)
				close(armed)
			}()
			select {
			case o := <-done:
				clk.AfterFunc(time.Hour, func() {}) // lets the waiter above end
				<-armed
				t.Fatalf("the call ended without waiting for the backoff: attempts %v, error %v", outcomes(o.res.Attempts), o.err)
			case <-armed:
			}
			clk.Advance(time.Second - time.Millisecond)
			if got := a.Calls(); got != 1 {
				t.Errorf("a called %d times before the backoff passed; want 1", got)
			}
			clk.Advance(time.Millisecond)
			o := <-done
			if o.err != nil {
				t.Fatalf("err = %v; want a's retry answering", o.err)
			}
			if diff := cmp.Diff([]string{"a:error:server", "a:ok"}, outcomes(o.res.Attempts)); diff != "" {
				t.Fatalf("attempts (-want +got):\n%s", diff)
			}
			if got := o.res.Attempts[1].Start; got != time.Second {
				t.Errorf("the retry started at %v; want after the 1 s backoff", got)
			}
		})
	}
}

// TestAttemptDurations: the attempt log (`llmfall run --json`, `-v`) gives
// each attempt its own duration, from its start to its end, whatever came
// before it: two links that hang until their 30 ms timeout each show 30 ms.
func TestAttemptDurations(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			clk := newClock()
			aStarted, bStarted := make(chan struct{}), make(chan struct{})
			// The attempt's timer is armed before its link is called.
			advanceOn(clk, aStarted, 30*time.Millisecond)
			advanceOn(clk, bStarted, 30*time.Millisecond)
			cfg := testConfig()
			cfg.Clock = clk
			cfg.Timeouts = Timeouts{Attempt: 30 * time.Millisecond, FirstToken: 30 * time.Millisecond}
			e := mustNew(t, cfg, newFake("a", step{hang: true, started: aStarted}),
				newFake("b", step{hang: true, started: bStarted}), newFake("c"))
			_, res, err := m.run(e, testCtx(t), userRequest("fast"))
			if err != nil {
				t.Fatalf("err = %v; want c answering", err)
			}
			type span struct{ Provider, Start, Duration string }
			var got []span
			for _, a := range res.Attempts {
				got = append(got, span{a.Provider, a.Start.String(), a.Duration.String()})
			}
			want := []span{{"a", "0s", "30ms"}, {"b", "30ms", "30ms"}, {"c", "60ms", "0s"}}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("attempt log (-want +got):\n%s", diff)
			}
		})
	}
}

// TestHedgeLinkStartedWithTheWinnerNotCharged: only a loser that had a head
// start on the winner counts against its breaker. Here the hedge starts b
// and, at the same instant, a's failure starts c; c answers first, and b,
// which lost a race it had no head start in, stays in use.
func TestHedgeLinkStartedWithTheWinnerNotCharged(t *testing.T) {
	defer goleak.VerifyNone(t)
	clk := newClock()
	aStarted, bStarted := make(chan struct{}), make(chan struct{})
	// a is silent until the hedge starts b, then fails: the engine starts
	// c at the instant it started b.
	advanceOn(clk, aStarted, 5*time.Millisecond)
	a := newFake("a", step{started: aStarted, gate: bStarted, err: perr("a", provider.ClassServer)})
	b := newFake("b", step{hang: true, started: bStarted})
	c := newFake("c", step{chunks: []string{"c1"}})
	cfg := hedgeConfig(5 * time.Millisecond)
	cfg.BreakerFailures = 1
	cfg.Clock = clk
	e := mustNew(t, cfg, a, b, c)
	s, err := e.Stream(testCtx(t), userRequest("fast"))
	if err != nil {
		t.Fatal(err)
	}
	if got := drain(s); got != "c1" {
		t.Fatalf("text = %q; want c1", got)
	}
	s.Close()
	res := s.Result()
	if diff := cmp.Diff([]string{"a:error:server", "b:cancelled:cancelled", "c:ok"}, outcomes(res.Attempts)); diff != "" {
		t.Fatalf("attempts (-want +got):\n%s", diff)
	}
	if b, c := res.Attempts[1].Start, res.Attempts[2].Start; b != c {
		t.Fatalf("b started at %v and c at %v; the test needs them started together", b, c)
	}
	if st, _ := e.Breaker(Target{Provider: "b", Model: "b-haiku"}); st != StateClosed {
		t.Errorf("b's breaker is %v after losing a race it started together with the winner; want closed", st)
	}
}

// TestAfterEveryLinkWasDownThePrimaryIsProbedFirst: once every link's
// cool-down has passed, the next request probes the chain in its configured
// order, so the primary serves again at once, rather than being tried as if
// every link were still open (least recently failed first, which here is
// the last link).
func TestAfterEveryLinkWasDownThePrimaryIsProbedFirst(t *testing.T) {
	clk := newClock()
	cfg := oneStrikeConfig(clk)
	cfg.BreakerMinCooldown, cfg.BreakerCooldown = 10*time.Second, 10*time.Second
	e := mustNew(t, cfg, downThenUp("a"), downThenUp("b"), downThenUp("c"))
	openInTurn(t, e, clk, targetC, targetB, targetA) // c goes down first, a last
	clk.Advance(time.Minute)
	res, err := e.Complete(context.Background(), userRequest("fast"))
	if err != nil {
		t.Fatalf("Complete() after the cool-downs: %v", err)
	}
	if diff := cmp.Diff([]string{"a:ok"}, outcomes(res.Attempts)); diff != "" {
		t.Errorf("attempts after the cool-downs (-want +got):\n%s", diff)
	}
}

// TestStreamStartedBeforeEveryBreakerOpenedStillTries: a stream created
// while its links were healthy, whose links all went down before it began
// (the first Next), tries them anyway, as a call made with every link open
// does, instead of failing without asking any.
func TestStreamStartedBeforeEveryBreakerOpenedStillTries(t *testing.T) {
	e := mustNew(t, oneStrikeConfig(newClock()), downThenUp("a"), downThenUp("b"), downThenUp("c"))
	s, err := e.Stream(context.Background(), userRequest("fast"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := e.Complete(context.Background(), userRequest("fast")); err == nil {
		t.Fatal("Complete() as every link goes down: error = nil")
	}
	if got, want := drain(s), "ok from a/a-mini"; got != want || s.Err() != nil {
		t.Fatalf("stream text = %q, Err() = %v; want %q", got, s.Err(), want)
	}
	want := []string{"a:skipped", "b:skipped", "c:skipped", "a:ok"}
	if diff := cmp.Diff(want, outcomes(s.Result().Attempts)); diff != "" {
		t.Errorf("attempts (-want +got):\n%s", diff)
	}
}

// TestCancelledCallerAsksNoFurtherLink: a caller that gives up as an
// attempt fails (here, from its OnAttempt hook) costs no request to the next
// link, and gets its cancellation back.
func TestCancelledCallerAsksNoFurtherLink(t *testing.T) {
	hedged := mode{"hedged stream", modes[1].run}
	for _, m := range append(modes[:2:2], hedged) {
		t.Run(m.name, func(t *testing.T) {
			cfg := testConfig()
			if m.name == hedged.name {
				cfg = hedgeConfig(time.Second) // never reached: the fake clock stands still
			}
			cfg.Clock = newClock()
			b := newFake("b")
			e := mustNew(t, cfg, newFake("a", step{err: perr("a", provider.ClassServer)}), b, newFake("c"))
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			req := userRequest("fast")
			req.OnAttempt = func(a Attempt) {
				if a.Provider == "a" {
					cancel()
				}
			}
			_, _, err := m.run(e, ctx, req)
			if !errors.Is(err, context.Canceled) {
				t.Errorf("err = %v; want the caller's cancellation", err)
			}
			if got := b.Calls(); got != 0 {
				t.Errorf("b called %d times after the caller cancelled; want 0", got)
			}
		})
	}
}

// TestHedgingOneLinkChainStillRetries: hedging needs a second link; a stream
// in a hedging category over a chain of one keeps that link's retries
// (a hedged walk moves on instead of retrying, and here has nowhere to go).
func TestHedgingOneLinkChainStillRetries(t *testing.T) {
	cfg := hedgeConfig(5 * time.Millisecond)
	cfg.Clock = newClock()
	cfg.Retries = 1 // RetryBackoff 0: at once
	e := mustNew(t, cfg, newFake("a", step{err: perr("a", provider.ClassServer)}, step{}), newFake("b"), newFake("c"))
	req := userRequest("fast")
	req.Chain = []Target{{Provider: "a", Model: "a-mini"}}
	s, err := e.Stream(testCtx(t), req)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got, want := drain(s), "ok from a/a-mini"; got != want || s.Err() != nil {
		t.Fatalf("text = %q, Err() = %v; want %q from the retry", got, s.Err(), want)
	}
	if diff := cmp.Diff([]string{"a:error:server", "a:ok"}, outcomes(s.Result().Attempts)); diff != "" {
		t.Errorf("attempts (-want +got):\n%s", diff)
	}
}

// tickingProvider streams its chunks one second apart on a fake clock.
type tickingProvider struct {
	clk    *clock.Fake
	chunks []string
}

var _ provider.Provider = (*tickingProvider)(nil)

func (p *tickingProvider) Complete(context.Context, *provider.Request) (*provider.Response, error) {
	return nil, errors.New("not used")
}

func (p *tickingProvider) Stream(ctx context.Context, req *provider.Request) (provider.Stream, error) {
	return &tickingStream{p: p, model: req.Model}, nil
}

type tickingStream struct {
	p     *tickingProvider
	model string
	i     int
	text  strings.Builder
}

func (s *tickingStream) Next() bool {
	if s.i == len(s.p.chunks) {
		return false
	}
	if s.i > 0 {
		s.p.clk.Advance(time.Second)
	}
	s.text.WriteString(s.p.chunks[s.i])
	s.i++
	return true
}

func (s *tickingStream) Current() provider.Chunk { return provider.Chunk{Text: s.p.chunks[s.i-1]} }
func (s *tickingStream) Err() error              { return nil }
func (s *tickingStream) Close() error            { return nil }
func (s *tickingStream) Response() *provider.Response {
	r := &provider.Response{Text: s.text.String(), Model: s.model}
	if s.i == len(s.p.chunks) {
		r.FinishReason = provider.FinishStop
	}
	return r
}

// TestTTFTWithCommitWindow: with a commit window the attempt log's time to
// first token is when the caller could read it, the window's close, not
// when the link sent it. A window of time closes with the chunk that comes
// that long after the first, not with the one after it.
func TestTTFTWithCommitWindow(t *testing.T) {
	for _, tc := range []struct {
		name   string
		window StreamBuffer
		want   time.Duration
	}{
		{"no window", StreamBuffer{}, 0},
		{"3 chunks", StreamBuffer{Chunks: 3}, 2 * time.Second},
		{"whole answer", StreamBuffer{Chunks: -1}, 3 * time.Second},
		{"2 seconds", StreamBuffer{For: 2 * time.Second}, 2 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk := newClock()
			cfg := testConfig()
			cfg.Clock = clk
			cfg.Categories[0].StreamBuffer = tc.window
			a := &tickingProvider{clk: clk, chunks: []string{"Order ", "1182 ", "was ", "refunded."}}
			e, err := New(cfg, map[string]provider.Provider{"a": a, "b": newFake("b"), "c": newFake("c")})
			if err != nil {
				t.Fatal(err)
			}
			s, err := e.Stream(context.Background(), userRequest("fast"))
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if got := drain(s); got != "Order 1182 was refunded." || s.Err() != nil {
				t.Fatalf("text = %q, Err() = %v; want a's whole answer", got, s.Err())
			}
			if got := s.Result().Attempts[0].TTFT; got != tc.want {
				t.Errorf("TTFT = %v; want %v", got, tc.want)
			}
		})
	}
}

// stubbornProvider's streams start, then ignore their context until
// released: a link slow to notice a cancellation.
type stubbornProvider struct {
	started, cancelled, release chan struct{}
}

var _ provider.Provider = (*stubbornProvider)(nil)

func (p *stubbornProvider) Complete(context.Context, *provider.Request) (*provider.Response, error) {
	return nil, errors.New("not used")
}

func (p *stubbornProvider) Stream(ctx context.Context, _ *provider.Request) (provider.Stream, error) {
	close(p.started)
	<-ctx.Done()
	close(p.cancelled)
	<-p.release
	return nil, provider.TransportError(ctx, "a", ctx.Err())
}

// TestHedgeWonAsksNoFurtherLink: once a hedge is won, no further link is
// started while the losers wind down, however long they take to notice.
func TestHedgeWonAsksNoFurtherLink(t *testing.T) {
	defer goleak.VerifyNone(t)
	clk := newClock()
	a := &stubbornProvider{started: make(chan struct{}), cancelled: make(chan struct{}), release: make(chan struct{})}
	advanceOn(clk, a.started, 5*time.Millisecond) // the hedge starts b, which wins
	go func() {
		// a is cancelled as b wins, and is slow to return: the hedge's
		// next tick comes meanwhile.
		<-a.cancelled
		clk.Advance(5 * time.Millisecond)
		close(a.release)
	}()
	c := newFake("c")
	cfg := hedgeConfig(5 * time.Millisecond)
	cfg.Clock = clk
	e, err := New(cfg, map[string]provider.Provider{"a": a, "b": newFake("b", step{chunks: []string{"b1"}}), "c": c})
	if err != nil {
		t.Fatal(err)
	}
	s, err := e.Stream(testCtx(t), userRequest("fast"))
	if err != nil {
		t.Fatal(err)
	}
	if got := drain(s); got != "b1" {
		t.Fatalf("text = %q; want b's answer", got)
	}
	s.Close()
	if diff := cmp.Diff([]string{"a:cancelled:cancelled", "b:ok"}, outcomes(s.Result().Attempts)); diff != "" {
		t.Errorf("attempts (-want +got):\n%s", diff)
	}
	if got := c.Calls(); got != 0 {
		t.Errorf("c called %d times after b won; want 0", got)
	}
}

// TestErrorsUnderTimeoutsKeepTheirClass: with timeouts configured, a link's
// failure is logged with its own class (and retried, or not, by it), not as
// a timeout it never hit.
func TestErrorsUnderTimeoutsKeepTheirClass(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			cfg := testConfig()
			cfg.Clock = newClock()
			cfg.Timeouts = Timeouts{Attempt: time.Minute, FirstToken: time.Minute, Total: time.Hour}
			e := mustNew(t, cfg, newFake("a", step{err: perr("a", provider.ClassServer)}), newFake("b"), newFake("c"))
			_, res, err := m.run(e, testCtx(t), userRequest("fast"))
			if err != nil {
				t.Fatalf("err = %v; want b answering", err)
			}
			if diff := cmp.Diff([]string{"a:error:server", "b:ok"}, outcomes(res.Attempts)); diff != "" {
				t.Errorf("attempts (-want +got):\n%s", diff)
			}
		})
	}
}

// TestHedgeWithBreakersOff: a hedging category works with the breakers
// disabled; the loser, which had a head start, has no breaker to charge.
func TestHedgeWithBreakersOff(t *testing.T) {
	defer goleak.VerifyNone(t)
	clk := newClock()
	started := make(chan struct{})
	advanceOn(clk, started, 5*time.Millisecond)
	cfg := hedgeConfig(5 * time.Millisecond)
	cfg.BreakerFailures = -1
	cfg.Clock = clk
	e := mustNew(t, cfg, newFake("a", step{hang: true, started: started}), newFake("b", step{chunks: []string{"b1"}}), newFake("c"))
	s, err := e.Stream(testCtx(t), userRequest("fast"))
	if err != nil {
		t.Fatal(err)
	}
	if got := drain(s); got != "b1" || s.Err() != nil {
		t.Fatalf("text = %q, Err() = %v; want b's answer", got, s.Err())
	}
	s.Close()
	if diff := cmp.Diff([]string{"a:cancelled:cancelled", "b:ok"}, outcomes(s.Result().Attempts)); diff != "" {
		t.Errorf("attempts (-want +got):\n%s", diff)
	}
}

// TestTotalTimeoutAloneWaitsForTheFirstToken: a stream bounded only by a
// total timeout (no first-token timeout) waits for its first token as long
// as the total allows.
func TestTotalTimeoutAloneWaitsForTheFirstToken(t *testing.T) {
	clk := newClock()
	started, gate := make(chan struct{}), make(chan struct{})
	go func() {
		<-started
		clk.Advance(time.Second) // a is silent for a second
		close(gate)
	}()
	cfg := testConfig()
	cfg.Clock = clk
	cfg.Timeouts = Timeouts{Total: time.Hour}
	e := mustNew(t, cfg, newFake("a", step{started: started, gate: gate}), newFake("b"), newFake("c"))
	s, err := e.Stream(testCtx(t), userRequest("fast"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got, want := drain(s), "ok from a/a-mini"; got != want || s.Err() != nil {
		t.Errorf("text = %q, Err() = %v; want %q", got, s.Err(), want)
	}
	if diff := cmp.Diff([]string{"a:ok"}, outcomes(s.Result().Attempts)); diff != "" {
		t.Errorf("attempts (-want +got):\n%s", diff)
	}
}

// countingClock counts the callbacks of its AfterFunc timers.
type countingClock struct {
	*clock.Fake
	fires atomic.Int64
}

func (c *countingClock) AfterFunc(d time.Duration, f func()) clock.Timer {
	return c.Fake.AfterFunc(d, func() { c.fires.Add(1); f() })
}

// TestStreamWithoutIdleTimeoutSetsNoIdleTimer: once a stream bounded only by
// a total timeout has started, its watchdog waits for the total deadline
// alone; it does not wake up to look for stalls no timeout asked it to
// catch (a timer re-armed every nanosecond would spin a core).
func TestStreamWithoutIdleTimeoutSetsNoIdleTimer(t *testing.T) {
	clk := &countingClock{Fake: newClock()}
	cfg := testConfig()
	cfg.Clock = clk
	cfg.Timeouts = Timeouts{Total: time.Hour}
	e := mustNew(t, cfg, newFake("a", step{chunks: []string{"a1 ", "a2"}}), newFake("b"), newFake("c"))
	s, err := e.Stream(testCtx(t), userRequest("fast"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if !s.Next() {
		t.Fatalf("Next() = false, Err() = %v; want a's first chunk", s.Err())
	}
	clk.Advance(time.Microsecond) // the caller takes a moment with the chunk
	if got := clk.fires.Load(); got != 0 {
		t.Errorf("the watchdog fired %d times within a microsecond of streaming; want 0 (only the total deadline, an hour away)", got)
	}
	if got := s.Current().Text + drain(s); got != "a1 a2" || s.Err() != nil {
		t.Errorf("text = %q, Err() = %v; want a's answer", got, s.Err())
	}
}

// TestFinishedStreamsLeaveNoTimers: whichever timeouts a stream has, and
// whether its links failed before their first token or answered, once it
// has ended no timer of it is left armed.
func TestFinishedStreamsLeaveNoTimers(t *testing.T) {
	for _, to := range []Timeouts{{Idle: 2 * time.Second}, {FirstToken: time.Minute}, {Total: time.Hour}, {FirstToken: time.Minute, Idle: 2 * time.Second, Total: time.Hour}} {
		t.Run(fmt.Sprintf("%+v", to), func(t *testing.T) {
			clk := newClock()
			cfg := testConfig()
			cfg.Clock, cfg.Timeouts = clk, to
			e := mustNew(t, cfg, newFake("a", step{err: perr("a", provider.ClassServer)}), newFake("b", step{chunks: []string{"b1 ", "b2"}}), newFake("c"))
			s, err := e.Stream(testCtx(t), userRequest("fast"))
			if err != nil {
				t.Fatal(err)
			}
			if got := drain(s); got != "b1 b2" || s.Err() != nil {
				t.Fatalf("text = %q, Err() = %v; want b's answer", got, s.Err())
			}
			s.Close()
			if diff := cmp.Diff([]string{"a:error:server", "b:ok"}, outcomes(s.Result().Attempts)); diff != "" {
				t.Errorf("attempts (-want +got):\n%s", diff)
			}
			if n := clk.Pending(); n != 0 {
				t.Errorf("%d timers armed after the stream ended; want 0", n)
			}
		})
	}
}
