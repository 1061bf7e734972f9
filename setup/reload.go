package setup

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/llmfall/llmfall/config"
	"github.com/llmfall/llmfall/fallback"
)

// Reloader re-reads a config file into a running engine: a manual
// switchover (a new order, a provider added or removed) without a deploy.
// Breaker state is kept for targets that remain.
type Reloader struct {
	Path    string
	Engine  *fallback.Engine
	Options Options
	// Adjust, if set, changes each reloaded engine configuration before it
	// is swapped in: the hooks and clocks a caller set on the first one
	// (OnAttempt) are not in the file and would otherwise be lost.
	Adjust func(*fallback.Config)
	// Check, if set, vets each reloaded configuration before anything of
	// it is applied: an error keeps the current configuration whole, and
	// says why. It is for the settings a program reads only at start.
	Check func(*config.Config) error
	// OnReload, if set, hears the outcome of every reload triggered by a
	// signal: nil, or why the old configuration stays in force.
	OnReload func(error)
}

// Reload loads the file and swaps it into the engine. On any error the
// engine keeps its current configuration.
func (r *Reloader) Reload() error {
	cfg, err := Load(r.Path, r.Options)
	if err != nil {
		return fmt.Errorf("reload: %w", err)
	}
	if r.Check != nil {
		if err := r.Check(cfg); err != nil {
			return fmt.Errorf("reload %s: %w", r.Path, err)
		}
	}
	providers, err := Providers(cfg, r.Options)
	if err != nil {
		return fmt.Errorf("reload %s: %w", r.Path, err)
	}
	ec := EngineConfig(cfg)
	if r.Adjust != nil {
		r.Adjust(&ec)
	}
	if err := r.Engine.Reload(ec, providers); err != nil {
		return fmt.Errorf("reload %s: %w", r.Path, err)
	}
	return nil
}

// Run reloads on every SIGHUP until ctx ends, and then returns ctx's error.
// The caller owns the goroutine it runs in:
//
//	go r.Run(ctx)
func (r *Reloader) Run(ctx context.Context) error {
	return r.run(ctx, syscall.SIGHUP)
}

func (r *Reloader) run(ctx context.Context, sig os.Signal) error {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, sig)
	defer signal.Stop(ch)
	return r.loop(ctx, ch)
}

// loop reloads once for every signal received on ch until ctx ends. It is
// apart from run so that a test can register ch before it signals, and send
// exactly one signal per reload.
func (r *Reloader) loop(ctx context.Context, ch <-chan os.Signal) error {
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ch:
			err := r.Reload()
			if r.OnReload != nil {
				r.OnReload(err)
			}
		}
	}
}
