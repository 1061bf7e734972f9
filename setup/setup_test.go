package setup

import (
	"context"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/llmfall/llmfall/config"
	"github.com/llmfall/llmfall/fallback"
	"github.com/llmfall/llmfall/judge"
	"github.com/llmfall/llmfall/provider/anthropic"
	"github.com/llmfall/llmfall/provider/openai"
	"github.com/llmfall/llmfall/provider/sim"
)

const base = `providers:
  openai:    { type: openai, api_key_env: TEST_KEY }
  anthropic: { type: anthropic }
order: [openai, anthropic]
categories:
  fast:  { openai: gpt-4.1-mini, anthropic: claude-3-5-haiku-latest, hedge_after: 2s, timeouts: { first_token: 5s } }
  smart: { openai: gpt-4.1, anthropic: claude-sonnet-4-5 }
fallback: { breaker_failures: 3 }
judge: { category: smart }
`

func load(t *testing.T, body string) (*config.Config, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "llmfall.yaml")
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return cfg, path
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

func TestEngineConfig(t *testing.T) {
	cfg, _ := load(t, base)
	ec := EngineConfig(cfg)
	if ec.BreakerFailures != 3 || len(ec.Categories) != 2 {
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
	ps, _ := Providers(cfg, Options{Offline: true})
	eng, err := Engine(cfg, ps)
	if err != nil {
		t.Fatal(err)
	}
	reloaded := make(chan error, 1)
	r := &Reloader{Path: path, Engine: eng, Options: Options{Offline: true}, OnReload: func(err error) { reloaded <- err }}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	// SIGUSR1 stands in for SIGHUP so that a stray SIGHUP to the test
	// process cannot interfere; the code path is the same. Until run has
	// registered, SIGUSR1's default action would end the test process:
	// this extra registration keeps it alive meanwhile.
	keepAlive := make(chan os.Signal, 1)
	signal.Notify(keepAlive, syscall.SIGUSR1)
	defer signal.Stop(keepAlive)
	go func() { done <- r.run(ctx, syscall.SIGUSR1) }()

	// A switchover: anthropic first, written to the file and signalled.
	if err := os.WriteFile(path, []byte(strings.Replace(base, "order: [openai, anthropic]", "order: [anthropic, openai]", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	sendUntilReloaded(t, reloaded)
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

// sendUntilReloaded signals until the reloader reports: signal.Notify is
// registered inside the goroutine, so the first signal may predate it.
func sendUntilReloaded(t *testing.T, reloaded <-chan error) {
	t.Helper()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if err := syscall.Kill(os.Getpid(), syscall.SIGUSR1); err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-reloaded:
			if err != nil {
				t.Fatalf("reload: %v", err)
			}
			return
		case <-tick.C:
		}
	}
}
