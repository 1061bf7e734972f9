package eval

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/llmfall/llmfall/judge"
)

// panelJudge is a two-member panel: "smart" passes every answer, "fast"
// passes only answers of provider a, so verdicts on b's answers are
// contested. It cannot judge provider c at all.
type panelJudge struct{}

func (panelJudge) Rubric(_ context.Context, in judge.RubricInput) (judge.Verdict, error) {
	votes := []judge.Vote{
		{Member: "smart", Verdict: judge.Verdict{Pass: true, Score: 0.9, Judge: "x/smart-model", Reasoning: "fine"}},
		{Member: "fast", Verdict: judge.Verdict{Pass: in.CandidateProvider == "a", Score: 0.4, Judge: "y/fast-model", Reasoning: "meh"}},
	}
	return judge.Tally(votes, 2), nil
}

func (p panelJudge) Consistent(context.Context, judge.PairInput) (judge.Verdict, error) {
	return judge.Verdict{}, errors.New("not asked")
}

func (panelJudge) Check(candidate string) error {
	if candidate == "c" {
		return &judge.PanelError{Candidate: "c", Providers: []string{"x"}}
	}
	return nil
}

func TestRunTalliesAPanel(t *testing.T) {
	s := suiteOf(t, 3, `{type: judge, rubric: "mentions ticket"}`)
	ps, _ := fakes(echo)
	rs, err := Run(context.Background(), mustPlan(t, s, PlanOptions{Depth: 2}), RunOptions{Providers: ps, Judge: panelJudge{}, Retries: -1})
	if err != nil {
		t.Fatal(err)
	}
	p := rs.Summary.Judge.Panel
	if p == nil {
		t.Fatal("no panel summary")
	}
	wantJudges := map[string]VoteCount{"x/smart-model": {Pass: 6}, "y/fast-model": {Pass: 3, Fail: 3}}
	if diff := cmp.Diff(wantJudges, p.Judges); diff != "" {
		t.Errorf("votes (-want +got):\n%s", diff)
	}
	// smart always says pass: Cohen's kappa is 0 (pe = po = ½), no better
	// than chance.
	if p.Verdicts != 6 || p.Contested != 3 || p.Agreement == nil || *p.Agreement != 0 || p.AgreementMethod != "cohen" {
		t.Errorf("panel = %+v; want 6 verdicts, 3 contested, Cohen's kappa 0", p)
	}
	if rs.Summary.Judge.Models["x/smart-model"] != 6 {
		t.Errorf("models = %v; want each vote counted under its judge", rs.Summary.Judge.Models)
	}
	var ids []string
	for _, e := range p.Review {
		ids = append(ids, e.ID)
		if e.Input != "ticket "+e.ID[3:4] || e.Output == "" || e.Rubric != "mentions ticket" || e.Pass != nil ||
			!strings.Contains(e.Note, "[fast, y/fast-model: fail 0.40] meh") {
			t.Errorf("review example = %+v; want the question, the output, no label and each judge's reasoning", e)
		}
	}
	file := s.Prompts[0].File
	wantIDs := []string{"p/t0 @ b/claude-3-5-haiku-latest (" + file + ":7)", "p/t1 @ b/claude-3-5-haiku-latest (" + file + ":10)",
		"p/t2 @ b/claude-3-5-haiku-latest (" + file + ":13)"}
	if diff := cmp.Diff(wantIDs, ids); diff != "" {
		t.Errorf("review ids (-want +got):\n%s", diff)
	}
	if line := rs.Summary.Judge.String(); !strings.Contains(line, "panel: 6 verdicts, 3 contested · agreement κ 0.00 (Cohen's; 1 perfect, 0 chance) · x/smart-model 6 pass 0 fail, y/fast-model 3 pass 3 fail") {
		t.Errorf("judge line = %q", line)
	}
}

func TestRunRefusesAPanelShortOfProviders(t *testing.T) {
	s := suiteOf(t, 1, `{type: judge, rubric: "mentions ticket"}`)
	ps, fs := fakes(echo)
	_, err := Run(context.Background(), mustPlan(t, s, PlanOptions{Depth: 3}), RunOptions{Providers: ps, Judge: panelJudge{}})
	var pe *judge.PanelError
	if !errors.As(err, &pe) || pe.Candidate != "c" {
		t.Fatalf("Run() error = %v; want the panel's error about c", err)
	}
	for name, f := range fs {
		if f.calls.Load() != 0 {
			t.Errorf("provider %s was called %d times before the run was refused", name, f.calls.Load())
		}
	}
}

func TestAgreementFleiss(t *testing.T) {
	// Hand-computed (as in stats' test): 3 members on 4 items, rows (3,0)
	// (0,3) (2,1) (1,2): κ = 1/3. An item a member sat out is left out.
	items := []map[string]bool{
		{"a": true, "b": true, "c": true},
		{"a": false, "b": false, "c": false},
		{"a": true, "b": true, "c": false},
		{"a": false, "b": true, "c": false},
		{"a": true, "b": false},
	}
	k, method := agreementCounts([]string{"a", "b", "c"}, items).kappa()
	if k == nil || !approx(*k, 1.0/3) || method != "fleiss" {
		t.Errorf("kappa() = %v, %q; want 1/3, fleiss", k, method)
	}
}
