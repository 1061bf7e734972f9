package fallback

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/llmfall/llmfall/clock"
	"github.com/llmfall/llmfall/provider"
)

// Stream is a call whose answer arrives token by token. It is driven like a
// provider.Stream:
//
//	s, err := engine.Stream(ctx, &fallback.Request{Category: "fast", ...})
//	if err != nil { ... } // a bad request; nothing was sent
//	defer s.Close()
//	for s.Next() {
//		fmt.Print(s.Current().Text)
//	}
//	err = s.Err()      // *ExhaustedError, *InterruptedError, ...
//	res := s.Result()  // the answer, the target and the attempt log
//
// The first Next walks the chain until a link produces its first token
// (text or a tool-call delta, whichever comes first); only then does
// anything reach the caller, and from then on the stream stays on
// that link: a later failure ends it with an *InterruptedError.
// A Stream is not safe for concurrent use; cancel the context to abandon it.
type Stream struct {
	c   call
	req Request

	// win is the link streaming to the caller, once one produced a token.
	win *opened
	// one holds the attempt of a sequential walk, to save an allocation.
	one opened

	started, done bool
	cur           provider.Chunk
	err           error
	chunks, bytes int
	// held is how many of the winner's held chunks have been delivered.
	held int
}

var _ provider.Stream = (*Stream)(nil)

// opened is one link's stream, up to its first token.
type opened struct {
	l      *link
	gen    uint64
	idx    int
	ctx    context.Context
	cancel context.CancelCauseFunc
	// w enforces the attempt's deadlines; nil when it has none.
	w *watchdog

	// Set by open, read by the coordinator after it returned.
	s        provider.Stream
	first    provider.Chunk
	hasFirst bool
	ttft     time.Duration
	err      error
	// buf is what a commit window held, the first chunk included, and
	// ended says the link finished inside the window.
	buf      []provider.Chunk
	bufBytes int
	ended    bool
}

// Stream starts a streaming call. It returns an error only for a request the
// engine cannot serve (an unknown category or provider, a request naming
// neither a category nor a chain); everything the providers do surfaces
// through the Stream. The caller must Close it.
func (e *Engine) Stream(ctx context.Context, req *Request) (*Stream, error) {
	s := &Stream{req: *req}
	if err := s.c.init(ctx, e.state.Load(), &s.req); err != nil {
		return nil, err
	}
	return s, nil
}

// Next advances to the next chunk. It returns false at the end of the
// stream, after an error, and once the stream is closed.
func (s *Stream) Next() bool {
	if s.done {
		return false
	}
	if !s.started {
		s.started = true
		if err := s.begin(); err != nil {
			s.done, s.err = true, err
			return false
		}
		if !s.win.hasFirst {
			s.end(nil)
			return false
		}
		s.c.res.Attempts[s.win.idx].TTFT = s.win.ttft
		s.deliver(s.win.first)
		s.held = 1
		return true
	}
	if o := s.win; s.held < len(o.buf) {
		s.deliver(o.buf[s.held])
		s.held++
		return true
	} else if o.ended {
		s.end(nil)
		return false
	}
	w := s.win.w
	if w != nil {
		w.progress.Add(1)
	}
	ok := s.win.s.Next()
	if w != nil {
		w.progress.Add(1)
	}
	if ok {
		s.deliver(s.win.s.Current())
		return true
	}
	s.end(s.win.s.Err())
	return false
}

func (s *Stream) deliver(ch provider.Chunk) {
	s.cur = ch
	s.chunks++
	s.bytes += len(ch.Text)
	if tc := ch.ToolCall; tc != nil {
		s.bytes += len(tc.Arguments)
	}
}

// Current is the chunk Next just produced.
func (s *Stream) Current() provider.Chunk { return s.cur }

// Err is the error that ended the stream, nil after a clean end: an
// *ExhaustedError when no link produced a token, an *InterruptedError when
// the serving link failed after its first token, or a wrapped provider or
// context error when the call stopped without falling back.
func (s *Stream) Err() error { return s.err }

// Response is the answer so far; complete once Next has returned false.
func (s *Stream) Response() *provider.Response {
	if s.done && s.c.res.Response != nil {
		return s.c.res.Response
	}
	if s.win != nil && s.win.s != nil {
		return s.win.s.Response()
	}
	return &provider.Response{}
}

// Result is the call's result: the response, the serving target and the
// attempt log. It is complete once Next has returned false or Close was
// called.
func (s *Stream) Result() *Result { return s.c.res }

// Close ends the stream, releasing the link's connection and the call's
// timers. Closing a stream that has not ended records its attempt as
// cancelled. It is safe to call more than once.
func (s *Stream) Close() error {
	if s.done {
		return nil
	}
	s.done = true
	s.cur = provider.Chunk{}
	o := s.win
	if o == nil {
		return nil
	}
	o.w.stop()
	s.c.res.Response = o.s.Response()
	s.c.res.Attempts[o.idx].MalformedEvents = s.c.res.Response.MalformedEvents
	s.c.res.Target = o.l.target
	s.c.finish(o.idx, OutcomeCancelled, provider.ClassCancelled, errClosed)
	o.cancel(errClosed)
	return o.s.Close()
}

var errClosed = errors.New("stream closed by caller")

// end finishes the call once the serving link's stream has ended.
func (s *Stream) end(err error) {
	s.done = true
	s.cur = provider.Chunk{}
	c, o := &s.c, s.win
	o.w.stop()
	c.res.Response = o.s.Response()
	c.res.Attempts[o.idx].MalformedEvents = c.res.Response.MalformedEvents
	if err == nil {
		c.succeed(o.idx, o.l, o.gen)
	} else {
		c.res.Target = o.l.target
		if c.parent.Err() == nil && context.Cause(o.ctx) == errIdleTimeout {
			err = timeoutError(o.l.target, "idle timeout", c.to.Idle, err)
		}
		// Only the attempt's record and breaker matter here: after the
		// first token there is nothing to fall back to.
		c.fail(o.idx, o.l, o.gen, err)
		s.err = &InterruptedError{Target: o.l.target, Chunks: s.chunks, Bytes: s.bytes, Err: c.res.Attempts[o.idx].Err}
	}
	o.s.Close()
	o.cancel(nil)
}

// begin walks the chain until a link produces its first token (or ends
// cleanly without one), leaving it in s.win.
func (s *Stream) begin() error {
	c := &s.c
	if c.hedge > 0 && len(c.links) > 1 {
		return s.race()
	}
	return c.sequential(func(l *link, idx int, gen uint64) error {
		o := &s.one
		*o = opened{l: l, gen: gen, idx: idx}
		c.open(o)
		if o.err != nil {
			c.discard(idx, o)
			return o.err
		}
		s.win = o
		return nil
	})
}

// discard records in the attempt log what a commit window held back from
// an attempt that did not serve.
func (c *call) discard(idx int, o *opened) {
	a := &c.res.Attempts[idx]
	a.Discarded, a.DiscardedBytes = len(o.buf), o.bufBytes
}

// fill reads a link's stream past its first token until the commit window
// closes, holding the chunks in o.buf, with the watchdog counting as Next
// does so that a stall inside the window meets the idle timeout. A stream
// that ends inside the window without a finish reason was cut, and fails.
func (c *call) fill(o *opened, s provider.Stream) error {
	o.buf = append(o.buf[:0], o.first)
	o.bufBytes = len(o.first.Text)
	firstAt := c.clk.Now()
	for !c.buffer.closed(len(o.buf), c.clk.Now().Sub(firstAt)) {
		if o.w != nil {
			o.w.progress.Add(1)
		}
		ok := s.Next()
		if o.w != nil {
			o.w.progress.Add(1)
		}
		if !ok {
			if err := s.Err(); err != nil {
				return err
			}
			if r := s.Response(); r == nil || r.FinishReason == "" {
				return &provider.Error{Provider: o.l.target.Provider, Class: provider.ClassNetwork,
					Message: "stream ended without a finish reason"}
			}
			o.ended = true
			return nil
		}
		ch := s.Current()
		o.buf = append(o.buf, ch)
		o.bufBytes += len(ch.Text)
	}
	return nil
}

// prepare gives an attempt of a sequential walk its context and watchdog.
// With no timeout to enforce, nothing ever needs to cancel the attempt on
// its own (Close closes the provider's stream), so it runs on the caller's
// context, which saves a context per call.
func (c *call) prepare(o *opened) {
	if !c.deadline.IsZero() || c.to.FirstToken > 0 || c.to.Idle > 0 {
		c.prepareRacer(o)
		return
	}
	o.ctx, o.cancel = c.parent, nopCancel
}

// prepareRacer gives an attempt its own context and watchdog. It runs on the
// coordinating goroutine, before any racer can see o.
func (c *call) prepareRacer(o *opened) {
	o.ctx, o.cancel = context.WithCancelCause(c.parent)
	o.w = newWatchdog(c, o.cancel)
}

func nopCancel(error) {}

// open starts one link's stream and waits for its first token, abandoning
// it if none comes within the first-token timeout. It runs on the caller's
// goroutine, or on a racer's when hedging, and touches only o.
func (c *call) open(o *opened) {
	if o.ctx == nil {
		c.prepare(o)
	}
	begun := c.clk.Now()
	s, err := o.l.p.Stream(o.ctx, c.request(o.l))
	if err == nil && s == nil {
		err = provider.MalformedError(o.l.target.Provider, 0, errors.New("no stream and no error"))
	}
	if err == nil {
		if s.Next() {
			o.first, o.hasFirst, o.ttft = s.Current(), true, c.clk.Now().Sub(begun)
		} else if err = s.Err(); err == nil && s.Response().Empty() {
			err = errEmptyAnswer(o.l, s.Response())
		}
	}
	if err == nil && !o.w.streaming() {
		// The watchdog fired as the token arrived; the link is already
		// cancelled, so the token is late.
		err = context.Cause(o.ctx)
	}
	if err == nil && c.buffer.on() {
		if err = c.fill(o, s); err == nil {
			// The caller's first token is the window's close.
			o.ttft = c.clk.Now().Sub(begun)
		}
	}
	if err == nil {
		o.s = s
		return
	}
	o.w.stop()
	if s != nil {
		s.Close()
	}
	if c.parent.Err() == nil {
		switch context.Cause(o.ctx) {
		case errFirstTokenTimeout:
			err = timeoutError(o.l.target, "first token timeout", c.to.FirstToken, err)
		case errIdleTimeout:
			err = timeoutError(o.l.target, "idle timeout", c.to.Idle, err)
		}
	}
	o.cancel(nil)
	o.s, o.err = nil, err
}

// errAbandoned cancels racers once the call has stopped for another reason.
var errAbandoned = errors.New("call stopped")

// race is the hedged walk: the first link starts at once, and each time
// HedgeAfter passes without a token (or a racer fails) the next one starts
// too. The first token wins; the others are cancelled and their goroutines
// waited for before race returns, so none outlives the call.
//
// Racers and the coordinator report to the clock's Tracker when they start,
// hand over a result and wait, so that a virtual clock (the simulator's)
// moves only once every one of them is waiting.
func (s *Stream) race() error {
	c := &s.c
	tr := clock.Track(c.clk)
	results := make(chan *opened, len(c.links))
	var wg sync.WaitGroup
	defer wg.Wait()
	hedge, hedgeC := c.clk.NewTimer(c.hedge)
	defer hedge.Stop()

	var running []*opened
	launch := func() bool {
		if c.parent.Err() != nil || c.overTotal() {
			return false
		}
		l, gen, ok := c.next()
		if !ok {
			return false
		}
		o := &opened{l: l, gen: gen, idx: c.begin(l)}
		c.prepareRacer(o)
		running = append(running, o)
		// Re-armed before the racer starts, so that every timer of this
		// attempt is set by the time its link is called.
		hedge.Reset(c.hedge)
		wg.Add(1)
		tr.Busy()
		go func() {
			defer tr.Idle()
			defer wg.Done()
			c.open(o)
			tr.Busy() // the coordinator's, handed over with the result
			results <- o
		}()
		return true
	}
	var winner *opened
	var stopErr error
	stopOthers := func(keep *opened, cause error) {
		for _, r := range running {
			if r != keep {
				r.cancel(cause)
			}
		}
	}

	launch()
	received := 0
	for received < len(running) {
		tr.Idle()
		select {
		case o := <-results:
			received++
			decided := winner != nil || stopErr != nil
			switch {
			case o.err == nil && !decided:
				winner = o
				stopOthers(o, fmt.Errorf("%w to %s", errHedgeLost, o.l.target))
			case o.err == nil:
				// It produced a token as the race was decided.
				o.w.stop()
				o.s.Close()
				o.cancel(nil)
				c.discard(o.idx, o)
				c.finish(o.idx, OutcomeCancelled, provider.ClassCancelled, lostTo(winner))
			case decided && coordinatorCancelled(o.ctx):
				o.cancel(nil)
				c.chargeHedgeLoss(o, winner)
				c.discard(o.idx, o)
				c.finish(o.idx, OutcomeCancelled, provider.ClassCancelled, context.Cause(o.ctx))
			default:
				o.cancel(nil)
				c.discard(o.idx, o)
				v, err := c.fail(o.idx, o.l, o.gen, o.err)
				if decided {
					break
				}
				if v == verdictStop {
					stopErr = err
					stopOthers(nil, errAbandoned)
					break
				}
				launch()
			}
		case <-hedgeC:
			if winner == nil && stopErr == nil {
				launch()
			}
		}
	}
	switch {
	case winner != nil:
		s.win = winner
		return nil
	case stopErr != nil:
		return stopErr
	}
	return c.exhausted()
}

// chargeHedgeLoss counts a lost hedge against the loser's breaker when the
// loser had a head start and still produced no token: a link that a later
// one overtakes again and again is down for latency purposes, and without
// this a hung primary in a hedging category would never open its breaker
// and every request would pay hedge_after for it. A link started after the
// winner is not charged: it lost a race it joined late.
func (c *call) chargeHedgeLoss(loser, winner *opened) {
	if winner == nil || loser.l.b == nil || !errors.Is(context.Cause(loser.ctx), errHedgeLost) {
		return
	}
	if c.res.Attempts[loser.idx].Start < c.res.Attempts[winner.idx].Start {
		loser.l.b.failure(loser.gen, 0)
	}
}

func coordinatorCancelled(ctx context.Context) bool {
	cause := context.Cause(ctx)
	return errors.Is(cause, errHedgeLost) || errors.Is(cause, errAbandoned)
}

func lostTo(winner *opened) error {
	if winner == nil {
		return errAbandoned
	}
	return fmt.Errorf("%w to %s", errHedgeLost, winner.l.target)
}

// watchdog is the one timer of a streaming attempt. Before the first token
// it enforces the first-token and total deadlines; after it, the total
// deadline and the idle timeout. For the latter Next counts in and out of
// the provider's Next with two atomic adds (odd: waiting on the provider),
// and the timer, rather than being reset per chunk, looks at the count every
// idleStep of the idle timeout and remembers when it first saw its current
// value. That keeps the per-chunk cost to the adds, catches a stall between
// Idle and Idle plus one step after the provider was last waited on, and
// never counts the time the caller spends between calls to Next.
type watchdog struct {
	clk      clock.Clock
	cancel   context.CancelCauseFunc
	total    time.Time // zero: none
	first    time.Time // zero: none
	idle     time.Duration
	progress atomic.Uint64

	mu      sync.Mutex
	t       clock.Timer
	started bool // the first token arrived
	fired   bool // the watchdog cancelled the attempt
	stopped bool
	seen    uint64
	seenAt  time.Time // when the timer first saw progress at seen
}

// idleSteps is how many times per idle timeout the watchdog looks at a
// stream's progress: a stall is caught at most Idle/idleSteps late.
const idleSteps = 16

// newWatchdog arms a watchdog for an attempt starting now, or returns nil
// when the call has no deadline that needs one.
func newWatchdog(c *call, cancel context.CancelCauseFunc) *watchdog {
	if c.deadline.IsZero() && c.to.FirstToken <= 0 && c.to.Idle <= 0 {
		return nil
	}
	now := c.clk.Now()
	w := &watchdog{clk: c.clk, cancel: cancel, total: c.deadline, idle: max(c.to.Idle, 0)}
	if c.to.FirstToken > 0 {
		w.first = now.Add(c.to.FirstToken)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.arm(now)
	return w
}

// arm sets the timer to the next moment something must be checked; mu held.
func (w *watchdog) arm(now time.Time) {
	var next time.Time
	earlier := func(t time.Time) {
		if !t.IsZero() && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	earlier(w.total)
	if !w.started {
		earlier(w.first)
	} else if w.idle > 0 {
		if at := w.seenAt.Add(w.idle); at.After(now) {
			earlier(at)
		}
		earlier(now.Add(max(w.idle/idleSteps, 1)))
	}
	switch {
	case next.IsZero():
		if w.t != nil {
			w.t.Stop()
		}
	case w.t == nil:
		w.t = w.clk.AfterFunc(next.Sub(now), w.fire)
	default:
		w.t.Reset(next.Sub(now))
	}
}

func (w *watchdog) fire() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stopped || w.fired {
		return
	}
	now := w.clk.Now()
	var cause error
	switch v := w.progress.Load(); {
	case !w.total.IsZero() && !now.Before(w.total):
		cause = errTotalTimeout
	case !w.started && !w.first.IsZero() && !now.Before(w.first):
		cause = errFirstTokenTimeout
	case w.started && w.idle > 0 && v != w.seen:
		w.seen, w.seenAt = v, now
	case w.started && w.idle > 0 && v%2 == 1 && now.Sub(w.seenAt) >= w.idle:
		cause = errIdleTimeout
	}
	if cause == nil {
		w.arm(now)
		return
	}
	w.fired = true
	w.cancel(cause)
}

// streaming switches the watchdog from the first token to idle gaps. It
// reports false if the watchdog has already cancelled the attempt.
func (w *watchdog) streaming() bool {
	if w == nil {
		return true
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.fired {
		return false
	}
	now := w.clk.Now()
	w.started = true
	w.seen, w.seenAt = w.progress.Load(), now
	w.arm(now)
	return true
}

func (w *watchdog) stop() {
	if w == nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.stopped = true
	if w.t != nil {
		w.t.Stop()
	}
}
