// Package setup turns a loaded llmfall.yaml into running parts: one client
// per provider, the fallback engine and the judge, and re-reads the file into
// a running engine on SIGHUP. It is the one place that knows both the
// configuration and the packages it configures; the CLI and services that
// embed llmfall use it alike.
package setup

import (
	"fmt"

	"github.com/llmfall/llmfall/config"
	"github.com/llmfall/llmfall/fallback"
	"github.com/llmfall/llmfall/judge"
	"github.com/llmfall/llmfall/provider"
	"github.com/llmfall/llmfall/provider/anthropic"
	"github.com/llmfall/llmfall/provider/gemini"
	"github.com/llmfall/llmfall/provider/openai"
	"github.com/llmfall/llmfall/provider/sim"
)

// Options are the choices that do not live in the file.
type Options struct {
	// Getenv reads API keys; nil means no keys.
	Getenv func(string) string
	// Offline replaces every provider with a sim of the same name, and the
	// judge with the offline heuristic.
	Offline bool
}

func (o Options) getenv(name string) string {
	if o.Getenv == nil {
		return ""
	}
	return o.Getenv(name)
}

// builder makes a provider client from its config entry and its key.
type builder func(p config.Provider, key string) provider.Provider

// builders maps a config `type` to its adapter.
var builders = map[string]builder{
	"openai": func(p config.Provider, key string) provider.Provider {
		return openai.New(openai.Config{Name: p.Name, BaseURL: p.BaseURL, APIKey: key, Headers: p.Headers})
	},
	"anthropic": func(p config.Provider, key string) provider.Provider {
		return anthropic.New(anthropic.Config{Name: p.Name, BaseURL: p.BaseURL, APIKey: key, Headers: p.Headers})
	},
	"gemini": func(p config.Provider, key string) provider.Provider {
		return gemini.New(gemini.Config{Name: p.Name, BaseURL: p.BaseURL, APIKey: key, Headers: p.Headers})
	},
	"sim": func(p config.Provider, _ string) provider.Provider { return newSim(p) },
}

// Providers builds one client per configured provider, keyed by name.
func Providers(cfg *config.Config, opts Options) (map[string]provider.Provider, error) {
	out := make(map[string]provider.Provider, len(cfg.Providers))
	for _, p := range cfg.Providers {
		if opts.Offline {
			out[p.Name] = newSim(p)
			continue
		}
		build, ok := builders[p.Type]
		if !ok {
			return nil, fmt.Errorf("provider %q: unknown type %q", p.Name, p.Type)
		}
		key, _ := p.APIKey(opts.getenv)
		out[p.Name] = build(p, key)
	}
	return out, nil
}

// newSim is the simulated stand-in for p: its own sim settings when p is a
// sim, instant and fault-free otherwise.
func newSim(p config.Provider) provider.Provider {
	return sim.New(sim.Config{
		Name:            p.Name,
		Latency:         p.Sim.Latency,
		FirstToken:      p.Sim.FirstToken,
		TokensPerSecond: p.Sim.TokensPerSecond,
		ErrorRate:       p.Sim.ErrorRate,
		ErrorClasses:    p.Sim.ErrorClasses,
		HangRate:        p.Sim.HangRate,
		Seed:            p.Sim.Seed,
	})
}

// EngineConfig maps the file's settings onto the engine's, one to one.
func EngineConfig(cfg *config.Config) fallback.Config {
	out := fallback.Config{
		Order:           cfg.Order,
		Timeouts:        engineTimeouts(cfg.Timeouts),
		Retries:         cfg.Fallback.Retries,
		RetryBackoff:    cfg.Fallback.RetryBackoff,
		OnContentFilter: cfg.Fallback.OnContentFilter,
		BreakerFailures: cfg.Fallback.BreakerFailures,
		BreakerCooldown: cfg.Fallback.BreakerCooldown,
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
func Engine(cfg *config.Config, providers map[string]provider.Provider) (*fallback.Engine, error) {
	return fallback.New(EngineConfig(cfg), providers)
}

// Judge builds the configured judge over the judge category's chain, or the
// offline heuristic (a sim judging sims would only measure the sim).
func Judge(cfg *config.Config, eng *fallback.Engine, providers map[string]provider.Provider, opts Options) (judge.Judge, error) {
	if opts.Offline {
		return &judge.Heuristic{Threshold: cfg.Judge.Threshold}, nil
	}
	chain, err := eng.Chain(cfg.Judge.Category)
	if err != nil {
		return nil, fmt.Errorf("judge: %w", err)
	}
	links := make([]judge.Link, 0, len(chain))
	for _, t := range chain {
		price := cfg.Pricing[t.Model]
		links = append(links, judge.Link{Provider: t.Provider, Model: t.Model, Client: providers[t.Provider],
			Price: judge.Price{Input: price.Input, Output: price.Output}})
	}
	j, err := judge.New(judge.Config{Chain: links, DifferentProvider: cfg.Judge.DifferentProvider, Threshold: cfg.Judge.Threshold})
	if err != nil {
		return nil, err
	}
	return j, nil
}
