package setup

import (
	"fmt"
	"slices"

	"github.com/llmfall/llmfall/config"
	"github.com/llmfall/llmfall/eval"
	"github.com/llmfall/llmfall/fallback"
	"github.com/llmfall/llmfall/judge"
	"github.com/llmfall/llmfall/provider"
)

// This file is eval's wiring: how the file's settings become eval's load,
// plan, run and gate options. The command line overrides what its flags
// set on the options returned; a service embedding llmfall uses them as
// they are.

// EvalOptions are eval's choices that do not live in the file.
type EvalOptions struct {
	// Concurrency, when positive, is the calls in flight in all, judge
	// calls included, over the file's eval.concurrency (llmfall eval -j).
	Concurrency int
	// NoCache calls every provider even for answers in the cache.
	NoCache bool
	// CacheDir is the answer cache's directory; "" means
	// eval.DefaultCacheDir().
	CacheDir string
}

// LoadOptions are how a suite is loaded under cfg: at the head, or at a
// base revision under that revision's config.
func LoadOptions(cfg *config.Config) eval.LoadOptions {
	return eval.LoadOptions{Categories: categoryNames(cfg), MaxPromptBytes: int64(cfg.Eval.MaxPromptBytes)}
}

func categoryNames(cfg *config.Config) []string {
	names := make([]string, len(cfg.Categories))
	for i, c := range cfg.Categories {
		names[i] = c.Name
	}
	return names
}

// PlanOptions are the plan's settings from cfg: the engine's chains, the
// file's depth and repeat, and inputs (from Inputs) for the fingerprints.
func PlanOptions(cfg *config.Config, eng *fallback.Engine, inputs eval.Inputs) eval.PlanOptions {
	return eval.PlanOptions{Chain: eng.Chain, Depth: cfg.Eval.ChainDepth, Repeat: cfg.Eval.Repeat, Inputs: inputs}
}

// Inputs describe what of cfg decides cases' outcomes: each provider's
// identity (never its key) and the judge's chain and settings.
func Inputs(cfg *config.Config, eng *fallback.Engine, opts Options) eval.Inputs {
	in := eval.Inputs{Links: map[string]eval.LinkIdentity{}, Prices: Prices(cfg)}
	for _, p := range cfg.Providers {
		in.Links[p.Name] = linkIdentity(p, opts.Offline || simulated(cfg, opts.types(), p.Name))
	}
	in.Judge = eval.JudgeIdentity{Threshold: cfg.Judge.Threshold, DifferentProvider: cfg.Judge.DifferentProvider}
	if opts.Offline {
		in.Judge = eval.JudgeIdentity{Heuristic: true, Threshold: cfg.Judge.Threshold}
		return in
	}
	if len(cfg.Judge.Panel) > 0 {
		in.Judge.Panel, in.Judge.MinAgree = panelIdentity(cfg, eng, in.Links), cfg.Judge.MinAgree
		return in
	}
	chain, _ := eng.Chain(cfg.Judge.Category)
	for _, t := range chain {
		in.Judge.Chain = append(in.Judge.Chain, eval.JudgeLink{Model: t.Model, Link: in.Links[t.Provider]})
	}
	return in
}

// linkIdentity is what answers a provider's requests: when sim (offline, or
// a provider of a simulated type, as the type registry says), the simulator
// and its settings. Credential headers count by name only: their values are
// secrets, and not even a hash of one goes into a results file.
func linkIdentity(p config.Provider, sim bool) eval.LinkIdentity {
	if sim {
		return eval.LinkIdentity{Name: p.Name, Type: "sim", Settings: fmt.Sprintf("%+v", p.Sim)}
	}
	var headers map[string]string
	if len(p.Headers) > 0 {
		secrets := provider.Secrets("", p.Headers)
		headers = make(map[string]string, len(p.Headers))
		for k, v := range p.Headers {
			if slices.Contains(secrets, v) {
				v = "(credential)"
			}
			headers[k] = v
		}
	}
	return eval.LinkIdentity{Name: p.Name, Type: p.Type, BaseURL: p.BaseURL, Headers: headers}
}

// EvalProviders are the providers running plan calls, in order of first
// use: its links', then the judge chain's when an assertion needs the
// judge. Their keys are the ones MissingKeys checks.
func EvalProviders(cfg *config.Config, eng *fallback.Engine, plan *eval.Plan) []string {
	names := planProviders(plan)
	if needsJudge(plan) {
		judges, _ := JudgeProviders(cfg, eng)
		names = append(names, judges...)
	}
	return names
}

// JudgeProviders are the providers that may judge, in order: those of the
// judge category's chain, or of every panel member's (a category's chain,
// or the one provider/model named). Their keys are checked before a run as
// the measured links' are.
func JudgeProviders(cfg *config.Config, eng *fallback.Engine) ([]string, error) {
	specs, err := judgeSpecs(cfg, eng.Chain)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, s := range specs {
		out = append(out, ChainProviders(s.chain)...)
	}
	return out, nil
}

// panelIdentity is each panel member's chain as fingerprints see it: a
// category's chain, or the one provider/model named.
func panelIdentity(cfg *config.Config, eng *fallback.Engine, links map[string]eval.LinkIdentity) [][]eval.JudgeLink {
	specs, _ := judgeSpecs(cfg, eng.Chain)
	out := make([][]eval.JudgeLink, 0, len(specs))
	for _, s := range specs {
		var member []eval.JudgeLink
		for _, t := range s.chain {
			member = append(member, eval.JudgeLink{Model: t.Model, Link: links[t.Provider]})
		}
		out = append(out, member)
	}
	return out
}

// RunOptions are eval.RunOptions for running plan under cfg: the clients
// (from Providers) with their limits, prices, retries, the attempt
// timeout, each provider's identity for the cache, the judge when the
// plan needs one (newJudge is called only then), and the cache.
func RunOptions(cfg *config.Config, plan *eval.Plan, providers map[string]provider.Provider, newJudge func() (judge.Judge, error), inputs eval.Inputs, opts Options, eo EvalOptions) (eval.RunOptions, error) {
	var err error
	// eval.concurrency (or -j) is what users read it as: the calls in
	// flight in all, generations and judge calls together. A provider's own
	// concurrency caps it under that; without one it may take them all.
	total := cfg.Eval.Concurrency
	if eo.Concurrency > 0 {
		total = eo.Concurrency
	}
	run := eval.RunOptions{
		Providers: providers, Limits: map[string]eval.Limit{}, Prices: Prices(cfg), Offline: opts.Offline || usesSim(cfg, plan, opts.types()),
		Retries: RunRetries(cfg), Timeout: cfg.Timeouts.Attempt,
		Concurrency: total, JudgeLimit: eval.Limit{Concurrency: total},
		Canaries: cfg.Judge.Canaries, CanaryPolicy: cfg.Judge.CanaryPolicy,
	}
	identity := map[string]string{}
	for _, p := range cfg.Providers {
		lim := eval.Limit{Concurrency: min(p.Concurrency, total), RPM: p.RPM}
		if lim.Concurrency <= 0 {
			lim.Concurrency = total
		}
		run.Limits[p.Name] = lim
		identity[p.Name] = p.Type + " " + p.BaseURL
	}
	run.Identity = func(name string) string { return identity[name] }
	if needsJudge(plan) {
		if run.Judge, err = newJudge(); err != nil {
			return run, err
		}
		run.JudgeID = inputs.Judge.ID()
	}
	// Offline answers cost nothing to make again, and caching them would
	// only let a stale simulation outlive a new version of it.
	if !eo.NoCache && !opts.Offline {
		dir := eo.CacheDir
		if dir == "" {
			if dir, err = eval.DefaultCacheDir(); err != nil {
				return run, err
			}
		}
		if run.Cache, err = eval.OpenCache(dir); err != nil {
			return run, err
		}
	}
	return run, nil
}

// usesSim reports whether a link the plan measures, or any judge link that
// grades it, is a provider of a simulated type, whatever its name: its
// report must say that it is a simulation as offline runs' do.
func usesSim(cfg *config.Config, plan *eval.Plan, types provider.Types) bool {
	for _, c := range plan.Cases {
		if simulated(cfg, types, c.Target.Provider) {
			return true
		}
	}
	return needsJudge(plan) && simulatedJudge(cfg, types)
}

// planProviders are the providers the plan calls, in order of first use.
func planProviders(plan *eval.Plan) []string {
	var names []string
	for _, c := range plan.Cases {
		if !slices.Contains(names, c.Target.Provider) {
			names = append(names, c.Target.Provider)
		}
	}
	return names
}

func needsJudge(plan *eval.Plan) bool {
	for _, c := range plan.Cases {
		for _, a := range c.Test.Asserts {
			if a.NeedsJudge() {
				return true
			}
		}
	}
	return false
}

// GateOptions are the gate's thresholds from cfg and the prompts' own
// minimums in suite; the caller adds a baseline and what its command line
// sets.
func GateOptions(cfg *config.Config, suite *eval.Suite) eval.GateOptions {
	return eval.GateOptions{
		MinPassRate: cfg.Eval.MinPassRate, PromptMinPassRate: eval.PromptMinimums(suite),
		MaxRegression: cfg.Eval.MaxRegression,
		CanaryPolicy:  cfg.Judge.CanaryPolicy,
		Paired:        cfg.Eval.Gate == eval.GatePaired, Alpha: cfg.Eval.Alpha,
		TestMinimums: eval.TestMinimums(suite),
	}
}
