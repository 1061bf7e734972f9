package eval

import (
	"context"
	"testing"

	"github.com/llmfall/llmfall/judge"
)

// The estimate counts the judge calls a run makes: one per rubric verdict
// and canary, two per consistent verdict (the judge asks in both orders),
// for every member of a panel. The run's judges are the real model judge
// and panel over counting fakes.
func TestEstimateCountsTheCallsARunMakes(t *testing.T) {
	s := suiteOf(t, 3, `{type: judge, rubric: "mentions ticket"}`, `{type: consistent}`)
	const canaryCount = 2
	tests := []struct {
		name    string
		members []string
	}{
		{name: "single judge", members: []string{"x"}},
		{name: "panel of three", members: []string{"x", "y", "z"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fs := map[string]*fakeProvider{}
			var links [][]judge.Link
			for _, name := range tc.members {
				fs[name] = &fakeProvider{answer: verdictJSON(true, 0.9)}
				links = append(links, []judge.Link{{Provider: name, Model: "gpt-4.1", Client: fs[name]}})
			}
			var j judge.Judge
			var err error
			if len(links) == 1 {
				j, err = judge.New(judge.Config{Chain: links[0]})
			} else {
				var ms []judge.Member
				for i, l := range links {
					ms = append(ms, judge.Member{Name: tc.members[i], Chain: l})
				}
				j, err = judge.NewPanel(judge.PanelConfig{Members: ms})
			}
			if err != nil {
				t.Fatal(err)
			}
			plan := mustPlan(t, s, PlanOptions{Depth: 3})
			models := make([]string, len(tc.members))
			for i := range models {
				models[i] = "gpt-4.1"
			}
			e := plan.Estimate(EstimateOptions{Prices: Prices(nil).WithDefaults(), JudgeModels: models, Canaries: canaryCount})

			ps, _ := fakes(echo)
			rs, err := Run(context.Background(), plan, RunOptions{Providers: ps, Judge: j, Canaries: canaryCount, Retries: -1})
			if err != nil {
				t.Fatal(err)
			}
			if rs.Summary.Errored != 0 || rs.Summary.Judge.Canaries == nil || rs.Summary.Judge.Canaries.Judged != canaryCount {
				t.Fatalf("summary = %+v, judge %+v; want every case graded and %d canaries judged", rs.Summary, rs.Summary.Judge, canaryCount)
			}
			var calls int
			for _, f := range fs {
				calls += int(f.calls.Load())
			}
			// 9 rubric verdicts and 2 canaries, 6 consistent verdicts
			// asked twice: 23 per judge.
			if want := 23 * len(tc.members); calls != want {
				t.Errorf("the run made %d judge calls; want %d", calls, want)
			}
			if e.JudgeCalls != calls {
				t.Errorf("Estimate().JudgeCalls = %d; the run made %d", e.JudgeCalls, calls)
			}
		})
	}
}
