package fallback

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/llmfall/llmfall/provider"
)

// A rate limit is a capacity signal, not an outage: a link that refuses some
// requests with 429 still serves the rest. So a 429 does not cool the whole
// link (unless most of its recent requests are refused); it lowers how many
// requests the engine sends it at once, and only the overflow goes down the
// chain, as a skipped attempt.
const (
	// refusalWindow is how many recent results of a link the refusal
	// ratio is taken over.
	refusalWindow = 20
	// minRefusals is how many refusals in the window it takes before the
	// link may be cooled whole, so that one unlucky 429 on a quiet link
	// does not take it out.
	minRefusals = 5
)

// limiter is one target's adaptive concurrency limit (AIMD). It sets no limit
// until the target first refuses a request with a 429; the limit then starts
// at half the requests in flight (at least 1), grows by one each time a
// limit's worth of requests succeeds, halves on each further 429 (at most
// once per round of requests in flight, so that one burst of refusals counts
// once) and goes away once it is more than twice the most requests in
// flight it has seen, with no refusal left in the window.
type limiter struct {
	inflight atomic.Int64
	// limited is true while a limit applies, so that the common path takes
	// no lock.
	limited atomic.Bool

	mu    sync.Mutex
	limit int
	// successes since the limit last grew; settled counts results since
	// the last cut, and settleAt is how many must come back before a 429
	// may cut again: those in flight when it was cut.
	successes, settled, settleAt int
	// peak is the most requests in flight since the limit was set: a
	// limit well above it no longer binds.
	peak int
	// recent is a ring of the last results, true for a refusal.
	recent            [refusalWindow]bool
	next, n, refusals int
}

// acquire reports whether a request may go to the target now, and counts it
// in flight if so.
func (l *limiter) acquire() bool {
	if l == nil {
		return true
	}
	if !l.limited.Load() {
		l.inflight.Add(1)
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.limited.Load() && int(l.inflight.Load()) >= l.limit {
		return false
	}
	l.peak = max(l.peak, int(l.inflight.Add(1)))
	return true
}

// force counts a request in flight whatever the limit (every link of the
// chain was blocked, and trying beats failing without trying).
func (l *limiter) force() {
	if l != nil {
		l.inflight.Add(1)
	}
}

// undo takes back an acquire whose request was not sent after all.
func (l *limiter) undo() {
	if l != nil {
		l.inflight.Add(-1)
	}
}

// release ends a request counted by acquire or force, with the class of its
// error ("" on success).
func (l *limiter) release(class provider.Class) {
	if l == nil {
		return
	}
	refused := class == provider.ClassRateLimited
	if !refused && !l.limited.Load() {
		l.inflight.Add(-1)
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	inflight := int(l.inflight.Add(-1)) + 1 // this request included
	l.record(refused)
	l.settled++
	switch {
	case refused && !l.limited.Load():
		l.limit = max(inflight/2, 1)
		l.successes, l.settled, l.settleAt, l.peak = 0, 0, inflight-1, inflight
		l.limited.Store(true)
	case refused:
		if l.settled <= l.settleAt {
			return // a refusal of the round that was already cut for
		}
		l.limit = max(l.limit/2, 1)
		l.successes, l.settled, l.settleAt = 0, 0, inflight-1
	case class == "":
		l.successes++
		if l.successes < l.limit {
			return
		}
		l.successes = 0
		l.limit++
		if l.refusals == 0 && l.limit > 2*l.peak {
			l.limited.Store(false)
		}
	}
}

// record adds a result to the refusal window; mu held.
func (l *limiter) record(refused bool) {
	if l.n == len(l.recent) {
		if l.recent[l.next] {
			l.refusals--
		}
	} else {
		l.n++
	}
	l.recent[l.next] = refused
	l.next = (l.next + 1) % len(l.recent)
	if refused {
		l.refusals++
	}
}

// mostlyRefused reports whether most of the target's recent requests were
// refused: then, and only then, is a rate limit worth cooling the whole link
// for. Without a limiter (breakers disabled) there is nothing to shed with,
// and it reports true.
func (l *limiter) mostlyRefused() bool {
	if l == nil {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.refusals >= minRefusals && 2*l.refusals > l.n
}

// overLimit is the error a skipped attempt records.
func (l *limiter) overLimit() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return fmt.Errorf("%w: %d requests in flight, its adaptive limit after rate limiting", errOverLimit, l.limit)
}

var errOverLimit = errors.New("over capacity")

// snapshot is the current limit, 0 when none applies, and the requests in
// flight.
func (l *limiter) snapshot() (limit, inflight int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.limited.Load() {
		limit = l.limit
	}
	return limit, int(l.inflight.Load())
}
