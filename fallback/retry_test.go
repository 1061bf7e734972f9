package fallback

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/llmfall/llmfall/clock"

	"github.com/llmfall/llmfall/provider"
)

// sleeper is a clock that records the engine's waits instead of waiting.
type sleeper struct {
	clock.Clock
	mu    sync.Mutex
	waits []time.Duration
}

func (s *sleeper) Sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.waits = append(s.waits, d)
	return ctx.Err()
}

func (s *sleeper) Waits() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.waits...)
}

func rateLimited(name string, after time.Duration) error {
	return &provider.Error{Provider: name, Status: 429, Class: provider.ClassRateLimited, Message: "scripted rate limit", RetryAfter: after}
}

// TestRetryPolicy walks the engine through the retry policy's cases on
// Complete and on Stream, with the waits recorded rather than slept.
func TestRetryPolicy(t *testing.T) {
	timeout := perr("a", provider.ClassTimeout)
	refused := &provider.Error{Provider: "a", Class: provider.ClassNetwork, Message: "dial tcp 127.0.0.1:1: connect: connection refused"}
	overloaded := &provider.Error{Provider: "a", Status: 503, Class: provider.ClassOverloaded, Message: "scripted overload", RetryAfter: 2 * time.Second}
	tests := []struct {
		name      string
		retries   int
		maxWait   time.Duration
		total     time.Duration
		script    []step
		want      []string
		wantWaits []time.Duration
	}{
		{
			name: "a timeout is never retried on the same link", retries: 2,
			script: []step{{err: timeout}},
			want:   []string{"a:timeout:timeout", "b:ok"},
		},
		{
			name: "connection refused is retried per retries", retries: 2,
			script:    []step{{err: refused}, {err: refused}, {}},
			want:      []string{"a:error:network", "a:error:network", "a:ok"},
			wantWaits: []time.Duration{100 * time.Millisecond, 200 * time.Millisecond},
		},
		{
			name: "retries run out, then the chain moves on", retries: 1,
			script:    []step{{err: refused}},
			want:      []string{"a:error:network", "a:error:network", "b:ok"},
			wantWaits: []time.Duration{100 * time.Millisecond},
		},
		{
			name:   "retry-after moves on at once by default",
			script: []step{{err: rateLimited("a", time.Second)}, {}},
			want:   []string{"a:error:rate_limited", "b:ok"},
		},
		{
			name: "a short retry-after is waited out on the same link", maxWait: 2 * time.Second,
			script:    []step{{err: rateLimited("a", time.Second)}, {}},
			want:      []string{"a:error:rate_limited", "a:ok"},
			wantWaits: []time.Duration{time.Second},
		},
		{
			name: "a 503 retry-after too", maxWait: 2 * time.Second,
			script:    []step{{err: overloaded}, {}},
			want:      []string{"a:error:overloaded", "a:ok"},
			wantWaits: []time.Duration{2 * time.Second},
		},
		{
			name: "after the wait, the chain moves on", maxWait: 2 * time.Second,
			script:    []step{{err: rateLimited("a", time.Second)}},
			want:      []string{"a:error:rate_limited", "a:error:rate_limited", "b:ok"},
			wantWaits: []time.Duration{time.Second},
		},
		{
			name: "a longer retry-after moves on", maxWait: 2 * time.Second,
			script: []step{{err: rateLimited("a", 3*time.Second)}, {}},
			want:   []string{"a:error:rate_limited", "b:ok"},
		},
		{
			name: "a retry-after beyond the total budget moves on", maxWait: 2 * time.Minute, total: time.Minute,
			script: []step{{err: rateLimited("a", 90*time.Second)}, {}},
			want:   []string{"a:error:rate_limited", "b:ok"},
		},
	}
	for _, tc := range tests {
		for _, streaming := range []bool{false, true} {
			name := tc.name + "/complete"
			if streaming {
				name = tc.name + "/stream"
			}
			t.Run(name, func(t *testing.T) {
				cfg := testConfig()
				cfg.BreakerFailures = -1
				cfg.Retries, cfg.RetryBackoff, cfg.RetryAfterMaxWait = tc.retries, 100*time.Millisecond, tc.maxWait
				cfg.Timeouts.Total = tc.total
				cfg.Rand = func(n int64) int64 { return n / 2 }
				s := &sleeper{Clock: clock.Real()}
				cfg.Clock = s
				e := mustNew(t, cfg, newFake("a", tc.script...), newFake("b"), newFake("c"))
				res := runOnce(t, e, streaming)
				if diff := cmp.Diff(tc.want, outcomes(res.Attempts)); diff != "" {
					t.Errorf("attempts (-want +got):\n%s", diff)
				}
				if diff := cmp.Diff(tc.wantWaits, s.Waits()); diff != "" {
					t.Errorf("waits (-want +got):\n%s", diff)
				}
			})
		}
	}
}

// runOnce runs one request to its end, by Complete or by Stream.
func runOnce(t *testing.T, e *Engine, streaming bool) *Result {
	t.Helper()
	if !streaming {
		res, err := e.Complete(context.Background(), userRequest("fast"))
		if err != nil {
			t.Fatalf("Complete() error = %v", err)
		}
		return res
	}
	s, err := e.Stream(context.Background(), userRequest("fast"))
	if err != nil {
		t.Fatalf("Stream() error = %v", err)
	}
	defer s.Close()
	drain(s)
	if err := s.Err(); err != nil {
		t.Fatalf("Stream Err() = %v", err)
	}
	return s.Result()
}
