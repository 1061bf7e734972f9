package cmd

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// simProvidersConfig is the example suite's config with type: sim providers, no
// --offline: the judge's chain is made of sims.
const simProvidersConfig = `providers:
  a: { type: sim }
  b: { type: sim }
order: [a, b]
categories:
  fast:  { a: gpt-4.1-mini, b: claude-3-5-haiku-latest }
  smart: { a: gpt-4.1, b: claude-sonnet-4-5 }
judge: { category: smart }
eval: { chain_depth: 2, concurrency: 8, min_pass_rate: 0.9 }
`

func evalPlain(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	f := newFactory(testIO(strings.NewReader(""), &stdout, &stderr), envOf(nil))
	code := executeArgs(context.Background(), f, append([]string{"eval", "--no-progress"}, args...))
	return code, stdout.String(), stderr.String()
}

// TestEvalSimProvidersWithoutOffline: with sim providers and no --offline
// the judge is the simulation's judge (the heuristic) and every judge
// assertion is graded; the cache then answers a second run, which the dry
// run counts.
func TestEvalSimProvidersWithoutOffline(t *testing.T) {
	root := moduleDir(t)
	dir := t.TempDir()
	t.Chdir(dir)
	os.WriteFile("llmfall.yaml", []byte(simProvidersConfig), 0o644)
	os.CopyFS("prompts", os.DirFS(filepath.Join(root, "prompts")))
	cache := filepath.Join(dir, "cache")

	code, out, errOut := evalPlain(t, "--dry-run", "--cache-dir", cache)
	plan := regexp.MustCompile(`plan: \d+ prompts, (\d+) cases\n(?s:.*)judge +(\d+) calls\n`).FindStringSubmatch(out)
	if code != ExitOK || plan == nil {
		t.Fatalf("first dry run: exit %d\n%s%s", code, out, errOut)
	}
	cases, judged := plan[1], plan[2]
	code, out, errOut = evalPlain(t, "--cache-dir", cache)
	// The dry run counts the canaries' verdicts too; the run's judge line
	// counts the cases' apart from them.
	graded := regexp.MustCompile(`judge: heuristic \((\d+)\).* canaries: the judge failed all (\d+) known-bad`).FindStringSubmatch(out)
	if code != ExitOK || !strings.Contains(out, cases+" cases: "+cases+" passed, 0 failed, 0 errored") || graded == nil ||
		atoi(t, graded[1])+atoi(t, graded[2]) != atoi(t, judged) {
		t.Fatalf("eval with sim providers: exit %d; want every case and canary (%s) graded by the heuristic judge\n%s%s", code, judged, out, errOut)
	}
	code, out, errOut = evalPlain(t, "--dry-run", "--cache-dir", cache)
	for _, want := range []string{" cases (" + cases + " answered from the cache)\n", "judge        0 calls (" + judged + " more from the cache)\n", "estimated cost: $0.0000"} {
		if code != ExitOK || !strings.Contains(out, want) {
			t.Errorf("dry run after a run lacks %q (exit %d):\n%s%s", want, code, out, errOut)
		}
	}
}

// TestDryRunEstimate: on the example suite the dry run's cost is within 25 %
// of what the run reports (it was 13× too high when it guessed answers at
// max_tokens and priced the offline judge as a model).
func TestDryRunEstimate(t *testing.T) {
	t.Chdir(moduleDir(t))
	cost := func(re, out string) float64 {
		t.Helper()
		m := regexp.MustCompile(re).FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("no cost in:\n%s", out)
		}
		v, _ := strconv.ParseFloat(m[1], 64)
		return v
	}
	_, dry, _ := evalPlain(t, "prompts/", "--offline", "--dry-run")
	_, run, _ := evalPlain(t, "prompts/", "--offline")
	est, got := cost(`estimated cost: \$([0-9.]+)`, dry), cost(`cases: .* · \$([0-9.]+) [(·]`, run)
	if got == 0 || est < 0.75*got || est > 1.25*got {
		t.Errorf("dry run estimated $%.4f; the run cost $%.4f (want within 25%%)", est, got)
	}
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
