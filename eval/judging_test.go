package eval

import (
	"context"
	"errors"
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/llmfall/llmfall/judge"
)

// tallyJudge answers rubrics as one model and pairs as another; pairs for
// provider b fail and pairs for provider c flip under the swap.
type tallyJudge struct{}

func (tallyJudge) Rubric(ctx context.Context, in judge.RubricInput) (judge.Verdict, error) {
	return judge.Verdict{Pass: true, Score: 1, Judge: "anthropic/judge-model", CostUSD: 0.001}, nil
}

func (tallyJudge) Consistent(ctx context.Context, in judge.PairInput) (judge.Verdict, error) {
	if in.CandidateProvider == "b" {
		return judge.Verdict{}, errors.New("judge unavailable")
	}
	return judge.Verdict{Pass: true, Score: 0.5, Judge: "openai/pair-model", Inconsistent: true, CostUSD: 0.002}, nil
}

func TestRunReportsTheJudge(t *testing.T) {
	s := suiteOf(t, 2, `{type: judge, rubric: "ticket"}`, `{type: consistent}`)
	cache, err := OpenCache(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	run := func() *Results {
		ps, _ := fakes(echo)
		rs, err := Run(context.Background(), mustPlan(t, s, PlanOptions{Depth: 3}),
			RunOptions{Providers: ps, Judge: tallyJudge{}, Cache: cache, JudgeID: "tally", Retries: -1})
		if err != nil {
			t.Fatal(err)
		}
		return rs
	}
	first := run()
	want := &JudgeSummary{
		Models:   map[string]int{"anthropic/judge-model": 6, "openai/pair-model": 2},
		Verdicts: 8, Errors: 2, Pairwise: 2, Inconsistent: 2, InconsistencyRate: 1,
		CostUSD: 6*0.001 + 2*0.002,
	}
	if diff := cmp.Diff(want, first.Summary.Judge, cmp.Comparer(approx)); diff != "" {
		t.Errorf("judge summary (-want +got):\n%s", diff)
	}
	var generation float64
	for _, r := range first.Results {
		generation += r.CostUSD
	}
	if got := first.Summary.CostUSD - generation; !approx(got, 0.010) {
		t.Errorf("summary cost - generation cost = %v; want the judge's 0.010", got)
	}
	// An inconsistent verdict never passes, and a judge error leaves the
	// case errored rather than failed.
	if first.Summary.Errored != 2 || first.Summary.Failed != 2 {
		t.Errorf("errored, failed = %d, %d; want 2 (b's pairs), 2 (c's flipped pairs)", first.Summary.Errored, first.Summary.Failed)
	}

	second := run()
	if j := second.Summary.Judge; j.Cached != 8 || !approx(j.CostUSD, 0) || j.Errors != 2 {
		t.Errorf("second run judge = %+v; want 8 cached verdicts costing nothing, errors asked again", j)
	}
	want = &JudgeSummary{Models: map[string]int{"heuristic": 3}, Verdicts: 3, Pairwise: 1, Inconsistent: 1, InconsistencyRate: 1}
	line := "judge: heuristic (3) · 0 errors · 1 of 1 pairwise verdicts flipped when swapped (100%) · the heuristic measures word overlap, not quality"
	if got := want.String(); got != line {
		t.Errorf("String() = %q; want %q", got, line)
	}
}

func approx(a, b float64) bool { return math.Abs(a-b) < 1e-9 }
