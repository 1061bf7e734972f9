package fallback

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/llmfall/llmfall/clock"
	"github.com/llmfall/llmfall/provider"
)

// call is the bookkeeping of one Complete or Stream: where it is in its
// chain, its deadlines and its attempt log. It is driven by one goroutine.
type call struct {
	st  *state
	clk clock.Clock
	req *Request
	res *Result
	to  Timeouts
	// hedge is the category's HedgeAfter, buffer the call's commit window.
	hedge  time.Duration
	buffer StreamBuffer

	// parent is the caller's context. The total timeout is not a context
	// of its own but the deadline every attempt's context or watchdog
	// carries, which saves a context and a timer per call.
	parent   context.Context
	start    time.Time
	deadline time.Time // zero: no total timeout

	links []link
	// order is links, or, once every link turned out to be open, links
	// sorted by least recent failure.
	order  []link
	pos    int
	forced bool
	tried  int
	// images: the request carries images, which text-only links cannot
	// take.
	images bool
}

type verdict uint8

const (
	verdictNext verdict = iota
	verdictStop
)

func (c *call) init(ctx context.Context, st *state, req *Request) error {
	links, cat, err := st.plan(req)
	if err != nil {
		return err
	}
	if err := req.StreamBuffer.check(); err != nil {
		return fmt.Errorf("fallback: %w", err)
	}
	c.st, c.clk, c.req, c.links, c.order = st, st.cfg.Clock, req, links, links
	c.to = st.cfg.Timeouts.merge(cat.Timeouts).merge(req.Timeouts)
	if len(st.textOnly) > 0 {
		c.images = req.HasImages()
	}
	c.hedge, c.buffer = cat.HedgeAfter, cat.StreamBuffer
	if req.StreamBuffer.on() {
		c.buffer = req.StreamBuffer
	}
	c.res = newResult(req.Category, len(links))
	c.parent = ctx
	c.start = c.clk.Now()
	if c.to.Total > 0 {
		c.deadline = c.start.Add(c.to.Total)
	}
	if c.allBlocked() {
		c.force()
	}
	return nil
}

// overTotal reports whether the total timeout has run out.
func (c *call) overTotal() bool {
	return !c.deadline.IsZero() && !c.clk.Now().Before(c.deadline)
}

func (c *call) allBlocked() bool {
	for i := range c.links {
		if b := c.links[i].b; b == nil || !b.blocked() {
			return false
		}
	}
	return true
}

// force switches to trying every link whatever its breaker says, the least
// recently failed first: with every link open, trying is better than failing
// without trying, and the link that failed longest ago is likeliest back.
func (c *call) force() {
	type ranked struct {
		l    link
		last time.Time
	}
	rs := make([]ranked, len(c.links))
	for i, l := range c.links {
		rs[i].l = l
		if l.b != nil {
			_, rs[i].last = l.b.snapshot()
		}
	}
	slices.SortStableFunc(rs, func(a, b ranked) int { return a.last.Compare(b.last) })
	c.order = make([]link, len(rs))
	for i, r := range rs {
		c.order[i] = r.l
	}
	c.pos, c.forced = 0, true
}

// next is the next link to try and the breaker generation to report its
// result under, recording skipped links on the way.
func (c *call) next() (*link, uint64, bool) {
	for {
		if c.pos >= len(c.order) {
			if c.forced || c.tried > 0 {
				return nil, 0, false
			}
			// Every link was skipped: the breakers changed under us
			// since init looked.
			c.force()
			continue
		}
		l := &c.order[c.pos]
		c.pos++
		if c.cannotTake(l) {
			// Logged once, though a forced walk passes it again.
			if !slices.ContainsFunc(c.res.Attempts, func(a Attempt) bool { return a.Target == l.target && a.Err == errTextOnly }) {
				idx := c.begin(l)
				c.finish(idx, OutcomeSkipped, provider.ClassUnsupported, errTextOnly)
			}
			continue
		}
		switch {
		case l.b == nil:
			c.tried++
			return l, 0, true
		case c.forced:
			c.tried++
			l.lim.force()
			return l, l.b.current(), true
		}
		// The limit is asked first, so that a request it turns away
		// never spends a half-open breaker's one probe.
		if !l.lim.acquire() {
			// Only the overflow of a rate-limited link goes on down
			// the chain.
			idx := c.begin(l)
			c.finish(idx, OutcomeSkipped, provider.ClassRateLimited, l.lim.overLimit())
			continue
		}
		gen, ok := l.b.allow()
		if !ok {
			l.lim.undo()
			idx := c.begin(l)
			c.finish(idx, OutcomeSkipped, "", errBreakerOpen)
			continue
		}
		c.tried++
		return l, gen, true
	}
}

var errBreakerOpen = errors.New("breaker open")

// errTextOnly is why a text-only link is skipped.
var errTextOnly = errors.New("request has images and this model is text-only (text_only in config)")

// cannotTake reports whether l cannot take the request at all, so that
// asking would only earn a 400: it is skipped, its breaker left alone.
func (c *call) cannotTake(l *link) bool {
	return c.images && l.textOnly
}

// begin opens an attempt in the log and returns its index.
func (c *call) begin(l *link) int {
	c.res.Attempts = append(c.res.Attempts, Attempt{Target: l.target, Start: c.since()})
	return len(c.res.Attempts) - 1
}

// finish closes an attempt and reports it to the OnAttempt hooks, the
// engine's and the call's.
func (c *call) finish(idx int, o Outcome, class provider.Class, err error) {
	a := &c.res.Attempts[idx]
	if o != OutcomeSkipped {
		a.Duration = c.since() - a.Start
	}
	a.Outcome, a.Class, a.Err = o, class, err
	if o != OutcomeSkipped {
		c.limiterOf(a.Target).release(class)
	}
	if hook := c.st.cfg.OnAttempt; hook != nil {
		hook(c.res.Category, *a)
	}
	if hook := c.req.OnAttempt; hook != nil {
		hook(*a)
	}
}

// limiterOf is the limiter of the attempt's link, nil when there is none.
func (c *call) limiterOf(t Target) *limiter {
	for i := range c.links {
		if c.links[i].target == t {
			return c.links[i].lim
		}
	}
	return nil
}

func (c *call) succeed(idx int, l *link, gen uint64) {
	if l.b != nil {
		l.b.success(gen)
	}
	c.res.Target = l.target
	c.finish(idx, OutcomeOK, "", nil)
}

// fail closes a failed attempt, tells its breaker, and decides what comes
// next. On verdictStop the error is the one to return to the caller.
func (c *call) fail(idx int, l *link, gen uint64, err error) (verdict, error) {
	if c.parent.Err() != nil {
		c.finish(idx, OutcomeCancelled, provider.ClassCancelled, err)
		return verdictStop, c.ctxErr()
	}
	if c.overTotal() {
		err = timeoutError(l.target, "total timeout", c.to.Total, err)
		c.finish(idx, OutcomeTimeout, provider.ClassTimeout, err)
		return verdictStop, c.ctxErr()
	}
	class := provider.ClassOf(err)
	outcome := OutcomeError
	if class == provider.ClassTimeout {
		outcome = OutcomeTimeout
	}
	c.finish(idx, outcome, class, err)
	if l.b != nil && breakerCounts(class) {
		l.b.failure(gen, c.cooling(l, err, class))
	}
	if !c.shouldFallback(err, class) {
		return verdictStop, fmt.Errorf("fallback: %s: %w", l.target, err)
	}
	return verdictNext, nil
}

// cooling is how long a failure cools the whole link: the wait the provider
// named, except that a rate limit does so only once most of the link's recent
// requests are refused; before that, its limiter sheds the overflow instead.
func (c *call) cooling(l *link, err error, class provider.Class) time.Duration {
	if class == provider.ClassRateLimited && !l.lim.mostlyRefused() {
		return 0
	}
	return provider.RetryAfterOf(err)
}

func (c *call) shouldFallback(err error, class provider.Class) bool {
	if class == provider.ClassCancelled {
		return false
	}
	if class == provider.ClassContentFilter && c.st.cfg.OnContentFilter {
		return true
	}
	if f := c.st.cfg.ShouldFallback; f != nil {
		return f(err)
	}
	return DefaultShouldFallback(err)
}

// ctxErr is the error for a call its context ended: the caller's
// cancellation, or the total timeout.
func (c *call) ctxErr() error {
	if err := c.parent.Err(); err != nil {
		return fmt.Errorf("fallback: cancelled by caller: %w", context.Cause(c.parent))
	}
	return &ExhaustedError{Category: c.res.Category, Attempts: c.res.Attempts, Total: c.to.Total}
}

// exhausted is the error of a call with no link left to try. A caller that
// cancelled is told so, not that every link failed: a hedged walk stops
// launching racers once the caller has gone, and ends here.
func (c *call) exhausted() error {
	if c.parent.Err() != nil || c.overTotal() {
		return c.ctxErr()
	}
	return &ExhaustedError{Category: c.res.Category, Attempts: c.res.Attempts}
}

// sequential walks the chain one link at a time, calling try for each
// attempt until one succeeds; try records its own success. Whether a failed
// link is tried again, and after what wait, is the retry policy's call.
func (c *call) sequential(try func(l *link, idx int, gen uint64) error) error {
	for {
		l, gen, ok := c.next()
		if !ok {
			return c.exhausted()
		}
		for retry := 0; ; retry++ {
			if c.parent.Err() != nil || c.overTotal() {
				if retry == 0 {
					l.lim.undo() // next counted it in flight
				}
				return c.ctxErr()
			}
			if retry > 0 {
				// The retry is a request in flight of its own; it
				// was decided on, so the limit does not apply.
				l.lim.force()
			}
			idx := c.begin(l)
			err := try(l, idx, gen)
			if err == nil {
				return nil
			}
			if v, stopErr := c.fail(idx, l, gen, err); v == verdictStop {
				return stopErr
			}
			d, again := c.st.retry.Next(retry, err, c.budget())
			if !again {
				break
			}
			if err := c.wait(d); err != nil {
				return err
			}
		}
	}
}

// budget is the time left before the total timeout, 0 when there is none.
func (c *call) budget() time.Duration {
	if c.deadline.IsZero() {
		return 0
	}
	return max(c.deadline.Sub(c.clk.Now()), time.Nanosecond)
}

// wait is the engine's one wait between tries of a link.
func (c *call) wait(d time.Duration) error {
	if d <= 0 {
		return nil
	}
	if err := c.clk.Sleep(c.parent, d); err != nil {
		return c.ctxErr()
	}
	return nil
}

// since is the time since the call started, on the engine's clock.
func (c *call) since() time.Duration { return c.clk.Now().Sub(c.start) }

// request is the request for one link: the caller's, with the link's model.
func (c *call) request(l *link) *provider.Request {
	r := c.req.Request
	r.Model = l.target.Model
	return &r
}

// Complete sends the request down its chain and returns the first answer.
// On failure the Result is still returned, with a nil Response, so that the
// caller can log its attempts; the error is an *ExhaustedError when every
// link failed or the total timeout ran out, wraps the link's error when it
// was one the engine does not fall back on, and wraps the context's error
// when the caller cancelled.
func (e *Engine) Complete(ctx context.Context, req *Request) (*Result, error) {
	var c call
	if err := c.init(ctx, e.state.Load(), req); err != nil {
		return nil, err
	}
	err := c.sequential(func(l *link, idx int, gen uint64) error {
		resp, err := c.complete(l)
		if err != nil {
			return err
		}
		c.res.Response = resp
		c.succeed(idx, l, gen)
		return nil
	})
	return c.res, err
}

// complete is one non-streaming attempt, bounded by whichever comes first
// of the attempt timeout and the total one, with a single timer on the
// engine's clock.
func (c *call) complete(l *link) (*provider.Response, error) {
	now := c.clk.Now()
	d, cause := c.deadline, errTotalTimeout
	if c.to.Attempt > 0 {
		if a := now.Add(c.to.Attempt); d.IsZero() || a.Before(d) {
			d, cause = a, errAttemptTimeout
		}
	}
	if d.IsZero() {
		resp, err := l.p.Complete(c.parent, c.request(l))
		return checkResponse(l, resp, err)
	}
	ctx, cancel := context.WithCancelCause(c.parent)
	defer cancel(nil)
	t := c.clk.AfterFunc(d.Sub(now), func() { cancel(cause) })
	defer t.Stop()
	resp, err := l.p.Complete(ctx, c.request(l))
	resp, err = checkResponse(l, resp, err)
	if err != nil && c.parent.Err() == nil && context.Cause(ctx) == errAttemptTimeout {
		err = timeoutError(l.target, "attempt timeout", c.to.Attempt, err)
	}
	return resp, err
}

// checkResponse turns a provider's (nil, nil), and an answer that finished
// with nothing in it, into a malformed error rather than a useless answer
// handed to the caller: another link may answer.
func checkResponse(l *link, resp *provider.Response, err error) (*provider.Response, error) {
	switch {
	case err != nil:
	case resp == nil:
		err = provider.MalformedError(l.target.Provider, 0, errors.New("no response and no error"))
	case resp.Empty():
		err = errEmptyAnswer(l, resp)
	}
	return resp, err
}

// errEmptyAnswer is the error of an answer with no text and no tool calls
// that finished as if complete (provider.Response.Empty).
func errEmptyAnswer(l *link, resp *provider.Response) error {
	return provider.MalformedError(l.target.Provider, 0,
		fmt.Errorf("empty answer (no text, finish reason %q)", resp.FinishReason))
}
