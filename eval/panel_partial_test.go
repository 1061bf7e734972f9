package eval

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/llmfall/llmfall/judge"
	"github.com/llmfall/llmfall/provider"
)

// verdictJSON is a judge model's answer.
func verdictJSON(pass bool, score float64) func(int, *provider.Request) (string, error) {
	return func(int, *provider.Request) (string, error) {
		b, err := json.Marshal(map[string]any{"reasoning": "scripted", "score": score, "pass": pass})
		return string(b), err
	}
}

// threeJudges is a panel of three judge models of providers x, y and z
// (none a candidate's), z answering with answerZ.
func threeJudges(t *testing.T, answerZ func(int, *provider.Request) (string, error)) (*judge.Panel, map[string]*fakeProvider) {
	t.Helper()
	fs := map[string]*fakeProvider{
		"x": {answer: verdictJSON(true, 0.9)},
		"y": {answer: verdictJSON(true, 0.8)},
		"z": {answer: answerZ},
	}
	var members []judge.Member
	for _, name := range []string{"x", "y", "z"} {
		members = append(members, judge.Member{Name: name, Chain: []judge.Link{{Provider: name, Model: name + "-judge", Client: fs[name]}}})
	}
	p, err := judge.NewPanel(judge.PanelConfig{Members: members})
	if err != nil {
		t.Fatal(err)
	}
	return p, fs
}

// A panel member that errors on every verdict leaves the other two to
// decide: the cases pass, the failed votes are counted against that judge,
// and verdicts the full panel did not give are not cached.
func TestRunPanelWithAFailingMember(t *testing.T) {
	s := suiteOf(t, 2, `{type: judge, rubric: "mentions ticket"}`)
	cache, err := OpenCache(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	down := func(int, *provider.Request) (string, error) {
		return "", &provider.Error{Provider: "z", Status: 503, Class: provider.ClassServer, Message: "unavailable"}
	}
	p, fs := threeJudges(t, down)
	ps, _ := fakes(echo)
	opts := RunOptions{Providers: ps, Judge: p, Cache: cache, JudgeID: "panel", Retries: -1}
	rs, err := Run(context.Background(), mustPlan(t, s, PlanOptions{Depth: 2}), opts)
	if err != nil {
		t.Fatal(err)
	}
	if rs.Summary.Passed != 4 || rs.Summary.Errored != 0 {
		t.Errorf("summary = %+v; want 4 passed, none errored", rs.Summary)
	}
	js := rs.Summary.Judge
	want := map[string]VoteCount{"x/x-judge": {Pass: 4}, "y/y-judge": {Pass: 4}, "z/z-judge": {Errors: 4}}
	if diff := cmp.Diff(want, js.Panel.Judges); diff != "" {
		t.Errorf("panel votes (-want +got):\n%s", diff)
	}
	if js.Errors != 0 || js.Models["z/z-judge"] != 0 || js.Panel.Contested != 0 {
		t.Errorf("judge summary = %+v; want no errored verdict, no verdict counted for z, none contested", js)
	}
	if line := js.String(); !strings.Contains(line, "z/z-judge 0 pass 0 fail 4 errors") {
		t.Errorf("judge line = %q; want z's errors", line)
	}
	if n := fs["z"].calls.Load(); n != 4 {
		t.Errorf("z was asked %d times; want 4", n)
	}

	// Run again with z back: the answers come from the cache, the partial
	// verdicts do not.
	p, fs = threeJudges(t, verdictJSON(false, 0.1))
	opts.Judge = p
	rs, err = Run(context.Background(), mustPlan(t, s, PlanOptions{Depth: 2}), opts)
	if err != nil {
		t.Fatal(err)
	}
	if n := fs["z"].calls.Load(); n != 4 {
		t.Errorf("second run: z was asked %d times; want 4 (partial verdicts are not cached)", n)
	}
	if rs.Summary.Judge.Panel.Contested != 4 || rs.Summary.Passed != 4 {
		t.Errorf("second run: summary %+v, panel %+v; want 4 passed, each contested by z", rs.Summary, rs.Summary.Judge.Panel)
	}
}
