package eval

import (
	"context"
	"strings"
	"testing"

	"github.com/llmfall/llmfall/judge"
	"github.com/llmfall/llmfall/provider"
)

// vote is one member's vote in a hand-built panel verdict.
func vote(member string, pass bool) judge.Vote {
	return judge.Vote{Member: member, Verdict: judge.Verdict{Pass: pass, Judge: "j/" + member}}
}

// The report's panel line says when agreement is undefined (every vote
// alike) and leaves agreement out for a one-member panel; a member's
// single error is counted in the singular, and a pass that changed when
// the answers were swapped counts as a fail.
func TestPanelLineEdges(t *testing.T) {
	var alike panelTally
	for range 3 {
		alike.add(judge.Verdict{Votes: []judge.Vote{vote("a", true), vote("b", true)}})
	}
	if line := alike.summary().String(); !strings.Contains(line, "panel: 3 verdicts, 0 contested · agreement κ undefined (every vote alike) · j/a 3 pass 0 fail, j/b 3 pass 0 fail") {
		t.Errorf("every vote alike: line = %q; want agreement undefined", line)
	}

	var one panelTally
	inconsistent := vote("a", true)
	inconsistent.Inconsistent = true
	one.add(judge.Verdict{Votes: []judge.Vote{inconsistent}})
	one.add(judge.Verdict{Votes: []judge.Vote{{Member: "a", Error: "timeout", Verdict: judge.Verdict{Judge: "j/a"}}}})
	s := one.summary()
	if line := s.String(); line != "panel: 2 verdicts, 0 contested · j/a 0 pass 1 fail 1 error" {
		t.Errorf("one member: line = %q; want no agreement, the inconsistent pass as a fail, 1 error", line)
	}
	if s.Agreement != nil || s.AgreementMethod != "" {
		t.Errorf("one member: agreement = %v, %q; want none", s.Agreement, s.AgreementMethod)
	}

	var empty panelTally
	if s := empty.summary(); s != nil {
		t.Errorf("no verdicts: summary = %+v; want none (no panel line)", s)
	}
}

// A contested repeat is named by its 1-based repeat number in the review
// file, so a reviewer can tell the runs apart.
func TestReviewIDNamesTheRepeat(t *testing.T) {
	c := &Case{Prompt: &Prompt{Name: "p"}, Test: &Test{Name: "t"}, Target: provider.Target{Provider: "a", Model: "m"}}
	a := &Assertion{File: "prompts/p.yaml", Line: 7}
	for repeat, want := range []string{"p/t @ a/m (prompts/p.yaml:7)", "p/t @ a/m (prompts/p.yaml:7) #2", "p/t @ a/m (prompts/p.yaml:7) #3"} {
		c.Repeat = repeat
		if got := reviewID(c, a); got != want {
			t.Errorf("repeat %d: reviewID = %q; want %q", repeat, got, want)
		}
	}
}

// A panel that cannot judge a provider's outputs says so once, however
// many of that provider's cases need a judge.
func TestRunRefusesAPanelOncePerProvider(t *testing.T) {
	s := suiteOf(t, 3, `{type: judge, rubric: "mentions ticket"}`)
	ps, _ := fakes(echo)
	_, err := Run(context.Background(), mustPlan(t, s, PlanOptions{Depth: 3}), RunOptions{Providers: ps, Judge: panelJudge{}})
	if err == nil {
		t.Fatal("Run() error = nil; want the panel's error about c")
	}
	want := (&judge.PanelError{Candidate: "c", Providers: []string{"x"}}).Error()
	if n := strings.Count(err.Error(), want); n != 1 {
		t.Errorf("Run() error = %q; want %q once, got it %d times", err, want, n)
	}
}
