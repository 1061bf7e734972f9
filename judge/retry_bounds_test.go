package judge

import (
	"context"
	"testing"
	"time"

	"github.com/llmfall/llmfall/provider"
)

// A judge link that keeps failing is tried retry.max more times, no more,
// then the next judge answers.
func TestJudgeRetriesRunOut(t *testing.T) {
	server := &provider.Error{Provider: "anthropic", Status: 500, Class: provider.ClassServer}
	calls := 0
	first := &fakeJudge{name: "anthropic", reply: func(req *provider.Request) (*provider.Response, error) {
		calls++
		if calls > 10 { // a runaway retry loop ends here, and fails the test below
			return answers(0.9, true)(req)
		}
		return nil, server
	}}
	second := &fakeJudge{name: "gemini", reply: answers(0.9, true)}
	var waits int
	j, err := New(Config{Chain: chain(first, second), Retry: provider.Retry{Max: 2, WaitMin: time.Millisecond},
		sleep: func(context.Context, time.Duration) error { waits++; return nil }})
	if err != nil {
		t.Fatal(err)
	}
	v, err := j.Rubric(context.Background(), RubricInput{Prompt: "p", Output: "o", Rubric: "r"})
	if err != nil || v.Judge != "gemini/gemini-judge" || calls != 3 || waits != 2 {
		t.Errorf("Rubric() = judge %q, %v after %d calls and %d waits; want gemini after 3 calls and 2 waits", v.Judge, err, calls, waits)
	}
}
