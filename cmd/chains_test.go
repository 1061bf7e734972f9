package cmd

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "llmfall.yaml")
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

const chainsConfig = `providers:
  openai:    { type: openai, api_key_env: TEST_OPENAI_KEY }
  anthropic: { type: anthropic, api_key_env: MISSING_ANTHROPIC_KEY }
  local:     { type: openai, base_url: "http://127.0.0.1:11434/v1", api_key_env: "" }
order: [openai, anthropic]
categories:
  fast:  { openai: gpt-4.1-mini, anthropic: claude-3-5-haiku-latest }
  smart: { openai: gpt-4.1, anthropic: claude-sonnet-4-5, local: llama3.3, order: [anthropic] }
`

func TestChains(t *testing.T) {
	cfg := writeConfig(t, chainsConfig)
	code, out, errOut := runCLI(t, "", "chains", "--config", cfg)
	if code != 0 {
		t.Fatalf("exit code = %d; want 0\n%s", code, errOut)
	}
	for _, want := range []string{
		"fast", "openai/gpt-4.1-mini", "anthropic/claude-3-5-haiku-latest",
		"✓ TEST_OPENAI_KEY", "✗ MISSING_ANTHROPIC_KEY not set", "not needed", "http://127.0.0.1:11434/v1",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, openaiTestKey) || strings.Contains(out, "SECRETKEY") {
		t.Errorf("chains printed a key value:\n%s", out)
	}
	// smart's own order puts anthropic first; the rest follow in listing order.
	smart := ""
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "smart") {
			smart = line
		}
	}
	a, o, l := strings.Index(smart, "anthropic/"), strings.Index(smart, "openai/"), strings.Index(smart, "local/")
	if a < 0 || o < 0 || l < 0 || !(a < o && o < l) {
		t.Errorf("smart row = %q; want anthropic, then openai, then local", smart)
	}
}

func TestChainsJSON(t *testing.T) {
	cfg := writeConfig(t, chainsConfig)
	code, out, errOut := runCLI(t, "", "chains", "--json", "--config", cfg)
	if code != 0 {
		t.Fatalf("exit code = %d; want 0\n%s", code, errOut)
	}
	var doc chainsDoc
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if len(doc.Categories) != 2 || doc.Categories[1].Name != "smart" || len(doc.Categories[1].Chain) != 3 {
		t.Fatalf("categories = %+v", doc.Categories)
	}
	if got := doc.Categories[1].Chain[0].String(); got != "anthropic/claude-sonnet-4-5" {
		t.Errorf("smart chain[0] = %q; want anthropic/claude-sonnet-4-5", got)
	}
	want := map[string]providerKey{
		"openai":    {Name: "openai", Type: "openai", KeyEnv: "TEST_OPENAI_KEY", KeySet: true},
		"anthropic": {Name: "anthropic", Type: "anthropic", KeyEnv: "MISSING_ANTHROPIC_KEY", KeySet: false},
		"local":     {Name: "local", Type: "openai", BaseURL: "http://127.0.0.1:11434/v1"},
	}
	for _, p := range doc.Providers {
		if p != want[p.Name] {
			t.Errorf("provider %s = %+v; want %+v", p.Name, p, want[p.Name])
		}
	}
}

func TestConfigErrorsExitTwo(t *testing.T) {
	cfg := writeConfig(t, "providers:\n  openai: { type: openai }\ncategories:\n  fast: { openai: gpt-4.1-mini }\ntimeoutz: { attempt: 5s }\n")
	code, _, errOut := runCLI(t, "", "chains", "--config", cfg)
	if code != ExitUsage {
		t.Errorf("exit code = %d; want %d", code, ExitUsage)
	}
	want := `llmfall.yaml:5: unknown key "timeoutz" (did you mean "timeouts"?)`
	if !strings.Contains(errOut, want) {
		t.Errorf("stderr = %q; want it to contain %q", errOut, want)
	}
}
