package eval

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/llmfall/llmfall/judge"
)

// downJudge fails every call, as a judge whose provider is down does.
type downJudge struct{}

func (downJudge) Rubric(context.Context, judge.RubricInput) (judge.Verdict, error) {
	return judge.Verdict{}, errors.New("judge unavailable")
}

func (downJudge) Consistent(context.Context, judge.PairInput) (judge.Verdict, error) {
	return judge.Verdict{}, errors.New("judge unavailable")
}

// A run whose every judge call failed still reports the judge, with its
// errors: the report must not read as if no judge had been asked.
func TestJudgeSummaryWhenNoJudgeAnswered(t *testing.T) {
	s := suiteOf(t, 2, `{type: judge, rubric: "mentions ticket"}`)
	ps, _ := fakes(echo)
	rs, err := Run(context.Background(), mustPlan(t, s, PlanOptions{Depth: 1}), RunOptions{Providers: ps,
		Judge: downJudge{}, Retries: -1})
	if err != nil {
		t.Fatal(err)
	}
	js := rs.Summary.Judge
	if js == nil || js.Errors != 2 || js.Verdicts != 0 {
		t.Fatalf("judge summary = %+v; want 2 errors, no verdict", js)
	}
	if line := js.String(); line != "judge: none answered · 2 errors" {
		t.Errorf("judge line = %q; want none answered and 2 errors", line)
	}
}

// Without pairwise verdicts there is no inconsistency to rate: 0, never
// the NaN of 0/0, which no results document could hold.
func TestJudgeSummaryWithoutPairwiseVerdicts(t *testing.T) {
	s := suiteOf(t, 1, `{type: judge, rubric: "mentions ticket"}`)
	ps, _ := fakes(echo)
	rs, err := Run(context.Background(), mustPlan(t, s, PlanOptions{Depth: 1}), RunOptions{Providers: ps,
		Judge: &fakeJudge{}, Retries: -1})
	if err != nil {
		t.Fatal(err)
	}
	if js := rs.Summary.Judge; js == nil || js.Pairwise != 0 || js.InconsistencyRate != 0 {
		t.Errorf("judge summary = %+v; want no pairwise verdict, rate 0", js)
	}
	if err := rs.WriteFile(t.TempDir() + "/results.json"); err != nil {
		t.Errorf("WriteFile() = %v", err)
	}
}

// The judge line lists the judge models by how many verdicts each gave,
// most first.
func TestJudgeLineOrdersModelsByVerdicts(t *testing.T) {
	s := &JudgeSummary{Models: map[string]int{"a/few": 1, "b/most": 3, "c/some": 2}, Verdicts: 6, Errors: 1}
	want := "judge: b/most (3), c/some (2), a/few (1) · 1 error"
	if got := s.String(); got != want {
		t.Errorf("String() = %q; want %q", got, want)
	}
	s.Pairwise, s.Inconsistent, s.InconsistencyRate = 4, 1, 0.25
	want = "judge: b/most (3), c/some (2), a/few (1) · 1 error · 1 of 4 pairwise verdicts flipped when swapped (25%)"
	if got := s.String(); got != want {
		t.Errorf("String() = %q; want %q", got, want)
	}
	if !strings.Contains((&JudgeSummary{Models: map[string]int{judge.HeuristicName: 1}}).String(), "word overlap, not quality") {
		t.Error("a heuristic-judged run's line must say what the heuristic measures")
	}
}
