package eval

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// cellResults makes results for one prompt × link: pass passes, fail
// failures and errored errors.
func cellResults(prompt, provider string, position, pass, fail, errored int) []Result {
	var out []Result
	add := func(n int, r Result) {
		for range n {
			r.Prompt, r.Provider, r.Model, r.Position, r.Test = prompt, provider, provider+"-model", position, "t"
			out = append(out, r)
		}
	}
	add(pass, Result{Pass: true, Score: 1})
	add(fail, Result{})
	add(errored, Result{Error: "boom"})
	return out
}

func resultsOf(parts ...[]Result) *Results {
	rs := &Results{Version: 1}
	for _, p := range parts {
		rs.Results = append(rs.Results, p...)
	}
	rs.Summarize()
	return rs
}

func TestGate(t *testing.T) {
	rs := resultsOf(
		cellResults("summary", "a", 0, 9, 1, 0), // 90%
		cellResults("summary", "b", 1, 7, 3, 2), // 70%, errored ones not counted
		cellResults("intent", "a", 0, 4, 0, 0),  // 100%
		cellResults("intent", "b", 1, 0, 0, 3),  // no grade
	)
	baseline := resultsOf(
		cellResults("summary", "a", 0, 10, 0, 0),
		cellResults("summary", "b", 1, 8, 2, 0), // 80%
		cellResults("intent", "a", 0, 4, 0, 0),
	)
	type v struct {
		Prompt string
		Rule   string
		Got    float64
		Want   float64
	}
	tests := []struct {
		name string
		opts GateOptions
		want []v
	}{
		{"no gate", GateOptions{}, nil},
		{"global minimum", GateOptions{MinPassRate: 0.9}, []v{{"summary", "min_pass_rate", 0.7, 0.9}}},
		{"minimum met exactly", GateOptions{MinPassRate: 0.7}, nil},
		{"position override", GateOptions{MinPassRate: 0.9, PositionMinPassRate: map[int]float64{1: 0.5}}, nil},
		{"prompt override", GateOptions{MinPassRate: 0.5, PromptMinPassRate: map[string]float64{"summary": 0.95}},
			[]v{{"summary", "min_pass_rate", 0.9, 0.95}, {"summary", "min_pass_rate", 0.7, 0.95}}},
		{"regression", GateOptions{Baseline: baseline}, []v{{"summary", "max_regression", 0.9, 1}, {"summary", "max_regression", 0.7, 0.8}}},
		{"regression within allowance", GateOptions{Baseline: baseline, MaxRegression: 0.1}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := Gate(rs, tc.opts)
			var got []v
			for _, x := range g.Violations {
				got = append(got, v{x.Prompt, x.Rule, x.Got, x.Want})
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("violations (-want +got):\n%s", diff)
			}
			if g.Pass != (len(tc.want) == 0) || rs.Summary.Gate != g {
				t.Errorf("Pass = %v with %d violations; want it recorded in the summary", g.Pass, len(got))
			}
		})
	}
	g := Gate(rs, GateOptions{MinPassRate: 0.9})
	want := "summary @ b/b-model (link 1): pass rate 70% (7/10) is below the minimum 90%"
	if g.Violations[0].Message != want {
		t.Errorf("message = %q; want %q", g.Violations[0].Message, want)
	}
}

func TestSummary(t *testing.T) {
	rs := resultsOf(cellResults("summary", "a", 0, 3, 1, 2))
	s := rs.Summary
	if s.Total != 6 || s.Passed != 3 || s.Failed != 1 || s.Errored != 2 || s.PassRate != 0.75 {
		t.Errorf("summary = %+v; want 6 total, 3/1/2, rate 0.75", s)
	}
}

// TestGateFloors is issue 9 item 4: a prompt file may raise its minimum
// above the command line's or the trusted config's, never lower it, and
// the gate lists every such setting.
func TestGateFloors(t *testing.T) {
	rs := resultsOf(
		cellResults("lowers", "a", 0, 6, 4, 0),  // 60%
		cellResults("raises", "a", 0, 19, 1, 0), // 95%
		cellResults("raises", "b", 1, 7, 3, 0),  // 70%: position floor 50%, prompt 80%
	)
	g := Gate(rs, GateOptions{
		MinPassRate: 0.9, PositionMinPassRate: map[int]float64{1: 0.5},
		PromptMinPassRate: map[string]float64{"lowers": 0.5, "raises": 0.8},
	})
	var got []string
	for _, v := range g.Violations {
		got = append(got, v.Message)
	}
	want := []string{
		"lowers @ a/a-model (link 0): pass rate 60% (6/10) is below the minimum 90%",
		"raises @ b/b-model (link 1): pass rate 70% (7/10) is below the minimum 80%",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("violations (-want +got):\n%s", diff)
	}
	wantOverrides := []Override{
		{Prompt: "lowers", Rule: "min_pass_rate", Value: 0.5, Floor: 0.9, Ignored: true},
		{Prompt: "raises", Rule: "min_pass_rate", Value: 0.8, Floor: 0.9, Ignored: true},
	}
	if diff := cmp.Diff(wantOverrides, rs.Summary.Gate.Overrides); diff != "" {
		t.Errorf("overrides (-want +got):\n%s", diff)
	}
	if got, want := wantOverrides[0].String(), "lowers: min_pass_rate 50% is below the floor 90%: ignored"; got != want {
		t.Errorf("String() = %q; want %q", got, want)
	}
}

// TestGateIncompleteWhenInterrupted: an interrupted run never passes its
// gate, even when every finished case passed, and the results document
// says so with the number of cases not run (eval/report shows it too).
func TestGateIncompleteWhenInterrupted(t *testing.T) {
	passed := Result{Prompt: "p", Test: "t", Provider: "a", Model: "m", Pass: true, Score: 1}
	rs := &Results{Version: ResultsVersion, Results: []Result{passed}}
	rs.Summary.NotRun, rs.Summary.Interrupted = 4, true
	rs.Summarize()
	g := Gate(rs, GateOptions{MinPassRate: 1})
	if g.Pass || g.Status != GateIncomplete || g.NotRun != 4 {
		t.Errorf("Gate() = %+v; want not passed, incomplete, 4 not run", g)
	}

	path := filepath.Join(t.TempDir(), "results.json")
	if err := rs.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(path)
	if !strings.Contains(string(raw), `"gate": {
      "pass": false,
      "status": "incomplete",
      "not_run": 4,`) {
		t.Errorf("results.json does not record an incomplete gate:\n%s", raw)
	}
}

// A prompt whose cases all errored on one link says nothing about that
// link, but the links and prompts after it are still gated: their
// regressions and misses must not pass.
func TestGateChecksCellsAfterAnAllErroredOne(t *testing.T) {
	rs := resultsOf(
		cellResults("alpha", "a", 0, 0, 0, 3), // every case errored
		cellResults("alpha", "b", 1, 2, 8, 0), // 20%
		cellResults("zeta", "a", 0, 5, 5, 0),  // 50%
	)
	baseline := resultsOf(
		cellResults("alpha", "a", 0, 10, 0, 0),
		cellResults("alpha", "b", 1, 10, 0, 0),
		cellResults("zeta", "a", 0, 10, 0, 0),
	)
	g := Gate(rs, GateOptions{MinPassRate: 0.4, Baseline: baseline})
	var got []string
	for _, v := range g.Violations {
		got = append(got, v.Prompt+"@"+v.Provider+" "+v.Rule)
	}
	want := []string{"alpha@b min_pass_rate", "alpha@b max_regression", "zeta@a max_regression"}
	if diff := cmp.Diff(want, got); diff != "" || g.Pass {
		t.Errorf("gate pass = %t, violations (-want +got):\n%s", g.Pass, diff)
	}
}

// TestGateSettingsRoundTrip: every gate option survives the results
// document (merge and report gate from it), so a gate option added without
// a home in GateSettings fails here.
func TestGateSettingsRoundTrip(t *testing.T) {
	at, all := 0.5, 1.0
	base := &Results{Results: []Result{
		{Prompt: "p", Test: "t1", Provider: "a", Model: "m", Pass: true, Score: 1},
		{Prompt: "p", Test: "t2", Provider: "a", Model: "m", Repeat: 1, Score: 0.25},
	}}
	in := GateOptions{
		MinPassRate: 0.9, PositionMinPassRate: map[int]float64{1: 0.8}, PromptMinPassRate: map[string]float64{"p": 0.95},
		Overrides: []Override{{Rule: "eval.alpha", Value: 0.01, Floor: 0.05}},
		Baseline:  base, MaxRegression: 0.1, BaselineCells: Cells(base.Results),
		Paired: true, Alpha: 0.01,
		TestMinimums: map[[2]string]TestMinimum{{"p", "t1"}: {PassAtK: &at}, {"p", "t2"}: {PassAllK: &all}},
		CanaryPolicy: CanaryFail,
	}
	// Rand is left out: nil is a fixed seed, which is what a document
	// re-gated later must use.
	v := reflect.ValueOf(in)
	for i := range v.NumField() {
		if name := v.Type().Field(i).Name; name != "Rand" && v.Field(i).IsZero() {
			t.Fatalf("GateOptions.%s is not set in this test: set it, and give it a home in GateSettings", name)
		}
	}
	raw, err := json.Marshal(in.Settings())
	if err != nil {
		t.Fatal(err)
	}
	var s GateSettings
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatal(err)
	}
	out := s.Options()
	// The baseline keeps what the gate reads of each case.
	want := in
	want.Baseline = &Results{Version: ResultsVersion, Results: []Result{
		{Prompt: "p", Test: "t1", Provider: "a", Model: "m", Pass: true, Score: 1},
		{Prompt: "p", Test: "t2", Provider: "a", Model: "m", Repeat: 1, Score: 0.25},
	}}
	if diff := cmp.Diff(want, out, cmpopts.IgnoreUnexported(Results{})); diff != "" {
		t.Errorf("Options() after a round trip (-want +got):\n%s", diff)
	}
	if again := out.Settings(); !sameGate(again, &s) {
		t.Errorf("Settings() of the round-tripped options differ:\n%+v\n%+v", again, &s)
	}
}
