package cmd

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
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
