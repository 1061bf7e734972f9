package eval

import (
	"regexp"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/llmfall/llmfall/provider"
)

func caseNames(p *Plan) []string {
	var out []string
	for _, c := range p.Cases {
		mark := ""
		if c.Primary {
			mark = "*"
		}
		out = append(out, c.Name()+"@"+c.Target.Provider+mark)
	}
	return out
}

func TestNewPlan(t *testing.T) {
	s := suiteOf(t, 2, `{type: contains, value: "ticket"}`)
	tests := []struct {
		name string
		opts PlanOptions
		want []string
	}{
		{"default depth", PlanOptions{}, []string{"p/t0@a*", "p/t0@b", "p/t1@a*", "p/t1@b"}},
		{"depth 1", PlanOptions{Depth: 1}, []string{"p/t0@a*", "p/t1@a*"}},
		{"depth past the chain", PlanOptions{Depth: 9}, []string{"p/t0@a*", "p/t0@b", "p/t0@c", "p/t1@a*", "p/t1@b", "p/t1@c"}},
		{"named providers", PlanOptions{Providers: []string{"c", "b"}}, []string{"p/t0@b*", "p/t0@c", "p/t1@b*", "p/t1@c"}},
		{"filter", PlanOptions{Filter: regexp.MustCompile(`/t1$`)}, []string{"p/t1@a*", "p/t1@b"}},
		{"repeat", PlanOptions{Depth: 1, Repeat: 2}, []string{"p/t0@a*", "p/t0@a*", "p/t1@a*", "p/t1@a*"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := mustPlan(t, s, tc.opts)
			if diff := cmp.Diff(tc.want, caseNames(p)); diff != "" {
				t.Errorf("cases (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("positions are chain positions", func(t *testing.T) {
		p := mustPlan(t, s, PlanOptions{Providers: []string{"c"}})
		if c := p.Cases[0]; c.Position != 2 || c.Target.Model != "gemini-2.5-flash" {
			t.Errorf("case = %+v; want position 2 on gemini-2.5-flash", c)
		}
	})
	t.Run("unknown provider", func(t *testing.T) {
		_, err := NewPlan(s, PlanOptions{Chain: chains(threeLinks), Providers: []string{"d"}})
		if want := `provider "d" is in none of the planned chains`; err == nil || err.Error() != want {
			t.Errorf("NewPlan error = %v; want %q", err, want)
		}
	})
	t.Run("unknown category", func(t *testing.T) {
		_, err := NewPlan(s, PlanOptions{Chain: chains(map[string][]provider.Target{})})
		if err == nil {
			t.Error("NewPlan succeeded; want an error for a category without a chain")
		}
	})
}

func TestEstimate(t *testing.T) {
	s := suiteOf(t, 2, `{type: judge, rubric: "ok"}`, `{type: consistent}`)
	p := mustPlan(t, s, PlanOptions{})
	e := p.Estimate(EstimateOptions{Prices: Prices(nil).WithDefaults()})
	if diff := cmp.Diff(map[string]int{"a": 2, "b": 2}, e.Calls); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	// 4 rubric calls, and a pair call for each fallback link.
	if e.JudgeCalls != 6 {
		t.Errorf("judge calls = %d; want 6", e.JudgeCalls)
	}
	if e.CostUSD <= 0 || e.OutputTokens < 4*DefaultOutputTokens {
		t.Errorf("estimate = %+v; want a positive cost and at least the answers' tokens", e)
	}
}

func TestPricesLookup(t *testing.T) {
	p := Prices{"my-model": {Input: 1, Output: 2}}.WithDefaults()
	tests := []struct {
		model string
		want  Price
		ok    bool
	}{
		{"my-model", Price{Input: 1, Output: 2}, true},
		{"gpt-4.1-mini-2025-04-14", DefaultPrices["gpt-4.1-mini"], true},
		{"gpt-4.1-2025-04-14", DefaultPrices["gpt-4.1"], true},
		{"claude-3-5-haiku-latest", DefaultPrices["claude-3-5-haiku"], true},
		{"llama3", Price{}, false},
	}
	for _, tc := range tests {
		got, ok := p.Lookup(tc.model)
		if got != tc.want || ok != tc.ok {
			t.Errorf("Lookup(%q) = %v, %v; want %v, %v", tc.model, got, ok, tc.want, tc.ok)
		}
	}
}

// A panel multiplies the judge calls, canaries add theirs, and the judge's
// cost is kept apart from the answers'.
func TestEstimatePanelAndCanaries(t *testing.T) {
	s := suiteOf(t, 2, `{type: judge, rubric: "ok"}`, `{type: consistent}`)
	p := mustPlan(t, s, PlanOptions{})
	prices := Prices(nil).WithDefaults()
	single := p.Estimate(EstimateOptions{Prices: prices, JudgeModels: []string{"gpt-4.1"}})
	e := p.Estimate(EstimateOptions{Prices: prices, JudgeModels: []string{"gpt-4.1", "claude-sonnet-4-5"}, Canaries: 2})
	// (4 rubric + 2 pair verdicts asked twice + 2 canaries) × 2 judges.
	if e.JudgeCalls != 20 {
		t.Errorf("judge calls = %d; want 20", e.JudgeCalls)
	}
	if !approx(e.CandidateCostUSD, single.CandidateCostUSD) || e.JudgeCostUSD <= 2*single.JudgeCostUSD ||
		!approx(e.CostUSD, e.CandidateCostUSD+e.JudgeCostUSD) || single.JudgeCostUSD <= 0 {
		t.Errorf("estimate = %+v; single judge %+v: want the same answers' cost and over twice the judge's", e, single)
	}
}
