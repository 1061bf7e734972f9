package cmd

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/llmfall/llmfall/config"
	"github.com/llmfall/llmfall/fallback"
	"github.com/llmfall/llmfall/judge"
	"github.com/llmfall/llmfall/provider"
	"github.com/llmfall/llmfall/provider/anthropic"
	"github.com/llmfall/llmfall/provider/gemini"
	"github.com/llmfall/llmfall/provider/openai"
	"github.com/llmfall/llmfall/provider/sim"
)

// factory builds what commands need, lazily and once: a command that never
// touches the config never loads it.
type factory struct {
	IO     *IO
	Getenv func(string) string

	// Global flags.
	ConfigPath string
	Offline    bool
	Verbose    bool

	ran bool // a command's run started (so a later error is not a usage error)

	config    lazy[*config.Config]
	providers lazy[map[string]provider.Provider]
	engine    lazy[*fallback.Engine]
	judge     lazy[judge.Judge]
}

func newFactory(io *IO, getenv func(string) string) *factory {
	return &factory{IO: io, Getenv: getenv}
}

type lazy[T any] struct {
	once sync.Once
	v    T
	err  error
}

func (l *lazy[T]) get(build func() (T, error)) (T, error) {
	l.once.Do(func() { l.v, l.err = build() })
	return l.v, l.err
}

// Config loads llmfall.yaml from --config or the nearest directory that has one.
func (f *factory) Config() (*config.Config, error) {
	return f.config.get(func() (*config.Config, error) {
		path := f.ConfigPath
		if path == "" {
			wd, err := os.Getwd()
			if err != nil {
				return nil, err
			}
			if path, err = config.Find(wd); err != nil {
				return nil, usageErr(err, "pass --config FILE, or create llmfall.yaml (see README)")
			}
			// Name the file as the user would: relative when it is here or above.
			if rel, err := filepath.Rel(wd, path); err == nil {
				path = rel
			}
		}
		return config.Load(path)
	})
}

// Providers builds one client per configured provider; with --offline every
// one of them is a sim of the same name.
func (f *factory) Providers() (map[string]provider.Provider, error) {
	return f.providers.get(func() (map[string]provider.Provider, error) {
		cfg, err := f.Config()
		if err != nil {
			return nil, err
		}
		out := make(map[string]provider.Provider, len(cfg.Providers))
		for _, p := range cfg.Providers {
			if f.Offline {
				out[p.Name] = newSim(p)
				continue
			}
			build, ok := builders[p.Type]
			if !ok {
				return nil, fmt.Errorf("provider %q: unknown type %q", p.Name, p.Type)
			}
			key, _ := p.APIKey(f.Getenv)
			out[p.Name] = build(p, key)
		}
		return out, nil
	})
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

// Engine builds the fallback engine over the configured providers.
func (f *factory) Engine() (*fallback.Engine, error) {
	return f.engine.get(func() (*fallback.Engine, error) {
		cfg, err := f.Config()
		if err != nil {
			return nil, err
		}
		providers, err := f.Providers()
		if err != nil {
			return nil, err
		}
		return fallback.New(engineConfig(cfg), providers)
	})
}

// engineConfig maps llmfall.yaml onto the engine's settings, one to one.
func engineConfig(cfg *config.Config) fallback.Config {
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
			Name:       c.Name,
			Models:     c.Models,
			Providers:  c.Providers,
			Order:      c.Order,
			Timeouts:   engineTimeouts(c.Timeouts),
			HedgeAfter: c.HedgeAfter,
		})
	}
	return out
}

func engineTimeouts(t config.Timeouts) fallback.Timeouts {
	return fallback.Timeouts{Attempt: t.Attempt, FirstToken: t.FirstToken, Idle: t.Idle, Total: t.Total}
}

// Judge builds the configured judge: the judge category's chain, or the
// offline heuristic with --offline (a sim judging sims would only measure
// the sim).
func (f *factory) Judge() (judge.Judge, error) {
	return f.judge.get(func() (judge.Judge, error) {
		cfg, err := f.Config()
		if err != nil {
			return nil, err
		}
		if f.Offline {
			return &judge.Heuristic{Threshold: cfg.Judge.Threshold}, nil
		}
		eng, err := f.Engine()
		if err != nil {
			return nil, err
		}
		providers, err := f.Providers()
		if err != nil {
			return nil, err
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
		return judge.New(judge.Config{Chain: links, DifferentProvider: cfg.Judge.DifferentProvider, Threshold: cfg.Judge.Threshold})
	})
}
