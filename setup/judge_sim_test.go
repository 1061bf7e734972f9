package setup

import (
	"testing"

	"github.com/llmfall/llmfall/judge"
)

// TestJudgeOfSims: a judge whose chain is all sim providers is the
// heuristic, as offline: a sim answers judge prompts with text, not
// verdicts. One real link keeps the model judge.
func TestJudgeOfSims(t *testing.T) {
	for _, tc := range []struct {
		name, config string
		heuristic    bool
	}{
		{"all sims", "providers:\n  a: { type: sim }\n  b: { type: sim }\norder: [a, b]\ncategories:\n  smart: { a: m1, b: m2 }\njudge: { category: smart }\n", true},
		{"one real link", "providers:\n  a: { type: sim }\n  b: { type: openai, api_key_env: TEST_KEY }\norder: [a, b]\ncategories:\n  smart: { a: m1, b: gpt-4.1 }\njudge: { category: smart }\n", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, _ := load(t, tc.config)
			ps, err := Providers(cfg, Options{})
			if err != nil {
				t.Fatal(err)
			}
			eng, err := Engine(cfg, ps)
			if err != nil {
				t.Fatal(err)
			}
			j, err := Judge(cfg, eng, ps, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := j.(*judge.Heuristic); ok != tc.heuristic {
				t.Errorf("judge = %T; want the heuristic: %v", j, tc.heuristic)
			}
		})
	}
}
