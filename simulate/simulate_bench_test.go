package simulate

import (
	"context"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"
)

// runBoth runs the configured and the naive policy side by side, as
// `llmfall simulate --compare` does.
func runBoth(tb testing.TB, opts Options) (cfg, naive *Report) {
	tb.Helper()
	var g errgroup.Group
	g.Go(func() error {
		var err error
		cfg, err = Run(context.Background(), opts)
		return err
	})
	g.Go(func() error {
		o := opts
		o.Naive = true
		var err error
		naive, err = Run(context.Background(), o)
		return err
	})
	if err := g.Wait(); err != nil {
		tb.Fatal(err)
	}
	return cfg, naive
}

// TestSeedDay runs a day at 50 requests/s (4.32 M requests) through the
// real engine under both policies and checks the accounting. Its speed is
// BenchmarkSeedDay's business: a timing assertion would fail on a loaded
// machine.
func TestSeedDay(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("a day of traffic: skipped with -short and under the race detector")
	}
	start := time.Now()
	cfg, naive := runBoth(t, Options{Engine: testConfig(), Scenario: builtin(t, "seed"), Seed: 1})
	t.Logf("seed scenario, 4.32 M requests × 2 policies: %s", time.Since(start))
	checkAccounting(t, cfg)
	checkAccounting(t, naive)
	if cfg.Requests != 4_320_000 {
		t.Errorf("requests = %d; want 4320000", cfg.Requests)
	}
	if cfg.DeadLinkWait >= naive.DeadLinkWait {
		t.Errorf("dead-link wait: configured %s, naive %s; want the breaker to save time", cfg.DeadLinkWait, naive.DeadLinkWait)
	}
}

// BenchmarkSeedDay runs the seed scenario's full day; run it with
// -benchtime=1x.
func BenchmarkSeedDay(b *testing.B) {
	sc := builtin(b, "seed")
	for _, naive := range []bool{false, true} {
		name := map[bool]string{false: "configured", true: "naive"}[naive]
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				r := run(b, Options{Scenario: sc, Seed: 1, Naive: naive})
				b.ReportMetric(float64(r.Requests)/b.Elapsed().Seconds(), "requests/s")
			}
		})
	}
}

// BenchmarkRequest is the cost of one simulated request through the
// engine, sequential (breaker on) and parallel (naive), on a degraded chain.
func BenchmarkRequest(b *testing.B) {
	sc := builtin(b, "degraded")
	for _, naive := range []bool{false, true} {
		name := map[bool]string{false: "configured", true: "naive"}[naive]
		b.Run(name, func(b *testing.B) {
			const rps = 1000
			n := max(b.N, 1)
			b.ReportAllocs()
			b.ResetTimer()
			run(b, Options{Scenario: sc, Seed: 1, Naive: naive, RPS: rps, Duration: time.Duration(n) * time.Second / rps})
		})
	}
}
