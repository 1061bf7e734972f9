package cmd

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/llmfall/llmfall/eval"
)

// shardedSuite has 12 tests of which half mention the word the assertion
// wants, so that a 90% minimum fails on every link.
func shardedSuite() map[string]string {
	var b strings.Builder
	b.WriteString("name: p\ncategory: fast\nprompt: \"Summarise: {{.t}}\"\ntests:\n")
	for i := range 12 {
		word := "refund"
		if i%2 == 1 {
			word = "exchange"
		}
		fmt.Fprintf(&b, "  - {name: t%d, vars: {t: \"order %d arrived broken, I want a %s\"}, assert: [{type: icontains, value: refund}]}\n", i, i, word)
	}
	return map[string]string{"llmfall.yaml": untrustedConfig, "prompts/p.yaml": b.String()}
}

type gateDoc struct {
	Summary struct {
		Total int `json:"total"`
		Gate  struct {
			Pass       bool              `json:"pass"`
			Status     string            `json:"status"`
			Violations []json.RawMessage `json:"violations"`
			Paired     []json.RawMessage `json:"paired"`
		} `json:"gate"`
	} `json:"summary"`
}

func readGateDoc(t *testing.T, path string) gateDoc {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var d gateDoc
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatal(err)
	}
	return d
}

// TestMergeGatesLikeTheUnshardedRun: eval --shard over 3 shards, then
// merge, exits as the unsharded eval does and writes the same gate; merge
// refuses a shard of another configuration or gate.
func TestMergeGatesLikeTheUnshardedRun(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, shardedSuite())
	wantCode, _, stderr := evalIn(t, dir, nil, "prompts/", "--min-pass-rate", "0.9", "-o", "whole.json")
	if wantCode != ExitFailed {
		t.Fatalf("unsharded exit code = %d; want %d (a failing gate)\n%s", wantCode, ExitFailed, stderr)
	}
	var shards []string
	for i := 1; i <= 3; i++ {
		out := fmt.Sprintf("shard-%d.json", i)
		code, _, stderr := evalIn(t, dir, nil, "prompts/", "--min-pass-rate", "0.9", "--shard", fmt.Sprintf("%d/3", i), "-o", out)
		if code != ExitOK || !strings.Contains(stderr, "the gate is applied when the shards are merged") {
			t.Fatalf("shard %d: exit code %d; want 0 and the gate left to merge\n%s", i, code, stderr)
		}
		shards = append(shards, out)
	}
	code, stdout, stderr := llmfallIn(t, append(append([]string{"merge"}, shards...), "-o", "merged.json")...)
	if code != wantCode {
		t.Errorf("merge exit code = %d; want the unsharded %d\n%s%s", code, wantCode, stdout, stderr)
	}
	if !strings.Contains(stdout, "gate: FAILED") {
		t.Errorf("merge report does not show the failed gate:\n%s", stdout)
	}
	whole, merged := readGateDoc(t, filepath.Join(dir, "whole.json")), readGateDoc(t, filepath.Join(dir, "merged.json"))
	if diff := cmp.Diff(whole, merged); diff != "" {
		t.Errorf("merged gate (-unsharded +merged):\n%s", diff)
	}

	// A shard run under a looser gate, or another configuration, is refused.
	code, _, _ = evalIn(t, dir, nil, "prompts/", "--min-pass-rate", "0.1", "--shard", "3/3", "-o", "loose.json")
	if code != ExitOK {
		t.Fatalf("loose shard exit code = %d", code)
	}
	writeTree(t, dir, map[string]string{"llmfall.yaml": strings.Replace(untrustedConfig, "model-b", "model-c", 1)})
	if code, _, stderr := evalIn(t, dir, nil, "prompts/", "--min-pass-rate", "0.9", "--shard", "3/3", "-o", "other.json"); code != ExitOK {
		t.Fatalf("other shard exit code = %d\n%s", code, stderr)
	}
	for name, want := range map[string]string{"loose.json": "ran under another gate", "other.json": "ran another suite or configuration"} {
		code, _, stderr := llmfallIn(t, "merge", shards[0], shards[1], name, "-o", "bad.json")
		if code != ExitUsage || !strings.Contains(stderr, want) {
			t.Errorf("merge with %s: exit code %d, stderr %q; want %d saying %q", name, code, stderr, ExitUsage, want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "bad.json")); err == nil {
		t.Error("a refused merge wrote its output")
	}
}

// TestMergeAndReportGateLikeEval: under the paired gate against a baseline,
// and with a test's min_pass_at_k over repeats, merging the shards and
// re-rendering the merged (or the unsharded) results with llmfall report
// exit and gate exactly as the unsharded eval did, and the merged document
// lists results and matrix rows in the unsharded order (though the first
// prompt's only test is in the last shard).
func TestMergeAndReportGateLikeEval(t *testing.T) {
	first := "a.yaml"
	for i := 0; ; i++ {
		if name := fmt.Sprintf("only-%d", i); eval.ShardOf("a", name, 3) == 3 {
			first = fmt.Sprintf("name: a\ncategory: fast\nprompt: \"Say: {{.t}}\"\ntests:\n  - {name: %s, vars: {t: \"order 99\"}, assert: [{type: icontains, value: order}]}\n", name)
			break
		}
	}
	// Every test passes the baseline's assertion (the sim echoes the
	// ticket); the head asks two of the "exchange" tickets for "refund".
	suite := func(refund ...int) string {
		var b strings.Builder
		b.WriteString("name: p\ncategory: fast\nprompt: \"Summarise: {{.t}}\"\ntests:\n")
		for i := range 12 {
			word, want := "refund", "order"
			if i%2 == 1 {
				word = "exchange"
			}
			if slices.Contains(refund, i) {
				want = "refund"
			}
			fmt.Fprintf(&b, "  - {name: t%d, vars: {t: \"order %d arrived broken, I want a %s\"}, assert: [{type: icontains, value: %s}]}\n", i, i, word, want)
		}
		return b.String()
	}
	tests := []struct {
		name     string
		config   string
		base     string // the prompt file of a baseline run; "" for none
		head     string
		args     []string
		wantCode int
	}{
		// 2 of 12 cases flip per link: chance under the paired gate (a
		// pass), though the pass rate fell (a rate gate would fail).
		{"paired gate", untrustedConfig + "  gate: paired\n  alpha: 0.1\n", suite(), suite(1, 3), nil, ExitOK},
		// 10 of 12 pass on each link: below llmfall.yaml's 90%.
		{"min_pass_rate", strings.Replace(untrustedConfig, "min_pass_rate: 0", "min_pass_rate: 0.9", 1), "", suite(1, 3), nil, ExitFailed},
		// t1 never passes: pass@2 is 0, below its min_pass_at_k.
		{"min_pass_at_k", untrustedConfig, "",
			strings.Replace(suite(1), "value: refund}]}", "value: refund}], min_pass_at_k: 1}", 1), []string{"--repeat", "2"}, ExitFailed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			args := append([]string{"prompts/"}, tc.args...)
			if tc.base != "" {
				writeTree(t, dir, map[string]string{"llmfall.yaml": tc.config, "prompts/p.yaml": tc.base, "prompts/a.yaml": first})
				if code, _, stderr := evalIn(t, dir, nil, "prompts/", "-o", "base.json"); code != ExitOK {
					t.Fatalf("baseline run: exit code %d\n%s", code, stderr)
				}
				args = append(args, "--baseline", "base.json")
			}
			writeTree(t, dir, map[string]string{"llmfall.yaml": tc.config, "prompts/p.yaml": tc.head, "prompts/a.yaml": first})
			code, evalStdout, stderr := evalIn(t, dir, nil, append(args, "-o", "whole.json")...)
			if code != tc.wantCode {
				t.Fatalf("unsharded exit code = %d; want %d\n%s%s", code, tc.wantCode, evalStdout, stderr)
			}
			shards := []string{"merge"}
			for i := 1; i <= 3; i++ {
				out := fmt.Sprintf("shard-%d.json", i)
				if code, _, stderr := evalIn(t, dir, nil, append(args, "--shard", fmt.Sprintf("%d/3", i), "-o", out)...); code != ExitOK {
					t.Fatalf("shard %d: exit code %d\n%s", i, code, stderr)
				}
				shards = append(shards, out)
			}
			whole := readGateDoc(t, filepath.Join(dir, "whole.json"))
			// The prompt files and llmfall.yaml a pull request changes
			// after the run must not move the gate that report applies.
			writeTree(t, dir, map[string]string{"llmfall.yaml": untrustedConfig, "prompts/p.yaml": suite()})
			code, stdout, stderr := llmfallIn(t, append(shards, "-o", "merged.json")...)
			if code != tc.wantCode {
				t.Errorf("merge: exit code = %d; want the unsharded %d\n%s%s", code, tc.wantCode, stdout, stderr)
			}
			if diff := cmp.Diff(whole, readGateDoc(t, filepath.Join(dir, "merged.json"))); diff != "" {
				t.Errorf("merge: gate (-unsharded eval +merged):\n%s", diff)
			}
			if diff := cmp.Diff(readOrder(t, filepath.Join(dir, "whole.json")), readOrder(t, filepath.Join(dir, "merged.json"))); diff != "" {
				t.Errorf("merge: order of results and matrix rows (-unsharded eval +merged):\n%s", diff)
			}
			wholeGate := readRunGate(t, filepath.Join(dir, "whole.json"))
			if diff := cmp.Diff(wholeGate, readRunGate(t, filepath.Join(dir, "merged.json"))); diff != "" {
				t.Errorf("merge: run.gate (-unsharded eval +merged):\n%s", diff)
			}
			// Each shard carries the paired gate's baseline cases of its
			// own tests only.
			n := 0
			for i, file := range shards[1:] {
				for _, c := range readRunGate(t, filepath.Join(dir, file)).BaselineCases {
					if eval.ShardOf(c.Prompt, c.Test, 3) != i+1 {
						t.Errorf("%s lists the baseline case %s/%s of shard %d/3", file, c.Prompt, c.Test, eval.ShardOf(c.Prompt, c.Test, 3))
					}
					n++
				}
			}
			if n != len(wholeGate.BaselineCases) {
				t.Errorf("the shards list %d baseline cases; want the unsharded run's %d, each once", n, len(wholeGate.BaselineCases))
			}
			wantGate := gateLines(evalStdout)
			for _, file := range []string{"merged.json", "whole.json"} {
				code, stdout, stderr := llmfallIn(t, "report", file)
				if code != tc.wantCode {
					t.Errorf("report %s: exit code = %d; want the unsharded %d\n%s%s", file, code, tc.wantCode, stdout, stderr)
				}
				if diff := cmp.Diff(wantGate, gateLines(stdout)); diff != "" {
					t.Errorf("report %s: gate lines (-unsharded eval +report):\n%s", file, diff)
				}
			}
		})
	}
}

// readOrder is the order of a results document's results and matrix cells
// (summary.links), and the document's keys besides.
func readOrder(t *testing.T, path string) (order []string) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Results []map[string]any `json:"results"`
		Summary struct {
			Links []struct {
				Prompt   string `json:"prompt"`
				Position int    `json:"position"`
			} `json:"links"`
		} `json:"summary"`
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatal(err)
	}
	for _, r := range d.Results {
		order = append(order, fmt.Sprintf("result %v/%v@%v#%v keys %v", r["prompt"], r["test"], r["position"], r["repeat"], slices.Sorted(maps.Keys(r))))
	}
	for _, c := range d.Summary.Links {
		order = append(order, fmt.Sprintf("cell %s@%d", c.Prompt, c.Position))
	}
	return order
}

// readRunGate is a results document's run.gate.
func readRunGate(t *testing.T, path string) eval.GateSettings {
	t.Helper()
	rs, err := eval.ReadResults(path)
	if err != nil {
		t.Fatal(err)
	}
	if rs.Run == nil || rs.Run.Gate == nil {
		t.Fatalf("%s has no run.gate", path)
	}
	return *rs.Run.Gate
}

// gateLines are the lines of a terminal report from "gate:" to the next
// empty line: the verdict, its violations and comparisons.
func gateLines(report string) []string {
	var out []string
	for line := range strings.Lines(report) {
		switch {
		case strings.HasPrefix(line, "gate:"):
			out = append(out, line)
		case len(out) > 0 && strings.TrimSpace(line) == "":
			return out
		case len(out) > 0:
			out = append(out, line)
		}
	}
	return out
}
