package eval

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/llmfall/llmfall/provider"
)

// ticketSuite is one prompt whose tests send "ticket <id>" for each id and
// pass when the answer contains "ticket 1".
func ticketSuite(t *testing.T, ids ...string) *Suite {
	t.Helper()
	var b strings.Builder
	b.WriteString("name: p\ncategory: fast\nprompt: \"ticket {{.id}}\"\ntests:\n")
	for i, id := range ids {
		b.WriteString("  - name: t" + string(rune('0'+i)) + "\n    vars: {id: \"" + id + "\"}\n    assert: [{type: contains, value: \"ticket 1\"}]\n")
	}
	return loadDir(t, map[string]string{"p.yaml": b.String()})
}

// A run against a baseline answers the unchanged cases from it: no call,
// the baseline's verdicts in the results (after those that ran) and in
// every count, and the summary says why each case is there. Results kept
// under Retain are failures that ran: a carried failure is the baseline's,
// already reported.
func TestRunCarriesUnchangedBaselineResults(t *testing.T) {
	ps, _ := fakes(echo)
	baseline, err := Run(context.Background(), mustPlan(t, ticketSuite(t, "0", "1", "2"), PlanOptions{Depth: 1}), RunOptions{Providers: ps})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "baseline.json")
	if err := baseline.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	if baseline, err = ReadResults(path); err != nil {
		t.Fatal(err)
	}
	// t2 now asks about ticket 12: it runs (and passes); t0 (failed) and
	// t1 (passed) are carried.
	plan := mustPlan(t, ticketSuite(t, "0", "1", "12"), PlanOptions{Depth: 1, Baseline: baseline})
	if len(plan.Cases) != 1 || len(plan.Carried) != 2 {
		t.Fatalf("plan runs %d and carries %d; want 1 and 2", len(plan.Cases), len(plan.Carried))
	}
	changed := plan.Cases[0].Reason
	for _, retain := range []int{0, 5} {
		ps, fs := fakes(echo)
		rs, err := Run(context.Background(), plan, RunOptions{Providers: ps, Retain: retain})
		if err != nil {
			t.Fatal(err)
		}
		if n := fs["a"].calls.Load(); n != 1 {
			t.Errorf("retain %d: %d calls; want 1, for the changed case", retain, n)
		}
		type row struct {
			Test    string
			Pass    bool
			Carried bool
			Reason  string
		}
		var got []row
		for _, r := range rs.Results {
			got = append(got, row{r.Test, r.Pass, r.Carried, r.Reason})
		}
		want := []row{
			{"t2", true, false, changed},
			{"t0", false, true, "unchanged since the baseline"},
			{"t1", true, true, "unchanged since the baseline"},
		}
		if retain > 0 {
			want = nil // t2 passed, t0's failure did not run
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("retain %d: results (-want +got):\n%s", retain, diff)
		}
		s := rs.Summary
		if s.Total != 3 || s.Passed != 2 || s.Failed != 1 || s.Carried != 2 || s.NotRun != 0 || rs.Unlisted != 0 {
			t.Errorf("retain %d: summary %d total, %d passed, %d failed, %d carried, %d not run, %d unlisted; want 3, 2, 1, 2, 0, 0",
				retain, s.Total, s.Passed, s.Failed, s.Carried, s.NotRun, rs.Unlisted)
		}
		if diff := cmp.Diff(map[string]int{"unchanged since the baseline": 2, changed: 1}, s.Reasons); diff != "" {
			t.Errorf("retain %d: reasons (-want +got):\n%s", retain, diff)
		}
		if want := "why: 2 unchanged since the baseline, 1 " + changed; s.ReasonsLine() != want {
			t.Errorf("retain %d: reasons line %q; want %q", retain, s.ReasonsLine(), want)
		}
	}
}

// An interrupted run's matrix lists every link that answered, with what
// it answered, and leaves out the one that never did, wherever it is in
// the chain.
func TestInterruptedRunMatrixListsTheLinksThatAnswered(t *testing.T) {
	plan := mustPlan(t, ticketSuite(t, "0", "1"), PlanOptions{Depth: 3})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ps, _ := fakes(echo)
	// a: t0 fails, t1 errors; b never answers; c: t0 fails, t1 passes.
	ps["a"] = &fakeProvider{answer: func(n int, req *provider.Request) (string, error) {
		if req.Messages[0].Content == "ticket 1" {
			return "", &provider.Error{Provider: "a", Status: 404, Class: provider.ClassNotFound, Message: "model not found"}
		}
		return echo(n, req)
	}}
	ps["b"] = &fakeProvider{answer: func(int, *provider.Request) (string, error) {
		<-ctx.Done()
		return "", ctx.Err()
	}}
	rs, err := Run(ctx, plan, RunOptions{Providers: ps, Progress: func(p Progress) {
		if p.Done == 4 {
			cancel()
		}
	}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run error = %v; want context.Canceled", err)
	}
	want := []Cell{
		{Prompt: "p", Position: 0, Provider: "a", Model: "gpt-4.1-mini", Failed: 1, Errored: 1, PassRate: 0},
		{Prompt: "p", Position: 2, Provider: "c", Model: "gemini-2.5-flash", Passed: 1, Failed: 1, PassRate: 0.5},
	}
	if diff := cmp.Diff(want, rs.Summary.Links); diff != "" {
		t.Errorf("links (-want +got):\n%s", diff)
	}
	if s := rs.Summary; s.Total != 4 || s.Errored != 1 || s.NotRun != 2 || s.PassRate != 1.0/3 {
		t.Errorf("summary %d run, %d errored, %d not run, pass rate %v; want 4, 1, 2, 1/3", s.Total, s.Errored, s.NotRun, s.PassRate)
	}
}

// The reasons line puts the most frequent reason first, ties in name order.
func TestReasonsLine(t *testing.T) {
	s := Summary{Reasons: map[string]int{"link changed": 2, "assertions changed": 2, "new case": 1, "unchanged since the baseline": 27}}
	want := "why: 27 unchanged since the baseline, 2 assertions changed, 2 link changed, 1 new case"
	if got := s.ReasonsLine(); got != want {
		t.Errorf("ReasonsLine() = %q; want %q", got, want)
	}
	if got := (&Summary{}).ReasonsLine(); got != "" {
		t.Errorf("ReasonsLine() without reasons = %q; want \"\"", got)
	}
}

// A results document of another version, or not JSON, is refused with its
// path and what is wrong.
func TestReadResultsRefusals(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"v2.json":  `{"version": 2, "results": []}`,
		"bad.json": `{"version": 1, "results": [`,
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct{ file, want string }{
		{"v2.json", "reading results " + filepath.Join(dir, "v2.json") + ": version 2, want 1"},
		{"bad.json", "reading results " + filepath.Join(dir, "bad.json") + ": unexpected end of JSON input"},
		{"none.json", "reading results: open " + filepath.Join(dir, "none.json") + ": no such file or directory"},
	}
	for _, tc := range tests {
		rs, err := ReadResults(filepath.Join(dir, tc.file))
		if err == nil || err.Error() != tc.want || rs != nil {
			t.Errorf("ReadResults(%s) = %v, %v; want the error %q", tc.file, rs, err, tc.want)
		}
	}
}

// keys are a JSON object's keys, sorted.
func keys(t *testing.T, v any) []string {
	t.Helper()
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("%v is not an object", v)
	}
	return slices.Sorted(maps.Keys(m))
}

// The document a run writes has the keys docs/design.md promises (those
// marked "?" only when they apply) and says what was run and how.
func TestRunDocumentKeys(t *testing.T) {
	plan := mustPlan(t, suiteOf(t, 1, `{type: contains, value: "ticket"}`), PlanOptions{Depth: 2})
	ps, _ := fakes(echo)
	rs, err := Run(context.Background(), plan, RunOptions{Providers: ps, Offline: true})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "results.json")
	if err := rs.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"results", "run", "summary", "version"}, keys(t, doc)); diff != "" {
		t.Errorf("document keys (-want +got):\n%s", diff)
	}
	results := doc["results"].([]any)
	if len(results) != 2 {
		t.Fatalf("%d results; want 2", len(results))
	}
	common := []string{"assertions", "cost_usd", "error", "fingerprint", "inputs", "latency_ms", "model", "output", "pass",
		"position", "prompt", "provider", "reason", "repeat", "score", "test", "usage"}
	primary := slices.Sorted(slices.Values(append(slices.Clone(common), "input")))
	if diff := cmp.Diff(primary, keys(t, results[0])); diff != "" {
		t.Errorf("the primary's result keys (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(common, keys(t, results[1])); diff != "" {
		t.Errorf("another link's result keys (-want +got):\n%s", diff)
	}
	summary := []string{"cached", "carried", "cost_usd", "duration_ms", "errored", "failed", "interrupted", "links", "not_run",
		"offline", "pass_rate", "passed", "reasons", "total"}
	if diff := cmp.Diff(summary, keys(t, doc["summary"])); diff != "" {
		t.Errorf("summary keys (-want +got):\n%s", diff)
	}
	run := doc["run"].(map[string]any)
	if run["suite"] != plan.Suite || run["cases"] != float64(plan.Planned) || len(run) != 2 {
		t.Errorf("run = %v; want the plan's suite %s and %d cases, no shard", run, plan.Suite, plan.Planned)
	}
	if s := doc["summary"].(map[string]any); s["offline"] != true || s["interrupted"] != false {
		t.Errorf("summary offline %v, interrupted %v; want true, false", s["offline"], s["interrupted"])
	}
}

// A repeated run whose cases are all carried from the baseline still
// reports each test's repeats (which the gate's pass@k minimums read).
func TestRunOfCarriedRepeatsReportsThem(t *testing.T) {
	s := ticketSuite(t, "1")
	ps, _ := fakes(echo)
	baseline, err := Run(context.Background(), mustPlan(t, s, PlanOptions{Depth: 1, Repeat: 2}), RunOptions{Providers: ps})
	if err != nil {
		t.Fatal(err)
	}
	plan := mustPlan(t, s, PlanOptions{Depth: 1, Repeat: 2, Baseline: baseline})
	if len(plan.Cases) != 0 || len(plan.Carried) != 2 {
		t.Fatalf("plan runs %d and carries %d; want 0 and 2", len(plan.Cases), len(plan.Carried))
	}
	rs, err := Run(context.Background(), plan, RunOptions{Providers: ps})
	if err != nil {
		t.Fatal(err)
	}
	want := []Repeat{{Prompt: "p", Test: "t0", Provider: "a", Model: "gpt-4.1-mini", Runs: 2, Passed: 2, PassAtK: 1, PassAllK: 1}}
	if diff := cmp.Diff(want, rs.Summary.Repeats); diff != "" {
		t.Errorf("repeats (-want +got):\n%s", diff)
	}
}

// A run that repeats nothing keeps no per-case repeat entries (200 bytes a
// case, for a report it will not make), carried cases included; one that
// repeats registers them in plan order, whatever order its cases finish in.
func TestRunKeepsRepeatEntriesOnlyWhenItRepeats(t *testing.T) {
	s := ticketSuite(t, "0", "1", "2")
	ps, _ := fakes(echo)
	for _, repeat := range []int{1, 2} {
		baseline, err := Run(context.Background(), mustPlan(t, s, PlanOptions{Depth: 2, Repeat: repeat}), RunOptions{Providers: ps})
		if err != nil {
			t.Fatal(err)
		}
		// t2 changed: it runs, t0 and t1 are carried.
		plan := mustPlan(t, ticketSuite(t, "0", "1", "12"), PlanOptions{Depth: 2, Repeat: repeat, Baseline: baseline})
		r := newRunner(plan, RunOptions{Providers: ps})
		var got []string
		for _, e := range r.tally.repeats.out {
			got = append(got, e.Test+"@"+e.Provider)
		}
		var want []string
		if repeat > 1 {
			want = []string{"t2@a", "t2@b", "t0@a", "t0@b", "t1@a", "t1@b"}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("repeat %d: repeat entries before any case ran (-want +got):\n%s", repeat, diff)
		}
	}
}
