package eval

import (
	"context"
	"math"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/llmfall/llmfall/judge"
)

// votingJudge is a panel as the eval harness sees it: every verdict carries
// these votes.
type votingJudge struct{ votes []judge.Vote }

func (j votingJudge) Rubric(context.Context, judge.RubricInput) (judge.Verdict, error) {
	return judge.Verdict{Pass: true, Score: 0.5, Judge: "panel", Votes: j.votes}, nil
}

func (j votingJudge) Consistent(context.Context, judge.PairInput) (judge.Verdict, error) {
	return judge.Verdict{Pass: true, Score: 1, Judge: "panel"}, nil
}

// Only the panel members that passed a canary are compromised: not one
// that failed it, nor one that could not answer, nor one whose pass flipped
// when the answers were swapped.
func TestCanaryBlamesOnlyTheMembersThatPassed(t *testing.T) {
	vote := func(member string, pass, inconsistent bool, err string) judge.Vote {
		return judge.Vote{Member: member, Error: err,
			Verdict: judge.Verdict{Judge: member + "/judge", Pass: pass, Inconsistent: inconsistent, Score: 0.9}}
	}
	j := votingJudge{votes: []judge.Vote{
		vote("x", true, false, ""),
		vote("y", false, false, ""),
		vote("z", false, false, "503 unavailable"),
		vote("w", true, true, ""),
	}}
	s := suiteOf(t, 1, `{type: judge, rubric: "mentions ticket"}`)
	ps, _ := fakes(echo)
	rs, err := Run(context.Background(), mustPlan(t, s, PlanOptions{Depth: 1}), RunOptions{Providers: ps,
		Judge: j, Canaries: 1, CanaryPolicy: CanaryFail, Retries: -1})
	if err != nil {
		t.Fatal(err)
	}
	c := rs.Summary.Judge.Canaries
	if c == nil || c.Judged != 1 || !cmp.Equal(c.Compromised, []string{"x/judge"}) || len(c.Failures) != 1 {
		t.Fatalf("canaries = %+v; want 1 judged, passed by x/judge only", c)
	}
	g := Gate(rs, GateOptions{CanaryPolicy: CanaryFail})
	if g.Pass || len(g.Violations) != 1 || g.Violations[0].Rule != "canary" {
		t.Errorf("gate = %+v; want failed on x/judge's canary alone", g)
	}
}

// pricedJudge fails everything, at a price, counting its calls.
type pricedJudge struct{ calls atomic.Int32 }

func (j *pricedJudge) Rubric(context.Context, judge.RubricInput) (judge.Verdict, error) {
	j.calls.Add(1)
	return judge.Verdict{Pass: false, Score: 0.1, Judge: "x/strict", CostUSD: 0.01}, nil
}

func (j *pricedJudge) Consistent(context.Context, judge.PairInput) (judge.Verdict, error) {
	j.calls.Add(1)
	return judge.Verdict{Pass: false, Score: 0.1, Judge: "x/strict", CostUSD: 0.01}, nil
}

// Canary verdicts cost what the judge charged, and are cached like the
// cases' verdicts: re-running an unchanged suite asks the judge nothing.
func TestCanaryVerdictsArePricedAndCached(t *testing.T) {
	s := suiteOf(t, 1, `{type: judge, rubric: "mentions ticket"}`)
	cache, err := OpenCache(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ps, _ := fakes(echo)
	j := &pricedJudge{}
	opts := RunOptions{Providers: ps, Judge: j, Cache: cache, Canaries: 2, CanaryPolicy: CanaryFail, Retries: -1}
	rs, err := Run(context.Background(), mustPlan(t, s, PlanOptions{Depth: 1}), opts)
	if err != nil {
		t.Fatal(err)
	}
	c := rs.Summary.Judge.Canaries
	if c == nil || c.Judged != 2 || c.Errors != 0 || len(c.Compromised) != 0 || math.Abs(c.CostUSD-0.02) > 1e-9 {
		t.Fatalf("canaries = %+v; want 2 judged and failed, costing 0.02", c)
	}
	if n := j.calls.Load(); n != 1+2 {
		t.Fatalf("judge calls = %d; want 1 case + 2 canaries", n)
	}
	j2 := &pricedJudge{}
	opts.Judge = j2
	rs, err = Run(context.Background(), mustPlan(t, s, PlanOptions{Depth: 1}), opts)
	if err != nil {
		t.Fatal(err)
	}
	if n := j2.calls.Load(); n != 0 {
		t.Errorf("second run: judge calls = %d; want none (case and canaries cached)", n)
	}
	if c := rs.Summary.Judge.Canaries; c == nil || c.Judged != 2 || c.CostUSD != 0 {
		t.Errorf("second run: canaries = %+v; want 2 judged from the cache, costing nothing", c)
	}
}

// The gate names each compromised judge with its own count of canaries and
// its own first failure as the example; the judge line says what the policy
// does about it.
func TestCanaryViolationsPerJudge(t *testing.T) {
	fail := func(j, kind, rubric string, score float64) CanaryResult {
		return CanaryResult{Prompt: "p", Rubric: rubric, Kind: kind, Judge: j, Score: score}
	}
	canaries := &CanarySummary{Policy: CanaryFail, Judged: 6,
		Compromised: []string{"a/lax", "b/lax"},
		Failures: []CanaryResult{
			fail("b/lax", CanaryWrong, "p.yaml:3", 0.91),
			fail("a/lax", CanaryInjection, "p.yaml:7", 0.8),
			fail("b/lax", CanaryInjection, "p.yaml:9", 0.7),
			fail("a/lax", CanaryWrong, "p.yaml:11", 0.6),
			fail("b/lax", CanaryWrong, "p.yaml:12", 0.5),
		}}
	rs := &Results{Version: ResultsVersion, Results: []Result{}}
	rs.Summary.Judge = &JudgeSummary{Models: map[string]int{}, Canaries: canaries}
	g := Gate(rs, GateOptions{CanaryPolicy: CanaryFail})
	var got []string
	for _, v := range g.Violations {
		got = append(got, v.Message)
	}
	want := []string{
		"judge a/lax passed 2 known-bad canary answers (e.g. the injection answer to the rubric at p.yaml:7, score 0.80): its verdicts cannot be trusted",
		"judge b/lax passed 3 known-bad canary answers (e.g. the wrong answer to the rubric at p.yaml:3, score 0.91): its verdicts cannot be trusted",
	}
	if diff := cmp.Diff(want, got); diff != "" || g.Pass {
		t.Errorf("gate pass %t, violations (-want +got):\n%s", g.Pass, diff)
	}
	for policy, want := range map[string]string{
		CanaryFail: "; the gate fails (judge.canary_policy: fail)",
		CanaryWarn: "; warning only (judge.canary_policy: warn)",
	} {
		canaries.Policy = policy
		if line := canaries.String(); !strings.HasSuffix(line, want) {
			t.Errorf("%s policy: canaries line = %q; want it to end %q", policy, line, want)
		}
	}
}

// Canaries the judge could not answer are counted and said, not taken for
// failed ones; a clean run's line says nothing of errors.
func TestCanaryErrorsAreCounted(t *testing.T) {
	s := suiteOf(t, 1, `{type: judge, rubric: "mentions ticket"}`)
	ps, _ := fakes(echo)
	rs, err := Run(context.Background(), mustPlan(t, s, PlanOptions{Depth: 1}), RunOptions{Providers: ps,
		Judge: downJudge{}, Canaries: 2, CanaryPolicy: CanaryFail, Retries: -1})
	if err != nil {
		t.Fatal(err)
	}
	c := rs.Summary.Judge.Canaries
	if c == nil || c.Judged != 0 || c.Errors != 2 {
		t.Fatalf("canaries = %+v; want none judged, 2 errors", c)
	}
	if got, want := c.String(), "canaries: the judge failed all 0 known-bad answers (2 could not be judged)"; got != want {
		t.Errorf("canaries line = %q; want %q", got, want)
	}
	clean := &CanarySummary{Policy: CanaryFail, Judged: 4}
	if got, want := clean.String(), "canaries: the judge failed all 4 known-bad answers"; got != want {
		t.Errorf("canaries line = %q; want %q", got, want)
	}
}
