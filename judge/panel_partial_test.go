package judge

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/llmfall/llmfall/provider"
)

// timesOut replies as a judge link whose deadline passed.
func timesOut(name string) func(*provider.Request) (*provider.Response, error) {
	return func(*provider.Request) (*provider.Response, error) {
		return nil, &provider.Error{Provider: name, Class: provider.ClassTimeout, Message: "attempt timed out"}
	}
}

// A member that fails (a 5xx after retries, a timeout, an answer that does
// not parse) does not take the verdict down with it when the members that
// answered decide it anyway; when they do not, the verdict is an error.
func TestPanelDecidesWithoutAFailedMember(t *testing.T) {
	pass := &fakeJudge{name: "pass", reply: answers(0.9, true)}
	fail := &fakeJudge{name: "fail", reply: answers(0.2, false)}
	server := &fakeJudge{name: "5xx", reply: fails("gemini", 503)}
	timeout := &fakeJudge{name: "slow", reply: timesOut("gemini")}
	garbled := &fakeJudge{name: "garbled", reply: says("I think it is fine")}
	tests := []struct {
		name      string
		votes     [3]*fakeJudge // anthropic, openai, gemini
		minAgree  int
		wantErr   bool
		wantPass  bool
		wantScore float64
	}{
		{name: "two passes decide a majority of three", votes: [3]*fakeJudge{pass, pass, server}, wantPass: true, wantScore: 0.9},
		{name: "two fails decide a majority of three", votes: [3]*fakeJudge{fail, fail, timeout}, wantScore: 0.2},
		{name: "an unparsable answer is a failed member", votes: [3]*fakeJudge{pass, garbled, pass}, wantPass: true, wantScore: 0.9},
		{name: "one each way cannot decide", votes: [3]*fakeJudge{pass, fail, server}, wantErr: true},
		{name: "min_agree 1 is met by one pass", votes: [3]*fakeJudge{server, pass, timeout}, minAgree: 1, wantPass: true, wantScore: 0.9},
		{name: "unanimity fails on one fail", votes: [3]*fakeJudge{pass, fail, server}, minAgree: 3, wantScore: 0.55},
		{name: "unanimity cannot pass without every member", votes: [3]*fakeJudge{pass, pass, server}, minAgree: 3, wantErr: true},
		{name: "nobody answered", votes: [3]*fakeJudge{server, timeout, garbled}, minAgree: 1, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := mustPanel(t, tc.minAgree,
				oneLink("a", "anthropic", tc.votes[0]),
				oneLink("b", "openai", tc.votes[1]),
				oneLink("c", "gemini", tc.votes[2]),
			)
			v, err := p.Rubric(context.Background(), RubricInput{Output: "x", Rubric: "y", CandidateProvider: "mistral"})
			if tc.wantErr {
				var short *PanelShortError
				var je *Error
				if !errors.As(err, &short) || !errors.As(err, &je) {
					t.Fatalf("Rubric() = %+v, %v; want a PanelShortError carrying the members' judge.Error", v, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Rubric() error = %v; want a verdict from the members that answered", err)
			}
			if v.Pass != tc.wantPass || v.Score != tc.wantScore {
				t.Errorf("Rubric() = pass %t score %v; want %t %v", v.Pass, v.Score, tc.wantPass, tc.wantScore)
			}
			provs := []string{"anthropic", "openai", "gemini"}
			var failed []string
			for i, vote := range v.Votes {
				if vote.Error == "" {
					continue
				}
				failed = append(failed, vote.Member)
				// The failed member is reported under its judge model.
				if want := provs[i] + "/" + provs[i] + "-" + tc.votes[i].name; vote.Judge != want {
					t.Errorf("failed vote %s names judge %q; want %q, its first link", vote.Member, vote.Judge, want)
				}
				if vote.Pass || vote.Score != 0 {
					t.Errorf("failed vote %+v carries a verdict", vote)
				}
				if strings.Contains(v.Judge, vote.Judge) {
					t.Errorf("verdict judge %q names %s, which gave no verdict", v.Judge, vote.Judge)
				}
			}
			if len(failed) == 0 || v.Missing() != len(failed) {
				t.Errorf("votes %+v: failed %v, Missing() %d; want the failed member reported", v.Votes, failed, v.Missing())
			}
			if !strings.Contains(v.Reasoning, "failed to answer") {
				t.Errorf("verdict reasoning %q; want the failure said", v.Reasoning)
			}
		})
	}
}

// One member failing must not cancel the others' questions.
func TestPanelMemberFailureCancelsNoOne(t *testing.T) {
	server := &fakeJudge{name: "5xx", reply: fails("gemini", 500)}
	good := &fakeJudge{name: "good", reply: answers(0.9, true)}
	p := mustPanel(t, 1,
		oneLink("a", "gemini", server),
		oneLink("b", "anthropic", good),
		oneLink("c", "openai", good),
	)
	for range 20 {
		v, err := p.Consistent(context.Background(), PairInput{Primary: "x", Candidate: "x", CandidateProvider: "mistral"})
		if err != nil || !v.Pass || v.Missing() != 1 {
			t.Fatalf("Consistent() = pass %t missing %d, %v; want a pass by the two that answered", v.Pass, v.Missing(), err)
		}
	}
}

// A cancelled run is not a panel short of members.
func TestPanelCancelled(t *testing.T) {
	good := &fakeJudge{name: "good", reply: answers(0.9, true)}
	p := mustPanel(t, 1,
		oneLink("a", "gemini", good),
		oneLink("b", "anthropic", good),
	)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := p.Rubric(ctx, RubricInput{Output: "x", Rubric: "y"}); !errors.Is(err, context.Canceled) {
		t.Errorf("Rubric() error = %v; want context.Canceled", err)
	}
}

func TestTallyLeavesOutFailedVotes(t *testing.T) {
	failed := Vote{Member: "c", Error: "every judge failed", Verdict: Verdict{Judge: "c-judge"}}
	v := Tally([]Vote{vote("a", true, 0.75), vote("b", false, 0.25), failed}, 1)
	if !v.Pass || v.Score != 0.5 || v.CostUSD != 0.02 || !v.Contested() || v.Judge != "panel(a-judge, b-judge)" {
		t.Errorf("Tally() = %+v; want a pass scored 0.5 over the two that answered", v)
	}
	if !strings.Contains(v.Reasoning, "1 of 2 judges pass (1 of 3 failed to answer)") || !strings.Contains(v.Reasoning, "[c, c-judge: error] every judge failed") {
		t.Errorf("Tally().Reasoning = %q", v.Reasoning)
	}
	// Two that agree are not contested because a third failed.
	if v := Tally([]Vote{vote("a", true, 0.8), vote("b", true, 0.9), failed}, 2); v.Contested() || !v.Pass {
		t.Errorf("Tally() = %+v; want an uncontested pass", v)
	}
}

func TestPanelPreferWithoutAFailedMember(t *testing.T) {
	firm := &fakeJudge{name: "firm", reply: func(req *provider.Request) (*provider.Response, error) {
		first := strings.Index(req.Messages[0].Content, "ONE") < strings.Index(req.Messages[0].Content, "TWO")
		return textResponse(answerJSON("one is better", 0.9, first)), nil
	}}
	biased := &fakeJudge{name: "biased", reply: answers(0.9, true)}
	server := &fakeJudge{name: "5xx", reply: fails("openai", 500)}
	panel := func(members ...*fakeJudge) *Panel {
		t.Helper()
		provs := []string{"anthropic", "gemini", "openai"}
		var ms []Member
		for i, f := range members {
			ms = append(ms, Member{Name: provs[i], Chain: []Link{link(provs[i], f)}})
		}
		return mustPanel(t, 0, ms...)
	}
	in := PreferInput{Prompt: "q", Output1: "ONE", Output2: "TWO"}
	pr, err := panel(firm, firm, server).Prefer(context.Background(), in)
	if err != nil || pr.Choice != 1 || !strings.Contains(pr.Reasoning, "1 failed to answer") {
		t.Errorf("Prefer() = %+v, %v; want output 1 by the two that answered", pr, err)
	}
	_, err = panel(firm, biased, server).Prefer(context.Background(), in)
	var short *PanelShortError
	if !errors.As(err, &short) || short.Answered != 2 || short.Seated != 3 || short.MinAgree != 2 {
		t.Errorf("Prefer() error = %v; want a PanelShortError (2 of 3 answered, 2 needed)", err)
	}
	if diff := cmp.Diff("judge panel: 2 of 3 members answered, too few to decide with 2 votes needed: panel member openai: every judge failed: openai/openai-5xx: openai: server (HTTP 500): scripted failure", errText(err)); diff != "" {
		t.Errorf("error text (-want +got):\n%s", diff)
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
