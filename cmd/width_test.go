package cmd

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/charmbracelet/lipgloss"

	"github.com/llmfall/llmfall/judge"
)

// checkFits fails for any line wider than width columns.
func checkFits(t *testing.T, what, out string, width int) {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		if w := lipgloss.Width(line); w > width && strings.ContainsAny(line, "│┌└├") {
			t.Errorf("%s: a table line is %d columns wide on an %d-column terminal:\n%s", what, w, width, out)
			return
		}
	}
}

// TestTablesFitTheTerminal: on an 80-column terminal the eval matrix,
// chains and judge calibrate are shortened or stacked, never a table the
// terminal would wrap mid-cell; piped output (no width) keeps the tables.
func TestTablesFitTheTerminal(t *testing.T) {
	root := moduleDir(t)
	run := func(t *testing.T, dir string, width int, args ...string) string {
		t.Helper()
		t.Chdir(dir)
		var stdout, stderr bytes.Buffer
		f := newFactory(testIO(strings.NewReader(""), &stdout, &stderr), envOf(nil))
		f.IO.Width = width
		executeArgs(context.Background(), f, args)
		return stdout.String()
	}
	t.Run("eval", func(t *testing.T) {
		dir := filepath.Join(root, "examples", "regression")
		wide := run(t, dir, 0, "eval", "--offline", "--no-progress")
		if !strings.Contains(wide, "│ gemini/gemini-2.5-flash-lite  50% (1/2) │") {
			t.Errorf("piped eval lost its full matrix:\n%s", wide)
		}
		out := run(t, dir, 80, "eval", "--offline", "--no-progress")
		checkFits(t, "eval", out, 80)
		if !strings.Contains(out, "│ gemini-2.5-flash-lite 50% (1/2) │") {
			t.Errorf("eval at 80 columns does not shorten the matrix to models:\n%s", out)
		}
		out = run(t, dir, 50, "eval", "--offline", "--no-progress")
		checkFits(t, "eval", out, 50)
		if !strings.Contains(out, "prompt: ticket-summary\n  link 0 (primary): openai/gpt-4.1-mini  100% (2/2)\n  link 1: gemini/gemini-2.5-flash-lite  50% (1/2)\n") {
			t.Errorf("eval at 50 columns does not stack the matrix:\n%s", out)
		}
	})
	t.Run("chains", func(t *testing.T) {
		out := run(t, root, 80, "chains")
		checkFits(t, "chains", out, 80)
		for _, want := range []string{"CATEGORY: fast\n  1: openai/gpt-4.1-mini\n  2: anthropic/claude-3-5-haiku-latest\n", "  KEY: ✗ OPENAI_API_KEY not set"} {
			if !strings.Contains(out, want) {
				t.Errorf("chains at 80 columns lacks %q:\n%s", want, out)
			}
		}
	})
	t.Run("judge calibrate", func(t *testing.T) {
		kappa := 0.71
		stats := judge.Stats{Judge: "anthropic/claude-sonnet-4-5-20250929", Judged: 32, Correct: 28, Accuracy: 28.0 / 32, Kappa: &kappa,
			Pairs: 16, Flips: 2, FlipRate: 2.0 / 16, CostUSD: 0.0421}
		rep := judge.Report{Examples: 32, Judges: []judge.Stats{stats}, Total: stats}
		for _, width := range []int{0, 80} {
			var stdout bytes.Buffer
			f := newFactory(testIO(strings.NewReader(""), &stdout, &stdout), envOf(nil))
			f.IO.Width = width
			renderCalibration(f.IO, rep)
			if width == 0 {
				if lipgloss.Width(strings.Split(stdout.String(), "\n")[2]) <= 80 {
					t.Fatalf("the test's judge name is too short to need fitting:\n%s", stdout.String())
				}
				continue
			}
			checkFits(t, "judge calibrate", stdout.String(), width)
			if !strings.Contains(stdout.String(), "JUDGE: anthropic/claude-sonnet-4-5-20250929\n  JUDGED: 32\n  ACCURACY: 87.5%\n") {
				t.Errorf("judge calibrate at 80 columns is not stacked:\n%s", stdout.String())
			}
		}
	})
}
