package cmd

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/llmfall/llmfall/config"
	"github.com/llmfall/llmfall/eval"
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
