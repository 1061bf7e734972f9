package simulate

import (
	"math"
	"math/bits"
	"time"
)

// histogram counts durations in log-linear buckets of microseconds: exact
// below subBuckets µs, and within 1/subBuckets (1.6%) above, in a fixed
// 30 KiB however many requests a run has. A day at 50 requests/s would
// otherwise keep 4.32 M samples per distribution.
type histogram struct {
	counts [histBuckets]int64
	n      int64
}

const (
	subBits     = 6
	subBuckets  = 1 << subBits // 64
	histBuckets = subBuckets + (63-subBits)*subBuckets
)

// bucket is the index of v (µs, clamped at 0).
func bucket(v int64) int {
	if v < subBuckets {
		return int(max(v, 0))
	}
	e := bits.Len64(uint64(v)) - subBits - 1 // v>>e is in [subBuckets, 2*subBuckets)
	return subBuckets + e*subBuckets + int(v>>e) - subBuckets
}

// value is the middle of bucket i, in µs.
func value(i int) int64 {
	if i < subBuckets {
		return int64(i)
	}
	e := (i - subBuckets) / subBuckets
	low := int64(subBuckets+(i-subBuckets)%subBuckets) << e
	return low + (int64(1)<<e)/2
}

func (h *histogram) add(d time.Duration) {
	h.counts[bucket(d.Microseconds())]++
	h.n++
}

// quantile is the nearest-rank q-quantile.
func (h *histogram) quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	return h.ranked(rank(q, h.n))
}

// rank is the nearest rank (from 1) of the q-quantile of n values.
func rank(q float64, n int64) int64 { return max(int64(math.Ceil(q*float64(n))), 1) }

// ranked is the value of the given rank (from 1, smallest first).
func (h *histogram) ranked(rank int64) time.Duration {
	var seen int64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			return time.Duration(value(i)) * time.Microsecond
		}
	}
	return 0
}

func (h *histogram) percentiles() Percentiles {
	return Percentiles{P50: h.quantile(0.50), P95: h.quantile(0.95), P99: h.quantile(0.99)}
}

// signedHistogram counts durations that may be negative (a difference of
// two latencies): the magnitudes of the negative ones in neg, the others in
// pos.
type signedHistogram struct{ neg, pos histogram }

func (h *signedHistogram) add(d time.Duration) {
	if d < 0 {
		h.neg.add(-d)
		return
	}
	h.pos.add(d)
}

// quantile is the nearest-rank q-quantile: the negatives, most negative
// first, then the others.
func (h *signedHistogram) quantile(q float64) time.Duration {
	n := h.neg.n + h.pos.n
	if n == 0 {
		return 0
	}
	r := rank(q, n)
	if r <= h.neg.n {
		// The r-th smallest of the negatives has the r-th largest magnitude.
		return -h.neg.ranked(h.neg.n - r + 1)
	}
	return h.pos.ranked(r - h.neg.n)
}

func (h *signedHistogram) percentiles() Percentiles {
	return Percentiles{P50: h.quantile(0.50), P95: h.quantile(0.95), P99: h.quantile(0.99)}
}
