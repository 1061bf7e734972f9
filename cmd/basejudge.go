package cmd

import (
	"fmt"
	"maps"
	"slices"
	"strings"

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
	if len(cfg.Judge.Panel) > 0 && slices.Equal(cfg.Judge.Panel, base.Judge.Panel) {
		// Of the same panel, fewer votes needed is a looser panel.
		n := len(cfg.Judge.Panel)
		if head, trusted := effectiveMinAgree(cfg.Judge.MinAgree, n), effectiveMinAgree(base.Judge.MinAgree, n); head < trusted {
			out = append(out, eval.Override{Rule: "judge.min_agree", Value: float64(head), Floor: float64(trusted), Ignored: true})
			cfg.Judge.MinAgree = trusted
		}
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

// effectiveMinAgree is how many of n panel judges must pass: min_agree, or
// by default a majority (judge.Panel's rule).
func effectiveMinAgree(minAgree, n int) int {
	if minAgree > 0 {
		return minAgree
	}
	return n/2 + 1
}

// judgeChanges names the keys by which head's judge differs from the
// trusted base's: who judges (judge.category, judge.panel) and, for the
// same judges, their chains' models and order (categories.NAME.PROVIDER,
// categories.NAME.order, order). The judge's verdict is the review of
// every judged case, and a pull request that picks a weaker or more
// lenient judge waives its own gate, as a lower threshold would; a change
// to it needs a person's review (--allow-judge-changes). A base without a
// config has no judge to compare with: the provider check already asks
// for review of such a config.
func judgeChanges(base, head *config.Config) []string {
	if base == nil || base == head {
		return nil
	}
	trusted, err := setup.JudgeChains(base)
	if err != nil {
		return []string{fmt.Sprintf("judge (the base's judge does not resolve: %v)", err)}
	}
	got, err := setup.JudgeChains(head)
	if err != nil {
		return []string{fmt.Sprintf("judge (%v)", err)}
	}
	names := func(cs []setup.JudgeChain) []string {
		out := make([]string, len(cs))
		for i, c := range cs {
			out[i] = c.Name
		}
		return out
	}
	if !slices.Equal(names(got), names(trusted)) {
		key := "judge.panel"
		if len(head.Judge.Panel) == 0 && len(base.Judge.Panel) == 0 {
			key = "judge.category"
		}
		return []string{fmt.Sprintf("%s (%s → %s)", key, judgeNames(base), judgeNames(head))}
	}
	var out []string
	for i, c := range got {
		if !slices.Equal(c.Chain, trusted[i].Chain) {
			for _, k := range chainChanges(base, head, c.Name) {
				if !slices.Contains(out, k) {
					out = append(out, k)
				}
			}
		}
	}
	return out
}

// judgeNames is who judges, as the file says it.
func judgeNames(cfg *config.Config) string {
	if len(cfg.Judge.Panel) > 0 {
		return "[" + strings.Join(cfg.Judge.Panel, ", ") + "]"
	}
	return cfg.Judge.Category
}

// chainChanges names the keys that change category name's chain from base
// to head: a provider's model, the category's order, or the global order
// it follows.
func chainChanges(base, head *config.Config, name string) []string {
	b, _ := base.Category(name)
	h, _ := head.Category(name)
	var out []string
	provs := slices.Sorted(maps.Keys(b.Models))
	for p := range h.Models {
		if _, ok := b.Models[p]; !ok {
			provs = append(provs, p)
		}
	}
	slices.Sort(provs)
	for _, p := range provs {
		if b.Models[p] != h.Models[p] {
			out = append(out, fmt.Sprintf("categories.%s.%s (%s → %s)", name, p, orNone(b.Models[p]), orNone(h.Models[p])))
		}
	}
	if !slices.Equal(b.Order, h.Order) {
		out = append(out, fmt.Sprintf("categories.%s.order", name))
	} else if len(h.Order) == 0 && !slices.Equal(base.Order, head.Order) {
		out = append(out, "order")
	}
	if len(out) == 0 {
		out = append(out, "categories."+name)
	}
	return out
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
