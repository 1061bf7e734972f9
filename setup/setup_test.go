package setup

import (
	"context"
	"errors"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"go.uber.org/goleak"

	"github.com/llmfall/llmfall/config"
	"github.com/llmfall/llmfall/eval"
	"github.com/llmfall/llmfall/fallback"
	"github.com/llmfall/llmfall/judge"
	"github.com/llmfall/llmfall/provider"
	"github.com/llmfall/llmfall/provider/anthropic"
	"github.com/llmfall/llmfall/provider/openai"
	"github.com/llmfall/llmfall/provider/registry"
	"github.com/llmfall/llmfall/provider/sim"
)

const base = `providers:
  openai:    { type: openai, api_key_env: TEST_KEY }
  anthropic: { type: anthropic }
order: [openai, anthropic]
categories:
  fast:  { openai: gpt-4.1-mini, anthropic: claude-3-5-haiku-latest, hedge_after: 2s, timeouts: { first_token: 5s } }
  smart: { openai: gpt-4.1, anthropic: claude-sonnet-4-5 }
fallback: { breaker_failures: 3, breaker_min_cooldown: 4s }
judge: { category: smart }
`

func load(t *testing.T, body string) (*config.Config, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "llmfall.yaml")
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return cfg, path
}

// offlineEngine is cfg's engine with every provider simulated, and those
// providers.
func offlineEngine(t *testing.T, cfg *config.Config) (*fallback.Engine, map[string]provider.Provider) {
	t.Helper()
	ps, err := Providers(cfg, Options{Offline: true})
	if err != nil {
		t.Fatal(err)
	}
	eng, err := Engine(cfg, ps)
	if err != nil {
		t.Fatal(err)
	}
	return eng, ps
}

func TestProviders(t *testing.T) {
	cfg, _ := load(t, base)
	ps, err := Providers(cfg, Options{Getenv: func(string) string { return "k" }})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := ps["openai"].(*openai.Client); !ok {
		t.Errorf("openai = %T; want *openai.Client", ps["openai"])
	}
	if _, ok := ps["anthropic"].(*anthropic.Client); !ok {
		t.Errorf("anthropic = %T; want *anthropic.Client", ps["anthropic"])
	}
	off, err := Providers(cfg, Options{Offline: true})
	if err != nil {
		t.Fatal(err)
	}
	for name, p := range off {
		if _, ok := p.(*sim.Client); !ok {
			t.Errorf("offline %s = %T; want *sim.Client", name, p)
		}
	}
}

// fakeType is a provider type only this test knows: a fourth adapter
// registered without touching config or setup.
type fakeClient struct {
	provider.Provider // unused: the test only checks what New was given
	settings          provider.Settings
}

func fakeType() provider.Type {
	return provider.Type{
		Name:   "fake",
		KeyEnv: []string{"FAKE_API_KEY"},
		CheckBaseURL: func(u *url.URL) error {
			if strings.HasSuffix(u.Path, "/v9") {
				return errors.New("is the host root for fake")
			}
			return nil
		},
		New: func(s provider.Settings) provider.Provider { return &fakeClient{settings: s} },
	}
}

func TestRegisteredType(t *testing.T) {
	opts := Options{
		Types:  append(registry.Types(), fakeType()),
		Getenv: func(name string) string { return map[string]string{"FAKE_API_KEY": "fk-secret"}[name] },
	}
	path := filepath.Join(t.TempDir(), "llmfall.yaml")
	write := func(body string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(`providers:
  f: { type: fake, base_url: "http://127.0.0.1:9/", headers: { X-Route: a } }
categories:
  fast: { f: m1 }
`)
	cfg, err := Load(path, opts)
	if err != nil {
		t.Fatalf("Load() with a registered fake type: %v", err)
	}
	if got := cfg.Providers[0].APIKeyEnv; !slices.Equal(got, []string{"FAKE_API_KEY"}) {
		t.Errorf("APIKeyEnv = %v; want the fake type's default [FAKE_API_KEY]", got)
	}
	ps, err := Providers(cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	fc, ok := ps["f"].(*fakeClient)
	if !ok {
		t.Fatalf("provider f = %T; want the fake type's client", ps["f"])
	}
	want := provider.Settings{Name: "f", BaseURL: "http://127.0.0.1:9", APIKey: "fk-secret", Headers: map[string]string{"X-Route": "a"}}
	if diff := cmp.Diff(want, fc.settings); diff != "" {
		t.Errorf("New() settings mismatch (-want +got):\n%s", diff)
	}

	// The type's own base-URL rule applies, and its sim-key rule.
	write(`providers:
  f: { type: fake, base_url: "http://127.0.0.1:9/v9", latency: 1s }
categories:
  fast: { f: m1 }
`)
	_, err = Load(path, opts)
	for _, msg := range []string{"providers.f.base_url: is the host root for fake", "providers.f.latency: only valid for type sim"} {
		if err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("Load() error = %v; want it to contain %q", err, msg)
		}
	}

	// Without the registration the type is unknown, and the list says so.
	if _, err := Load(path, Options{}); err == nil || !strings.Contains(err.Error(), `unknown provider type "fake"`) {
		t.Errorf("Load() without the fake type: error = %v; want unknown provider type", err)
	}
}

func TestEngineConfig(t *testing.T) {
	cfg, _ := load(t, base)
	ec := EngineConfig(cfg)
	if ec.BreakerFailures != 3 || ec.BreakerMinCooldown != 4*time.Second || len(ec.Categories) != 2 {
		t.Fatalf("EngineConfig = %+v", ec)
	}
	fast := ec.Categories[0]
	if fast.HedgeAfter != 2*time.Second || fast.Timeouts.FirstToken != 5*time.Second || fast.Models["anthropic"] != "claude-3-5-haiku-latest" {
		t.Errorf("fast = %+v", fast)
	}
	cfg, _ = load(t, strings.Replace(base, "api_key_env: TEST_KEY }", "api_key_env: TEST_KEY, text_only: [gpt-4.1-mini] }", 1))
	if got := EngineConfig(cfg).TextOnly; len(got) != 1 || got[0] != (fallback.Target{Provider: "openai", Model: "gpt-4.1-mini"}) {
		t.Errorf("TextOnly = %v; want [openai/gpt-4.1-mini]", got)
	}
}

func TestJudge(t *testing.T) {
	cfg, _ := load(t, base)
	ps, _ := Providers(cfg, Options{})
	eng, err := Engine(cfg, ps)
	if err != nil {
		t.Fatal(err)
	}
	j, err := Judge(cfg, eng, ps, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := j.(*judge.LLM); !ok {
		t.Errorf("judge = %T; want *judge.LLM", j)
	}
	if j, _ := Judge(cfg, eng, ps, Options{Offline: true}); j == nil {
		t.Error("offline judge is nil")
	} else if _, ok := j.(*judge.Heuristic); !ok {
		t.Errorf("offline judge = %T; want *judge.Heuristic", j)
	}
}

func TestReloadOnSignal(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	cfg, path := load(t, base)
	eng, _ := offlineEngine(t, cfg)
	reloaded := make(chan error, 1)
	r := &Reloader{Path: path, Engine: eng, Options: Options{Offline: true}, OnReload: func(err error) { reloaded <- err }}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	// SIGUSR1 stands in for SIGHUP so that a stray SIGHUP to the test
	// process cannot interfere. The channel is registered before any signal
	// is sent, so each signal below causes exactly one reload: resending
	// until a reload is seen would leave extra reloads queued, and a test
	// that then waits for the broken file's reload could hear a stale one.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGUSR1)
	defer signal.Stop(sigs)
	go func() { done <- r.loop(ctx, sigs) }()

	// A switchover: anthropic first, written to the file and signalled.
	if err := os.WriteFile(path, []byte(strings.Replace(base, "order: [openai, anthropic]", "order: [anthropic, openai]", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	if err := <-reloaded; err != nil {
		t.Fatalf("reload: %v", err)
	}
	chain, _ := eng.Chain("fast")
	if chain[0].Provider != "anthropic" {
		t.Errorf("after reload, fast chain = %v; want anthropic first", chain)
	}

	// A broken file keeps the running configuration.
	if err := os.WriteFile(path, []byte("providers: {"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	if err := <-reloaded; err == nil || !strings.Contains(err.Error(), "llmfall.yaml") {
		t.Errorf("reload of a broken file: err = %v; want one naming the file", err)
	}
	if chain, _ := eng.Chain("fast"); chain[0].Provider != "anthropic" {
		t.Errorf("after a failed reload, fast chain = %v; want it unchanged", chain)
	}
	cancel()
	if err := <-done; err != context.Canceled {
		t.Errorf("Run() = %v; want context.Canceled", err)
	}
}

// A file that leaves timeouts and fallback settings out gets what README
// documents, written here as the values a user reads there (TestApplyDefaults
// checks against the constants, which would pass whatever they held).
func TestDocumentedDefaults(t *testing.T) {
	cfg, _ := load(t, "providers: {o: {type: openai}}\ncategories: {fast: {o: m}}\n")
	ec := EngineConfig(cfg)
	want := fallback.Timeouts{Attempt: 60 * time.Second, FirstToken: 15 * time.Second, Idle: 30 * time.Second, Total: 120 * time.Second}
	if ec.Timeouts != want {
		t.Errorf("engine timeouts = %+v; want README's %+v", ec.Timeouts, want)
	}
	if ec.RetryBackoff != 250*time.Millisecond || ec.Retries != 0 || ec.RetryAfterMaxWait != 0 {
		t.Errorf("retry_backoff, retries, retry_after_max_wait = %v, %d, %v; want 250ms, 0, 0", ec.RetryBackoff, ec.Retries, ec.RetryAfterMaxWait)
	}
	if ec.BreakerFailures != 5 || ec.BreakerCooldown != 30*time.Second || ec.BreakerMinCooldown != time.Second {
		t.Errorf("breaker_failures, breaker_cooldown, breaker_min_cooldown = %d, %v, %v; want 5, 30s, 1s",
			ec.BreakerFailures, ec.BreakerCooldown, ec.BreakerMinCooldown)
	}
}

func TestApplyDefaults(t *testing.T) {
	minimal := "providers: {o: {type: openai}}\ncategories: {fast: {o: m}}\n"
	cfg, _ := load(t, minimal)
	want := config.Config{
		Timeouts: config.Timeouts{Attempt: fallback.DefaultAttemptTimeout, FirstToken: fallback.DefaultFirstTokenTimeout,
			Idle: fallback.DefaultIdleTimeout, Total: fallback.DefaultTotalTimeout},
		Fallback: config.Fallback{RetryBackoff: fallback.DefaultRetryBackoff, BreakerFailures: fallback.DefaultBreakerFailures,
			BreakerCooldown: fallback.DefaultBreakerCooldown, BreakerMinCooldown: fallback.DefaultBreakerMinCooldown},
		Judge: config.Judge{Category: "fast", DifferentProvider: true, Threshold: judge.DefaultThreshold,
			Canaries: eval.DefaultCanaries, CanaryPolicy: eval.DefaultCanaryPolicy},
		Eval: config.Eval{ChainDepth: eval.DefaultDepth, Concurrency: eval.DefaultConcurrency,
			MinPassRate: eval.DefaultMinPassRate, Retries: eval.DefaultRetries,
			Gate: eval.GateRate, Alpha: eval.DefaultAlpha},
	}
	got := config.Config{Timeouts: cfg.Timeouts, Fallback: cfg.Fallback, Judge: cfg.Judge, Eval: cfg.Eval}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreUnexported(config.Config{})); diff != "" {
		t.Errorf("defaults mismatch (-want +got):\n%s", diff)
	}
	if cfg.Categories[0].Timeouts != (config.Timeouts{}) {
		t.Errorf("category timeouts = %+v; want them left to the engine to inherit", cfg.Categories[0].Timeouts)
	}

	// An explicit zero or false is kept, not taken for unset; Parse
	// applies the defaults as Load does.
	zeros, err := Parse("base.yaml", []byte(minimal+"judge: {threshold: 0.25, different_provider: false}\neval: {retries: 0, min_pass_rate: 0}\n"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if j, e := zeros.Judge, zeros.Eval; j.Threshold != 0.25 || j.DifferentProvider || e.Retries != 0 || e.MinPassRate != 0 {
		t.Errorf("judge %+v, eval %+v; want the file's 0.25, false, 0 and 0 kept", j, e)
	}
	if zeros.Eval.ChainDepth != eval.DefaultDepth || zeros.Timeouts.Attempt != fallback.DefaultAttemptTimeout {
		t.Errorf("Parse() eval %+v, timeouts %+v; want the defaults applied", zeros.Eval, zeros.Timeouts)
	}

	// The judge a file without a threshold gets is the judge package's
	// default, offline too.
	eng, ps := offlineEngine(t, cfg)
	j, _ := Judge(cfg, eng, ps, Options{Offline: true})
	if h, ok := j.(*judge.Heuristic); !ok || h.Threshold != judge.DefaultThreshold {
		t.Errorf("offline judge = %+v; want a heuristic at judge.DefaultThreshold", j)
	}
}

func TestReloadKeepsAdjustments(t *testing.T) {
	cfg, path := load(t, base)
	ps, _ := Providers(cfg, Options{Offline: true})
	var seen atomic.Int32
	hook := func(string, fallback.Attempt) { seen.Add(1) }
	ec := EngineConfig(cfg)
	ec.OnAttempt = hook
	eng, err := fallback.New(ec, ps)
	if err != nil {
		t.Fatal(err)
	}
	r := &Reloader{Path: path, Engine: eng, Options: Options{Offline: true},
		Adjust: func(c *fallback.Config) { c.OnAttempt = hook }}
	if err := r.Reload(); err != nil {
		t.Fatal(err)
	}
	req := &fallback.Request{Category: "fast", Request: provider.Request{Messages: []provider.Message{{Role: provider.RoleUser, Content: "hi"}}}}
	if _, err := eng.Complete(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	if seen.Load() != 1 {
		t.Errorf("OnAttempt heard %d attempts after a reload; want 1", seen.Load())
	}
}

func TestRunRetries(t *testing.T) {
	minimal := "providers: {o: {type: openai}}\ncategories: {fast: {o: m}}\n"
	for _, tc := range []struct {
		eval string
		want int
	}{
		{"", eval.DefaultRetries},
		{"eval: {retries: 0}\n", eval.NoRetries},
		{"eval: {retries: 2}\n", 2},
	} {
		cfg, err := Parse("llmfall.yaml", []byte(minimal+tc.eval), Options{})
		if err != nil {
			t.Fatal(err)
		}
		if got := RunRetries(cfg); got != tc.want {
			t.Errorf("RunRetries(%q) = %d; want %d", tc.eval, got, tc.want)
		}
	}
}

// A configuration its Check refuses is not applied at all: the engine
// keeps the one it runs, and the error says why and names the file.
func TestReloadCheckKeepsTheRunningConfiguration(t *testing.T) {
	cfg, path := load(t, base)
	eng, _ := offlineEngine(t, cfg)
	refused := errors.New("state changed: restart to apply it")
	r := &Reloader{Path: path, Engine: eng, Options: Options{Offline: true},
		Check: func(c *config.Config) error {
			if c.Order[0] == "anthropic" {
				return refused
			}
			return nil
		}}
	if err := os.WriteFile(path, []byte(strings.Replace(base, "order: [openai, anthropic]", "order: [anthropic, openai]", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := r.Reload(); !errors.Is(err, refused) || !strings.Contains(err.Error(), path) {
		t.Errorf("Reload() = %v; want the check's error, naming %s", err, path)
	}
	if chain, _ := eng.Chain("fast"); chain[0].Provider != "openai" {
		t.Errorf("after a refused reload, fast chain = %v; want openai first still", chain)
	}
}
