package cmd

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/llmfall/llmfall/simulate"
)

var updateSimulate = flag.Bool("update-simulate", false, "rewrite cmd/testdata/simulate_*.golden")

// simConfig is a config whose providers are never called: simulate
// replaces them and needs no keys.
const simConfig = `providers:
  openai:    { type: openai }
  anthropic: { type: anthropic }
  gemini:    { type: gemini }
order: [openai, anthropic, gemini]
categories:
  fast:  { openai: gpt-4.1-mini, anthropic: claude-3-5-haiku-latest, gemini: gemini-2.5-flash }
  smart: { openai: gpt-4.1, anthropic: claude-sonnet-4-5, hedge_after: 2s }
timeouts: { attempt: 60s, first_token: 15s, idle: 30s, total: 120s }
`

func simulateCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "llmfall.yaml")
	if err := os.WriteFile(path, []byte(simConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	f := newFactory(testIO(strings.NewReader(""), &out, &errb), func(string) string { return "" })
	code := executeArgs(context.Background(), f, append([]string{"--config", path}, args...))
	return code, out.String(), errb.String()
}

func TestSimulateFlags(t *testing.T) {
	tests := []struct {
		args []string
		want simulateOptions
	}{
		{[]string{"--scenario", "seed"}, simulateOptions{Scenario: "seed", Seed: 1}},
		{[]string{"-c", "smart", "--scenario", "x.yaml", "--rps", "12.5", "--duration", "90m", "--seed", "9", "--compare", "--json"},
			simulateOptions{Category: "smart", Scenario: "x.yaml", RPS: 12.5, Duration: 90 * time.Minute, Seed: 9, Compare: true, JSON: true}},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var got *simulateOptions
			f := newFactory(testIO(strings.NewReader(""), &bytes.Buffer{}, &bytes.Buffer{}), func(string) string { return "" })
			c := newCmdSimulate(f, func(_ context.Context, o *simulateOptions) error { got = o; return nil })
			c.SetArgs(tc.args)
			if err := c.Execute(); err != nil {
				t.Fatal(err)
			}
			got.IO, got.Config = nil, nil // what the factory hands the command, not the flags'
			if diff := cmp.Diff(tc.want, *got, cmp.AllowUnexported(simulateOptions{})); diff != "" {
				t.Errorf("options (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSimulateTerminalGolden(t *testing.T) {
	code, out, errOut := simulateCLI(t, "simulate", "--scenario", "outage", "--duration", "10m", "--rps", "5", "--compare")
	if code != ExitOK {
		t.Fatalf("exit %d; want 0; stderr:\n%s", code, errOut)
	}
	if !strings.Contains(errOut, "simulated 10m0s of traffic in ") || !strings.Contains(errOut, "no request left this machine") {
		t.Errorf("stderr = %q; want the wall time and that nothing left the machine", errOut)
	}
	path := filepath.Join("testdata", "simulate_outage.golden")
	if *updateSimulate {
		if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update-simulate to create it)", err)
	}
	if diff := cmp.Diff(string(want), out); diff != "" {
		t.Errorf("stdout differs from %s (-want +got):\n%s", path, diff)
	}
}

func TestSimulateJSONCompare(t *testing.T) {
	args := []string{"simulate", "-c", "smart", "--scenario", "hang", "--duration", "5m", "--rps", "2", "--compare", "--json"}
	code, out, errOut := simulateCLI(t, args...)
	if code != ExitOK {
		t.Fatalf("exit %d; want 0; stderr:\n%s", code, errOut)
	}
	var doc map[string]struct {
		Policy    string `json:"policy"`
		Category  string `json:"category"`
		Requests  int    `json:"requests"`
		Served    int    `json:"served"`
		Failed    int    `json:"failed"`
		HedgesWon int    `json:"hedges_won"`
		Latency   struct {
			P50 int64 `json:"p50_ms"`
		} `json:"latency"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, out)
	}
	cfg, naive := doc["configured"], doc["naive"]
	if cfg.Policy != "configured" || naive.Policy != "naive" || cfg.Category != "smart" {
		t.Errorf("policies %q, %q, category %q; want configured, naive, smart", cfg.Policy, naive.Policy, cfg.Category)
	}
	for _, r := range []struct{ Requests, Served, Failed int }{{cfg.Requests, cfg.Served, cfg.Failed}, {naive.Requests, naive.Served, naive.Failed}} {
		if r.Requests != 600 || r.Served+r.Failed != r.Requests {
			t.Errorf("requests %d, served %d + failed %d; want 600 that add up", r.Requests, r.Served, r.Failed)
		}
	}
	// smart hedges after 2 s, so the hung primary loses every race, while
	// the naive policy waits out the 15 s first-token timeout each time.
	if cfg.HedgesWon == 0 {
		t.Errorf("configured hedges won = 0; want hedging to beat the hung primary")
	}
	if naive.Latency.P50 < 15000 {
		t.Errorf("naive p50 = %d ms; want at least the 15 s first-token timeout", naive.Latency.P50)
	}
	// Same scenario, same seed: the same document.
	_, again, _ := simulateCLI(t, args...)
	if again != out {
		t.Errorf("second run printed different JSON")
	}
}

func TestSimulateErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("duration: 1h\nlinks:\n  - link: 1\n    hang: 2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	far := filepath.Join(dir, "far.yaml")
	if err := os.WriteFile(far, []byte("duration: 1h\nlinks:\n  - link: 5\n    hang: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		args    []string
		wantErr []string
	}{
		{"no scenario", []string{"simulate"}, []string{"llmfall: no scenario given", "hint: pass --scenario with a built-in name (" + strings.Join(simulate.Builtins(), ", ")}},
		{"unknown scenario", []string{"simulate", "--scenario", "blackout"}, []string{`unknown scenario "blackout"`, "hint: pass a built-in scenario's name or a scenario YAML file"}},
		{"bad file", []string{"simulate", "--scenario", bad}, []string{bad + ":4: links[0]: hang: must be between 0 and 1, got 2"}},
		{"link past the chain", []string{"simulate", "--scenario", far}, []string{"line 3: link 5: the chain of fast has 3 links", "hint: a scenario names links"}},
		{"unknown category", []string{"simulate", "-c", "tiny", "--scenario", "hang"}, []string{`unknown category "tiny"`, "hint: categories in"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := simulateCLI(t, tc.args...)
			if code != ExitUsage {
				t.Errorf("exit %d; want %d", code, ExitUsage)
			}
			if out != "" {
				t.Errorf("stdout = %q; want nothing", out)
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr = %q; want it to contain %q", errOut, w)
				}
			}
		})
	}
}
