package simulate

import (
	"testing"
	"time"
)

// TestSignedHistogramQuantiles: negative values come first, most negative
// first, and each quantile is one of the values added.
func TestSignedHistogramQuantiles(t *testing.T) {
	var h signedHistogram
	for _, us := range []int64{20, -10, 0, 50, -30} { // exact: below 64 µs
		h.add(time.Duration(us) * time.Microsecond)
	}
	for _, tc := range []struct {
		q    float64
		want time.Duration
	}{{0.2, -30 * time.Microsecond}, {0.4, -10 * time.Microsecond}, {0.5, 0}, {0.6, 0}, {0.8, 20 * time.Microsecond}, {0.99, 50 * time.Microsecond}} {
		if got := h.quantile(tc.q); got != tc.want {
			t.Errorf("quantile(%v) = %s; want %s", tc.q, got, tc.want)
		}
	}
	if got := (&signedHistogram{}).quantile(0.5); got != 0 {
		t.Errorf("empty quantile = %s; want 0", got)
	}
}

// TestAddedLatencyIsADistribution: added latency is a percentile of each
// request's own difference from the healthy primary, so its percentiles
// are ordered, whatever the scenario (a difference of percentiles was not:
// the seed scenario's p99 was below its p95).
func TestAddedLatencyIsADistribution(t *testing.T) {
	for _, name := range []string{"degraded", "flapping", "outage"} {
		for _, naive := range []bool{false, true} {
			rep := run(t, Options{Scenario: builtin(t, name), Duration: 10 * time.Minute, Seed: 7, Naive: naive})
			if a := rep.Added; a.P50 > a.P95 || a.P95 > a.P99 {
				t.Errorf("%s (naive %t): added p50/p95/p99 = %s / %s / %s; want them in order", name, naive, a.P50, a.P95, a.P99)
			}
		}
	}
}
