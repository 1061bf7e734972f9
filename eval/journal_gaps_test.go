package eval

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/llmfall/llmfall/provider"
)

// An interrupted run whose finished cases are not the first ones of the
// plan: the document written from the journal keeps every one of them, in
// plan order, and is the document the run's own results make; it never
// claims a pass.
func TestInterruptedRunDocumentKeepsResultsAfterGaps(t *testing.T) {
	s := suiteOf(t, 10, `{type: contains, value: "ticket"}`)
	plan := mustPlan(t, s, PlanOptions{Depth: 1})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// Odd tickets answer; even ones wait for the interrupt.
	p := &fakeProvider{answer: func(n int, req *provider.Request) (string, error) {
		id := req.Messages[0].Content[len("ticket "):]
		if (id[0]-'0')%2 == 0 {
			<-ctx.Done()
			return "", ctx.Err()
		}
		return echo(n, req)
	}}
	dir := t.TempDir()
	path := filepath.Join(dir, "results.json")
	j, err := CreateJournal(JournalPath(path))
	if err != nil {
		t.Fatal(err)
	}
	rs, err := Run(ctx, plan, RunOptions{Providers: map[string]provider.Provider{"a": p}, Journal: j,
		Limits: map[string]Limit{"a": {Concurrency: 10}},
		Progress: func(pr Progress) {
			if pr.Done == 5 {
				cancel()
			}
		}})
	if err == nil {
		t.Fatal("Run returned no error after an interrupt")
	}
	g := Gate(rs, GateOptions{})
	if err := j.WriteResults(path, rs); err != nil {
		t.Fatal(err)
	}
	if err := j.Close(); err != nil {
		t.Fatalf("Journal.Close() = %v", err)
	}
	doc, err := ReadResults(path)
	if err != nil {
		t.Fatal(err)
	}
	var tests []string
	for _, r := range doc.Results {
		tests = append(tests, r.Test)
	}
	if diff := cmp.Diff([]string{"t1", "t3", "t5", "t7", "t9"}, tests); diff != "" {
		t.Errorf("results in the document (-want +got):\n%s", diff)
	}
	if g.Pass || doc.Summary.Gate == nil || doc.Summary.Gate.Pass || doc.Summary.Gate.Status != GateIncomplete || doc.Summary.NotRun != 5 {
		t.Errorf("document gate %+v, not run %d; want incomplete, not passed, 5 not run", doc.Summary.Gate, doc.Summary.NotRun)
	}
	// Byte for byte what the run's own results write.
	direct := filepath.Join(dir, "direct.json")
	if err := rs.WriteFile(direct); err != nil {
		t.Fatal(err)
	}
	assertSameFile(t, path, direct)
}

// A run interrupted before any case finished writes the same document
// from its (empty) journal as from its results.
func TestEmptyJournalDocument(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "results.json")
	j, err := CreateJournal(JournalPath(path))
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	rs := &Results{Version: ResultsVersion, Results: []Result{}}
	rs.Summary.Interrupted, rs.Summary.NotRun = true, 3
	if err := j.WriteResults(path, rs); err != nil {
		t.Fatal(err)
	}
	direct := filepath.Join(dir, "direct.json")
	if err := rs.WriteFile(direct); err != nil {
		t.Fatal(err)
	}
	assertSameFile(t, path, direct)
}

func assertSameFile(t *testing.T, got, want string) {
	t.Helper()
	g, err := os.ReadFile(got)
	if err != nil {
		t.Fatal(err)
	}
	w, err := os.ReadFile(want)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(g, w) {
		t.Errorf("%s differs from %s:\n%s\nwant:\n%s", filepath.Base(got), filepath.Base(want), g, w)
	}
	if fi, err := os.Stat(got); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("%s mode = %v (%v); want -rw-r--r--, as results files are shared with CI steps", got, fi.Mode(), err)
	}
}

// A journal that can no longer be read fails WriteResults, and the results
// document of an earlier run is left as it was, never replaced by a partial one.
func TestUnreadableJournalLeavesTheOldDocument(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "results.json")
	if err := os.WriteFile(path, []byte("old\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	j, err := CreateJournal(JournalPath(path))
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	j.record(0, &Result{Prompt: "p", Test: "t0", Provider: "a", Model: "m", Pass: true})
	// Another process truncates the journal under the run.
	if err := os.Truncate(JournalPath(path), 0); err != nil {
		t.Fatal(err)
	}
	rs := &Results{Version: ResultsVersion, Results: []Result{}}
	if err := j.WriteResults(path, rs); err == nil || !strings.Contains(err.Error(), "reading the results journal") {
		t.Errorf("WriteResults() = %v; want the journal's read error", err)
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != "old\n" {
		t.Errorf("results document = %q (%v); want the old one untouched", b, err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".results.json.tmp-*")); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}
