package eval

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// pairedRuns builds a base where all n cases of one cell pass and a head
// where the first flips cases fail and the next fixes cases (failing in
// the base) pass.
func pairedRuns(n, flips, fixes int) (head, base *Results) {
	head, base = &Results{}, &Results{}
	for i := range n {
		r := Result{Prompt: "p", Test: fmt.Sprintf("t%02d", i), Provider: "a", Model: "m", Pass: true, Score: 1}
		b, h := r, r
		switch {
		case i < flips:
			h.Pass, h.Score = false, 0
		case i < flips+fixes:
			b.Pass, b.Score = false, 0
		}
		base.Results = append(base.Results, b)
		head.Results = append(head.Results, h)
	}
	// The gate reads the summary's cells, as a run fills them.
	head.Summarize()
	base.Summarize()
	return head, base
}

func TestPairedGate(t *testing.T) {
	tests := []struct {
		name          string
		flips, fixes  int
		maxRegression float64
		wantPass      bool
		wantP         float64
		wantWords     string
	}{
		{name: "3 flips of 40 is chance", flips: 3, wantPass: true, wantP: 0.25,
			wantWords: "3 of 40 cases went from pass to fail (t00, t01, t02) and 0 from fail to pass; chance alone would give a difference this large with probability 0.25, not below α = 0.05: not a significant regression; the mean score changed by -0.075 (95% interval"},
		{name: "12 flips of 40 is a regression", flips: 12, wantP: 2.0 / 4096,
			wantWords: "chance alone would give a difference this large with probability 0.000488, below α = 0.05: a real regression; the mean score changed by -0.300 (95% interval"},
		{name: "12 flips and 10 fixes cancel", flips: 12, fixes: 10, wantPass: true, wantP: 0.8318119049072266,
			wantWords: "12 of 40 cases went from pass to fail"},
		{name: "no change", wantPass: true, wantP: 1, wantWords: "no case changed its verdict; the mean score changed by +0.000 (95% interval +0.000 to +0.000)"},
		{name: "3 flips exceed max_regression 0.05", flips: 3, maxRegression: 0.05, wantP: 0.25,
			wantWords: "a drop larger than max_regression 0.05"},
		{name: "3 flips within max_regression 0.1", flips: 3, maxRegression: 0.1, wantPass: true, wantP: 0.25},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			head, base := pairedRuns(40, tc.flips, tc.fixes)
			g := Gate(head, GateOptions{Baseline: base, Paired: true, MaxRegression: tc.maxRegression})
			if g.Pass != tc.wantPass {
				t.Errorf("gate pass = %t; want %t (%+v)", g.Pass, tc.wantPass, g.Violations)
			}
			if len(g.Paired) != 1 {
				t.Fatalf("comparisons = %d; want 1", len(g.Paired))
			}
			c := g.Paired[0]
			if !approx(c.PValue, tc.wantP) || c.Pairs != 40 || len(c.Flips) != tc.flips || c.Fixes != tc.fixes {
				t.Errorf("comparison = %+v; want p %v over 40 pairs", c, tc.wantP)
			}
			if !strings.Contains(c.Message, tc.wantWords) {
				t.Errorf("message = %q; want it to contain %q", c.Message, tc.wantWords)
			}
			if !tc.wantPass && (len(g.Violations) != 1 || g.Violations[0].Rule != "paired_regression") {
				t.Errorf("violations = %+v; want one paired_regression", g.Violations)
			}
		})
	}
}

// A paired gate replaces the pass-rate comparison: the rate gate would fail
// 3 flips of 40 with max_regression 0.
func TestPairedGateReplacesRateRegression(t *testing.T) {
	head, base := pairedRuns(40, 3, 0)
	if g := Gate(head, GateOptions{Baseline: base}); g.Pass {
		t.Error("rate gate passed a 7.5% drop with max_regression 0")
	}
	if g := Gate(head, GateOptions{Baseline: base, Paired: true}); !g.Pass {
		t.Errorf("paired gate = %+v; want passed", g.Violations)
	}
}

func TestPairedGateMatchesRepeatsAndSkipsErrors(t *testing.T) {
	base := &Results{Results: []Result{
		{Prompt: "p", Test: "t", Provider: "a", Model: "m", Pass: true, Score: 1},
		{Prompt: "p", Test: "t", Provider: "a", Model: "m", Pass: true, Score: 1, Repeat: 1},
		{Prompt: "p", Test: "u", Provider: "a", Model: "m", Error: "timeout"},
	}}
	head := &Results{Results: []Result{
		{Prompt: "p", Test: "t", Provider: "a", Model: "m", Pass: true, Score: 1},
		{Prompt: "p", Test: "t", Provider: "a", Model: "m", Pass: false, Score: 0, Repeat: 1},
		{Prompt: "p", Test: "u", Provider: "a", Model: "m", Pass: false, Score: 0},
		{Prompt: "p", Test: "new", Provider: "a", Model: "m", Pass: false, Score: 0},
	}}
	g := Gate(head, GateOptions{Baseline: base, Paired: true})
	c := g.Paired[0]
	if c.Pairs != 2 || !cmp.Equal(c.Flips, []string{"t #2"}) {
		t.Errorf("comparison = %+v; want 2 pairs (the errored and new cases unpaired), the second repeat flipped", c)
	}
}

// TestPairedGateIgnoresResultOrder: merged shards hold the run's results in
// another order; the comparison (flips, interval, verdict) must not move.
func TestPairedGateIgnoresResultOrder(t *testing.T) {
	head, base := pairedRuns(40, 6, 2)
	for i := range head.Results {
		head.Results[i].Score = float64(i%7) / 7 // distinct diffs, so the bootstrap sees the order
	}
	want := Gate(head, GateOptions{Baseline: base, Paired: true}).Paired
	slices.Reverse(head.Results)
	got := Gate(head, GateOptions{Baseline: base, Paired: true}).Paired
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("comparison of the reversed results (-in order +reversed):\n%s", diff)
	}
}
