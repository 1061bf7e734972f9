package fallback

import (
	"sync"
	"sync/atomic"
	"time"
)

// BreakerState is the state of one target's breaker.
type BreakerState uint8

// Breaker states. A closed breaker lets requests through; an open one skips
// its target until the cool-down has passed; a half-open one lets one probe
// through and closes on its success.
const (
	StateClosed BreakerState = iota
	StateOpen
	StateHalfOpen
)

func (s BreakerState) String() string {
	switch s {
	case StateClosed:
		return "closed"
	case StateOpen:
		return "open"
	case StateHalfOpen:
		return "half-open"
	}
	return "unknown"
}

// breaker counts consecutive failures of one target. It opens on a run of
// them, which a full outage produces at once and a partial degradation (a few
// percent of requests failing) practically never does: the latter is left to
// per-request fallback. Results carry the generation they started in, and a
// result from before a state change is ignored, so that requests in flight
// when an outage began do not reopen a breaker that a probe has since closed.
type breaker struct {
	threshold        int
	minCool, maxCool time.Duration
	now              func() time.Time
	// target names the breaker in what it tells shared (Config.Shared,
	// nil when health is not shared); shared is written under mu.
	target Target
	shared Shared

	// healthy is true when the breaker is closed with no failures and no
	// cool-down, so that the common path takes no lock.
	healthy atomic.Bool

	mu          sync.Mutex
	state       BreakerState
	gen         atomic.Uint64 // written under mu; read without it on the fast path
	failures    int
	openedAt    time.Time // when it opened, or when the current probe started
	lastFailure time.Time
	coolUntil   time.Time // a Retry-After the provider asked for
	// downSince is the first failure of the current run of failures (zero
	// when there is none), and cool the wait before the next probe, set
	// each time the breaker (re)opens.
	downSince time.Time
	cool      time.Duration
}

func newBreaker(threshold int, minCool, maxCool time.Duration, now func() time.Time) *breaker {
	b := &breaker{threshold: threshold, minCool: minCool, maxCool: maxCool, now: now}
	b.healthy.Store(true)
	return b
}

// cooldown is the wait before the next probe of a target failing since
// downSince: a tenth of the outage so far, between minCool and maxCool. It
// grows with each failed probe, so a long outage costs few probes, and it
// stays a fraction of the outage, so that a link that comes back is used
// again after a tenth of the time it was down at most (plus the wait for
// the next request), where a fixed cool-down restarted by every failed
// probe could leave it unused for longer than the cool-down itself.
func (b *breaker) cooldown(now time.Time) time.Duration {
	return min(max(now.Sub(b.downSince)/10, b.minCool), b.maxCool)
}

// reopen restarts the cool-down after a failure at now; mu held.
func (b *breaker) reopen(now time.Time) {
	b.openedAt = now
	b.cool = b.cooldown(now)
}

// allow reports whether a request may go to the target now, and the
// generation to report its result under. In the half-open state it lets one
// probe through per cool-down, so that a probe whose result never arrives
// does not wedge the breaker.
func (b *breaker) allow() (uint64, bool) {
	if b.healthy.Load() {
		return b.gen.Load(), true
	}
	now := b.now()
	b.mu.Lock()
	defer b.mu.Unlock()
	if now.Before(b.coolUntil) {
		return b.gen.Load(), false
	}
	switch b.state {
	case StateOpen:
		if now.Sub(b.openedAt) < b.cool {
			return b.gen.Load(), false
		}
		b.setState(StateHalfOpen, now)
	case StateHalfOpen:
		if now.Sub(b.openedAt) < b.cool {
			return b.gen.Load(), false
		}
		b.openedAt = now
	}
	b.coolUntil = time.Time{}
	b.updateHealthy()
	return b.gen.Load(), true
}

// blocked reports, without side effects, whether allow would refuse now.
func (b *breaker) blocked() bool {
	if b.healthy.Load() {
		return false
	}
	now := b.now()
	b.mu.Lock()
	defer b.mu.Unlock()
	if now.Before(b.coolUntil) {
		return true
	}
	return b.state != StateClosed && now.Sub(b.openedAt) < b.cool
}

// current is the generation a forced attempt (every link open) reports under.
func (b *breaker) current() uint64 { return b.gen.Load() }

func (b *breaker) success(gen uint64) {
	if b.healthy.Load() {
		return
	}
	b.mu.Lock()
	if gen != b.gen.Load() {
		b.mu.Unlock()
		return
	}
	closed := b.state != StateClosed
	b.failures = 0
	b.downSince = time.Time{}
	if closed {
		b.setState(StateClosed, time.Time{})
	}
	b.updateHealthy()
	shared := b.shared
	b.mu.Unlock()
	if closed && shared != nil {
		shared.Publish(Change{Kind: BreakerClosed, Target: b.target})
	}
}

// failure records a failure; retryAfter, if positive, cools the target for
// that long whatever the state.
func (b *breaker) failure(gen uint64, retryAfter time.Duration) {
	now := b.now()
	b.mu.Lock()
	before := b.blockedUntil()
	b.lastFailure = now
	if retryAfter > 0 {
		if until := now.Add(retryAfter); until.After(b.coolUntil) {
			b.coolUntil = until
		}
	}
	if gen == b.gen.Load() {
		switch b.state {
		case StateClosed:
			if b.failures == 0 {
				b.downSince = now
			}
			b.failures++
			if b.failures >= b.threshold {
				b.setState(StateOpen, now)
				b.reopen(now)
			}
		case StateHalfOpen:
			b.setState(StateOpen, now)
			b.reopen(now)
		case StateOpen:
			// A forced attempt (every link open) failed: restart the cool-down.
			b.reopen(now)
		}
	}
	b.updateHealthy()
	after, shared := b.blockedUntil(), b.shared
	var down time.Duration
	if !b.downSince.IsZero() {
		down = now.Sub(b.downSince)
	}
	b.mu.Unlock()
	// Other engines hear of every failure that keeps the target out for
	// longer than before: an opening, a failed probe, a Retry-After.
	if shared != nil && after.After(before) && after.After(now) {
		shared.Publish(Change{Kind: BreakerOpened, Target: b.target, Cooldown: after.Sub(now), Down: down})
	}
}

// blockedUntil is when the target next takes a request (or a probe),
// zero when it takes them now; mu held.
func (b *breaker) blockedUntil() time.Time {
	until := b.coolUntil
	if b.state != StateClosed {
		if end := b.openedAt.Add(b.cool); end.After(until) {
			until = end
		}
	}
	return until
}

// observe applies a change another engine made (Engine.Apply): an opening
// there opens the breaker here until the same instant on this engine's
// clock, unless it is already out for longer; a closing there closes it.
// The generation moves on, so that results of requests that started before
// are ignored, as after a local change. Nothing is published back.
func (b *breaker) observe(c Change) {
	now := b.now()
	b.mu.Lock()
	defer b.mu.Unlock()
	switch c.Kind {
	case BreakerOpened:
		if c.Cooldown <= 0 || !now.Add(c.Cooldown).After(b.blockedUntil()) {
			return
		}
		if b.state != StateOpen {
			b.setState(StateOpen, now)
		}
		b.openedAt, b.cool = now, c.Cooldown
		// A failed probe here grows the cool-down from the outage's
		// start as the other engine saw it.
		if since := now.Add(-max(c.Down, 0)); b.downSince.IsZero() || since.Before(b.downSince) {
			b.downSince = since
		}
	case BreakerClosed:
		if b.state == StateClosed {
			return
		}
		b.setState(StateClosed, time.Time{})
	}
	b.updateHealthy()
}

func (b *breaker) setState(s BreakerState, now time.Time) {
	b.state = s
	b.gen.Add(1)
	b.openedAt = now
	if s == StateClosed {
		b.failures = 0
		b.downSince = time.Time{}
	}
}

// updateHealthy must be called with mu held after every change.
func (b *breaker) updateHealthy() {
	b.healthy.Store(b.state == StateClosed && b.failures == 0 && b.coolUntil.IsZero())
}

// snapshot is the state as a report shows it (a target cooling after a
// Retry-After counts as open) and when the target last failed.
func (b *breaker) snapshot() (BreakerState, time.Time) {
	now := b.now()
	b.mu.Lock()
	defer b.mu.Unlock()
	if now.Before(b.coolUntil) {
		return StateOpen, b.lastFailure
	}
	return b.state, b.lastFailure
}
