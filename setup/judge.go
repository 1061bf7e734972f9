package setup

import (
	"fmt"
	"strings"

	"github.com/llmfall/llmfall/config"
	"github.com/llmfall/llmfall/fallback"
	"github.com/llmfall/llmfall/provider"
)

// judgeSpec is one judge as the file names it (the judge category, or one
// entry of judge.panel) and the chain it judges with.
type judgeSpec struct {
	name  string
	chain []fallback.Target
}

// chainFunc resolves a category's chain: an engine's Chain, or fileChains.
type chainFunc func(category string) ([]fallback.Target, error)

// judgeSpecs are cfg's judges: the judge category, or every panel member
// (a category's chain, or the one "provider/model" named).
func judgeSpecs(cfg *config.Config, chain chainFunc) ([]judgeSpec, error) {
	names := cfg.Judge.Panel
	if len(names) == 0 {
		names = []string{cfg.Judge.Category}
	}
	out := make([]judgeSpec, 0, len(names))
	for _, name := range names {
		if prov, model, ok := strings.Cut(name, "/"); ok {
			out = append(out, judgeSpec{name: name, chain: []fallback.Target{{Provider: prov, Model: model}}})
			continue
		}
		c, err := chain(name)
		if err != nil {
			return nil, fmt.Errorf("judge: %w", err)
		}
		out = append(out, judgeSpec{name: name, chain: c})
	}
	return out, nil
}

// fileChains resolves chains as the file orders them, without an engine
// (and so without a runtime order override): for decisions that need only
// which providers a chain holds.
func fileChains(cfg *config.Config) chainFunc {
	ec := EngineConfig(cfg)
	return func(name string) ([]fallback.Target, error) {
		for _, c := range ec.Categories {
			if c.Name == name {
				return fallback.ResolveChain(c, ec.Order), nil
			}
		}
		return nil, fmt.Errorf("unknown category %q", name)
	}
}

// simulated reports whether the provider named is of a simulated type (sim).
func simulated(cfg *config.Config, types provider.Types, name string) bool {
	p, ok := cfg.Provider(name)
	if !ok {
		return false
	}
	typ, ok := types.Lookup(p.Type)
	return ok && typ.Simulated
}

// heuristic is the one rule for judges of simulations: a judge (the judge
// category, or a panel member) whose every provider is a simulation judges
// with the offline heuristic, since a simulated model answers a judge
// prompt with made-up text, not a verdict. One real link keeps the model
// judge (the sims in its chain still answer when it falls back to them,
// which is why any sim link marks a report simulated: see simulatedJudge).
func (s judgeSpec) heuristic(cfg *config.Config, types provider.Types) bool {
	for _, t := range s.chain {
		if !simulated(cfg, types, t.Provider) {
			return false
		}
	}
	return len(s.chain) > 0
}

// simulatedJudge reports whether any judge link of cfg (the category's, or
// any panel member's) is a simulation: verdicts it gives, or the heuristic
// gives for it, are a simulation's, and the report must say so.
func simulatedJudge(cfg *config.Config, types provider.Types) bool {
	specs, err := judgeSpecs(cfg, fileChains(cfg))
	if err != nil {
		return false
	}
	for _, s := range specs {
		for _, t := range s.chain {
			if simulated(cfg, types, t.Provider) {
				return true
			}
		}
	}
	return false
}

// allHeuristic reports whether every judge of specs is the heuristic: then
// the judge is the heuristic, a panel of sims as one judge of sims.
func allHeuristic(cfg *config.Config, specs []judgeSpec, opts Options) bool {
	if opts.Offline {
		return true
	}
	for _, s := range specs {
		if !s.heuristic(cfg, opts.types()) {
			return false
		}
	}
	return true
}

// JudgeModels are the models that price the judge's calls: the first model
// of each judge's chain (one for a single judge, one per panel member),
// "" for a judge that is the heuristic and costs nothing; none when the
// whole judge is the heuristic.
func JudgeModels(cfg *config.Config, eng *fallback.Engine, opts Options) []string {
	specs, err := judgeSpecs(cfg, eng.Chain)
	if err != nil || allHeuristic(cfg, specs, opts) {
		return nil
	}
	out := make([]string, 0, len(specs))
	for _, s := range specs {
		switch {
		case s.heuristic(cfg, opts.types()) || len(s.chain) == 0:
			out = append(out, "")
		default:
			out = append(out, s.chain[0].Model)
		}
	}
	return out
}

// JudgeChain is one judge of a config as the file names it (the judge
// category, or an entry of judge.panel) and its chain as the file orders
// it, strongest first.
type JudgeChain struct {
	Name  string
	Chain []fallback.Target
}

// JudgeChains are cfg's judges and the models each judges with: what a
// pull request's judge is compared with its base's on.
func JudgeChains(cfg *config.Config) ([]JudgeChain, error) {
	specs, err := judgeSpecs(cfg, fileChains(cfg))
	if err != nil {
		return nil, err
	}
	out := make([]JudgeChain, len(specs))
	for i, s := range specs {
		out[i] = JudgeChain{Name: s.name, Chain: s.chain}
	}
	return out, nil
}
