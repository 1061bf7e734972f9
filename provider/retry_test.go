package provider

import (
	"errors"
	"testing"
	"time"
)

// half is a Rand that always draws the middle, so that jittered waits are
// exactly the unjittered ones.
func half(n int64) int64 { return n / 2 }

func TestRetryNext(t *testing.T) {
	rateLimited := func(after time.Duration) error {
		return &Error{Provider: "a", Status: 429, Class: ClassRateLimited, RetryAfter: after}
	}
	overloaded := &Error{Provider: "a", Status: 503, Class: ClassOverloaded, RetryAfter: time.Second}
	server := &Error{Provider: "a", Status: 500, Class: ClassServer}
	refused := &Error{Provider: "a", Class: ClassNetwork, Message: "connection refused"}
	timeout := &Error{Provider: "a", Class: ClassTimeout, Message: "attempt timeout 10s exceeded"}
	engine := Retry{Max: 2, WaitMin: 100 * time.Millisecond, RetryAfterMaxWait: 2 * time.Second, Rand: half}
	tests := []struct {
		name   string
		p      Retry
		n      int
		err    error
		budget time.Duration
		want   time.Duration
		ok     bool
	}{
		{"zero policy never retries", Retry{}, 0, server, 0, 0, false},
		{"server error backs off", engine, 0, server, 0, 100 * time.Millisecond, true},
		{"backoff doubles", engine, 1, refused, 0, 200 * time.Millisecond, true},
		{"retries run out", engine, 2, server, 0, 0, false},
		{"timeout is never retried", engine, 0, timeout, 0, 0, false},
		{"auth is never retried", engine, 0, &Error{Class: ClassAuth}, 0, 0, false},
		{"short retry-after is waited out", engine, 0, rateLimited(time.Second), 0, time.Second, true},
		{"503 retry-after too", engine, 0, overloaded, 0, time.Second, true},
		{"long retry-after moves on", engine, 0, rateLimited(3 * time.Second), 0, 0, false},
		{"retry-after beyond the budget moves on", engine, 0, rateLimited(time.Second), time.Second, 0, false},
		{"retry-after within the budget", engine, 0, rateLimited(time.Second), 1500 * time.Millisecond, time.Second, true},
		{"retry-after waited once with no retries", Retry{RetryAfterMaxWait: time.Second}, 0, rateLimited(time.Second), 0, time.Second, true},
		{"then moves on", Retry{RetryAfterMaxWait: time.Second}, 1, rateLimited(time.Second), 0, 0, false},
		{"retry-after off by default", Retry{Max: 3}, 0, rateLimited(time.Second), 0, 0, false},
		{"rate limit without retry-after backs off", engine, 0, rateLimited(0), 0, 100 * time.Millisecond, true},
		{"backoff beyond the budget moves on", engine, 0, server, 50 * time.Millisecond, 0, false},
		{"custom check", Retry{Max: 1, CheckRetry: func(err error) bool { return true }}, 0, timeout, 0, 0, true},
		{"custom backoff", Retry{Max: 1, Backoff: func(_, _ time.Duration, retry int, _ func(int64) int64) time.Duration { return 7 * time.Second }}, 0, server, 0, 7 * time.Second, true},
		{"unplaced error is not retried", engine, 0, errors.New("boom"), 0, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := tc.p.Next(tc.n, tc.err, tc.budget)
			if got != tc.want || ok != tc.ok {
				t.Errorf("Next(%d, %v, %v) = %v, %v; want %v, %v", tc.n, tc.err, tc.budget, got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestDefaultBackoff(t *testing.T) {
	low := func(int64) int64 { return 0 }
	high := func(n int64) int64 { return n - 1 }
	tests := []struct {
		name     string
		min, max time.Duration
		retry    int
		rnd      func(int64) int64
		want     time.Duration
	}{
		{"first, low jitter", time.Second, time.Minute, 0, low, 500 * time.Millisecond},
		{"first, high jitter", time.Second, time.Minute, 0, high, 1500*time.Millisecond - 1},
		{"third, middle", time.Second, time.Minute, 2, half, 4 * time.Second},
		{"capped", time.Second, time.Minute, 20, high, time.Minute},
		{"huge retry, no cap, no overflow", time.Second, 0, 1000, half, time.Second << 31},
		{"zero min", 0, time.Minute, 3, half, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := DefaultBackoff(tc.min, tc.max, tc.retry, tc.rnd); got != tc.want {
				t.Errorf("DefaultBackoff(%v, %v, %d) = %v; want %v", tc.min, tc.max, tc.retry, got, tc.want)
			}
		})
	}
}
