package eval

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// The bounds: length in characters, latency in milliseconds, cost in USD.

var (
	lengthType  = assertionType{keys: []string{"min", "max"}, parse: parseBounds, check: checkLength}
	latencyType = assertionType{keys: []string{"threshold", "value"}, parse: parseLimit("milliseconds"),
		check: func(a *Assertion, out Output) (bool, string) {
			ms := float64(out.Latency) / float64(time.Millisecond)
			if ms <= a.Threshold {
				return true, fmt.Sprintf("latency %.0f ms is within %.0f ms", ms, a.Threshold)
			}
			return false, fmt.Sprintf("latency %.0f ms is over %.0f ms", ms, a.Threshold)
		}}
	costType = assertionType{keys: []string{"threshold", "value"}, parse: parseLimit("USD"),
		check: func(a *Assertion, out Output) (bool, string) {
			if !out.CostKnown {
				return false, "cost unknown: no price for this model (add one under pricing in llmfall.yaml)"
			}
			if out.CostUSD <= a.Threshold {
				return true, fmt.Sprintf("cost $%.6f is within $%.6f", out.CostUSD, a.Threshold)
			}
			return false, fmt.Sprintf("cost $%.6f is over $%.6f", out.CostUSD, a.Threshold)
		}}
)

func parseBounds(l *fileLoader, a *Assertion, kv *fields, _ map[string]any) {
	a.Min, a.Max = l.bound(kv, "min"), l.bound(kv, "max")
	switch {
	case a.Min == nil && a.Max == nil:
		l.errorf(a.File, a.Line, "length assertion needs min, max or both")
	case a.Min != nil && a.Max != nil && *a.Min > *a.Max:
		l.errorf(a.File, a.Line, "length assertion has min %d above max %d", *a.Min, *a.Max)
	}
}

func (l *fileLoader) bound(kv *fields, key string) *int {
	n, ok := kv.get(key)
	if !ok {
		return nil
	}
	v := l.int(n, key)
	return &v
}

// parseLimit reads the maximum, in unit, from threshold or value.
func parseLimit(unit string) func(*fileLoader, *Assertion, *fields, map[string]any) {
	return func(l *fileLoader, a *Assertion, kv *fields, _ map[string]any) {
		n, ok := kv.get("threshold")
		if !ok {
			n, ok = kv.get("value")
		}
		if !ok {
			l.errorf(a.File, a.Line, "%s assertion needs a threshold (%s)", a.Type, unit)
			return
		}
		if a.Threshold = l.float(n, "threshold"); a.Threshold <= 0 {
			l.errorf(n.file, n.Line, "threshold must be above 0")
		}
	}
}

func checkLength(a *Assertion, out Output) (bool, string) {
	n := utf8.RuneCountInString(strings.TrimSpace(out.Text))
	if a.Min != nil && n < *a.Min {
		return false, fmt.Sprintf("output has %d characters, fewer than %d", n, *a.Min)
	}
	if a.Max != nil && n > *a.Max {
		return false, fmt.Sprintf("output has %d characters, more than %d", n, *a.Max)
	}
	return true, fmt.Sprintf("output has %d characters", n)
}
