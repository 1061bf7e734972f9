package clock

import (
	"context"
	"time"
)

// Virtual is a clock that moves on its own, and only when everything it
// times is waiting: then it jumps to the next timer and fires it. Code run
// on it takes no wall-clock time to wait, and what it does depends only on
// its inputs, never on how fast the machine is or how goroutines are
// scheduled. The outage simulator runs the engine on it.
//
// It counts running goroutines: the one that creates it counts as running,
// Sleep counts its caller as waiting while it sleeps, and code that starts
// goroutines or hands work over on channels reports it through Tracker (see
// there). A value sent by a NewTimer counts as running until it is read.
type Virtual struct {
	timers
	busy     int
	sleepers []*sleeper
}

var (
	_ Clock   = (*Virtual)(nil)
	_ Tracker = (*Virtual)(nil)
)

// sleeper is one goroutine in Sleep. wake is made only if the sleep did
// not end while its caller moved the clock (the usual case with one
// goroutine), and closed when the timer fires.
type sleeper struct {
	timer
	ctx   context.Context
	wake  chan struct{}
	woken bool
}

// NewVirtual returns a virtual clock reading start, with its caller counted
// as running.
func NewVirtual(start time.Time) *Virtual {
	v := &Virtual{busy: 1}
	v.init(start)
	v.sent = func() { v.busy++ }
	v.drained = func() { v.busy--; v.advance() }
	return v
}

// Set moves the clock to t, forward or back, without firing anything: the
// simulator starts each request at its arrival time. Armed timers keep
// their instants.
func (v *Virtual) Set(t time.Time) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.now = t
}

// Busy implements Tracker.
func (v *Virtual) Busy() {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.busy++
}

// Idle implements Tracker.
func (v *Virtual) Idle() {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.busy--
	v.advance()
}

// Sleep waits for d of virtual time, or until ctx ends.
func (v *Virtual) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil || d <= 0 {
		return err
	}
	s := &sleeper{ctx: ctx}
	s.timer = timer{ts: &v.timers, sleeper: s}
	v.mu.Lock()
	v.arm(&s.timer, d)
	v.sleepers = append(v.sleepers, s)
	v.busy--
	v.advance()
	if !s.woken {
		s.wake = make(chan struct{})
		v.mu.Unlock()
		select {
		case <-s.wake:
		case <-ctx.Done():
		}
		v.mu.Lock()
	}
	defer v.mu.Unlock()
	for i, q := range v.sleepers {
		if q == s {
			v.sleepers = append(v.sleepers[:i], v.sleepers[i+1:]...)
			break
		}
	}
	if s.woken {
		return nil
	}
	v.disarm(&s.timer)
	v.busy++
	return ctx.Err()
}

// advance fires timers while every goroutine waits. A sleeper whose context
// has ended is about to wake, so it counts as running. mu held.
func (v *Virtual) advance() {
	for v.busy == 0 {
		for _, s := range v.sleepers {
			if !s.woken && s.ctx.Err() != nil {
				return
			}
		}
		t := v.earliest(time.Time{})
		if t == nil {
			return // nothing waits on the clock
		}
		// The firing goroutine counts as running while it fires, so that
		// no one else moves the clock while an AfterFunc runs.
		v.busy++
		v.fire(t)
		v.busy--
	}
}
