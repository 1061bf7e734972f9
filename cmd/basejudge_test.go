package cmd

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/llmfall/llmfall/config"
	"github.com/llmfall/llmfall/eval"
	"github.com/llmfall/llmfall/setup"
)

// A pull request's llmfall.yaml cannot drop canaries, turn a compromised
// judge into a warning, switch to the looser paired gate or demand more
// evidence before calling a regression real; it may tighten them all.
func TestJudgeFloors(t *testing.T) {
	base := &config.Config{Judge: config.Judge{Canaries: 2, CanaryPolicy: eval.CanaryFail},
		Eval: config.Eval{Gate: eval.GateRate, Alpha: 0.05}}
	loose := &config.Config{Judge: config.Judge{Canaries: 0, CanaryPolicy: eval.CanaryWarn},
		Eval: config.Eval{Gate: eval.GatePaired, Alpha: 0.01}}
	got := judgeFloors(loose, base)
	var lines []string
	for _, o := range got {
		lines = append(lines, o.String())
	}
	want := []string{
		"llmfall.yaml: judge.canaries 0 is looser than the trusted 2: ignored",
		"llmfall.yaml: judge.canary_policy warn is looser than the trusted fail: ignored",
		"llmfall.yaml: eval.gate paired is looser than the trusted rate: ignored",
		"llmfall.yaml: eval.alpha 0.01 is looser than the trusted 0.05: ignored",
	}
	if diff := cmp.Diff(want, lines); diff != "" {
		t.Errorf("overrides (-want +got):\n%s", diff)
	}
	if loose.Judge.Canaries != 2 || loose.Judge.CanaryPolicy != eval.CanaryFail || loose.Eval.Gate != eval.GateRate || loose.Eval.Alpha != 0.05 {
		t.Errorf("config after floors = %+v %+v; want the base's settings", loose.Judge, loose.Eval)
	}

	strict := &config.Config{Judge: config.Judge{Canaries: 4, CanaryPolicy: eval.CanaryFail},
		Eval: config.Eval{Gate: eval.GateRate, Alpha: 0.1}}
	if got := judgeFloors(strict, base); len(got) != 0 || strict.Judge.Canaries != 4 || strict.Eval.Alpha != 0.1 {
		t.Errorf("judgeFloors(stricter) = %v, %+v; want no override", got, strict)
	}
}

// A panel's verdicts are not a single judge's: the judge's identity (and so
// every judged case's fingerprint and cache key) changes with the panel.
func TestPanelChangesTheJudgeIdentity(t *testing.T) {
	const common = `providers:
  openai:    { type: openai }
  anthropic: { type: anthropic }
  gemini:    { type: gemini }
categories:
  fast:  { openai: gpt-4.1-mini, anthropic: claude-3-5-haiku-latest, gemini: gemini-2.5-flash }
  smart: { openai: gpt-4.1, anthropic: claude-sonnet-4-5, gemini: gemini-2.5-pro }
`
	id := func(judge string) string {
		cfg, err := setup.Parse("llmfall.yaml", []byte(common+judge), setup.Options{})
		if err != nil {
			t.Fatal(err)
		}
		ps, err := setup.Providers(cfg, setup.Options{})
		if err != nil {
			t.Fatal(err)
		}
		eng, err := setup.Engine(cfg, ps)
		if err != nil {
			t.Fatal(err)
		}
		return setup.Inputs(cfg, eng, setup.Options{}).Judge.ID()
	}
	single := id("judge: { category: smart }\n")
	panel := id("judge: { panel: [smart, fast] }\n")
	strict := id("judge: { panel: [smart, fast], min_agree: 2 }\n")
	other := id("judge: { panel: [smart, gemini/gemini-2.5-pro] }\n")
	if single == panel || panel == strict || panel == other {
		t.Errorf("judge ids: single %s, panel %s, min_agree 2 %s, other panel %s; want all different", single, panel, strict, other)
	}
}
