package eval

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The tests of this file pin gate and planning decisions that issue 16's
// mutation runs found loose.

// A prompt new in this pull request has no baseline to regress from; the
// prompts gated after it are still compared with theirs.
func TestGateNewPromptDoesNotHideRegressions(t *testing.T) {
	rs := resultsOf(
		cellResults("alpha", "a", 0, 5, 5, 0), // new: not in the baseline
		cellResults("beta", "a", 0, 2, 8, 0),  // 20%, was 100%
	)
	baseline := resultsOf(cellResults("beta", "a", 0, 10, 0, 0))
	g := Gate(rs, GateOptions{Baseline: baseline})
	var got []string
	for _, v := range g.Violations {
		got = append(got, v.Prompt+" "+v.Rule)
	}
	if diff := cmp.Diff([]string{"beta max_regression"}, got); diff != "" || g.Pass {
		t.Errorf("gate pass = %t, violations (-want +got):\n%s", g.Pass, diff)
	}
}

// A prompt file asking for exactly the floor asks for nothing looser: the
// report does not call it ignored.
func TestGatePromptMinimumAtTheFloorIsNotIgnored(t *testing.T) {
	rs := resultsOf(cellResults("summary", "a", 0, 9, 1, 0))
	g := Gate(rs, GateOptions{MinPassRate: 0.9, PromptMinPassRate: map[string]float64{"summary": 0.9}})
	want := []Override{{Prompt: "summary", Rule: "min_pass_rate", Value: 0.9, Floor: 0.9}}
	if diff := cmp.Diff(want, g.Overrides); diff != "" || !g.Pass {
		t.Errorf("gate pass = %t, overrides (-want +got):\n%s", g.Pass, diff)
	}
	if got, want := g.Overrides[0].String(), "summary: min_pass_rate 90% (the trusted value is 90%)"; got != want {
		t.Errorf("String() = %q; want %q", got, want)
	}
}

// When a fallback link's consistent check runs again, its primary's answer
// is needed too, even for the suite's very first case.
func TestPlanRerunsTheFirstCasesPrimaryForAConsistentCheck(t *testing.T) {
	files := map[string]string{"pair.yaml": fpSuite["pair.yaml"]}
	base := mustPlan(t, loadDir(t, files), PlanOptions{Chain: fpChain("haiku"), Inputs: fpInputs()})
	p := mustPlan(t, loadDir(t, files), PlanOptions{Chain: fpChain("sonnet"), Inputs: fpInputs(), Baseline: passedResults(base)})
	want := map[string]string{"pair@0": "primary of a consistent check that runs", "pair@1": "link changed"}
	if diff := cmp.Diff(want, reasons(p)); diff != "" {
		t.Errorf("cases run (-want +got):\n%s", diff)
	}
}

// A case whose fingerprint differs from its baseline result's always says
// why it runs, even when no part tells the difference (a results file
// edited by hand, or written by a tool that hashes otherwise).
func TestPlanReasonWhenOnlyTheSumDiffers(t *testing.T) {
	files := map[string]string{"pair.yaml": fpSuite["pair.yaml"]}
	base := mustPlan(t, loadDir(t, files), PlanOptions{Chain: fpChain("haiku"), Inputs: fpInputs()})
	baseline := passedResults(base)
	baseline.Results[0].Fingerprint = "0123"
	p := mustPlan(t, loadDir(t, files), PlanOptions{Chain: fpChain("haiku"), Inputs: fpInputs(), Baseline: baseline})
	want := map[string]string{"pair@0": "inputs changed"}
	if diff := cmp.Diff(want, reasons(p)); diff != "" {
		t.Errorf("cases run (-want +got):\n%s", diff)
	}
}

// Repeated tests exactly at their pass@k and pass^k minimums pass; a test
// whose every run errored is not judged by them (errors are reported
// apart, as for pass rates).
func TestGateRepeatMinimumsAtTheMark(t *testing.T) {
	rs := resultsOf(
		cellResults("steady", "a", 0, 3, 0, 0),
		cellResults("broken", "a", 0, 0, 0, 3),
	)
	one := 1.0
	g := Gate(rs, GateOptions{TestMinimums: map[[2]string]TestMinimum{
		{"steady", "t"}: {PassAtK: &one, PassAllK: &one},
		{"broken", "t"}: {PassAtK: &one, PassAllK: &one},
	}})
	if !g.Pass || len(g.Violations) != 0 {
		t.Errorf("gate pass = %t, violations %+v; want a pass", g.Pass, g.Violations)
	}
}

// Either sign of a run that did not finish makes the gate incomplete: the
// interrupt flag (even when it came after the last case) or cases left
// without a result (even without the flag, as merged shards report them).
func TestGateIncompleteOnEitherSign(t *testing.T) {
	for _, tc := range []struct {
		interrupted bool
		notRun      int
	}{{true, 0}, {false, 2}} {
		rs := resultsOf(cellResults("p", "a", 0, 3, 0, 0))
		rs.Summary.Interrupted, rs.Summary.NotRun = tc.interrupted, tc.notRun
		if g := Gate(rs, GateOptions{}); g.Pass || g.Status != GateIncomplete {
			t.Errorf("interrupted %t, not run %d: gate pass = %t, status %q; want incomplete", tc.interrupted, tc.notRun, g.Pass, g.Status)
		}
	}
}
