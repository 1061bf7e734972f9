// Package setup turns a loaded llmfall.yaml into running parts: one client
// per provider, the fallback engine and the judge, and re-reads the file into
// a running engine on SIGHUP. It is the one place that knows both the
// configuration and the packages it configures; the CLI and services that
// embed llmfall use it alike.
package setup

import (
	"cmp"
	"fmt"

	"github.com/llmfall/llmfall/config"
	"github.com/llmfall/llmfall/eval"
	"github.com/llmfall/llmfall/fallback"
	"github.com/llmfall/llmfall/judge"
	"github.com/llmfall/llmfall/provider"
	"github.com/llmfall/llmfall/provider/registry"
	"github.com/llmfall/llmfall/provider/sim"
)

// Options are the choices that do not live in the file.
type Options struct {
	// Getenv reads API keys; nil means no keys.
	Getenv func(string) string
	// Offline replaces every provider with a sim of the same name, and the
	// judge with the offline heuristic.
	Offline bool
	// Types are the provider types a config file may name and the
	// constructors of their clients; nil means registry.Types().
	Types provider.Types
}

func (o Options) types() provider.Types {
	if o.Types == nil {
		return registry.Types()
	}
	return o.Types
}

func (o Options) getenv(name string) string {
	if o.Getenv == nil {
		return ""
	}
	return o.Getenv(name)
}

// Load reads and validates the config file at path against opts' provider
// types, and applies the packages' defaults to what it leaves out.
func Load(path string, opts Options) (*config.Config, error) {
	cfg, err := config.Load(path, opts.types())
	if err != nil {
		return nil, err
	}
	ApplyDefaults(cfg)
	return cfg, nil
}

// Parse is Load for a file's contents (a config read from a git revision,
// say); name identifies it in messages.
func Parse(name string, data []byte, opts Options) (*config.Config, error) {
	cfg, err := config.Parse(name, data, opts.types())
	if err != nil {
		return nil, err
	}
	ApplyDefaults(cfg)
	return cfg, nil
}

// ApplyDefaults fills in what the file leaves out with the defaults of the
// packages the settings are for, each declared once in its package: the
// engine's timeouts and breakers (fallback), eval's depth, concurrency,
// retries and gate (eval), the judge's threshold and provider rule (judge).
// A category's own timeouts stay as the file gives them: the engine
// inherits the global ones field by field.
func ApplyDefaults(cfg *config.Config) {
	t := &cfg.Timeouts
	t.Attempt = cmp.Or(t.Attempt, fallback.DefaultAttemptTimeout)
	t.FirstToken = cmp.Or(t.FirstToken, fallback.DefaultFirstTokenTimeout)
	t.Idle = cmp.Or(t.Idle, fallback.DefaultIdleTimeout)
	t.Total = cmp.Or(t.Total, fallback.DefaultTotalTimeout)

	f := &cfg.Fallback
	f.RetryBackoff = cmp.Or(f.RetryBackoff, fallback.DefaultRetryBackoff)
	f.BreakerFailures = cmp.Or(f.BreakerFailures, fallback.DefaultBreakerFailures)
	f.BreakerCooldown = cmp.Or(f.BreakerCooldown, fallback.DefaultBreakerCooldown)
	f.BreakerMinCooldown = cmp.Or(f.BreakerMinCooldown, fallback.DefaultBreakerMinCooldown)

	e := &cfg.Eval
	e.ChainDepth = cmp.Or(e.ChainDepth, eval.DefaultDepth)
	e.Concurrency = cmp.Or(e.Concurrency, eval.DefaultConcurrency)
	if !cfg.Has("eval.retries") {
		e.Retries = eval.DefaultRetries
	}
	e.Gate = cmp.Or(e.Gate, eval.GateRate)
	e.Alpha = cmp.Or(e.Alpha, eval.DefaultAlpha)
	if !cfg.Has("eval.min_pass_rate") {
		e.MinPassRate = eval.DefaultMinPassRate
	}

	if !cfg.Has("judge.threshold") {
		cfg.Judge.Threshold = judge.DefaultThreshold
	}
	if !cfg.Has("judge.canaries") {
		cfg.Judge.Canaries = eval.DefaultCanaries
	}
	cfg.Judge.CanaryPolicy = cmp.Or(cfg.Judge.CanaryPolicy, eval.DefaultCanaryPolicy)
	if !cfg.Has("judge.different_provider") {
		var zero judge.Config
		cfg.Judge.DifferentProvider = !zero.AllowSameProvider
	}
}

// RunRetries is eval.RunOptions.Retries for the file's eval.retries
// (defaults applied): an explicit 0 is eval.NoRetries, since eval's zero
// value means its default.
func RunRetries(cfg *config.Config) int {
	if cfg.Eval.Retries == 0 {
		return eval.NoRetries
	}
	return cfg.Eval.Retries
}

// Prices is the file's pricing over eval's DefaultPrices: what eval and the
// judge charge each call.
func Prices(cfg *config.Config) eval.Prices {
	return eval.Prices(cfg.Pricing).WithDefaults()
}

// Providers builds one client per configured provider, keyed by name, each
// with its type's constructor; offline, each is a sim of the same name (with
// the entry's sim settings, which only a sim entry has).
func Providers(cfg *config.Config, opts Options) (map[string]provider.Provider, error) {
	types := opts.types()
	out := make(map[string]provider.Provider, len(cfg.Providers))
	for _, p := range cfg.Providers {
		s := provider.Settings{Name: p.Name, BaseURL: p.BaseURL, Headers: p.Headers, Simulation: p.Sim}
		if opts.Offline {
			out[p.Name] = sim.New(sim.FromSettings(s))
			continue
		}
		t, ok := types.Lookup(p.Type)
		if !ok {
			return nil, fmt.Errorf("provider %q: unknown type %q", p.Name, p.Type)
		}
		s.APIKey, _ = p.APIKey(opts.getenv)
		out[p.Name] = t.New(s)
	}
	return out, nil
}

// EngineConfig maps the file's settings onto the engine's, one to one.
func EngineConfig(cfg *config.Config) fallback.Config {
	out := fallback.Config{
		Order:              cfg.Order,
		Timeouts:           engineTimeouts(cfg.Timeouts),
		Retries:            cfg.Fallback.Retries,
		RetryBackoff:       cfg.Fallback.RetryBackoff,
		RetryAfterMaxWait:  cfg.Fallback.RetryAfterMaxWait,
		OnContentFilter:    cfg.Fallback.OnContentFilter,
		BreakerFailures:    cfg.Fallback.BreakerFailures,
		BreakerCooldown:    cfg.Fallback.BreakerCooldown,
		BreakerMinCooldown: cfg.Fallback.BreakerMinCooldown,
	}
	for _, p := range cfg.Providers {
		for _, m := range p.TextOnly {
			out.TextOnly = append(out.TextOnly, fallback.Target{Provider: p.Name, Model: m})
		}
	}
	for _, c := range cfg.Categories {
		out.Categories = append(out.Categories, fallback.Category{
			Name:         c.Name,
			Models:       c.Models,
			Providers:    c.Providers,
			Order:        c.Order,
			Timeouts:     engineTimeouts(c.Timeouts),
			HedgeAfter:   c.HedgeAfter,
			StreamBuffer: engineBuffer(c.StreamBuffer),
		})
	}
	return out
}

func engineBuffer(b config.StreamBuffer) fallback.StreamBuffer {
	if b.Whole {
		return fallback.StreamBuffer{Chunks: -1}
	}
	return fallback.StreamBuffer{Chunks: b.Chunks, For: b.For}
}

func engineTimeouts(t config.Timeouts) fallback.Timeouts {
	return fallback.Timeouts{Attempt: t.Attempt, FirstToken: t.FirstToken, Idle: t.Idle, Total: t.Total}
}

// Engine builds the fallback engine over providers (from Providers).
// adjust, if given, changes the engine configuration first, with what is
// not in the file: a service's engine-wide OnAttempt (the same func a
// Reloader's Adjust then keeps across reloads).
func Engine(cfg *config.Config, providers map[string]provider.Provider, adjust ...func(*fallback.Config)) (*fallback.Engine, error) {
	ec := EngineConfig(cfg)
	for _, a := range adjust {
		a(&ec)
	}
	return fallback.New(ec, providers)
}

// Judge builds the configured judge over the judge category's chain, or a
// panel over its members' chains. Offline, or when every judge's providers
// are simulations, it is the offline heuristic (a sim judging sims would
// only measure the sim); in a panel that mixes them, each member of sims
// votes with the heuristic (see judgeSpec.heuristic).
func Judge(cfg *config.Config, eng *fallback.Engine, providers map[string]provider.Provider, opts Options) (judge.Judge, error) {
	if opts.Offline {
		return &judge.Heuristic{Threshold: cfg.Judge.Threshold}, nil
	}
	specs, err := judgeSpecs(cfg, eng.Chain)
	if err != nil {
		return nil, err
	}
	if allHeuristic(cfg, specs, opts) {
		return &judge.Heuristic{Threshold: cfg.Judge.Threshold}, nil
	}
	if len(cfg.Judge.Panel) > 0 {
		return panel(cfg, specs, providers, opts)
	}
	// The judge chain retries as the engine's chains do: one policy.
	ecfg := EngineConfig(cfg)
	j, err := judge.New(judge.Config{Chain: judgeLinks(cfg, specs[0], providers), AllowSameProvider: !cfg.Judge.DifferentProvider,
		Threshold: cfg.Judge.Threshold, Retry: ecfg.RetryPolicy()})
	if err != nil {
		return nil, err
	}
	return j, nil
}

// judgeLinks are a judge's chain as judge links: clients and prices.
func judgeLinks(cfg *config.Config, s judgeSpec, providers map[string]provider.Provider) []judge.Link {
	prices := Prices(cfg)
	links := make([]judge.Link, 0, len(s.chain))
	for _, t := range s.chain {
		price, _ := prices.Lookup(t.Model)
		links = append(links, judge.Link{Provider: t.Provider, Model: t.Model, Client: providers[t.Provider],
			Price: price})
	}
	return links
}

// panel builds the judge panel of judge.panel. A panel never lets a judge
// grade its own provider's output: judge.different_provider does not apply.
func panel(cfg *config.Config, specs []judgeSpec, providers map[string]provider.Provider, opts Options) (judge.Judge, error) {
	pc := judge.PanelConfig{MinAgree: cfg.Judge.MinAgree, Threshold: cfg.Judge.Threshold}
	for _, s := range specs {
		pc.Members = append(pc.Members, judge.Member{Name: s.name, Chain: judgeLinks(cfg, s, providers),
			Heuristic: s.heuristic(cfg, opts.types())})
	}
	return judge.NewPanel(pc)
}
