package eval

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/llmfall/llmfall/internal/stats"
)

// Gate kinds (eval.gate).
const (
	// GateRate compares pass rates with minimums and, with a baseline,
	// with the baseline's rate (max_regression).
	GateRate = "rate"
	// GatePaired compares the run with the baseline case by case and fails
	// only on a regression that chance does not explain.
	GatePaired = "paired"
)

// DefaultAlpha is the paired gate's significance level: a regression is
// called real when chance would produce one this large less than 5 % of the
// time.
const DefaultAlpha = 0.05

// pairedSeed seeds the bootstrap when GateOptions.Rand is nil: the same
// results must always give the same gate.
const pairedSeed = 0x11f4

// Comparison is one prompt × link of a paired gate: its cases matched with
// the baseline's, the pass→fail flips, McNemar's exact p-value on the flips,
// and a bootstrap interval of the mean score change.
type Comparison struct {
	Prompt   string `json:"prompt"`
	Position int    `json:"position"`
	Provider string `json:"provider"`
	Model    string `json:"model"`
	// Pairs counts the cases graded in both runs.
	Pairs int `json:"pairs"`
	// Flips are the tests that went from pass to fail (with "#n" for the
	// n-th repeat when there are several); Fixes counts fail→pass.
	Flips []string `json:"flips"`
	Fixes int      `json:"fixes"`
	// PValue is McNemar's exact two-sided p-value on flips vs fixes.
	PValue float64 `json:"p_value"`
	// MeanDiff is the mean score change (head − base) and CILow..CIHigh its
	// bootstrap interval at 1 − alpha.
	MeanDiff float64 `json:"mean_diff"`
	CILow    float64 `json:"ci_low"`
	CIHigh   float64 `json:"ci_high"`
	Level    float64 `json:"level"`
	// Regressed is true when the gate counts this as a regression.
	Regressed bool   `json:"regressed"`
	Message   string `json:"message"`
}

type caseKey struct {
	prompt, test, provider, model string
	repeat                        int
}

func keyOf(r Result) caseKey { return caseKey{r.Prompt, r.Test, r.Provider, r.Model, r.Repeat} }

// byCase indexes graded results by case.
func byCase(results []Result) map[caseKey]Result {
	out := map[caseKey]Result{}
	for _, r := range results {
		if !r.Errored() {
			out[keyOf(r)] = r
		}
	}
	return out
}

// pairedGate compares rs with opts.Baseline case by case, per prompt × link.
func pairedGate(rs *Results, opts GateOptions) ([]Comparison, []Violation) {
	if opts.Baseline == nil {
		return nil, nil
	}
	alpha := opts.Alpha
	if alpha <= 0 {
		alpha = DefaultAlpha
	}
	rng := opts.Rand
	if rng == nil {
		rng = rand.New(rand.NewPCG(pairedSeed, pairedSeed))
	}
	base := byCase(opts.Baseline.Results)
	var out []Comparison
	var violations []Violation
	for _, c := range Cells(rs.Results) {
		cmp := Comparison{Prompt: c.Prompt, Position: c.Position, Provider: c.Provider, Model: c.Model, Flips: []string{}}
		var diffs []float64
		// Walk the head's cases of the cell in order, matching each with
		// the baseline's run of the same case.
		for _, r := range rs.Results {
			if r.Prompt != c.Prompt || r.Provider != c.Provider || r.Model != c.Model {
				continue
			}
			b, ok := base[keyOf(r)]
			if !ok || r.Errored() {
				continue
			}
			cmp.Pairs++
			diffs = append(diffs, r.Score-b.Score)
			switch {
			case b.Pass && !r.Pass:
				name := r.Test
				if r.Repeat > 0 {
					name = fmt.Sprintf("%s #%d", r.Test, r.Repeat+1)
				}
				cmp.Flips = append(cmp.Flips, name)
			case !b.Pass && r.Pass:
				cmp.Fixes++
			}
		}
		if cmp.Pairs == 0 {
			continue
		}
		// The comparison depends on which cases, never on their order:
		// merged shards list the same results in another order than the
		// unsharded run, and must gate and read the same.
		slices.Sort(diffs)
		slices.Sort(cmp.Flips)
		cmp.PValue = stats.McNemarExact(len(cmp.Flips), cmp.Fixes)
		mean, ci := stats.BootstrapMean(diffs, 1-alpha, 0, rng)
		cmp.MeanDiff, cmp.CILow, cmp.CIHigh, cmp.Level = mean, ci.Lo, ci.Hi, ci.Level
		significant := len(cmp.Flips) > cmp.Fixes && cmp.PValue < alpha
		tooLarge := opts.MaxRegression > 0 && -mean > opts.MaxRegression+epsilon
		cmp.Regressed = significant || tooLarge
		cmp.Message = cmp.words(alpha, opts.MaxRegression, significant, tooLarge)
		out = append(out, cmp)
		if cmp.Regressed {
			violations = append(violations, Violation{Prompt: c.Prompt, Position: c.Position, Provider: c.Provider,
				Model: c.Model, Rule: "paired_regression", Got: c.PassRate, Want: alpha, Message: cmp.Message})
		}
	}
	return out, violations
}

// words says what the comparison found, for people who do not read
// p-values every day.
func (c *Comparison) words(alpha, maxRegression float64, significant, tooLarge bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s @ %s/%s (link %d): %d of %d cases went from pass to fail", c.Prompt, c.Provider, c.Model, c.Position, len(c.Flips), c.Pairs)
	if len(c.Flips) > 0 {
		fmt.Fprintf(&b, " (%s)", strings.Join(limit(c.Flips, 10), ", "))
	}
	fmt.Fprintf(&b, " and %d from fail to pass; ", c.Fixes)
	chance := fmt.Sprintf("chance alone would give a difference this large with probability %.3g", c.PValue)
	switch {
	case len(c.Flips) == 0 && c.Fixes == 0:
		b.WriteString("no case changed its verdict")
	case significant:
		fmt.Fprintf(&b, "%s, below α = %.3g: a real regression", chance, alpha)
	case len(c.Flips) > c.Fixes:
		fmt.Fprintf(&b, "%s, not below α = %.3g: not a significant regression", chance, alpha)
	default:
		fmt.Fprintf(&b, "%s: no regression", chance)
	}
	fmt.Fprintf(&b, "; the mean score changed by %+.3f (%.0f%% interval %+.3f to %+.3f)", c.MeanDiff, 100*c.Level, c.CILow, c.CIHigh)
	if tooLarge {
		fmt.Fprintf(&b, ", a drop larger than max_regression %.3g", maxRegression)
	}
	return b.String()
}

func limit(s []string, n int) []string {
	if len(s) > n {
		return append(s[:n:n], fmt.Sprintf("… %d more", len(s)-n))
	}
	return s
}
