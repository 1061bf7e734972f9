package cmd

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
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
// file to a file of the runner, climbs out with "..", or points a schema
// $ref at it exits 2 naming the reference, and the file's content appears
// in no output and no report.
func TestEvalRefusesFilesOutsideTheSuite(t *testing.T) {
	const secret = "ssh-ed25519-PRIVATE-do-not-leak"
	tests := []struct {
		name   string
		prompt string
		link   bool // prompts/cases/keys.jsonl links to the runner's file
		want   string
	}{
		{"linked case file", "tests:\n  - file: cases/keys.jsonl\n", true,
			`llmfall: prompts/p.yaml:4: case file "cases/keys.jsonl": cases/keys.jsonl is a link outside the suite directory prompts/`},
		{"case file climbing out", "tests:\n  - file: ../runner/id_ed25519.jsonl\n", false,
			`llmfall: prompts/p.yaml:4: case file "../runner/id_ed25519.jsonl" is outside the suite directory prompts/`},
		{"schema $ref to a file of the runner", "tests:\n  - vars: {key: a}\n    assert: [{type: json-schema, value: {$ref: \"file://RUNNER/id_ed25519.json\"}}]\n", false,
			`llmfall: prompts/p.yaml:5: invalid schema: `},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			runner := filepath.Join(dir, "runner")
			writeTree(t, dir, map[string]string{
				"llmfall.yaml":            untrustedConfig,
				"prompts/p.yaml":          "category: fast\nprompt: \"Summarise {{.key}}\"\n" + strings.ReplaceAll(tc.prompt, "RUNNER", filepath.ToSlash(runner)),
				"runner/id_ed25519.jsonl": `{"vars": {"key": "` + secret + `"}, "assert": [{"type": "contains", "value": "x"}]}` + "\n",
				"runner/id_ed25519.json":  `{"properties": {"key": {"const": "` + secret + `"}}}`,
			})
			if tc.link {
				if err := os.MkdirAll(filepath.Join(dir, "prompts", "cases"), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.Symlink(filepath.Join(runner, "id_ed25519.jsonl"), filepath.Join(dir, "prompts", "cases", "keys.jsonl")); err != nil {
					t.Skipf("no symlinks here: %v", err)
				}
			}
			out := filepath.Join(dir, "results.json")
			md := filepath.Join(dir, "report.md")
			code, stdout, stderr := evalIn(t, dir, nil, "prompts/", "--offline", "--output", out, "--markdown", md)
			if code != ExitUsage {
				t.Errorf("exit code = %d; want %d\nstdout:\n%s\nstderr:\n%s", code, ExitUsage, stdout, stderr)
			}
			if !strings.HasPrefix(stderr, tc.want) {
				t.Errorf("stderr =\n%s\nwant it to start\n%s", stderr, tc.want)
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
		})
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

// TestEvalInJobLog: under GitHub Actions, a test name and an assertion
// value that try to run workflow commands stay text: the terminal report
// sits between ::stop-commands:: and its random token, the only commands
// that run are llmfall's own annotations, and the step summary carries no
// HTML from them.
func TestEvalInJobLog(t *testing.T) {
	dir := t.TempDir()
	const evil = "evil\\n::set-output name=gate::passed\\n::error::forged <img src=x onerror=alert(1)> \\u001b]0;title\\u0007"
	writeTree(t, dir, map[string]string{
		"llmfall.yaml":   untrustedConfig,
		"prompts/p.yaml": "category: fast\nprompt: hi\ntests:\n  - name: \"" + evil + "\"\n    assert: [{type: equals, value: \"" + evil + "\"}]\n",
	})
	summary := filepath.Join(dir, "summary.md")
	env := map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": summary}
	code, stdout, stderr := evalIn(t, dir, env, "prompts/", "--offline")
	if code != ExitOK { // min_pass_rate 0: the failures are reported, the gate passes
		t.Fatalf("exit code = %d; want %d\nstdout:\n%s\nstderr:\n%s", code, ExitOK, stdout, stderr)
	}
	token := ""
	for _, line := range strings.Split(stdout, "\n") {
		cmd := strings.TrimSpace(line)
		switch {
		case !strings.HasPrefix(cmd, "::") && !strings.Contains(cmd, "##["):
		case token == "" && strings.HasPrefix(cmd, "::stop-commands::"):
			token = strings.TrimPrefix(cmd, "::stop-commands::")
			if len(token) < 20 {
				t.Errorf("stop-commands token %q is guessable", token)
			}
		case token != "" && cmd == "::"+token+"::":
			token = ""
		case token != "":
			// Inside the block: text, whatever it looks like.
		case strings.HasPrefix(cmd, "::error file=prompts/p.yaml,line=4,title=p / evil%0A%3A%3Aset-output"),
			strings.HasPrefix(cmd, "::error title=llmfall eval gate::"):
			if strings.ContainsAny(cmd, "\x1b\x07") || strings.Contains(cmd[2:], "\n") {
				t.Errorf("annotation carries control characters: %q", cmd)
			}
		default:
			t.Errorf("a line outside the stop-commands block runs a workflow command: %q", line)
		}
	}
	if token != "" {
		t.Errorf("the stop-commands block is never closed:\n%s", stdout)
	}
	if strings.ContainsAny(stdout, "\x1b\x07") {
		t.Errorf("stdout carries control characters:\n%q", stdout)
	}
	md, err := os.ReadFile(summary)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(md), "<img") || strings.ContainsAny(string(md), "\x1b\x07") {
		t.Errorf("step summary carries HTML or control characters:\n%s", md)
	}
}

// TestReportEscapesErrors: an error that reaches the top quotes untrusted
// text; its control characters are escaped, and in a job log it sits in a
// stop-commands block.
func TestReportEscapesErrors(t *testing.T) {
	err := usageErr(errors.New("p.yaml:3: test \"x\x1b[2J\"\n::error::forged"), "")
	var plain, log bytes.Buffer
	if code := reportError(&plain, err, false); code != ExitUsage {
		t.Errorf("reportError() = %d; want %d", code, ExitUsage)
	}
	if want := "llmfall: p.yaml:3: test \"x\\x1b[2J\"\n::error::forged\n"; plain.String() != want {
		t.Errorf("report wrote %q; want %q", plain.String(), want)
	}
	reportError(&log, err, true)
	lines := strings.Split(strings.TrimSuffix(log.String(), "\n"), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "::stop-commands::") || lines[3] != "::"+strings.TrimPrefix(lines[0], "::stop-commands::")+"::" {
		t.Errorf("report in a job log wrote %q; want the error inside a stop-commands block", log.String())
	}
}

// TestEvalInterrupted: a run stopped by a signal never reports a passed
// gate, in any report, and exits 130 for SIGINT and 143 for SIGTERM. The
// signal is a context's cause, as signalContext sets it; no real signal.
func TestEvalInterrupted(t *testing.T) {
	for _, tc := range []struct {
		sig  os.Signal
		code int
	}{{syscall.SIGINT, 130}, {syscall.SIGTERM, 143}} {
		t.Run(tc.sig.String(), func(t *testing.T) {
			dir := t.TempDir()
			writeTree(t, dir, map[string]string{
				"llmfall.yaml":   untrustedConfig,
				"prompts/p.yaml": "category: fast\nprompt: hi\ntests:\n  - assert: [{type: not-contains, value: zzz}]\n  - assert: [{type: not-contains, value: yyy}]\n",
			})
			t.Chdir(dir)
			ctx, cancel := context.WithCancelCause(context.Background())
			cancel(&interruptError{sig: tc.sig})
			var stdout, stderr bytes.Buffer
			summary := filepath.Join(dir, "summary.md")
			f := newFactory(testIO(strings.NewReader(""), &stdout, &stderr), envOf(map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": summary}))
			code := executeArgs(ctx, f, []string{"eval", "prompts/", "--offline", "--no-progress", "-o", "r.json", "--markdown", "r.md"})
			if code != tc.code {
				t.Errorf("exit code = %d; want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, stdout.String(), stderr.String())
			}
			var doc struct {
				Summary struct {
					Gate struct {
						Pass   bool   `json:"pass"`
						Status string `json:"status"`
						NotRun int    `json:"not_run"`
					} `json:"gate"`
				} `json:"summary"`
			}
			raw, err := os.ReadFile("r.json")
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(raw, &doc); err != nil {
				t.Fatal(err)
			}
			if g := doc.Summary.Gate; g.Pass || g.Status != "incomplete" || g.NotRun != 4 {
				t.Errorf("results gate = %+v; want incomplete with 4 not run", g)
			}
			// The journal of finished results sits beside the document.
			if _, err := os.Stat("r.json.jsonl"); err != nil {
				t.Errorf("no results journal beside r.json: %v", err)
			}
			md, _ := os.ReadFile("r.md")
			sum, _ := os.ReadFile(summary)
			for name, text := range map[string]string{"stdout": stdout.String(), "markdown": string(md), "step summary": string(sum)} {
				if !strings.Contains(text, "incomplete") && !strings.Contains(text, "INCOMPLETE") {
					t.Errorf("%s does not say the gate is incomplete:\n%s", name, text)
				}
				if strings.Contains(text, "gate passed") || strings.Contains(text, "gate: passed") {
					t.Errorf("%s says the gate passed:\n%s", name, text)
				}
			}
		})
	}
}
