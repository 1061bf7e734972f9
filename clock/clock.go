// Package clock is the project's one source of time: the engine's timeouts,
// hedge delays, retry backoff and breaker cool-downs, the sim provider's
// latencies and the outage simulator's virtual time all read a Clock. It
// owns the three clocks (Real, Fake for tests, Virtual for simulations) and
// nothing else.
package clock

import (
	"context"
	"time"
)

// Clock tells the time and runs timers. Real is the wall clock; Fake and
// Virtual move only when told to, or when everything they time is waiting.
type Clock interface {
	Now() time.Time
	// AfterFunc calls f once d has passed. The real clock calls it on its
	// own goroutine; Fake and Virtual call it on the goroutine that moves
	// time, so f must not block.
	AfterFunc(d time.Duration, f func()) Timer
	// NewTimer sends the time on the returned channel once d has passed.
	// As with time.Timer since Go 1.23, no stale value is received after
	// Stop or Reset returns.
	NewTimer(d time.Duration) (Timer, <-chan time.Time)
	// Sleep waits for d, or returns ctx.Err() as soon as ctx ends first.
	Sleep(ctx context.Context, d time.Duration) error
}

// Timer is a pending AfterFunc or NewTimer; *time.Timer is one.
type Timer interface {
	// Stop prevents the timer from firing; it reports whether it did.
	Stop() bool
	// Reset makes the timer fire after d from now, as if new.
	Reset(d time.Duration) bool
}

// Tracker is implemented by clocks that move on their own once every
// goroutine they time is waiting on them (Virtual). Code that starts
// goroutines, or blocks on a channel that another counted goroutine sends
// on, reports it, so that such a clock never moves while work that could
// still act at the present instant is running. Other clocks ignore it.
type Tracker interface {
	// Busy counts one more running goroutine: call it before starting a
	// goroutine, and before sending to a goroutine blocked in a receive
	// (the wake-up is handed over with the send).
	Busy()
	// Idle counts one fewer: call it when a counted goroutine ends, or
	// just before it blocks to receive what a counted goroutine will send.
	Idle()
}

// Track returns c's Tracker, or a no-op one for clocks that need none.
func Track(c Clock) Tracker {
	if t, ok := c.(Tracker); ok {
		return t
	}
	return noTracker{}
}

type noTracker struct{}

func (noTracker) Busy() {}
func (noTracker) Idle() {}

// Real returns the wall clock.
func Real() Clock { return realClock{} }

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) AfterFunc(d time.Duration, f func()) Timer { return time.AfterFunc(d, f) }

func (realClock) NewTimer(d time.Duration) (Timer, <-chan time.Time) {
	t := time.NewTimer(d)
	return t, t.C
}

func (realClock) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
