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
	if _, err := Run(context.Background(), plan, RunOptions{Providers: ps, Judge: &fakeJudge{}, Cache: cache, JudgeID: "fake", Retries: -1, Canaries: 2}); err != nil {
		t.Fatal(err)
	}
	before := plan.Estimate(EstimateOptions{Prices: Prices(nil).WithDefaults(), Canaries: 2})
	e := plan.Estimate(EstimateOptions{Prices: Prices(nil).WithDefaults(), Cache: cache, JudgeID: "fake", Canaries: 2})
	if e.Cached != len(plan.Cases) || len(e.Calls) != 0 || e.CandidateCostUSD != 0 {
		t.Errorf("cached estimate = %+v; want all %d answers cached, no call", e, len(plan.Cases))
	}
	if e.JudgeCalls != 0 || e.CachedJudge != before.JudgeCalls {
		t.Errorf("judge calls = %d, cached %d; want 0 and the uncached estimate's %d", e.JudgeCalls, e.CachedJudge, before.JudgeCalls)
	}
	plain := plan.Estimate(EstimateOptions{Prices: Prices(nil).WithDefaults()})
	if other := plan.Estimate(EstimateOptions{Prices: Prices(nil).WithDefaults(), Cache: cache, JudgeID: "other"}); other.Cached != len(plan.Cases) || other.JudgeCalls != plain.JudgeCalls {
		t.Errorf("another judge: %d cached answers, %d judge calls; want %d and %d (its verdicts are not cached)", other.Cached, other.JudgeCalls, len(plan.Cases), plain.JudgeCalls)
	}
	// A test the run did not have is a call, its verdicts too.
	more := mustPlan(t, suiteOf(t, 3, `{type: judge, rubric: "ok"}`, `{type: consistent}`), PlanOptions{Depth: 2})
	if e := more.Estimate(EstimateOptions{Prices: Prices(nil).WithDefaults(), Cache: cache, JudgeID: "fake", Canaries: 2}); e.Cached != len(plan.Cases) || e.Calls["a"]+e.Calls["b"] != 2 || e.JudgeCalls != 3 {
		t.Errorf("one more test: %d cached, calls %v, %d judge calls; want %d, one per link, 3", e.Cached, e.Calls, e.JudgeCalls, len(plan.Cases))
	}
}
