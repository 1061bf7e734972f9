package eval

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/llmfall/llmfall/provider"
)

func TestRepeatsAndTheirGate(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"p.yaml": `name: p
category: fast
prompt: "ticket {{.id}}"
tests:
  - name: steady
    vars: {id: "1"}
    assert: [{type: contains, value: ticket}]
  - name: flaky
    vars: {id: "2"}
    min_pass_all_k: 1
    assert: [{type: contains, value: ticket}]
  - name: dead
    vars: {id: "3"}
    min_pass_at_k: 1
    assert: [{type: contains, value: ticket}]
`})
	s, err := LoadSuite([]string{dir}, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// A run that keeps only its first failure in memory (Retain) gates as
	// one that keeps every result: the gate counts repeats from the summary.
	for _, retain := range []int{0, 1} {
		t.Run(fmt.Sprintf("retain %d", retain), func(t *testing.T) {
			// "flaky" passes its first run only; "dead" never passes.
			var flakyRuns atomic.Int32
			ps := map[string]provider.Provider{"a": &fakeProvider{answer: func(_ int, req *provider.Request) (string, error) {
				switch user := req.Messages[0].Content; {
				case user == "ticket 3":
					return "nothing", nil
				case user == "ticket 2" && flakyRuns.Add(1) > 1:
					return "nothing", nil
				default:
					return user, nil
				}
			}}}
			rs, err := Run(context.Background(), mustPlan(t, s, PlanOptions{Depth: 1, Repeat: 3}), RunOptions{Providers: ps, Retries: -1, Retain: retain})
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]Repeat{}
			for _, r := range rs.Summary.Repeats {
				got[r.Test] = r
			}
			for name, want := range map[string][3]float64{"steady": {3, 1, 1}, "flaky": {1, 1, 0}, "dead": {0, 0, 0}} {
				r := got[name]
				if r.Runs != 3 || float64(r.Passed) != want[0] || r.PassAtK != want[1] || r.PassAllK != want[2] {
					t.Errorf("%s = %+v; want 3 runs, %v passed, pass@3 %v, pass^3 %v", name, r, want[0], want[1], want[2])
				}
			}
			if !got["flaky"].Flaky() || got["steady"].Flaky() || got["dead"].Flaky() {
				t.Error("only flaky should be flaky")
			}
			g := Gate(rs, GateOptions{TestMinimums: TestMinimums(s)})
			var msgs []string
			for _, v := range g.Violations {
				msgs = append(msgs, v.Rule+": "+v.Message)
			}
			want := []string{
				"min_pass_all_k: p / flaky @ a/gpt-4.1-mini (link 0): pass^3 is 0% (1 of 3 runs passed: flaky), below min_pass_all_k 100%",
				"min_pass_at_k: p / dead @ a/gpt-4.1-mini (link 0): pass@3 is 0% (0 of 3 runs passed), below min_pass_at_k 100%",
			}
			if strings.Join(msgs, "\n") != strings.Join(want, "\n") {
				t.Errorf("violations:\n%s\nwant:\n%s", strings.Join(msgs, "\n"), strings.Join(want, "\n"))
			}
		})
	}
	rs, err := Run(context.Background(), mustPlan(t, s, PlanOptions{Depth: 1, Repeat: 3}), RunOptions{Providers: map[string]provider.Provider{"a": &fakeProvider{answer: echo}}, Retries: -1})
	if err != nil {
		t.Fatal(err)
	}
	// One run each: no repeats to report.
	if reps := Repeats(rs.Results[:1]); reps != nil {
		t.Errorf("Repeats(one result) = %v; want nil", reps)
	}
}

// A repeated test whose every run errored has no grade: its pass@k and
// pass^k are 0, not NaN (which the results file could not hold), and a
// minimum on it is no violation (the errors are reported as errors).
func TestRepeatsOfATestThatAlwaysErrors(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"p.yaml": `name: p
category: fast
prompt: "ticket {{.id}}"
tests:
  - name: down
    vars: {id: "1"}
    min_pass_at_k: 1
    assert: [{type: contains, value: ticket}]
`})
	s, err := LoadSuite([]string{dir}, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	down := &fakeProvider{answer: func(int, *provider.Request) (string, error) {
		return "", &provider.Error{Provider: "a", Status: 400, Class: provider.ClassInvalidRequest, Message: "bad request"}
	}}
	rs, err := Run(context.Background(), mustPlan(t, s, PlanOptions{Depth: 1, Repeat: 2}),
		RunOptions{Providers: map[string]provider.Provider{"a": down}, Retries: NoRetries})
	if err != nil {
		t.Fatal(err)
	}
	want := []Repeat{{Prompt: "p", Test: "down", Provider: "a", Model: "gpt-4.1-mini"}}
	if diff := cmp.Diff(want, rs.Summary.Repeats); diff != "" {
		t.Errorf("repeats (-want +got):\n%s", diff)
	}
	if err := rs.WriteFile(filepath.Join(t.TempDir(), "results.json")); err != nil {
		t.Errorf("WriteFile: %v", err)
	}
	if vs := repeatViolations(rs, GateOptions{TestMinimums: TestMinimums(s)}); len(vs) != 0 {
		t.Errorf("violations = %+v; want none for a test without a graded run", vs)
	}
}

// An interrupted run reports the repeats of the tests that ran, whichever
// tests before them in the plan it did not reach.
func TestRepeatsOfAnInterruptedRun(t *testing.T) {
	var tally repeatTally
	first := repeatKey{"p", "first", "a", "gpt-4.1-mini", 0}
	second := repeatKey{"p", "second", "a", "gpt-4.1-mini", 0}
	tally.register(first)
	tally.register(second)
	for range 2 {
		tally.add(&Result{Prompt: "p", Test: "second", Provider: "a", Model: "gpt-4.1-mini", Pass: true})
	}
	want := []Repeat{{Prompt: "p", Test: "second", Provider: "a", Model: "gpt-4.1-mini", Runs: 2, Passed: 2, PassAtK: 1, PassAllK: 1}}
	if diff := cmp.Diff(want, tally.repeats()); diff != "" {
		t.Errorf("repeats (-want +got):\n%s", diff)
	}
}
