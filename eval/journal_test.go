package eval

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/llmfall/llmfall/provider"
)

// journalLines reads a journal as results, in file order.
func journalLines(t *testing.T, path string) []Result {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []Result
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r Result
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("journal line %d: %v", len(out)+1, err)
		}
		out = append(out, r)
	}
	return out
}

// TestRunJournalsAndRetains: with a journal and Retain, a run keeps only
// the first failures in memory, yet its summary, gate and the document
// written from the journal are those of a run that kept every result.
func TestRunJournalsAndRetains(t *testing.T) {
	s := suiteOf(t, 12, `{type: contains, value: "ticket 1"}`)
	run := func(opts RunOptions) *Results {
		t.Helper()
		ps, _ := fakes(echo)
		opts.Providers = ps
		rs, err := Run(context.Background(), mustPlan(t, s, PlanOptions{Depth: 3}), opts)
		if err != nil {
			t.Fatal(err)
		}
		Gate(rs, GateOptions{MinPassRate: 0.5})
		return rs
	}
	full := run(RunOptions{})
	dir := t.TempDir()
	j, err := CreateJournal(JournalPath(filepath.Join(dir, "results.json")))
	if err != nil {
		t.Fatal(err)
	}
	lean := run(RunOptions{Journal: j, Retain: 4})
	if err := j.WriteResults(filepath.Join(dir, "results.json"), lean); err != nil {
		t.Fatal(err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}

	// t1 and t10, t11 pass ("ticket 1" is in their answer): 9 tests × 3
	// links fail, of which the first 4 in plan order are kept.
	var keptNames []string
	for _, r := range lean.Results {
		keptNames = append(keptNames, r.Test+"@"+r.Provider)
	}
	if diff := cmp.Diff([]string{"t0@a", "t0@b", "t0@c", "t2@a"}, keptNames); diff != "" {
		t.Errorf("kept results (-want +got):\n%s", diff)
	}
	if lean.Unlisted != 27-4 {
		t.Errorf("Unlisted = %d; want %d", lean.Unlisted, 27-4)
	}
	ignoreDuration := cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".DurationMS" }, cmp.Ignore())
	if diff := cmp.Diff(full.Summary, lean.Summary, ignoreDuration); diff != "" {
		t.Errorf("summary of the lean run (-full +lean):\n%s", diff)
	}
	if got := journalLines(t, j.Path()); len(got) != 36 {
		t.Errorf("journal has %d lines; want 36, one per result", len(got))
	}
	fullPath := filepath.Join(dir, "full.json")
	if err := full.WriteFile(fullPath); err != nil {
		t.Fatal(err)
	}
	want, _ := ReadResults(fullPath)
	got, err := ReadResults(filepath.Join(dir, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	ignore := cmp.FilterPath(func(p cmp.Path) bool {
		switch p.Last().String() {
		case ".DurationMS", ".LatencyMS", ".Source":
			return true
		}
		return false
	}, cmp.Ignore())
	if diff := cmp.Diff(want, got, ignore, cmp.AllowUnexported(AssertionResult{})); diff != "" {
		t.Errorf("document written from the journal (-in memory +journal):\n%s", diff)
	}
}

// TestInterruptedRunKeepsFinishedResults: the journal holds every result
// that finished before an interrupt, and the run's gate is incomplete.
func TestInterruptedRunKeepsFinishedResults(t *testing.T) {
	s := suiteOf(t, 10, `{type: contains, value: "ticket"}`)
	plan := mustPlan(t, s, PlanOptions{Depth: 1})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// The first 3 calls answer; the others wait for the interrupt.
	p := &fakeProvider{answer: func(n int, req *provider.Request) (string, error) {
		if n > 3 {
			<-ctx.Done()
			return "", ctx.Err()
		}
		return echo(n, req)
	}}
	path := JournalPath(filepath.Join(t.TempDir(), "results.json"))
	j, err := CreateJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	rs, err := Run(ctx, plan, RunOptions{Providers: map[string]provider.Provider{"a": p}, Journal: j, Retain: 1,
		Limits: map[string]Limit{"a": {Concurrency: 2}},
		Progress: func(pr Progress) {
			if pr.Done == 3 {
				cancel()
			}
		}})
	if err == nil {
		t.Fatal("Run returned no error after an interrupt")
	}
	lines := journalLines(t, path)
	if len(lines) != 3 || rs.Summary.Total != 3 || rs.Summary.NotRun != 7 {
		t.Errorf("journal lines = %d, summary = %d run, %d not run; want 3 and 7", len(lines), rs.Summary.Total, rs.Summary.NotRun)
	}
	for _, r := range lines {
		if !r.Pass || !strings.HasPrefix(r.Output, "ticket") {
			t.Errorf("journal line = %+v; want a finished, passed result", r)
		}
	}
	if g := Gate(rs, GateOptions{}); g.Pass || g.Status != GateIncomplete {
		t.Errorf("gate = %+v; want incomplete, not passed", g)
	}
}
