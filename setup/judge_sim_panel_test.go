package setup

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/llmfall/llmfall/eval"
	"github.com/llmfall/llmfall/judge"
	"github.com/llmfall/llmfall/provider"
)

// verdictModel answers every judge question with a passing verdict and
// counts the questions.
type verdictModel struct{ calls atomic.Int32 }

func (m *verdictModel) Complete(context.Context, *provider.Request) (*provider.Response, error) {
	m.calls.Add(1)
	return &provider.Response{Text: `{"reasoning":"fine","score":0.9,"pass":true}`, FinishReason: provider.FinishStop}, nil
}

func (m *verdictModel) Stream(context.Context, *provider.Request) (provider.Stream, error) {
	return nil, errors.New("verdictModel: judges do not stream")
}

// mixedPanelConfig measures real providers and judges with a panel whose
// second member is made of sims.
const mixedPanelConfig = `providers:
  openai:    { type: openai, api_key_env: TEST_KEY }
  anthropic: { type: anthropic, api_key_env: TEST_KEY }
  local:     { type: sim }
  local2:    { type: sim }
order: [openai, anthropic, local, local2]
categories:
  fast:    { openai: gpt-4.1-mini }
  smart:   { anthropic: claude-sonnet-4-5 }
  offline: { local: m1, local2: m2 }
judge: { panel: [smart, offline] }
`

// A judge panel follows the rule a single judge does: a member whose
// providers are all sims votes with the heuristic instead of asking the
// sims, and a panel made only of sims is the heuristic.
func TestPanelOfSims(t *testing.T) {
	build := func(t *testing.T, config string) (judge.Judge, map[string]*verdictModel) {
		t.Helper()
		cfg, _ := load(t, config)
		ps, err := Providers(cfg, Options{Getenv: func(string) string { return "k" }})
		if err != nil {
			t.Fatal(err)
		}
		eng, err := Engine(cfg, ps)
		if err != nil {
			t.Fatal(err)
		}
		// The judge's clients are counting fakes: type decides, not client.
		models := map[string]*verdictModel{}
		clients := map[string]provider.Provider{}
		for _, p := range cfg.Providers {
			models[p.Name] = &verdictModel{}
			clients[p.Name] = models[p.Name]
		}
		j, err := Judge(cfg, eng, clients, Options{})
		if err != nil {
			t.Fatal(err)
		}
		return j, models
	}

	t.Run("all sims", func(t *testing.T) {
		j, _ := build(t, "providers:\n  a: { type: sim }\n  b: { type: sim }\n  c: { type: sim }\norder: [a, b, c]\n"+
			"categories:\n  smart: { a: m1, b: m2, c: m3 }\n  fast: { b: m4, c: m5, a: m6 }\njudge: { panel: [smart, fast] }\n")
		if _, ok := j.(*judge.Heuristic); !ok {
			t.Errorf("judge = %T; want the heuristic for a panel of sims", j)
		}
	})

	t.Run("one member of sims", func(t *testing.T) {
		j, models := build(t, mixedPanelConfig)
		v, err := j.Rubric(context.Background(), judge.RubricInput{Prompt: "Summarise the refund ticket",
			Output: "The customer asks for a refund of order 1182.", Rubric: "mentions the refund", CandidateProvider: "openai"})
		if err != nil {
			t.Fatal(err)
		}
		if len(v.Votes) != 2 || v.Votes[0].Judge != "anthropic/claude-sonnet-4-5" || v.Votes[1].Judge != judge.HeuristicName || !v.Votes[1].Heuristic {
			t.Errorf("votes = %+v; want anthropic's model and the heuristic for the member of sims", v.Votes)
		}
		if n := models["anthropic"].calls.Load(); n != 1 {
			t.Errorf("the real judge was asked %d times; want 1", n)
		}
		for _, name := range []string{"local", "local2"} {
			if n := models[name].calls.Load(); n != 0 {
				t.Errorf("sim %s was asked %d judge questions; want none", name, n)
			}
		}
	})
}

// Any sim among the judge's links, a panel member's included, marks the
// report simulated; so does a measured sim link, and nothing else.
func TestSimulatedJudgeMarksTheReport(t *testing.T) {
	dir := t.TempDir()
	suite := "name: p\ncategory: fast\nprompt: \"hi\"\ntests:\n  - name: t\n    assert: [{type: judge, rubric: greets}]\n"
	if err := os.WriteFile(filepath.Join(dir, "p.yaml"), []byte(suite), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, judge string
		simulated   bool
	}{
		{"real category", "judge: { category: smart }\n", false},
		{"real panel", "judge: { panel: [smart, openai/gpt-4.1] }\n", false},
		{"panel member of sims", "judge: { panel: [smart, offline] }\n", true},
		{"explicit sim member", "judge: { panel: [smart, local/m1] }\n", true},
		{"category of sims", "judge: { category: offline }\n", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, _ := load(t, mixedPanelConfig[:len(mixedPanelConfig)-len("judge: { panel: [smart, offline] }\n")]+tc.judge)
			ps, err := Providers(cfg, Options{Getenv: func(string) string { return "k" }})
			if err != nil {
				t.Fatal(err)
			}
			eng, err := Engine(cfg, ps)
			if err != nil {
				t.Fatal(err)
			}
			s, err := eval.LoadSuite([]string{dir}, LoadOptions(cfg))
			if err != nil {
				t.Fatal(err)
			}
			inputs := Inputs(cfg, eng, Options{})
			plan, err := eval.NewPlan(s, PlanOptions(cfg, eng, inputs))
			if err != nil {
				t.Fatal(err)
			}
			newJudge := func() (judge.Judge, error) { return &judge.Heuristic{}, nil }
			run, err := RunOptions(cfg, plan, ps, newJudge, inputs, Options{}, EvalOptions{NoCache: true})
			if err != nil {
				t.Fatal(err)
			}
			if run.Offline != tc.simulated {
				t.Errorf("RunOptions().Offline = %t; want %t", run.Offline, tc.simulated)
			}
		})
	}
}

// A dry run prices each judge's first model, and nothing for a judge that
// is the heuristic.
func TestJudgeModels(t *testing.T) {
	for _, tc := range []struct {
		name, judge string
		offline     bool
		want        []string
	}{
		{"single judge", "judge: { category: smart }\n", false, []string{"claude-sonnet-4-5"}},
		{"panel with a member of sims", "judge: { panel: [smart, offline] }\n", false, []string{"claude-sonnet-4-5", ""}},
		{"judge of sims", "judge: { category: offline }\n", false, nil},
		{"offline", "judge: { panel: [smart, fast] }\n", true, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, _ := load(t, mixedPanelConfig[:len(mixedPanelConfig)-len("judge: { panel: [smart, offline] }\n")]+tc.judge)
			eng, _ := offlineEngine(t, cfg)
			if got := JudgeModels(cfg, eng, Options{Offline: tc.offline}); !slices.Equal(got, tc.want) {
				t.Errorf("JudgeModels() = %q; want %q", got, tc.want)
			}
		})
	}
}
