package clock

import (
	"context"
	"time"
)

// Fake is a clock for tests: it stands still until the test calls Advance,
// which fires every timer due on the way, in order, on the test's
// goroutine. WaitTimers lets a test wait until the code under test has
// armed its timers, so that no test races a goroutine or sleeps.
type Fake struct {
	timers
}

var _ Clock = (*Fake)(nil)

// NewFake returns a fake clock reading start.
func NewFake(start time.Time) *Fake {
	f := &Fake{}
	f.init(start)
	return f
}

// Sleep waits until Advance has moved the clock d past now, or ctx ends.
func (f *Fake) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t, ch := f.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-ch:
		return nil
	}
}

// Advance moves the clock forward by d, firing every timer due by then in
// order of its instant (including timers that those armed on the way).
func (f *Fake) Advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	target := f.now.Add(d)
	for t := f.earliest(target); t != nil; t = f.earliest(target) {
		f.fire(t)
	}
	if target.After(f.now) {
		f.now = target
	}
}

// Pending is how many timers are armed.
func (f *Fake) Pending() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.queue)
}

// WaitTimers blocks until at least n timers are armed.
func (f *Fake) WaitTimers(n int) {
	for {
		f.mu.Lock()
		if len(f.queue) >= n {
			f.mu.Unlock()
			return
		}
		if f.change == nil {
			f.change = make(chan struct{})
		}
		ch := f.change
		f.mu.Unlock()
		<-ch
	}
}
