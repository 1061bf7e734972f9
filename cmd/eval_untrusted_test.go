package cmd

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// untrustedConfig is a sim-only configuration for suites built by tests.
const untrustedConfig = `providers:
  a: { type: sim }
  b: { type: sim }
order: [a, b]
categories:
  fast: { a: model-a, b: model-b }
judge: { category: fast }
eval:
  chain_depth: 2
  min_pass_rate: 0
`

// evalIn runs llmfall eval in dir with args, and returns the exit code and
// everything printed.
func evalIn(t *testing.T, dir string, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	t.Chdir(dir)
	var stdout, stderr bytes.Buffer
	f := newFactory(testIO(strings.NewReader(""), &stdout, &stderr), envOf(env))
	code := executeArgs(context.Background(), f, append([]string{"eval", "--no-progress"}, args...))
	return code, stdout.String(), stderr.String()
}

func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestEvalRefusesFilesOutsideTheSuite: a pull request that links a case
// file to a file of the runner exits 2 naming the reference, and the file's
// content appears in no output and no report.
func TestEvalRefusesFilesOutsideTheSuite(t *testing.T) {
	const secret = "ssh-ed25519-PRIVATE-do-not-leak"
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"llmfall.yaml":            untrustedConfig,
		"prompts/p.yaml":          "category: fast\nprompt: \"Summarise {{.key}}\"\ntests:\n  - file: cases/keys.jsonl\n",
		"runner/id_ed25519.jsonl": `{"vars": {"key": "` + secret + `"}, "assert": [{"type": "contains", "value": "x"}]}` + "\n",
	})
	if err := os.MkdirAll(filepath.Join(dir, "prompts", "cases"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "runner", "id_ed25519.jsonl"), filepath.Join(dir, "prompts", "cases", "keys.jsonl")); err != nil {
		t.Skipf("no symlinks here: %v", err)
	}
	out := filepath.Join(dir, "results.json")
	md := filepath.Join(dir, "report.md")
	code, stdout, stderr := evalIn(t, dir, nil, "prompts/", "--offline", "--output", out, "--markdown", md)
	if code != ExitUsage {
		t.Errorf("exit code = %d; want %d\nstdout:\n%s\nstderr:\n%s", code, ExitUsage, stdout, stderr)
	}
	want := `llmfall: prompts/p.yaml:4: case file "cases/keys.jsonl": cases/keys.jsonl is a link outside the suite directory prompts/`
	if !strings.HasPrefix(stderr, want) {
		t.Errorf("stderr =\n%s\nwant it to start\n%s", stderr, want)
	}
	for name, text := range map[string]string{"stdout": stdout, "stderr": stderr} {
		if strings.Contains(text, secret) {
			t.Errorf("%s shows the secret:\n%s", name, text)
		}
	}
	for _, p := range []string{out, md} {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("%s was written; want no report from a suite that failed to load", p)
		}
	}
}

// TestEvalMaxPromptBytes: eval.max_prompt_bytes caps every rendered prompt,
// and a prompt over it exits 2 naming the test's file:line.
func TestEvalMaxPromptBytes(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"llmfall.yaml":   untrustedConfig + "  max_prompt_bytes: 16\n",
		"prompts/p.yaml": "category: fast\nprompt: \"{{range .n}}{{range $.n}}ab{{end}}{{end}}\"\ntests:\n  - vars: {n: [1, 2, 3]}\n    assert: [{type: is-json}]\n",
	})
	code, stdout, stderr := evalIn(t, dir, nil, "prompts/", "--offline")
	want := "llmfall: prompts/p.yaml:4: test \"test-1\": the rendered text is over the size limit of 16 bytes"
	if code != ExitUsage || !strings.HasPrefix(stderr, want) {
		t.Errorf("exit code %d, stderr:\n%s\nwant %d and\n%s\nstdout:\n%s", code, stderr, ExitUsage, want, stdout)
	}
}
