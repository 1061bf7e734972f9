package config

import (
	"slices"
	"strings"
	"testing"

	"github.com/llmfall/llmfall/provider/registry"
)

func TestParseTextOnly(t *testing.T) {
	cfg, err := Parse(FileName, []byte("providers:\n  local:\n    type: openai\n    text_only: [llama3.1:8b, qwen2.5]\ncategories:\n  fast: { local: llama3.1:8b }\n"), registry.Types())
	if err != nil {
		t.Fatalf("Parse() error = %v", err)
	}
	if got := cfg.Providers[0].TextOnly; !slices.Equal(got, []string{"llama3.1:8b", "qwen2.5"}) {
		t.Errorf("TextOnly = %q; want [llama3.1:8b qwen2.5]", got)
	}
	_, err = Parse(FileName, []byte("providers:\n  local:\n    type: openai\n    text_only: llama3.1\n"), registry.Types())
	if err == nil || !strings.Contains(err.Error(), "llmfall.yaml:4: providers.local.text_only: must be a list of model names") {
		t.Errorf("Parse() error = %v; want one naming text_only at line 4", err)
	}
}
