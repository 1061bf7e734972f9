package cmd

import (
	"os"
	"path/filepath"
	"sync"

	"github.com/llmfall/llmfall/config"
	"github.com/llmfall/llmfall/fallback"
	"github.com/llmfall/llmfall/judge"
	"github.com/llmfall/llmfall/provider"
	"github.com/llmfall/llmfall/setup"
)

// factory builds what commands need, lazily and once: a command that never
// touches the config never loads it. Commands do not hold it: their options
// take its methods as func fields (opts.Config = f.Config), so each command
// and its tests see only what it uses.
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
		return setup.Load(path, f.setupOptions())
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
		return setup.Providers(cfg, f.setupOptions())
	})
}

func (f *factory) setupOptions() setup.Options {
	return setup.Options{Getenv: f.Getenv, Offline: f.Offline}
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
		return setup.Engine(cfg, providers)
	})
}

// Judge builds the configured judge, or the offline heuristic.
func (f *factory) Judge() (judge.Judge, error) {
	return f.judge.get(func() (judge.Judge, error) {
		cfg, err := f.Config()
		if err != nil {
			return nil, err
		}
		providers, err := f.Providers()
		if err != nil {
			return nil, err
		}
		eng, err := f.Engine()
		if err != nil {
			return nil, err
		}
		return setup.Judge(cfg, eng, providers, f.setupOptions())
	})
}
