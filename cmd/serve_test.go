package cmd

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmfall/llmfall/config"
)

const serveConfig = `providers:
  openai:    { type: openai }
  anthropic: { type: anthropic }
categories:
  fast: { openai: gpt-4.1-mini, anthropic: claude-3-5-haiku-latest }
serve: { keys_env: GW_KEYS, admin_keys_env: GW_ADMIN, max_concurrent: 4, drain: 5s }
`

func serveFactory(t *testing.T, env map[string]string) (*factory, *bytes.Buffer) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "llmfall.yaml")
	if err := os.WriteFile(path, []byte(serveConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	f := newFactory(testIO(strings.NewReader(""), &out, &errb), func(k string) string { return env[k] })
	f.ConfigPath, f.Offline = path, true
	return f, &errb
}

func TestServeRefusesAnEmptyKeysVariable(t *testing.T) {
	f, errb := serveFactory(t, map[string]string{"GW_ADMIN": "adm"})
	code := executeArgs(context.Background(), f, []string{"--config", f.ConfigPath, "--offline", "serve", "--addr", "127.0.0.1:0"})
	if code != ExitUsage || !strings.Contains(errb.String(), "serve.keys_env names GW_KEYS, which is empty") {
		t.Errorf("exit %d, stderr %q", code, errb.String())
	}
}

func TestServeRefusesProvidersWithoutKeys(t *testing.T) {
	f, errb := serveFactory(t, map[string]string{"GW_KEYS": "k1", "GW_ADMIN": "adm", "OPENAI_API_KEY": "sk-x"})
	code := executeArgs(context.Background(), f, []string{"--config", f.ConfigPath, "serve", "--addr", "127.0.0.1:0"})
	if code != ExitUsage || !strings.Contains(errb.String(), `provider "anthropic" needs an API key: ANTHROPIC_API_KEY is not set`) ||
		strings.Contains(errb.String(), `"openai"`) {
		t.Errorf("exit %d, stderr %q", code, errb.String())
	}
}

func TestServeOfflineEndToEnd(t *testing.T) {
	f, errb := serveFactory(t, map[string]string{"GW_KEYS": "k1, k2", "GW_ADMIN": "adm"})
	ctx, cancel := context.WithCancel(context.Background())
	addr := make(chan string, 1)
	c := newCmdServe(f, func(ctx context.Context, o *serveOptions) error {
		o.ready = func(a string) { addr <- a }
		return runServe(ctx, o)
	})
	c.SetArgs([]string{"--addr", "127.0.0.1:0"})
	done := make(chan error, 1)
	go func() { done <- c.ExecuteContext(ctx) }()
	var url string
	select {
	case a := <-addr:
		url = "http://" + a
	case err := <-done:
		t.Fatalf("serve ended before listening: %v (%s)", err, errb.String())
	}
	req, _ := http.NewRequest("POST", url+"/v1/chat/completions", strings.NewReader(`{"model":"fast","messages":[{"role":"user","content":"hi"}]}`))
	req.Header.Set("Authorization", "Bearer k2")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("X-Llmfall-Provider") != "openai" || !strings.Contains(string(body), `"model":"gpt-4.1-mini"`) {
		t.Errorf("status %d, headers %v: %s", resp.StatusCode, resp.Header, body)
	}
	cancel()
	err = <-done
	if code, _ := classify(err); code != ExitInterrupted {
		t.Errorf("serve stopped with %v (exit %d); want the interrupted exit", err, code)
	}
	for _, want := range []string{"offline: every provider is simulated", "listening on http://127.0.0.1:", "models: fast", "stopped"} {
		if !strings.Contains(errb.String(), want) {
			t.Errorf("stderr lacks %q: %s", want, errb.String())
		}
	}
	if strings.Contains(errb.String(), "k2") {
		t.Error("stderr shows a gateway key")
	}
}

// A reload that changes state is refused whole, saying how to apply it,
// and the Redis password shows in none of it.
func TestServeReloadRefusesAChangedState(t *testing.T) {
	start := config.State{Redis: "redis://:hunter2-password@cache:6379/0", KeyPrefix: "prod"}
	check := sameState(start)
	if err := check(&config.Config{State: start}); err != nil {
		t.Errorf("same state: %v; want the reload let through", err)
	}
	for _, changed := range []config.State{
		{Redis: "redis://:hunter2-password@cache-2:6379/0", KeyPrefix: "prod"},
		{Redis: start.Redis, KeyPrefix: "staging"},
		{},
	} {
		err := check(&config.Config{State: changed})
		if err == nil || !strings.Contains(err.Error(), "only a restart applies") || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("state %+v: err = %v; want it refused, saying a restart applies it, with no password", changed.KeyPrefix, err)
		}
	}
}
