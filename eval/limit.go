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

// slots is a counting semaphore in which generations go before judge calls.
// A generation has a judge call (and, on a primary link, the group's
// consistent checks) waiting on it; a judge call has nothing after it.
// Serving the longest remaining chain first (Hu's rule) keeps every slot
// busy to the end: all that is left at the end is judge calls, which can
// all run at once, instead of a late generation whose judge call can only
// start when it is done and then runs alone. Serving judge calls first cost
// 7% over the ideal wall time at C=30 in BenchmarkEvalThroughput. The set
// of cases in flight stays bounded by Run's dispatch, so judge calls are
// never starved for longer than that window takes to generate. A nil
// *slots admits everyone.
type slots struct {
	mu        sync.Mutex
	free      int
	gen, rest []chan struct{} // waiters by callKind
}

// callKind says which queue of slots a call waits in.
type callKind int

const (
	callGenerate callKind = iota // served first
	callJudge
)

func (k callKind) String() string {
	if k == callGenerate {
		return "generation"
	}
	return "judge call"
}

func newSlots(n int) *slots {
	if n <= 0 {
		return nil
	}
	return &slots{free: n}
}

func (s *slots) acquire(ctx context.Context, kind callKind) error {
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
	if kind == callGenerate {
		s.gen = append(s.gen, ch)
	} else {
		s.rest = append(s.rest, ch)
	}
	s.mu.Unlock()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if removeWaiter(&s.gen, ch) || removeWaiter(&s.rest, ch) {
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
	for _, q := range []*[]chan struct{}{&s.gen, &s.rest} {
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
