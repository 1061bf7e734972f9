package cmd

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/llmfall/llmfall/eval"
)

// evalThenReport runs the regression example's eval with --output, then
// report on what it wrote, and returns both runs' exit codes and stdout.
func evalThenReport(t *testing.T, root string, evalArgs, reportArgs []string, env map[string]string) (evalCode int, evalOut string, code int, stdout, stderr string) {
	t.Helper()
	t.Chdir(filepath.Join(root, "examples", "regression"))
	var eo, ee bytes.Buffer
	f := newFactory(testIO(strings.NewReader(""), &eo, &ee), envOf(env))
	evalCode = executeArgs(context.Background(), f, append([]string{"eval", "--offline", "--no-progress"}, evalArgs...))
	var ro, re bytes.Buffer
	f = newFactory(testIO(strings.NewReader(""), &ro, &re), envOf(env))
	code = executeArgs(context.Background(), f, append([]string{"report"}, reportArgs...))
	return evalCode, eo.String(), code, ro.String(), re.String()
}

// TestReportMatchesEval: report on saved results prints the terminal report
// eval printed, applies the same gate with the same exit code, and writes
// every format; with GitHub output the annotations point at the test's
// file and line, found again from the prompt files.
func TestReportMatchesEval(t *testing.T) {
	root := moduleDir(t)
	dir := t.TempDir()
	results := filepath.Join(dir, "results.json")
	summary := filepath.Join(dir, "summary.md")
	files := map[string]string{"junit": filepath.Join(dir, "junit.xml"), "markdown": filepath.Join(dir, "report.md"), "html": filepath.Join(dir, "report.html")}
	evalCode, evalOut, code, stdout, stderr := evalThenReport(t, root,
		[]string{"--output", results, "--markdown", filepath.Join(dir, "eval.md")},
		[]string{results, "--junit", files["junit"], "--markdown", files["markdown"], "--html", files["html"]}, nil)
	if evalCode != ExitFailed || code != ExitFailed {
		t.Fatalf("exit codes eval %d, report %d; want %d for both (the example's gate fails)\nstderr:\n%s", evalCode, code, ExitFailed, stderr)
	}
	if diff := cmp.Diff(evalOut, stdout); diff != "" {
		t.Errorf("report's terminal output differs from eval's (-eval +report):\n%s", diff)
	}
	for name, path := range files {
		b, err := os.ReadFile(path)
		if err != nil || len(b) == 0 {
			t.Errorf("--%s: %v, %d bytes", name, err, len(b))
		}
	}
	if diff := cmp.Diff(string(mustRead(t, filepath.Join(dir, "eval.md"))), string(mustRead(t, files["markdown"]))); diff != "" {
		t.Errorf("report's Markdown differs from eval's (-eval +report):\n%s", diff)
	}

	_, _, code, stdout, _ = evalThenReport(t, root, []string{"--output", results}, []string{results, "--github"},
		map[string]string{"GITHUB_STEP_SUMMARY": summary})
	if code != ExitFailed {
		t.Errorf("report --github exit code = %d; want %d", code, ExitFailed)
	}
	for _, want := range []string{"::stop-commands::", "::error file=prompts/ticket-summary.yaml,line=", "title=llmfall eval gate::"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("report --github lacks %q:\n%s", want, stdout)
		}
	}
	if b, err := os.ReadFile(summary); err != nil || !strings.Contains(string(b), "gate failed") {
		t.Errorf("job summary: %v\n%s", err, b)
	}
}

// TestReportGate: report applies the gate the file records with the flags
// over it, not the verdict stored in the file, with eval's exit codes.
func TestReportGate(t *testing.T) {
	root := moduleDir(t)
	dir := t.TempDir()
	results := filepath.Join(dir, "results.json")
	passing := filepath.Join(dir, "passing.json")
	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     string
	}{
		{"config's minimum", []string{results}, ExitFailed, "gate: FAILED"},
		{"flag lowers it", []string{results, "--min-pass-rate", "0"}, ExitOK, "gate: passed"},
		{"per position", []string{results, "--min-pass-rate-at", "1=0"}, ExitOK, "gate: passed"},
		{"regression from a baseline", []string{results, "--min-pass-rate", "0", "--baseline", passing}, ExitFailed, "pass rate fell from 100% to"},
		{"missing file", []string{filepath.Join(dir, "nope.json")}, ExitUsage, ""},
		{"no file", nil, ExitUsage, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, code, stdout, stderr := evalThenReport(t, root, []string{"--output", results}, tc.args, nil)
			if tc.name == "regression from a baseline" {
				// The baseline: the same run with every case passed.
				base, err := eval.ReadResults(results)
				if err != nil {
					t.Fatal(err)
				}
				for i := range base.Results {
					base.Results[i].Pass = true
				}
				base.Summarize()
				if err := base.WriteFile(passing); err != nil {
					t.Fatal(err)
				}
				_, _, code, stdout, stderr = evalThenReport(t, root, []string{"--output", results}, tc.args, nil)
			}
			if code != tc.wantCode || !strings.Contains(stdout, tc.want) {
				t.Errorf("exit code %d; want %d with %q\nstdout:\n%s\nstderr:\n%s", code, tc.wantCode, tc.want, stdout, stderr)
			}
		})
	}
}

// TestReportCallsNoProvider: with providers whose endpoint is a live fake,
// report renders and gates without a single request.
func TestReportCallsNoProvider(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		http.Error(w, `{"error":{"message":"no"}}`, http.StatusInternalServerError)
	}))
	defer srv.Close()
	dir := t.TempDir()
	t.Chdir(dir)
	config := "providers:\n  openai: { type: openai, base_url: " + srv.URL + "/v1 }\norder: [openai]\ncategories:\n  fast: { openai: gpt-4.1-mini }\n"
	results := `{"version":1,"results":[{"prompt":"p","test":"t","provider":"openai","model":"gpt-4.1-mini","position":0,"output":"hi","pass":true,"score":1,"latency_ms":5,"usage":{"input_tokens":1,"output_tokens":1},"cost_usd":0,"error":"","assertions":[{"type":"contains","pass":true,"score":1,"reason":""}]}],"summary":{"total":1,"passed":1}}`
	os.WriteFile("llmfall.yaml", []byte(config), 0o644)
	os.WriteFile("results.json", []byte(results), 0o644)
	var stdout, stderr bytes.Buffer
	f := newFactory(testIO(strings.NewReader(""), &stdout, &stderr), envOf(map[string]string{"OPENAI_API_KEY": "sk-test"}))
	code := executeArgs(context.Background(), f, []string{"report", "results.json", "--html", "r.html"})
	if code != ExitOK || calls.Load() != 0 {
		t.Errorf("exit code %d, %d provider calls; want 0 and 0\nstdout:\n%s\nstderr:\n%s", code, calls.Load(), stdout.String(), stderr.String())
	}
	if !strings.Contains(stdout.String(), "1 case: 1 passed") {
		t.Errorf("stdout lacks the totals:\n%s", stdout.String())
	}
}

// TestReportRefusesOneShard: one shard's results hold part of each
// prompt × link, so report refuses to gate them as the suite's (exit 2,
// pointing at merge) unless --allow-partial says that is meant; then it
// gates the shard's results and says they are partial.
func TestReportRefusesOneShard(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, shardedSuite())
	if code, _, stderr := evalIn(t, dir, nil, "prompts/", "--min-pass-rate", "0.9", "--shard", "1/3", "-o", "shard-1.json"); code != ExitOK {
		t.Fatalf("shard: exit code %d\n%s", code, stderr)
	}
	code, stdout, stderr := llmfallIn(t, "report", "shard-1.json")
	if code != ExitUsage || !strings.Contains(stderr, "shard-1.json holds the results of shard 1/3 only") ||
		!strings.Contains(stderr, "llmfall merge") || !strings.Contains(stderr, "--allow-partial") || stdout != "" {
		t.Errorf("report on one shard: exit code %d, stdout %q, stderr %q; want %d, nothing printed, and a hint to merge or pass --allow-partial",
			code, stdout, stderr, ExitUsage)
	}
	// Half the tests fail: the shard's part fails the 90% minimum too.
	code, stdout, stderr = llmfallIn(t, "report", "shard-1.json", "--allow-partial")
	if code != ExitFailed || !strings.Contains(stdout, "gate: FAILED") || !strings.Contains(stderr, "the results of shard 1/3 only (--allow-partial)") {
		t.Errorf("report --allow-partial on one shard: exit code %d, stderr %q; want %d, the gate applied and a warning\n%s", code, stderr, ExitFailed, stdout)
	}
}
