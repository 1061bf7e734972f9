package judge

import (
	"context"
	"testing"
)

// judge.threshold 1 is valid: only a judge's perfect score passes.
func TestThresholdOneIsValid(t *testing.T) {
	f := &fakeJudge{name: "anthropic", reply: answers(1, true)}
	j, err := New(Config{Chain: chain(f), Threshold: 1})
	if err != nil {
		t.Fatalf("New(threshold 1) error = %v", err)
	}
	v, err := j.Rubric(context.Background(), RubricInput{Prompt: "p", Output: "o", Rubric: "r", CandidateProvider: "openai"})
	if err != nil || !v.Pass {
		t.Errorf("Rubric() = pass %t, %v; want a score of 1 to pass threshold 1", v.Pass, err)
	}
}
