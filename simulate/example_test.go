package simulate_test

import (
	"context"
	"fmt"
	"time"

	"github.com/llmfall/llmfall/fallback"
	"github.com/llmfall/llmfall/simulate"
)

// A two-link chain whose primary is down for the first ten minutes of an
// hour: the breaker opens at once and probes at a tenth of the outage so
// far (1 s at first, 30 s at most), so no user sees a failure and the dead
// link costs users a few seconds in all.
func ExampleRun() {
	sc, err := simulate.Parse("outage.yaml", []byte(`
name: ten-minute-outage
duration: 1h
links:
  - link: 1
    windows:
      - { from: 0s, to: 10m, error_rate: 1 }
`))
	if err != nil {
		panic(err)
	}
	cfg := fallback.Config{
		Order: []string{"openai", "anthropic"},
		Categories: []fallback.Category{{Name: "fast",
			Models: map[string]string{"openai": "gpt-4.1-mini", "anthropic": "claude-3-5-haiku-latest"}}},
		Timeouts:        fallback.Timeouts{FirstToken: 15 * time.Second, Total: 120 * time.Second},
		BreakerFailures: 5,
		BreakerCooldown: 30 * time.Second,
	}
	r, err := simulate.Run(context.Background(), simulate.Options{Engine: cfg, Scenario: sc, RPS: 10, Seed: 1})
	if err != nil {
		panic(err)
	}
	fmt.Printf("%d requests, %d failed\n", r.Requests, r.Failed)
	for _, l := range r.Links {
		fmt.Printf("%-9s served %5d, skipped %4d times\n", l.Provider, l.Served, l.Skipped)
	}
	fmt.Printf("breaker openings: %d, time on the dead link: %s\n", r.BreakerOpenings, r.DeadLinkWait)
	// Output:
	// 36000 requests, 0 failed
	// openai    served 29832, skipped 6112 times
	// anthropic served  6168, skipped    0 times
	// breaker openings: 1, time on the dead link: 11.2s
}
