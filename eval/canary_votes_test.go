package eval

import (
	"context"
	"math"
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
