package eval

import (
	"context"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Limit bounds the calls to one provider.
type Limit struct {
	// Concurrency is how many calls may be in flight; 0 means
	// DefaultConcurrency.
	Concurrency int
	// RPM is how many calls may start per minute; 0 means no limit.
	RPM int
}

// DefaultConcurrency is a provider's concurrency when its Limit has none.
const DefaultConcurrency = 8

// limiter applies one Limit.
type limiter struct {
	slots chan struct{}
	rate  *rate.Limiter
}

func newLimiter(l Limit) *limiter {
	n := l.Concurrency
	if n <= 0 {
		n = DefaultConcurrency
	}
	lim := &limiter{slots: make(chan struct{}, n)}
	if l.RPM > 0 {
		// A burst of one spreads the calls evenly over the minute, the
		// way providers count them.
		lim.rate = rate.NewLimiter(rate.Every(time.Minute/time.Duration(l.RPM)), 1)
	}
	return lim
}

// acquire takes a slot, then waits for the rate limit.
func (l *limiter) acquire(ctx context.Context) error {
	select {
	case l.slots <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	// select picks at random when both are ready: never start a call
	// after the run was cancelled.
	if err := ctx.Err(); err != nil {
		<-l.slots
		return err
	}
	if l.rate != nil {
		if err := l.rate.Wait(ctx); err != nil {
			<-l.slots
			return err
		}
	}
	return nil
}

func (l *limiter) release() { <-l.slots }

// slots is a counting semaphore in which high-priority waiters go first: a
// judge call, which finishes a case, is served before a new generation,
// which starts one. A nil *slots admits everyone.
type slots struct {
	mu        sync.Mutex
	free      int
	high, low []chan struct{}
}

func newSlots(n int) *slots {
	if n <= 0 {
		return nil
	}
	return &slots{free: n}
}

func (s *slots) acquire(ctx context.Context, high bool) error {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	// Slots are handed to waiters before they become free, so a free
	// slot means nobody is waiting.
	if s.free > 0 {
		s.free--
		s.mu.Unlock()
		return nil
	}
	ch := make(chan struct{})
	if high {
		s.high = append(s.high, ch)
	} else {
		s.low = append(s.low, ch)
	}
	s.mu.Unlock()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if removeWaiter(&s.high, ch) || removeWaiter(&s.low, ch) {
		return ctx.Err()
	}
	// Granted while we gave up: pass the slot on.
	s.grantLocked()
	return ctx.Err()
}

func (s *slots) release() {
	if s == nil {
		return
	}
	s.mu.Lock()
	s.grantLocked()
	s.mu.Unlock()
}

func (s *slots) grantLocked() {
	for _, q := range []*[]chan struct{}{&s.high, &s.low} {
		if len(*q) > 0 {
			ch := (*q)[0]
			*q = (*q)[1:]
			close(ch)
			return
		}
	}
	s.free++
}

func removeWaiter(q *[]chan struct{}, ch chan struct{}) bool {
	for i, c := range *q {
		if c == ch {
			*q = append((*q)[:i], (*q)[i+1:]...)
			return true
		}
	}
	return false
}
