package judge

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/llmfall/llmfall/provider"
)

func vote(member string, pass bool, score float64) Vote {
	return Vote{Member: member, Verdict: Verdict{Pass: pass, Score: score, Judge: member + "-judge", CostUSD: 0.01}}
}

func TestTally(t *testing.T) {
	flipped := vote("c", true, 0.9)
	flipped.Inconsistent = true
	tests := []struct {
		name          string
		votes         []Vote
		minAgree      int
		wantPass      bool
		wantScore     float64
		wantContested bool
	}{
		{name: "2 of 3 pass a majority", votes: []Vote{vote("a", true, 0.8), vote("b", true, 0.9), vote("c", false, 0.1)},
			minAgree: 2, wantPass: true, wantScore: 0.8, wantContested: true},
		{name: "1 of 3 fails a majority", votes: []Vote{vote("a", true, 0.8), vote("b", false, 0.3), vote("c", false, 0.1)},
			minAgree: 2, wantScore: 0.3, wantContested: true},
		{name: "unanimity required", votes: []Vote{vote("a", true, 0.8), vote("b", true, 0.75), vote("c", false, 0.6)},
			minAgree: 3, wantScore: 0.75, wantContested: true},
		{name: "two agree, median is the mean of two", votes: []Vote{vote("a", true, 0.7), vote("b", true, 0.9)},
			minAgree: 2, wantPass: true, wantScore: 0.8},
		{name: "a flipped pairwise vote is a fail", votes: []Vote{vote("a", true, 0.8), vote("b", false, 0.2), flipped},
			minAgree: 2, wantScore: 0.8, wantContested: true},
		{name: "no votes", minAgree: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := Tally(tc.votes, tc.minAgree)
			if v.Pass != tc.wantPass || v.Score != tc.wantScore || v.Contested() != tc.wantContested {
				t.Errorf("Tally() = pass %t score %v contested %t; want %t %v %t", v.Pass, v.Score, v.Contested(), tc.wantPass, tc.wantScore, tc.wantContested)
			}
			if want := 0.01 * float64(len(tc.votes)); v.CostUSD < want-1e-12 || v.CostUSD > want+1e-12 {
				t.Errorf("Tally().CostUSD = %v; want %v", v.CostUSD, want)
			}
		})
	}
}

func link(provider string, f *fakeJudge) Link {
	return Link{Provider: provider, Model: provider + "-" + f.name, Client: f}
}

func TestPanelSeatsSpanProviders(t *testing.T) {
	f := &fakeJudge{name: "m", reply: answers(0.9, true)}
	// Both categories put anthropic first: for an openai candidate the
	// second member moves to gemini so that the panel spans two families.
	smart := Member{Name: "smart", Chain: []Link{link("anthropic", f), link("openai", f), link("gemini", f)}}
	fast := Member{Name: "fast", Chain: []Link{link("openai", f), link("anthropic", f), link("gemini", f)}}
	p := mustPanel(t, 0, smart, fast)
	v, err := p.Rubric(context.Background(), RubricInput{Output: "x", Rubric: "y", CandidateProvider: "openai"})
	if err != nil {
		t.Fatalf("Rubric() error = %v", err)
	}
	var got []string
	for _, vt := range v.Votes {
		got = append(got, vt.Member+"="+vt.Judge)
	}
	want := []string{"smart=anthropic/anthropic-m", "fast=gemini/gemini-m"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("panel votes (-want +got):\n%s", diff)
	}
	if !v.Pass || v.Judge != "panel(anthropic/anthropic-m, gemini/gemini-m)" {
		t.Errorf("Rubric() = pass %t judge %q; want a pass by the two", v.Pass, v.Judge)
	}
}

func TestPanelNeedsTwoOtherProviders(t *testing.T) {
	f := &fakeJudge{name: "m", reply: answers(0.9, true)}
	smart := Member{Name: "smart", Chain: []Link{link("anthropic", f), link("openai", f)}}
	fast := Member{Name: "fast", Chain: []Link{link("openai", f), link("anthropic", f)}}
	p := mustPanel(t, 0, smart, fast)
	err := p.Check("openai")
	var pe *PanelError
	if !errors.As(err, &pe) || pe.Candidate != "openai" || !cmp.Equal(pe.Providers, []string{"anthropic"}) {
		t.Fatalf("Check(openai) = %v; want a PanelError naming anthropic as the only other provider", err)
	}
	if want := "the judge panel for outputs of openai has judges from only anthropic; it needs judges from at least 2 providers other than openai"; err.Error() != want {
		t.Errorf("Check() error = %q; want %q", err, want)
	}
	if _, err := p.Rubric(context.Background(), RubricInput{Output: "x", Rubric: "y", CandidateProvider: "openai"}); !errors.Is(err, ErrNoJudge) {
		t.Errorf("Rubric() error = %v; want ErrNoJudge", err)
	}
	if len(f.requests()) != 0 {
		t.Errorf("a panel that cannot judge asked %d questions; want none", len(f.requests()))
	}
	// Outputs of a third provider have two other families to judge them.
	if err := p.Check("gemini"); err != nil {
		t.Errorf("Check(gemini) = %v; want nil", err)
	}
}

func TestPanelMemberFailureFailsVerdict(t *testing.T) {
	good := &fakeJudge{name: "good", reply: answers(0.9, true)}
	bad := &fakeJudge{name: "bad", reply: fails("gemini", 500)}
	p := mustPanel(t, 0,
		oneLink("a", "anthropic", good),
		oneLink("b", "gemini", bad),
	)
	_, err := p.Rubric(context.Background(), RubricInput{Output: "x", Rubric: "y", CandidateProvider: "openai"})
	var je *Error
	if !errors.As(err, &je) || !strings.Contains(err.Error(), "panel member b") {
		t.Errorf("Rubric() error = %v; want the failing member's judge.Error", err)
	}
}

func TestNewPanelValidates(t *testing.T) {
	f := &fakeJudge{name: "m"}
	_, err := NewPanel(PanelConfig{Members: []Member{{Name: "only", Chain: []Link{link("a", f)}}}, MinAgree: 2})
	if err == nil || !strings.Contains(err.Error(), "at least two members") || !strings.Contains(err.Error(), "min_agree 2 outside 0..1") {
		t.Errorf("NewPanel() error = %v; want both problems", err)
	}
}

func TestPanelPrefer(t *testing.T) {
	// Each fake prefers whichever output comes first in both orders except
	// "firm", which always says output 1 is better: answering pass in the
	// first order and fail in the swapped one.
	firm := &fakeJudge{name: "firm", reply: func(req *provider.Request) (*provider.Response, error) {
		first := strings.Index(req.Messages[0].Content, "ONE") < strings.Index(req.Messages[0].Content, "TWO")
		return textResponse(answerJSON("one is better", 0.9, first)), nil
	}}
	biased := &fakeJudge{name: "biased", reply: answers(0.9, true)} // always "the first": no stable choice
	p := mustPanel(t, 0,
		oneLink("a", "anthropic", firm),
		oneLink("b", "gemini", firm),
		oneLink("c", "openai", biased),
	)
	pr, err := p.Prefer(context.Background(), PreferInput{Prompt: "q", Output1: "ONE", Output2: "TWO"})
	if err != nil {
		t.Fatal(err)
	}
	if pr.Choice != 1 || pr.Inconsistent || !strings.Contains(pr.Reasoning, "output 1 chosen by 2, output 2 by 0, none by 1 (2 needed)") {
		t.Errorf("Prefer() = %+v; want output 1 by two of three", pr)
	}
}

// oneLink is a panel member judging through one link.
func oneLink(name, provider string, f *fakeJudge) Member {
	return Member{Name: name, Chain: []Link{link(provider, f)}}
}

// mustPanel is a panel of members that needs minAgree votes (0: a
// majority), or the end of the test.
func mustPanel(t *testing.T, minAgree int, members ...Member) *Panel {
	t.Helper()
	p, err := NewPanel(PanelConfig{MinAgree: minAgree, Members: members})
	if err != nil {
		t.Fatalf("NewPanel() error = %v", err)
	}
	return p
}
