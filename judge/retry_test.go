package judge

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/llmfall/llmfall/provider"
)

// TestRubricRetryPolicy checks that the judge chain asks the shared retry
// policy whether to try a failed link again before the next one takes over.
func TestRubricRetryPolicy(t *testing.T) {
	limited := &provider.Error{Provider: "anthropic", Status: 429, Class: provider.ClassRateLimited, RetryAfter: time.Second}
	timeout := &provider.Error{Provider: "anthropic", Class: provider.ClassTimeout, Message: "context deadline exceeded"}
	tests := []struct {
		name      string
		retry     provider.Retry
		err       error
		wantJudge string
		wantWaits []time.Duration
	}{
		{"zero policy moves on at once", provider.Retry{}, limited, "gemini/gemini-judge", nil},
		{"a short retry-after is waited out", provider.Retry{RetryAfterMaxWait: 2 * time.Second}, limited, "anthropic/anthropic-judge", []time.Duration{time.Second}},
		{"a long one moves on", provider.Retry{RetryAfterMaxWait: 500 * time.Millisecond}, limited, "gemini/gemini-judge", nil},
		{"a timeout is never retried", provider.Retry{Max: 2}, timeout, "gemini/gemini-judge", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			calls := 0
			first := &fakeJudge{name: "anthropic", reply: func(req *provider.Request) (*provider.Response, error) {
				calls++
				if calls == 1 {
					return nil, tc.err
				}
				return answers(0.9, true)(req)
			}}
			second := &fakeJudge{name: "gemini", reply: answers(0.9, true)}
			var waits []time.Duration
			j, err := New(Config{Chain: chain(first, second), Retry: tc.retry, sleep: func(ctx context.Context, d time.Duration) error {
				waits = append(waits, d)
				return nil
			}})
			if err != nil {
				t.Fatal(err)
			}
			v, err := j.Rubric(context.Background(), RubricInput{Prompt: "p", Output: "o", Rubric: "r"})
			if err != nil {
				t.Fatalf("Rubric() error = %v", err)
			}
			if v.Judge != tc.wantJudge {
				t.Errorf("Judge = %q; want %q", v.Judge, tc.wantJudge)
			}
			if diff := cmp.Diff(tc.wantWaits, waits); diff != "" {
				t.Errorf("waits (-want +got):\n%s", diff)
			}
		})
	}
}
