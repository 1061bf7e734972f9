package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"

	"github.com/spf13/cobra"

	"github.com/llmfall/llmfall/config"
	"github.com/llmfall/llmfall/fallback"
	"github.com/llmfall/llmfall/provider"
	"github.com/llmfall/llmfall/serve"
	"github.com/llmfall/llmfall/serve/shared"
	"github.com/llmfall/llmfall/setup"
)

type serveOptions struct {
	IO     *IO
	Getenv func(string) string
	// Setup are the global flags' setup options (--offline), read when
	// the command runs.
	Setup   func() setup.Options
	Config  func() (*config.Config, error)
	Clients func() (map[string]provider.Provider, error)

	Addr string
	// ready, if set, hears the address once the gateway listens (tests).
	ready func(addr string)
}

func newCmdServe(f *factory, runF func(context.Context, *serveOptions) error) *cobra.Command {
	opts := &serveOptions{IO: f.IO, Getenv: f.Getenv, Setup: f.setupOptions, Config: f.Config, Clients: f.Providers}
	c := &cobra.Command{
		Use:   "serve",
		Short: "Serve the fallback engine as an OpenAI-compatible gateway",
		Long: `Serve POST /v1/chat/completions and GET /v1/models in OpenAI's shapes, so that any OpenAI
SDK can use the chains of llmfall.yaml. The model is a category (fast: falls back down its
chain) or one link (openai/gpt-4.1-mini: no fallback). Also: GET /healthz, GET /readyz,
GET /metrics (Prometheus) and POST /admin/order (the manual switchover, with an admin key).

Client keys come from the variable serve.keys_env names (comma-separated); without it the
gateway is open. SIGHUP reloads llmfall.yaml, keeping breaker state; SIGTERM drains the
requests in flight for up to serve.drain.`,
		Example: `  LLMFALL_KEYS=secret1 llmfall serve --addr 127.0.0.1:8080
  llmfall serve --offline    # simulated providers: try it without keys`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runServe(c.Context(), opts)
		},
	}
	c.Flags().StringVar(&opts.Addr, "addr", "127.0.0.1:8080", "address to listen on")
	return c
}

func runServe(ctx context.Context, opts *serveOptions) error {
	cfg, err := opts.Config()
	if err != nil {
		return err
	}
	keys, err := envKeys(opts.Getenv, "serve.keys_env", cfg.Serve.KeysEnv)
	if err != nil {
		return err
	}
	admin, err := envKeys(opts.Getenv, "serve.admin_keys_env", cfg.Serve.AdminKeysEnv)
	if err != nil {
		return err
	}
	defer serve.StartHeapFloor(opts.Getenv)()
	procs, stopProcs := serve.StartProcs(opts.Getenv)
	defer stopProcs()
	metrics := serve.NewMetrics()
	logf := serveLog(opts.IO.Err)
	var store *shared.Store
	if cfg.State.Redis != "" {
		// Read once at start: a reload keeps the store it started with.
		store, err = shared.New(shared.Config{URL: cfg.State.Redis, Prefix: cfg.State.KeyPrefix, Log: logf})
		if err != nil {
			return usageErr(err, "fix state.redis in "+cfg.Path)
		}
		// go-redis's own lines (a failed dial every reconnection while
		// Redis is down) go through the gateway's log, and the store
		// says once that it lost Redis and once that it is back.
		shared.LogRedis(logf)
	}
	// The gateway's engine counts every call's attempts and shares its
	// health, on this engine and on each one a reload swaps in.
	countAttempts := func(c *fallback.Config) {
		c.OnAttempt = metrics.OnAttempt
		if store != nil {
			c.Shared = store
		}
	}
	providers, err := opts.Clients()
	if err != nil {
		return err
	}
	eng, err := setup.Engine(cfg, providers, countAttempts)
	if err != nil {
		return err
	}
	if err := checkKeys(cfg, setup.ServeProviders(eng), opts.Setup()); err != nil {
		return err
	}
	srv, err := serve.New(serve.Config{Engine: eng, Keys: keys, AdminKeys: admin, Metrics: metrics, Shared: store, Procs: procs,
		MaxBodyBytes: int64(cfg.Serve.MaxBodyBytes), MaxConcurrent: cfg.Serve.MaxConcurrent, Drain: cfg.Serve.Drain})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return usageErr(fmt.Errorf("serve: %w", err), "pass a free address with --addr")
	}
	if len(keys) == 0 {
		logf(fmt.Sprintf("warning: no client keys (serve.keys_env): anyone who can reach %s can use it", ln.Addr()))
	}
	if opts.Setup().Offline {
		logf("offline: every provider is simulated")
	}
	if store != nil {
		logf("sharing breakers and the manual order through " + store.URL())
	}
	logf(fmt.Sprintf("listening on http://%s (models: %s)", ln.Addr(), strings.Join(eng.Categories(), ", ")))
	if opts.ready != nil {
		opts.ready(ln.Addr().String())
	}

	reloader := &setup.Reloader{Path: cfg.Path, Engine: eng, Options: opts.Setup(),
		Adjust: countAttempts, Check: sameState(cfg.State),
		OnReload: func(err error) {
			if err != nil {
				logf(fmt.Sprintf("%v (the previous configuration stays)", err))
				return
			}
			logf("reloaded " + cfg.Path)
		}}
	reloadCtx, stopReload := context.WithCancel(ctx)
	reloaded := make(chan struct{})
	go func() {
		defer close(reloaded)
		reloader.Run(reloadCtx)
	}()
	// The store outlives the drain: breakers still change while the
	// last requests finish.
	sharedCtx, stopShared := context.WithCancel(context.WithoutCancel(ctx))
	sharing := make(chan struct{})
	go func() {
		defer close(sharing)
		if store != nil {
			store.Run(sharedCtx, eng)
		}
	}()
	err = srv.Serve(ctx, ln)
	stopReload()
	<-reloaded
	stopShared()
	<-sharing
	if err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("serve: %w", err)
	}
	if err != nil {
		logf("drain deadline passed; cut the requests still in flight")
	}
	if ctx.Err() != nil {
		logf("stopped")
		return exitErr(interruptedCode(ctx), nil, "")
	}
	return nil
}

// sameState refuses a reload that changes state: the store sharing health
// through Redis is made at start, as Envoy's bootstrap and LiteLLM's cache
// settings are, and a reload that applied the rest of the file without it
// would leave the file saying one Redis while the gateway used another.
// The whole reload is refused, so that what runs is one version of the
// file, and the log says how to apply it.
func sameState(start config.State) func(*config.Config) error {
	return func(c *config.Config) error {
		if c.State == start {
			return nil
		}
		return fmt.Errorf("state changed (redis %q, key_prefix %q; was %q, %q), which only a restart applies: restart llmfall serve, or put state back",
			c.State.RedisRedacted(), c.State.KeyPrefix, start.RedisRedacted(), start.KeyPrefix)
	}
}

// serveLog returns the gateway's log: lines on w, each whole and prefixed,
// from whichever goroutine.
func serveLog(w io.Writer) func(string) {
	var mu sync.Mutex
	return func(line string) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(w, "llmfall serve: %s\n", line)
	}
}

// envKeys reads the comma-separated keys of the variable a config setting
// names. A setting that names an empty variable is an error: starting open
// when keys were meant is worse than not starting.
func envKeys(getenv func(string) string, setting, name string) ([]string, error) {
	if name == "" {
		return nil, nil
	}
	keys := splitList(getenv(name))
	if len(keys) == 0 {
		return nil, usageErr(fmt.Errorf("%s names %s, which is empty", setting, name),
			"set "+name+" to one or more comma-separated keys, or remove "+setting)
	}
	return keys, nil
}
