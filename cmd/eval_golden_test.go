package cmd

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestEvalResultsGolden pins the results document of a suite with every
// kind of var and assertion (testdata/golden), once and with --repeat 2,
// fingerprints included: how eval keeps its cases in memory may change,
// what it writes may not. Timings are zeroed and sums rounded (their last
// bits follow the order cases finish in).
//
//	go test ./cmd -run TestEvalResultsGolden -update
func TestEvalResultsGolden(t *testing.T) {
	dir, err := filepath.Abs(filepath.Join("testdata", "golden"))
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	out := t.TempDir()
	docs := map[string]any{}
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"once", nil},
		{"repeat 2", []string{"--repeat", "2"}},
	} {
		path := filepath.Join(out, strings.ReplaceAll(tc.name, " ", "-")+".json")
		var stdout, stderr bytes.Buffer
		f := newFactory(testIO(strings.NewReader(""), &stdout, &stderr), envOf(nil))
		args := append([]string{"eval", "prompts/", "--no-progress", "--no-cache", "-o", path}, tc.args...)
		if code := executeArgs(context.Background(), f, args); code != ExitFailed {
			t.Fatalf("%s: exit code %d; want %d (the suite fails its gate)\n%s", tc.name, code, ExitFailed, stderr.String())
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var doc any
		if err := json.Unmarshal(raw, &doc); err != nil {
			t.Fatal(err)
		}
		normalise(doc)
		docs[tc.name] = doc
	}
	got, err := json.MarshalIndent(docs, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join(dir, "..", "golden_results.json")
	if *updateGolden {
		if err := os.WriteFile(golden, append(got, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(strings.TrimSpace(string(want)), strings.TrimSpace(string(got))); diff != "" {
		t.Errorf("results documents differ from %s (-want +got):\n%s", golden, diff)
	}
}

// normalise sets every measured duration in a decoded document to 0 and
// rounds every number to 10 significant digits.
func normalise(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if k == "latency_ms" || k == "duration_ms" {
				x = 0.0
			}
			v[k] = normalise(x)
		}
	case []any:
		for i, x := range v {
			v[i] = normalise(x)
		}
	case float64:
		r, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 10, 64), 64)
		return r
	}
	return v
}
