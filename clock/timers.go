package clock

import (
	"sync"
	"time"
)

// timers is the clock state Fake and Virtual share: the time, and the
// pending timers, fired in order of their instant and, at one instant, of
// their arming.
type timers struct {
	mu     sync.Mutex
	now    time.Time
	queue  []*timer
	armed  uint64
	change chan struct{} // closed (and cleared) when a timer is armed; made by a waiter
	// sent and drained, if set, are called with mu held when a NewTimer
	// value is put in its channel and when Stop or Reset takes it back
	// unread; Virtual counts the wake-up it carries.
	sent, drained func()
}

func (ts *timers) init(start time.Time) {
	ts.now = start
}

// timer is one AfterFunc, NewTimer or sleep of a Fake or Virtual clock.
type timer struct {
	ts   *timers
	when time.Time
	seq  uint64
	live bool
	// Exactly one is set: f runs without the lock (AfterFunc), ch gets
	// the time (NewTimer), sleeper is woken (a Virtual's Sleep).
	f       func()
	ch      chan time.Time
	sleeper *sleeper
}

func (ts *timers) arm(t *timer, d time.Duration) {
	ts.armed++
	t.when, t.seq, t.live = ts.now.Add(max(d, 0)), ts.armed, true
	ts.queue = append(ts.queue, t)
	if ts.change != nil {
		close(ts.change)
		ts.change = nil
	}
}

func (ts *timers) disarm(t *timer) bool {
	if !t.live {
		return false
	}
	t.live = false
	for i, q := range ts.queue {
		if q == t {
			ts.queue = append(ts.queue[:i], ts.queue[i+1:]...)
			break
		}
	}
	return true
}

// drain takes back a value the timer sent that nobody read.
func (ts *timers) drain(t *timer) {
	if t.ch == nil {
		return
	}
	select {
	case <-t.ch:
		if ts.drained != nil {
			ts.drained()
		}
	default:
	}
}

func (t *timer) Stop() bool {
	t.ts.mu.Lock()
	defer t.ts.mu.Unlock()
	was := t.ts.disarm(t)
	t.ts.drain(t)
	return was
}

func (t *timer) Reset(d time.Duration) bool {
	t.ts.mu.Lock()
	defer t.ts.mu.Unlock()
	was := t.ts.disarm(t)
	t.ts.drain(t)
	t.ts.arm(t, d)
	return was
}

// earliest is the next timer to fire, or nil if none is due by limit (a
// zero limit means any).
func (ts *timers) earliest(limit time.Time) *timer {
	var first *timer
	for _, t := range ts.queue {
		if first == nil || t.when.Before(first.when) || t.when.Equal(first.when) && t.seq < first.seq {
			first = t
		}
	}
	if first == nil || !limit.IsZero() && first.when.After(limit) {
		return nil
	}
	return first
}

// fire moves the time to t's instant and fires it. mu is held on entry and
// on return, and released while an AfterFunc runs.
func (ts *timers) fire(t *timer) {
	ts.disarm(t)
	if t.when.After(ts.now) {
		ts.now = t.when
	}
	switch {
	case t.ch != nil:
		select {
		case t.ch <- ts.now:
			if ts.sent != nil {
				ts.sent()
			}
		default:
		}
	case t.sleeper != nil:
		t.sleeper.woken = true
		if ts.sent != nil {
			ts.sent() // the wake-up is handed to the sleeper
		}
		if t.sleeper.wake != nil {
			close(t.sleeper.wake)
		}
	default:
		ts.mu.Unlock()
		defer ts.mu.Lock()
		t.f()
	}
}

func (ts *timers) Now() time.Time {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.now
}

func (ts *timers) AfterFunc(d time.Duration, f func()) Timer {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	t := &timer{ts: ts, f: f}
	ts.arm(t, d)
	return t
}

func (ts *timers) NewTimer(d time.Duration) (Timer, <-chan time.Time) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	t := &timer{ts: ts, ch: make(chan time.Time, 1)}
	ts.arm(t, d)
	return t, t.ch
}
