package cmd

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/llmfall/llmfall/eval/report"
)

// moduleDir is the repository root (the parent of cmd/).
func moduleDir(t *testing.T) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Dir(wd)
}

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// TestEvalPromptsOffline is the README's first command: it must pass.
func TestEvalPromptsOffline(t *testing.T) {
	root := moduleDir(t)
	t.Chdir(root)
	out := filepath.Join(t.TempDir(), "results.json")
	var stdout, stderr bytes.Buffer
	f := newFactory(testIO(strings.NewReader(""), &stdout, &stderr), envOf(nil))
	code := executeArgs(context.Background(), f, []string{"eval", "prompts/", "--offline", "--output", out})
	if code != ExitOK {
		t.Fatalf("exit code = %d; want 0\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
	}
	if !strings.Contains(stdout.String(), "gate: passed") || !strings.Contains(stdout.String(), "offline: simulated") {
		t.Errorf("stdout does not report an offline pass:\n%s", stdout.String())
	}
	var doc struct {
		Version int `json:"version"`
		Results []struct {
			Prompt    string `json:"prompt"`
			Test      string `json:"test"`
			Provider  string `json:"provider"`
			Position  int    `json:"position"`
			ToolCalls []struct {
				ID        string         `json:"id"`
				Name      string         `json:"name"`
				Arguments map[string]any `json:"arguments"`
			} `json:"tool_calls"`
		} `json:"results"`
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &doc); err != nil || doc.Version != 1 || len(doc.Results) == 0 {
		t.Fatalf("results.json = %v, %d results; want version 1 with results", err, len(doc.Results))
	}
	positions := map[int]bool{}
	lookups := 0
	for _, r := range doc.Results {
		positions[r.Position] = true
		// The tool-using example reports its calls as run --json does:
		// arguments as an object.
		if r.Prompt == "order-agent" && r.Test == "where-is-my-order" {
			if len(r.ToolCalls) != 1 || r.ToolCalls[0].Name != "lookup_order" || r.ToolCalls[0].Arguments["order_id"] != "ORD-90412" || r.ToolCalls[0].ID == "" {
				t.Errorf("%s: tool_calls = %+v; want one lookup_order call for ORD-90412", r.Provider, r.ToolCalls)
			}
			lookups++
		}
	}
	if lookups != 2 {
		t.Errorf("order-agent/where-is-my-order has %d results; want 2", lookups)
	}
	if diff := cmp.Diff(map[int]bool{0: true, 1: true}, positions); diff != "" {
		t.Errorf("positions evaluated (-want +got):\n%s", diff)
	}
	if testing.Verbose() {
		t.Logf("stdout:\n%s", stdout.String())
	}
}

// TestEvalRegressionExample shows a regression on a fallback link: the
// gate fails (exit 1) and the report names the failing link.
func TestEvalRegressionExample(t *testing.T) {
	t.Chdir(filepath.Join(moduleDir(t), "examples", "regression"))
	html := filepath.Join(t.TempDir(), "report.html")
	var stdout, stderr bytes.Buffer
	f := newFactory(testIO(strings.NewReader(""), &stdout, &stderr), envOf(nil))
	code := executeArgs(context.Background(), f, []string{"eval", "--offline", "--no-progress", "--html", html})
	if code != ExitFailed {
		t.Fatalf("exit code = %d; want %d\nstdout:\n%s\nstderr:\n%s", code, ExitFailed, stdout.String(), stderr.String())
	}
	for _, want := range []string{
		"FAIL ticket-summary / keeps-order-number @ gemini/gemini-2.5-flash-lite (link 1)",
		`contains: output does not contain "1182"`,
		"gate: FAILED",
		"openai/gpt-4.1-mini  100% (2/2)",
	} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout.String())
		}
	}
	page, err := os.ReadFile(html)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"<title>llmfall eval: gate failed</title>",
		`<details class="case fail"`,
		// The passing cases too: a run that kept only its failures in
		// memory (RunOptions.Retain) would leave them out.
		`<details class="case pass"`,
		"gemini/gemini-2.5-flash-lite",
		"Offline run",
		"1182", // in the prompt the case opens to
	} {
		if !strings.Contains(string(page), want) {
			t.Errorf("--html report lacks %q", want)
		}
	}
	if testing.Verbose() {
		t.Logf("stdout:\n%s", stdout.String())
	}
}

func TestNewCmdEvalArgs(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		want     evalOptions
		wantCode int
	}{
		{"default path", []string{"eval"}, evalOptions{Paths: []string{"prompts"}}, 0},
		{"flags", []string{"eval", "a/", "b.yaml", "--depth", "3", "--providers", "openai,gemini", "--repeat", "2", "--filter", "^intent/",
			"-j", "4", "--no-cache", "--cache-dir", "/tmp/c", "-o", "r.json", "--junit", "j.xml", "--markdown", "c.md",
			"--changed-since", "origin/main", "--baseline", "base.json", "--dry-run", "--min-pass-rate", "0.8", "--min-pass-rate-at", "1=0.5"},
			evalOptions{Paths: []string{"a/", "b.yaml"}, Depth: 3, Providers: []string{"openai", "gemini"}, Repeat: 2, Filter: "^intent/",
				Concurrency: 4, NoCache: true, CacheDir: "/tmp/c", Output: "r.json", Formats: report.Formats{JUnit: "j.xml", Markdown: "c.md"},
				ChangedSince: "origin/main", Baseline: "base.json", DryRun: true, MinPassRate: ptr(0.8), MinPassAt: []string{"1=0.5"}}, 0},
		{"base is the default --changed-since", []string{"eval", "--base", "origin/main", "--allow-provider-changes"},
			evalOptions{Paths: []string{"prompts"}, Base: "origin/main", ChangedSince: "origin/main", AllowProviderChanges: true}, 0},
		{"explicit zero min pass rate", []string{"eval", "--min-pass-rate", "0"}, evalOptions{Paths: []string{"prompts"}, MinPassRate: ptr(0.0)}, 0},
		{"unknown flag", []string{"eval", "--fast"}, evalOptions{}, ExitUsage},
		{"bad number", []string{"eval", "--depth", "two"}, evalOptions{}, ExitUsage},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			f := newFactory(testIO(strings.NewReader(""), &out, &errb), envOf(nil))
			var got *evalOptions
			root := newCmdRoot(f)
			for _, c := range root.Commands() {
				if c.Name() == "eval" {
					root.RemoveCommand(c)
				}
			}
			root.AddCommand(newCmdEval(f, func(_ context.Context, o *evalOptions) error { got = o; return nil }))
			root.SetArgs(tc.args)
			root.SetOut(&out)
			root.SetErr(&errb)
			err := root.Execute()
			if tc.wantCode != 0 {
				if code, _ := classify(err); err == nil || code != tc.wantCode {
					t.Errorf("error = %v (code %d); want exit code %d", err, code, tc.wantCode)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			// What the factory hands the command is not the flags'.
			deps := cmpopts.IgnoreFields(evalOptions{}, "IO", "Getenv", "Setup", "Config", "Clients", "Engine", "Judge")
			if diff := cmp.Diff(tc.want, *got, cmp.AllowUnexported(evalOptions{}), deps); diff != "" {
				t.Errorf("options (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEvalExitCodes(t *testing.T) {
	root := moduleDir(t)
	tests := []struct {
		name       string
		args       []string
		files      map[string]string
		wantCode   int
		wantStdout string
		wantStderr string
	}{
		{"dry run", []string{"eval", "prompts/", "--offline", "--dry-run"}, nil, ExitOK, "plan: 7 prompts, 38 cases", ""},
		{"filter", []string{"eval", "prompts/", "--offline", "--filter", "^intent/", "--no-progress"}, nil, ExitOK, "10 cases: 10 passed", ""},
		{"bad filter", []string{"eval", "prompts/", "--offline", "--filter", "("}, nil, ExitUsage, "", "--filter: error parsing regexp"},
		{"bad prompt file", []string{"eval", "bad/", "--offline"}, map[string]string{"bad/p.yaml": "category: fast\nprompt: hi\ntests: [{assert: [{type: nope}]}]\n"},
			ExitUsage, "", `bad/p.yaml:3: unknown assertion type "nope"`},
		{"gate from the flag", []string{"eval", "prompts/", "--offline", "--no-progress", "--providers", "gemini", "--filter", "^ticket-summary/", "--min-pass-rate", "1"}, nil, ExitOK, "gate: passed", ""},
		{"keys missing", []string{"eval", "prompts/", "--no-progress", "--filter", "^intent/"}, nil, ExitUsage, "",
			"provider \"openai\" needs an API key: OPENAI_API_KEY is not set\nprovider \"anthropic\" needs an API key: ANTHROPIC_API_KEY is not set\nhint: export them, or run with --offline"},
		{"missing path", []string{"eval", "nope/", "--offline"}, nil, ExitUsage, "",
			"llmfall: nope/: no such file or directory\nhint: pass directories or files of prompt files"},
		{"dry run needs no keys", []string{"eval", "prompts/", "--dry-run", "--filter", "^intent/"}, nil, ExitOK, "plan: 1 prompt, 10 cases", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if tc.files == nil {
				t.Chdir(root)
			} else {
				t.Chdir(dir)
				os.WriteFile(filepath.Join(dir, "llmfall.yaml"), mustRead(t, filepath.Join(root, "llmfall.yaml")), 0o644)
				for name, content := range tc.files {
					os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755)
					os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644)
				}
			}
			var stdout, stderr bytes.Buffer
			f := newFactory(testIO(strings.NewReader(""), &stdout, &stderr), envOf(nil))
			code := executeArgs(context.Background(), f, tc.args)
			if code != tc.wantCode {
				t.Errorf("exit code = %d; want %d\nstdout:\n%s\nstderr:\n%s", code, tc.wantCode, stdout.String(), stderr.String())
			}
			if !strings.Contains(stdout.String(), tc.wantStdout) || !strings.Contains(stderr.String(), tc.wantStderr) {
				t.Errorf("stdout:\n%s\nstderr:\n%s\nwant %q and %q in them", stdout.String(), stderr.String(), tc.wantStdout, tc.wantStderr)
			}
		})
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestEvalGitHubActions(t *testing.T) {
	t.Chdir(filepath.Join(moduleDir(t), "examples", "regression"))
	summary := filepath.Join(t.TempDir(), "summary.md")
	var stdout, stderr bytes.Buffer
	f := newFactory(testIO(strings.NewReader(""), &stdout, &stderr),
		envOf(map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": summary}))
	if code := executeArgs(context.Background(), f, []string{"eval", "--offline", "--no-progress"}); code != ExitFailed {
		t.Fatalf("exit code = %d; want %d", code, ExitFailed)
	}
	if want := "::error file=prompts/ticket-summary.yaml,line=10,title=ticket-summary / keeps-order-number failed on gemini/gemini-2.5-flash-lite (link 1)::"; !strings.Contains(stdout.String(), want) {
		t.Errorf("stdout lacks the annotation %q:\n%s", want, stdout.String())
	}
	if got := string(mustRead(t, summary)); !strings.HasPrefix(got, "## llmfall eval: ❌ gate failed") {
		t.Errorf("job summary = %q", got)
	}
}

func ptr[T any](v T) *T { return &v }
