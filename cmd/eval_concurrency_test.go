package cmd

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/llmfall/llmfall/eval"
	"github.com/llmfall/llmfall/setup"
)

// TestEvalConcurrencyIsTotal: eval.concurrency (or -j) caps every call in
// flight, judge calls included; a provider's concurrency caps it under
// that. It used to be each provider's limit, so that the shipped config
// (8) let 3 providers and the judge have 32 calls in flight.
func TestEvalConcurrencyIsTotal(t *testing.T) {
	t.Chdir(t.TempDir())
	os.WriteFile("llmfall.yaml", []byte(`providers:
  a: { type: sim, concurrency: 2 }
  b: { type: sim }
  c: { type: sim, concurrency: 50 }
order: [a, b, c]
categories:
  fast: { a: m, b: m, c: m }
eval: { concurrency: 10 }
`), 0o644)
	for _, tc := range []struct {
		name         string
		j            int
		total        int
		wantA, wantB int
	}{
		{"config", 0, 10, 2, 10},
		{"-j 4", 4, 4, 2, 4},
		{"-j 1", 1, 1, 1, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			f := newFactory(testIO(strings.NewReader(""), &out, &out), envOf(nil))
			cfg, err := f.Config()
			if err != nil {
				t.Fatal(err)
			}
			run, err := setup.RunOptions(cfg, &eval.Plan{}, nil, f.Judge, eval.Inputs{}, f.setupOptions(),
				setup.EvalOptions{Concurrency: tc.j, NoCache: true})
			if err != nil {
				t.Fatal(err)
			}
			if run.Concurrency != tc.total || run.JudgeLimit.Concurrency != tc.total {
				t.Errorf("total %d, judge %d; want %d for both", run.Concurrency, run.JudgeLimit.Concurrency, tc.total)
			}
			got := map[string]int{}
			for name, l := range run.Limits {
				got[name] = l.Concurrency
			}
			want := map[string]int{"a": tc.wantA, "b": tc.wantB, "c": tc.total}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("per-provider limits (-want +got):\n%s", diff)
			}
		})
	}
}
