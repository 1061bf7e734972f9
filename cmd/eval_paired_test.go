package cmd

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
)

// TestEvalPairedGate runs a 40-case suite over a fake OpenAI server: a base
// where every case passes, then heads (the prompt reworded, so no case is
// reused from the baseline) where some cases flip to fail.
// Under eval.gate: paired, 3 flips of 40 are chance (exit 0, and the report
// says so); 12 are a regression (exit 1).
func TestEvalPairedGate(t *testing.T) {
	var failing atomic.Pointer[map[string]bool]
	failing.Store(&map[string]bool{})
	idRE := regexp.MustCompile(`case-(\d+)`)
	srv, _ := scriptedServer(t, "openai", func(body string, _ bool) string {
		id := idRE.FindStringSubmatch(body)[1]
		if (*failing.Load())[id] {
			return "I cannot help with that."
		}
		return "Handled case-" + id + "."
	})
	var tests strings.Builder
	for i := range 40 {
		fmt.Fprintf(&tests, "  - name: c%02d\n    vars: { id: \"%d\" }\n    assert: [{ type: contains, value: Handled }]\n", i, i)
	}
	cfg := `providers:
  openai: { type: openai, base_url: "` + srv.srv.URL + `/v1", api_key_env: TEST_OPENAI_KEY }
categories:
  fast: { openai: gpt-4.1-mini }
eval: { chain_depth: 1, min_pass_rate: 0.5, gate: paired }
`
	prompt := "name: route\ncategory: fast\nprompt: \"Route case-{{.id}}\"\ntests:\n" + tests.String()
	dir := writeSuite(t, map[string]string{"llmfall.yaml": cfg, "prompts/route.yaml": prompt})
	run := func(extra ...string) (int, string) {
		var stdout, stderr bytes.Buffer
		f := newFactory(testIO(strings.NewReader(""), &stdout, &stderr), testEnv)
		args := append([]string{"eval", filepath.Join(dir, "prompts"), "--config", filepath.Join(dir, "llmfall.yaml"),
			"--no-cache", "--no-progress"}, extra...)
		code := executeArgs(context.Background(), f, args)
		return code, stdout.String() + stderr.String()
	}
	base := filepath.Join(dir, "base.json")
	if code, out := run("--output", base); code != ExitOK {
		t.Fatalf("base run exit = %d; want 0\n%s", code, out)
	}
	// The pull request rewords the prompt; the server then fails n cases.
	flip := func(n int) {
		m := map[string]bool{}
		for i := range n {
			m[fmt.Sprint(i)] = true
		}
		failing.Store(&m)
		reworded := strings.Replace(prompt, `"Route case-`, `"Please route case-`, 1)
		if err := os.WriteFile(filepath.Join(dir, "prompts", "route.yaml"), []byte(reworded), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	flip(3)
	code, out := run("--baseline", base)
	if code != ExitOK {
		t.Fatalf("3 flips: exit = %d; want 0 (chance)\n%s", code, out)
	}
	for _, want := range []string{
		"compared case by case with the baseline:",
		"route @ openai/gpt-4.1-mini (link 0): 3 of 40 cases went from pass to fail (c00, c01, c02) and 0 from fail to pass; " +
			"chance alone would give a difference this large with probability 0.25, not below α = 0.05: not a significant regression; " +
			"the mean score changed by -0.075 (95% interval",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("3 flips: output lacks %q:\n%s", want, out)
		}
	}

	flip(12)
	code, out = run("--baseline", base)
	if code != ExitFailed {
		t.Fatalf("12 flips: exit = %d; want %d\n%s", code, ExitFailed, out)
	}
	if want := "gate: FAILED\n  route @ openai/gpt-4.1-mini (link 0): 12 of 40 cases went from pass to fail"; !strings.Contains(out, want) {
		t.Errorf("12 flips: output lacks %q:\n%s", want, out)
	}
	if want := "probability 0.000488, below α = 0.05: a real regression"; !strings.Contains(out, want) {
		t.Errorf("12 flips: output lacks %q:\n%s", want, out)
	}
}

// TestEvalRepeatReportsPassAtK: with --repeat the terminal summary reports
// pass@k and pass^k; the simulation is deterministic, so nothing is flaky.
func TestEvalRepeatReportsPassAtK(t *testing.T) {
	t.Chdir(moduleDir(t))
	var stdout, stderr bytes.Buffer
	f := newFactory(testIO(strings.NewReader(""), &stdout, &stderr), envOf(nil))
	code := executeArgs(context.Background(), f, []string{"eval", "prompts/", "--offline", "--no-progress", "--repeat", "2"})
	if code != ExitOK {
		t.Fatalf("exit code = %d; want 0\n%s%s", code, stdout.String(), stderr.String())
	}
	want := regexp.MustCompile(`repeated runs: 0 of \d+ tests × links flaky · mean pass@k 100% · mean pass\^k 100%`)
	if !want.MatchString(stdout.String()) {
		t.Errorf("stdout lacks %q:\n%s", want, stdout.String())
	}
}
