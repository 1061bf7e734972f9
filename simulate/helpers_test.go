package simulate

import (
	"testing"
	"time"

	"github.com/llmfall/llmfall/fallback"
)

// testConfig is llmfall.yaml's defaults: three links, the shipped timeouts,
// a breaker of 5 failures and 30 s.
func testConfig() fallback.Config {
	return fallback.Config{
		Order: []string{"openai", "anthropic", "gemini"},
		Categories: []fallback.Category{{
			Name:   "fast",
			Models: map[string]string{"openai": "gpt-4.1-mini", "anthropic": "claude-3-5-haiku-latest", "gemini": "gemini-2.5-flash"},
		}},
		Timeouts:        fallback.Timeouts{Attempt: 60 * time.Second, FirstToken: 15 * time.Second, Idle: 30 * time.Second, Total: 120 * time.Second},
		RetryBackoff:    250 * time.Millisecond,
		BreakerFailures: 5,
		BreakerCooldown: 30 * time.Second,
	}
}

func fallbackTimeoutsNone() fallback.Timeouts { return fallback.Timeouts{} }

func mustParse(t testing.TB, body string) *Scenario {
	t.Helper()
	sc, err := Parse("t.yaml", []byte("name: t\nduration: 1m\n"+body))
	if err != nil {
		t.Fatal(err)
	}
	return sc
}
