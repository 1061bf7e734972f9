package eval

import (
	"fmt"
	"testing"
)

// Each comparison holds its own prompt × link's cases only: a regression
// of one prompt on a link is not charged to another prompt on that link,
// nor to the same prompt on another provider serving a model of the same
// name.
func TestPairedGateKeepsCellsApart(t *testing.T) {
	head, base := &Results{}, &Results{}
	for _, cell := range []struct {
		prompt, provider string
		regress          bool
	}{{"p", "a", true}, {"q", "a", false}, {"p", "b", false}} {
		for i := range 10 {
			r := Result{Prompt: cell.prompt, Test: fmt.Sprintf("t%02d", i), Provider: cell.provider, Model: "m", Pass: true, Score: 1}
			h := r
			if cell.regress {
				h.Pass, h.Score = false, 0
			}
			base.Results = append(base.Results, r)
			head.Results = append(head.Results, h)
		}
	}
	head.Summarize()
	base.Summarize()
	g := Gate(head, GateOptions{Baseline: base, Paired: true})
	if len(g.Paired) != 3 {
		t.Fatalf("comparisons = %+v; want one per prompt × link", g.Paired)
	}
	for _, c := range g.Paired {
		regressed := c.Prompt == "p" && c.Provider == "a"
		wantFlips := 0
		if regressed {
			wantFlips = 10
		}
		if c.Pairs != 10 || len(c.Flips) != wantFlips || c.Regressed != regressed {
			t.Errorf("%s @ %s: pairs %d, flips %d, regressed %t; want 10, %d, %t", c.Prompt, c.Provider, c.Pairs, len(c.Flips), c.Regressed, wantFlips, regressed)
		}
	}
	if len(g.Violations) != 1 || g.Violations[0].Prompt != "p" || g.Violations[0].Provider != "a" {
		t.Errorf("violations = %+v; want p @ a alone", g.Violations)
	}
}

// A p-value exactly at α is not below it: 5 flips and no fix give McNemar's
// exact p = 2/2⁵ = 0.0625, which an α of 0.0625 does not call significant.
func TestPairedGatePValueAtAlpha(t *testing.T) {
	head, base := pairedRuns(10, 5, 0)
	for _, tc := range []struct {
		alpha     float64
		regressed bool
	}{{0.0625, false}, {0.07, true}} {
		g := Gate(head, GateOptions{Baseline: base, Paired: true, Alpha: tc.alpha})
		if c := g.Paired[0]; c.PValue != 0.0625 || c.Regressed != tc.regressed {
			t.Errorf("alpha %v: p = %v, regressed %t; want 0.0625, %t", tc.alpha, c.PValue, c.Regressed, tc.regressed)
		}
	}
}
