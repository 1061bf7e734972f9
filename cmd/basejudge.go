package cmd

import (
	"github.com/llmfall/llmfall/config"
	"github.com/llmfall/llmfall/eval"
	"github.com/llmfall/llmfall/fallback"
	"github.com/llmfall/llmfall/setup"
)

// judgeFloors hold the settings of the judge's negative controls and of the
// paired gate to the trusted base's, as applyBaseFloors does the rest: a
// pull request may add canaries or lower the bar for calling a regression
// real, never the reverse. A paired gate is looser than a rate gate with a
// max_regression, so a pull request cannot switch to it either.
func judgeFloors(cfg, base *config.Config) []eval.Override {
	var out []eval.Override
	if cfg.Judge.Canaries < base.Judge.Canaries {
		out = append(out, eval.Override{Rule: "judge.canaries", Value: float64(cfg.Judge.Canaries),
			Floor: float64(base.Judge.Canaries), Ignored: true})
		cfg.Judge.Canaries = base.Judge.Canaries
	}
	if base.Judge.CanaryPolicy == eval.CanaryFail && cfg.Judge.CanaryPolicy != eval.CanaryFail {
		out = append(out, eval.Override{Rule: "judge.canary_policy", Value: 0, Floor: 1, Ignored: true})
		cfg.Judge.CanaryPolicy = eval.CanaryFail
	}
	if base.Eval.Gate != eval.GatePaired && cfg.Eval.Gate == eval.GatePaired {
		out = append(out, eval.Override{Rule: "eval.gate", Value: 0, Floor: 1, Ignored: true})
		cfg.Eval.Gate = base.Eval.Gate
	}
	if cfg.Eval.Alpha < base.Eval.Alpha {
		out = append(out, eval.Override{Rule: "eval.alpha", Value: cfg.Eval.Alpha, Floor: base.Eval.Alpha, Ignored: true})
		cfg.Eval.Alpha = base.Eval.Alpha
	}
	return out
}

// estimateOptions say who a dry run prices as the judge (setup decides:
// the first model of each judge's chain, nothing for the heuristic) and
// the canaries.
func estimateOptions(cfg *config.Config, engine *fallback.Engine, so setup.Options) eval.EstimateOptions {
	return eval.EstimateOptions{Canaries: cfg.Judge.Canaries, JudgeModels: setup.JudgeModels(cfg, engine, so)}
}
