package eval

import (
	"context"
	"testing"
)

// After a run filled the cache, a dry run of the same plan counts every
// answer and verdict as cached: no call to pay, neither an answer nor a
// judge's.
func TestEstimateCountsWhatTheCacheAnswers(t *testing.T) {
	s := suiteOf(t, 2, `{type: judge, rubric: "ok"}`, `{type: consistent}`)
	cache, err := OpenCache(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ps, _ := fakes(modelAnswers)
	plan := mustPlan(t, s, PlanOptions{Depth: 2})
	if _, err := Run(context.Background(), plan, RunOptions{Providers: ps, Judge: &fakeJudge{}, Cache: cache, JudgeID: "fake", Retries: -1}); err != nil {
		t.Fatal(err)
	}
	before := plan.Estimate(EstimateOptions{Prices: Prices(nil).WithDefaults()})
	e := plan.Estimate(EstimateOptions{Prices: Prices(nil).WithDefaults(), Cache: cache, JudgeID: "fake"})
	if e.Cached != len(plan.Cases) || len(e.Calls) != 0 || e.CandidateCostUSD != 0 {
		t.Errorf("cached estimate = %+v; want all %d answers cached, no call", e, len(plan.Cases))
	}
	if e.JudgeCalls != 0 || e.CachedJudge != before.JudgeCalls {
		t.Errorf("judge calls = %d, cached %d; want 0 and the uncached estimate's %d", e.JudgeCalls, e.CachedJudge, before.JudgeCalls)
	}
	if other := plan.Estimate(EstimateOptions{Prices: Prices(nil).WithDefaults(), Cache: cache, JudgeID: "other"}); other.Cached != len(plan.Cases) || other.JudgeCalls != before.JudgeCalls {
		t.Errorf("another judge: %d cached answers, %d judge calls; want %d and %d (its verdicts are not cached)", other.Cached, other.JudgeCalls, len(plan.Cases), before.JudgeCalls)
	}
}
