package provider

import "testing"

func TestPriceCost(t *testing.T) {
	p := Price{Input: 0.4, Output: 1.6}
	got := p.Cost(Usage{InputTokens: 1_000_000, OutputTokens: 500_000})
	if want := 0.4 + 0.8; got < want-1e-9 || got > want+1e-9 {
		t.Errorf("Cost() = %v; want %v", got, want)
	}
}

func TestTargetString(t *testing.T) {
	if got := (Target{Provider: "openai", Model: "gpt-4.1-mini"}).String(); got != "openai/gpt-4.1-mini" {
		t.Errorf("String() = %q; want %q", got, "openai/gpt-4.1-mini")
	}
}
