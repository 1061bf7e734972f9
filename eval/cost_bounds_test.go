package eval

import (
	"strings"
	"testing"

	"github.com/llmfall/llmfall/provider"
)

// costSuite is one prompt of two tests, "ticket 0" and "ticket 1" (8
// characters: 2 tokens each), with params and asserts as given.
func costSuite(t *testing.T, params, assert string) *Suite {
	t.Helper()
	yaml := "name: p\ncategory: fast\nprompt: \"ticket {{.id}}\"\n" + params + "tests:\n" +
		"  - {name: t0, vars: {id: \"0\"}, assert: [" + assert + "]}\n" +
		"  - {name: t1, vars: {id: \"1\"}, assert: [" + assert + "]}\n"
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"p.yaml": yaml})
	s, err := LoadSuite([]string{dir}, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var oneLink = map[string][]provider.Target{"fast": {{Provider: "a", Model: "m"}}}

// A dry run's tokens and cost are what the answers and the verdicts will
// take: a prompt's characters over four, rounded up, max_tokens (or the
// default) for each answer, the rubric and the judge's instructions for
// each verdict.
func TestEstimateTokensAndCost(t *testing.T) {
	prices := Prices{"m": {Input: 1, Output: 2}, "j": {Input: 3, Output: 5}}
	t.Run("answers", func(t *testing.T) {
		p := mustPlan(t, costSuite(t, "", `{type: contains, value: "ticket"}`), PlanOptions{Chain: chains(oneLink)})
		e := p.Estimate(EstimateOptions{Prices: prices})
		if e.InputTokens != 4 || e.OutputTokens != 2*DefaultOutputTokens || e.JudgeCalls != 0 || e.Calls["a"] != 2 {
			t.Errorf("estimate = %+v; want 4 tokens in, %d out, 2 calls to a, no judge call", e, 2*DefaultOutputTokens)
		}
		want := prices["m"].Cost(provider.Usage{InputTokens: 4, OutputTokens: 2 * DefaultOutputTokens})
		if !approx(e.CostUSD, want) || !approx(e.CandidateCostUSD, want) || e.JudgeCostUSD != 0 {
			t.Errorf("cost = $%v (answers $%v, judge $%v); want $%v, all the answers'", e.CostUSD, e.CandidateCostUSD, e.JudgeCostUSD, want)
		}
		if len(e.Unpriced) != 0 {
			t.Errorf("unpriced = %v; want none: every model has a price", e.Unpriced)
		}
	})
	t.Run("max_tokens", func(t *testing.T) {
		p := mustPlan(t, costSuite(t, "params: {max_tokens: 50}\n", `{type: contains, value: "ticket"}`), PlanOptions{Chain: chains(oneLink)})
		if e := p.Estimate(EstimateOptions{Prices: prices}); e.OutputTokens != 100 {
			t.Errorf("output tokens = %d; want 2 answers of max_tokens 50", e.OutputTokens)
		}
	})
	t.Run("rubric verdicts", func(t *testing.T) {
		p := mustPlan(t, costSuite(t, "", `{type: judge, rubric: "ok"}`), PlanOptions{Chain: chains(oneLink)})
		e := p.Estimate(EstimateOptions{Prices: prices, JudgeModels: []string{"j"}})
		// A verdict reads the prompt (2), the answer (300), the rubric (1)
		// and the instructions.
		size := 2 + DefaultOutputTokens + 1 + judgeOverheadTokens
		if e.JudgeCalls != 2 || e.InputTokens != 4+2*size || e.OutputTokens != 2*DefaultOutputTokens+2*judgeAnswerTokens {
			t.Errorf("estimate = %+v; want 2 judge calls of %d tokens in, %d out", e, size, judgeAnswerTokens)
		}
		want := 2 * prices["j"].Cost(provider.Usage{InputTokens: size, OutputTokens: judgeAnswerTokens})
		if !approx(e.JudgeCostUSD, want) || !approx(e.CostUSD, e.CandidateCostUSD+want) {
			t.Errorf("judge cost = $%v, total $%v; want $%v and the answers' on top", e.JudgeCostUSD, e.CostUSD, want)
		}
	})
	t.Run("unpriced", func(t *testing.T) {
		// The offline judge ("") costs nothing and is not a model without
		// a price; a link's model without one is named.
		p := mustPlan(t, costSuite(t, "", `{type: judge, rubric: "ok"}`), PlanOptions{Chain: chains(oneLink)})
		if e := p.Estimate(EstimateOptions{Prices: prices}); len(e.Unpriced) != 0 || e.JudgeCalls != 2 || e.JudgeCostUSD != 0 {
			t.Errorf("offline judge: unpriced %q, %d judge calls, $%v; want none, 2, $0", e.Unpriced, e.JudgeCalls, e.JudgeCostUSD)
		}
		e := p.Estimate(EstimateOptions{Prices: Prices{"j": prices["j"]}, JudgeModels: []string{"j"}})
		if strings.Join(e.Unpriced, ",") != "m" || e.CandidateCostUSD != 0 {
			t.Errorf("unpriced = %q, answers $%v; want [m] at $0", e.Unpriced, e.CandidateCostUSD)
		}
	})
}

// A pairwise (consistent) verdict by a model asks twice, in both orders;
// the offline judge asks once.
func TestEstimatePairwiseAsksTwice(t *testing.T) {
	two := map[string][]provider.Target{"fast": {{Provider: "a", Model: "m"}, {Provider: "b", Model: "m"}}}
	p := mustPlan(t, costSuite(t, "", `{type: consistent}`), PlanOptions{Chain: chains(two), Depth: 2})
	prices := Prices{"m": {Input: 1, Output: 2}, "j": {Input: 3, Output: 5}}
	e := p.Estimate(EstimateOptions{Prices: prices, JudgeModels: []string{"j"}})
	size := 2 + 2*DefaultOutputTokens + judgeOverheadTokens
	want := 2 * 2 * prices["j"].Cost(provider.Usage{InputTokens: size, OutputTokens: judgeAnswerTokens})
	if e.JudgeCalls != 4 || !approx(e.JudgeCostUSD, want) {
		t.Errorf("model judge: %d calls, $%v; want 2 fallback answers × 2 orders = 4, $%v", e.JudgeCalls, e.JudgeCostUSD, want)
	}
	if e := p.Estimate(EstimateOptions{Prices: prices}); e.JudgeCalls != 2 {
		t.Errorf("offline judge: %d calls; want 1 per fallback answer = 2", e.JudgeCalls)
	}
}

// The dry run's text says only what applies: no "0 from the cache", no
// "#1" on a first repeat, no empty lists.
func TestWriteEstimateSaysWhatApplies(t *testing.T) {
	p := mustPlan(t, costSuite(t, "", `{type: contains, value: "ticket"}`), PlanOptions{Chain: chains(oneLink), Repeat: 2})
	var b strings.Builder
	WriteEstimate(&b, p, Estimate{Cases: len(p.Cases), Calls: map[string]int{"a": 4}})
	out := b.String()
	for _, bad := range []string{"from the cache", "cached answers", "no price", "carried", "unchanged", "#1"} {
		if strings.Contains(out, bad) {
			t.Errorf("estimate without cache, carried or unchanged cases says %q:\n%s", bad, out)
		}
	}
	if !strings.Contains(out, "p/t0 @ a/m (link 0) #2") || !strings.Contains(out, "a            4 calls") {
		t.Errorf("estimate lacks the second repeat or the calls:\n%s", out)
	}

	p.Carried, p.Unchanged = make([]Result, 1), 1
	b.Reset()
	WriteEstimate(&b, p, Estimate{Cases: 1, Cached: 1, CachedJudge: 1, CachedCostUSD: 0.5, Unpriced: []string{"m"}})
	out = b.String()
	for _, want := range []string{"(1 answered from the cache)", "(1 more from the cache)", "plus $0.5000 of cached answers",
		"no price for: m", "carried from the baseline: 1 results", "unchanged since the base, not run: 1 cases"} {
		if !strings.Contains(out, want) {
			t.Errorf("estimate lacks %q:\n%s", want, out)
		}
	}
}

// A plan with nothing to run (every prompt unchanged) lists no cases.
func TestWriteEstimateOfAnEmptyPlan(t *testing.T) {
	var b strings.Builder
	WriteEstimate(&b, &Plan{Unchanged: 3}, Estimate{Calls: map[string]int{}})
	if out := b.String(); strings.Contains(out, "cases, and why") || !strings.Contains(out, "not run: 3 cases") {
		t.Errorf("estimate of an empty plan:\n%s", out)
	}
}
