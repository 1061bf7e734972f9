package provider

import (
	"context"
	"math/rand/v2"
	"time"
)

// The retry policy lives here, in the ground package, because all three of
// its users may import it: the fallback engine, eval (which calls each link
// directly) and judge (which may not import fallback). Each asks Retry.Next
// instead of keeping rules of its own.

// CheckRetry reports whether a call that failed with err may succeed if the
// same link is asked again soon.
type CheckRetry func(err error) bool

// DefaultCheckRetry retries the fast, passing failures: rate limits,
// overload, server errors and network errors (a refused or reset
// connection). It never retries a timeout: the timeout already spent that
// link's budget, and a silent upstream would be waited on twice. Auth, an
// unknown model, a bad or too long request, a content filter refusal and a
// malformed answer would fail the same way again.
func DefaultCheckRetry(err error) bool {
	switch ClassOf(err) {
	case ClassRateLimited, ClassOverloaded, ClassServer, ClassNetwork:
		return true
	}
	return false
}

// Backoff is the wait before retry number retry (0 for the first) of a link
// after a fast error that named no wait of its own. rnd(n) returns a uniform
// value in [0, n); it is the policy's only source of randomness.
type Backoff func(min, max time.Duration, retry int, rnd func(n int64) int64) time.Duration

// DefaultBackoff doubles min for each retry, jitters it by ±50% so that
// callers who failed together do not retry together, and caps it at max
// (no cap when max is 0).
func DefaultBackoff(min, max time.Duration, retry int, rnd func(n int64) int64) time.Duration {
	d := min
	for i := 0; i < retry && d > 0 && d < 1<<60 && (max <= 0 || d < max); i++ {
		d *= 2
	}
	if max > 0 && d > max {
		d = max
	}
	if d <= 0 {
		return 0
	}
	d = d/2 + time.Duration(rnd(int64(d)))
	if max > 0 && d > max {
		d = max
	}
	return d
}

// Retry is llmfall's one retry policy: which failures of a link are tried
// again on the same link, after what wait, and when to move on. Its zero
// value never retries.
type Retry struct {
	// Max is how many times a link is retried after a fast error (see
	// CheckRetry). 0 moves on at once.
	Max int
	// WaitMin is the backoff before the first retry; WaitMax caps every
	// backoff (0: no cap).
	WaitMin, WaitMax time.Duration
	// RetryAfterMaxWait is the longest wait a provider may name
	// (Retry-After, Gemini's retryDelay) that is waited out on the same
	// link, up to max(Max, 1) times; a longer one moves on at once. 0 (the
	// default) moves on at once whatever the provider names.
	RetryAfterMaxWait time.Duration
	// CheckRetry decides which errors may be retried; nil means
	// DefaultCheckRetry.
	CheckRetry CheckRetry
	// Backoff computes waits for errors that named none; nil means
	// DefaultBackoff.
	Backoff Backoff
	// Rand jitters backoffs: Rand(n) is uniform in [0, n). nil means
	// math/rand/v2's Int64N. It must be safe for concurrent use.
	Rand func(n int64) int64
}

// Next decides what follows try number n (0 for the first try) of a link
// that failed with err: wait d, then try the same link again (ok), or move
// on at once. budget is the time left for the whole call, and a wait that
// would use it all moves on instead; budget <= 0 means no limit.
func (p *Retry) Next(n int, err error, budget time.Duration) (d time.Duration, ok bool) {
	if n >= p.Max && (p.RetryAfterMaxWait <= 0 || n >= max(p.Max, 1)) {
		// Nothing left to allow, whatever err is: skip classifying it,
		// which costs allocations on the engine's failover path.
		return 0, false
	}
	check := p.CheckRetry
	if check == nil {
		check = DefaultCheckRetry
	}
	if err == nil || !check(err) {
		return 0, false
	}
	if named := RetryAfterOf(err); named > 0 {
		if named > p.RetryAfterMaxWait || n >= max(p.Max, 1) {
			return 0, false
		}
		d = named
	} else {
		if n >= p.Max {
			return 0, false
		}
		backoff, rnd := p.Backoff, p.Rand
		if backoff == nil {
			backoff = DefaultBackoff
		}
		if rnd == nil {
			rnd = rand.Int64N
		}
		d = backoff(p.WaitMin, p.WaitMax, n, rnd)
	}
	if budget > 0 && d >= budget {
		return 0, false
	}
	return d, true
}

// Sleep waits d on a real timer, or until ctx ends, whose error it then
// returns. It is the default wait of every user of Retry; tests and
// simulations inject their own.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
