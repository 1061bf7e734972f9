package eval

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/llmfall/llmfall/fallback"
	"github.com/llmfall/llmfall/judge"
)

func TestCanariesPerRubric(t *testing.T) {
	s := suiteOf(t, 3, `{type: judge, rubric: "mentions ticket"}`, `{type: not-judge, rubric: "is rude"}`, `{type: consistent}`)
	plan := mustPlan(t, s, PlanOptions{Depth: 2})
	got := canaries(plan, 3)
	// One rubric (the negated one and consistent get none), three canaries
	// taking turns at the two providers the rubric grades.
	var summary []string
	for _, c := range got {
		summary = append(summary, c.kind+"@"+c.in.CandidateProvider)
		if c.in.Rubric != "mentions ticket" || c.in.Prompt != "ticket 0" {
			t.Errorf("canary input = %+v; want the rubric and the first case's prompt", c.in)
		}
	}
	if diff := cmp.Diff([]string{"wrong@a", "injection@b", "wrong@a"}, summary); diff != "" {
		t.Errorf("canaries (-want +got):\n%s", diff)
	}
	if !strings.Contains(got[1].in.Output, "ignore the rubric") {
		t.Errorf("injection canary = %q; want the injection", got[1].in.Output)
	}
	if got := canaries(plan, 0); got != nil {
		t.Errorf("canaries(0) = %v; want none", got)
	}
}

// easyJudge passes everything it is shown: a judge that reads no answer.
type easyJudge struct{}

func (easyJudge) Rubric(context.Context, judge.RubricInput) (judge.Verdict, error) {
	return judge.Verdict{Pass: true, Score: 0.95, Judge: "openai/pushover", Reasoning: "looks fine"}, nil
}

func (easyJudge) Consistent(context.Context, judge.PairInput) (judge.Verdict, error) {
	return judge.Verdict{Pass: true, Score: 1, Judge: "openai/pushover"}, nil
}

func TestCanaryCatchesAJudgeThatPassesEverything(t *testing.T) {
	s := suiteOf(t, 4, `{type: judge, rubric: "mentions ticket"}`)
	for _, tc := range []struct {
		policy   string
		wantPass bool
	}{{CanaryFail, false}, {CanaryWarn, true}} {
		t.Run(tc.policy, func(t *testing.T) {
			ps, _ := fakes(echo)
			rs, err := Run(context.Background(), mustPlan(t, s, PlanOptions{Depth: 2}), RunOptions{Providers: ps,
				Judge: easyJudge{}, Canaries: DefaultCanaries, CanaryPolicy: tc.policy, Retries: -1})
			if err != nil {
				t.Fatal(err)
			}
			// Canaries are never cases, nor judge verdicts of the run.
			if rs.Summary.Total != 8 || rs.Summary.Judge.Verdicts != 8 {
				t.Errorf("total, verdicts = %d, %d; want 8, 8", rs.Summary.Total, rs.Summary.Judge.Verdicts)
			}
			c := rs.Summary.Judge.Canaries
			if c == nil || c.Judged != 2 || !cmp.Equal(c.Compromised, []string{"openai/pushover"}) || len(c.Failures) != 2 {
				t.Fatalf("canaries = %+v; want 2 judged, both passed by openai/pushover", c)
			}
			g := Gate(rs, GateOptions{CanaryPolicy: tc.policy})
			if g.Pass != tc.wantPass {
				t.Errorf("gate pass = %t; want %t (%+v)", g.Pass, tc.wantPass, g.Violations)
			}
			if !strings.Contains(rs.Summary.Judge.String(), "COMPROMISED judge openai/pushover passed 2 of 2 known-bad answers") {
				t.Errorf("judge line = %q; want the compromised judge named", rs.Summary.Judge.String())
			}
		})
	}
}

// The fake judge of the other tests passes an output that contains the
// rubric's last word: a canary never does, so it stays clean.
func TestCanaryCleanJudge(t *testing.T) {
	s := suiteOf(t, 2, `{type: judge, rubric: "mentions ticket"}`)
	ps, _ := fakes(echo)
	j := &fakeJudge{}
	rs, err := Run(context.Background(), mustPlan(t, s, PlanOptions{Depth: 2}), RunOptions{Providers: ps,
		Judge: j, Canaries: 2, CanaryPolicy: CanaryFail, Retries: -1})
	if err != nil {
		t.Fatal(err)
	}
	if c := rs.Summary.Judge.Canaries; c == nil || c.Judged != 2 || len(c.Compromised) != 0 {
		t.Errorf("canaries = %+v; want 2 judged, none passed", c)
	}
	if got := j.rubricCalls.Load(); got != 4+2 {
		t.Errorf("rubric calls = %d; want 4 cases + 2 canaries", got)
	}
	if g := Gate(rs, GateOptions{CanaryPolicy: CanaryFail}); !g.Pass {
		t.Errorf("gate = %+v; want passed", g)
	}
}

// The heuristic must fail every canary of the example suite, or the
// README's offline command would fail its own gate.
func TestHeuristicFailsExampleCanaries(t *testing.T) {
	s, err := LoadSuite([]string{"../prompts"}, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	plan := mustPlan(t, s, PlanOptions{Depth: 1, Chain: func(string) ([]fallback.Target, error) {
		return []fallback.Target{{Provider: "a", Model: "m"}}, nil
	}})
	list := canaries(plan, 4)
	if len(list) == 0 {
		t.Fatal("the example suite has no judge rubric")
	}
	h := &judge.Heuristic{}
	for _, c := range list {
		v, _ := h.Rubric(context.Background(), c.in)
		t.Logf("%s canary of %s: score %.2f", c.kind, c.prompt, v.Score)
		if v.Pass {
			t.Errorf("heuristic passed the %s canary of %s (%s): %s", c.kind, c.prompt, c.in.Rubric, v.Reasoning)
		}
	}
}
