package judge

import (
	"context"
	"strings"
	"testing"
)

// The tests of this file pin panel decisions that issue 16's mutation runs
// found loose.

// min_agree may ask for every member (unanimity): the panel is valid and
// judges.
func TestPanelUnanimityIsValid(t *testing.T) {
	f := &fakeJudge{name: "m", reply: answers(0.9, true)}
	p := mustPanel(t, 2,
		oneLink("a", "anthropic", f),
		oneLink("b", "gemini", f),
	)
	v, err := p.Rubric(context.Background(), RubricInput{Output: "x", Rubric: "y", CandidateProvider: "openai"})
	if err != nil || !v.Pass || len(v.Votes) != 2 {
		t.Errorf("Rubric() = pass %t with %d votes, %v; want a unanimous pass", v.Pass, len(v.Votes), err)
	}
}

// No votes never pass, whatever minimum a caller passes; two votes that
// disagree are contested.
func TestTallyEdges(t *testing.T) {
	if v := Tally(nil, 0); v.Pass {
		t.Errorf("Tally(no votes, 0) passes; want a fail")
	}
	v := Tally([]Vote{vote("a", true, 0.9), vote("b", false, 0.2)}, 1)
	if !v.Pass || !v.Contested() {
		t.Errorf("Tally(pass, fail; 1 needed) = pass %t contested %t; want a contested pass", v.Pass, v.Contested())
	}
}

// NewPanel reports each member's problem once: a member without a chain
// as such, a member with a bad link by the link's error.
func TestNewPanelReportsEachMembersProblem(t *testing.T) {
	f := &fakeJudge{name: "m", reply: answers(0.9, true)}
	_, err := NewPanel(PanelConfig{Members: []Member{
		{Name: "empty"},
		{Name: "broken", Chain: []Link{{Provider: "gemini", Client: f}}}, // no model
		{Name: "fine", Chain: []Link{link("anthropic", f)}},
	}})
	if err == nil {
		t.Fatal("NewPanel() = nil error; want the empty and the broken member named")
	}
	msg := err.Error()
	if !strings.Contains(msg, `member "empty" has no judge model`) || strings.Contains(msg, "judge chain is empty") ||
		!strings.Contains(msg, `member "broken": judge chain link 0`) || strings.Contains(msg, `"fine"`) {
		t.Errorf("NewPanel() error = %q; want one line for each bad member", msg)
	}
}

// A panel with no judge outside the candidate's provider says so.
func TestPanelErrorWithNoOtherProvider(t *testing.T) {
	err := &PanelError{Candidate: "openai"}
	if want := "the judge panel for outputs of openai has judges from no other provider; it needs judges from at least 2 providers other than openai"; err.Error() != want {
		t.Errorf("Error() = %q; want %q", err.Error(), want)
	}
}
