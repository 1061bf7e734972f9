package judge

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/llmfall/llmfall/provider"
)

// The tests of this file pin how a panel treats members that failed to
// answer (issue 16 mutants of that code).

// A panel verdict is the heuristic's only when every member that answered
// voted with the heuristic; members that failed do not count either way.
func TestTallyHeuristicFlag(t *testing.T) {
	h := func(m string, pass bool) Vote {
		v := vote(m, pass, 0.8)
		v.Heuristic = true
		return v
	}
	failed := Vote{Member: "x", Error: "every judge failed"}
	for _, tc := range []struct {
		name  string
		votes []Vote
		want  bool
	}{
		{"all heuristic", []Vote{h("a", true), h("b", true)}, true},
		{"one model among them", []Vote{h("a", true), vote("b", true, 0.8)}, false},
		{"no vote answered", []Vote{failed, failed}, false},
		{"heuristic and a failed member", []Vote{failed, h("a", true), h("b", false)}, true},
	} {
		if got := Tally(tc.votes, 1).Heuristic; got != tc.want {
			t.Errorf("%s: Tally().Heuristic = %t; want %t", tc.name, got, tc.want)
		}
	}
}

// Members that failed do not hide the disagreement of those after them.
func TestContestedSkipsFailedMembers(t *testing.T) {
	v := Tally([]Vote{{Member: "x", Error: "boom"}, vote("a", true, 0.9), vote("b", false, 0.2)}, 1)
	if !v.Contested() || v.Missing() != 1 {
		t.Errorf("Contested() = %t, Missing() = %d; want true, 1", v.Contested(), v.Missing())
	}
	if !strings.Contains(v.Reasoning, "1 of 2 judges pass (1 of 3 failed to answer)") {
		t.Errorf("Reasoning = %q; want the failed member counted", v.Reasoning)
	}
	if v = Tally([]Vote{vote("a", true, 0.9), vote("b", true, 0.8)}, 1); strings.Contains(v.Reasoning, "failed to answer") {
		t.Errorf("Reasoning = %q; want no failed member mentioned", v.Reasoning)
	}
}

// When the failed members could swing the verdict, the panel errors and
// says how many answered.
func TestPanelShortErrorCounts(t *testing.T) {
	good := &fakeJudge{name: "good", reply: answers(0.9, true)}
	bad := &fakeJudge{name: "bad", reply: fails("gemini", 500)}
	p := mustPanel(t, 0,
		oneLink("a", "anthropic", good),
		oneLink("b", "gemini", bad),
		oneLink("c", "openai", bad),
	)
	_, err := p.Rubric(context.Background(), RubricInput{Output: "x", Rubric: "y", CandidateProvider: "mistral"})
	var se *PanelShortError
	if !errors.As(err, &se) || se.Answered != 1 || se.Seated != 3 || se.MinAgree != 2 {
		t.Errorf("Rubric() error = %v; want a PanelShortError: 1 of 3 answered, 2 needed", err)
	}
}

// A member that failed first does not stop the others' preferences from
// counting.
func TestPanelPreferAfterAFailedMember(t *testing.T) {
	firm := &fakeJudge{name: "firm", reply: func(req *provider.Request) (*provider.Response, error) {
		first := strings.Index(req.Messages[0].Content, "ONE") < strings.Index(req.Messages[0].Content, "TWO")
		return textResponse(answerJSON("one is better", 0.9, first)), nil
	}}
	bad := &fakeJudge{name: "bad", reply: fails("gemini", 500)}
	p := mustPanel(t, 0,
		oneLink("x", "gemini", bad),
		oneLink("a", "anthropic", firm),
		oneLink("b", "openai", firm),
	)
	pr, err := p.Prefer(context.Background(), PreferInput{Prompt: "q", Output1: "ONE", Output2: "TWO"})
	if err != nil || pr.Choice != 1 {
		t.Errorf("Prefer() = %+v, %v; want output 1 by the two that answered", pr, err)
	}
}
