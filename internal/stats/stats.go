// Package stats holds the few statistics llmfall's verdicts rest on: rater
// agreement (Cohen's and Fleiss' kappa), McNemar's exact test on paired
// pass/fail flips, a bootstrap interval of a mean paired difference, and
// pass@k / pass^k. The functions are pure (randomness comes in as a
// *rand.Rand) and know nothing of judges or suites.
package stats

import (
	"math"
	"math/rand/v2"
	"slices"
)

// CohenKappa is Cohen's kappa between two raters who labelled the same items
// (a[i] and b[i] label item i): (po − pe) / (1 − pe), where po is their
// observed agreement and pe the agreement expected by chance from each
// rater's label frequencies. The labels need not come from the same set. ok
// is false when kappa is undefined: no items, different lengths, or pe = 1
// (both raters gave one and the same label throughout).
func CohenKappa(a, b []string) (kappa float64, ok bool) {
	if len(a) == 0 || len(a) != len(b) {
		return 0, false
	}
	n := float64(len(a))
	countA, countB := map[string]float64{}, map[string]float64{}
	var agree float64
	for i := range a {
		countA[a[i]]++
		countB[b[i]]++
		if a[i] == b[i] {
			agree++
		}
	}
	po := agree / n
	var pe float64
	for label, ca := range countA {
		pe += (ca / n) * (countB[label] / n)
	}
	if pe >= 1 {
		return 0, false
	}
	return (po - pe) / (1 - pe), true
}

// FleissKappa is Fleiss' kappa for items each rated by the same number of
// raters: counts[i][j] is how many raters put item i in category j. ok is
// false when it is undefined: no items, rows of different lengths or
// totals, fewer than two raters, or every rating in one category.
func FleissKappa(counts [][]int) (kappa float64, ok bool) {
	if len(counts) == 0 || len(counts[0]) == 0 {
		return 0, false
	}
	k := len(counts[0])
	raters := 0
	for _, c := range counts[0] {
		raters += c
	}
	if raters < 2 {
		return 0, false
	}
	colSum := make([]float64, k)
	var meanP float64
	for _, row := range counts {
		if len(row) != k {
			return 0, false
		}
		total, agree := 0, 0
		for j, c := range row {
			if c < 0 {
				return 0, false
			}
			total += c
			agree += c * (c - 1)
			colSum[j] += float64(c)
		}
		if total != raters {
			return 0, false
		}
		meanP += float64(agree) / float64(raters*(raters-1))
	}
	n := float64(len(counts))
	meanP /= n
	var pe float64
	for _, s := range colSum {
		p := s / (n * float64(raters))
		pe += p * p
	}
	if pe >= 1 {
		return 0, false
	}
	return (meanP - pe) / (1 - pe), true
}

// McNemarExact is the two-sided exact McNemar test on paired binary
// outcomes: b and c are the discordant pairs (pass→fail and fail→pass).
// Under the null hypothesis each discordant pair goes either way with
// probability ½, so the p-value is twice the smaller binomial tail of
// Binomial(b+c, ½), capped at 1. No discordant pairs give p = 1.
func McNemarExact(b, c int) float64 {
	n := b + c
	if n <= 0 {
		return 1
	}
	tail := 0.0
	for i := 0; i <= min(b, c); i++ {
		tail += math.Exp(logChoose(n, i) - float64(n)*math.Ln2)
	}
	return min(1, 2*tail)
}

func logChoose(n, k int) float64 {
	a, _ := math.Lgamma(float64(n + 1))
	b, _ := math.Lgamma(float64(k + 1))
	c, _ := math.Lgamma(float64(n - k + 1))
	return a - b - c
}

// Interval is a confidence interval.
type Interval struct {
	Lo, Hi float64
	Level  float64 // e.g. 0.95
}

// DefaultResamples is how many bootstrap resamples BootstrapMean draws when
// asked for none: enough for the 2.5th and 97.5th percentiles to settle to
// about a hundredth of a typical score difference.
const DefaultResamples = 2000

// BootstrapMean is the percentile bootstrap interval at level (e.g. 0.95)
// of the mean of xs (for a paired comparison, the per-item differences):
// resamples draws of len(xs) items with replacement, from rng. It returns
// the mean and the interval; an empty xs gives zeros.
func BootstrapMean(xs []float64, level float64, resamples int, rng *rand.Rand) (mean float64, ci Interval) {
	ci.Level = level
	if len(xs) == 0 {
		return 0, ci
	}
	mean = Mean(xs)
	if resamples <= 0 {
		resamples = DefaultResamples
	}
	means := make([]float64, resamples)
	for r := range means {
		var sum float64
		for range xs {
			sum += xs[rng.IntN(len(xs))]
		}
		means[r] = sum / float64(len(xs))
	}
	slices.Sort(means)
	alpha := (1 - level) / 2
	ci.Lo = quantile(means, alpha)
	ci.Hi = quantile(means, 1-alpha)
	return mean, ci
}

// quantile of sorted xs, interpolating between order statistics.
func quantile(sorted []float64, q float64) float64 {
	pos := q * float64(len(sorted)-1)
	i := int(math.Floor(pos))
	if i >= len(sorted)-1 {
		return sorted[len(sorted)-1]
	}
	frac := pos - float64(i)
	return sorted[i] + frac*(sorted[i+1]-sorted[i])
}

// Mean is the arithmetic mean of xs, 0 for none.
func Mean(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	var sum float64
	for _, x := range xs {
		sum += x
	}
	return sum / float64(len(xs))
}

// Median is the median of xs (the mean of the middle two for an even
// count), 0 for none. xs is not changed.
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(xs))
	m := len(s) / 2
	if len(s)%2 == 1 {
		return s[m]
	}
	return (s[m-1] + s[m]) / 2
}

// PassAtK is the unbiased estimate of pass@k from n runs of which c passed:
// the chance that at least one of k runs drawn without replacement passes,
// 1 − C(n−c, k)/C(n, k) (Chen et al. 2021, "Evaluating Large Language
// Models Trained on Code", eq. 1). With k = n it is 1 when any run passed.
func PassAtK(n, c, k int) float64 {
	if k <= 0 || k > n || c < 0 || c > n {
		return math.NaN()
	}
	if n-c < k {
		return 1
	}
	// 1 − Π_{i=n−c+1}^{n} (1 − k/i), the numerically stable form.
	prod := 1.0
	for i := n - c + 1; i <= n; i++ {
		prod *= 1 - float64(k)/float64(i)
	}
	return 1 - prod
}

// PassHatK is pass^k from n runs of which c passed: the chance that all k
// runs drawn without replacement pass, C(c, k)/C(n, k) (Yao et al. 2024,
// "τ-bench", §5). With k = n it is 1 only when every run passed.
func PassHatK(n, c, k int) float64 {
	if k <= 0 || k > n || c < 0 || c > n {
		return math.NaN()
	}
	if c < k {
		return 0
	}
	return math.Exp(logChoose(c, k) - logChoose(n, k))
}

// BootstrapKappa is the percentile bootstrap interval at level of Cohen's
// kappa between raters a and b: items resampled with replacement, resamples
// times (0 means DefaultResamples), from rng. Resamples on which kappa is
// undefined (every label alike) are skipped; ok is false when kappa is
// undefined on the data itself or on every resample.
func BootstrapKappa(a, b []string, level float64, resamples int, rng *rand.Rand) (ci Interval, ok bool) {
	ci.Level = level
	if _, ok := CohenKappa(a, b); !ok {
		return ci, false
	}
	if resamples <= 0 {
		resamples = DefaultResamples
	}
	ks := make([]float64, 0, resamples)
	ra, rb := make([]string, len(a)), make([]string, len(a))
	for range resamples {
		for i := range ra {
			j := rng.IntN(len(a))
			ra[i], rb[i] = a[j], b[j]
		}
		if k, ok := CohenKappa(ra, rb); ok {
			ks = append(ks, k)
		}
	}
	if len(ks) == 0 {
		return ci, false
	}
	slices.Sort(ks)
	alpha := (1 - level) / 2
	ci.Lo, ci.Hi = quantile(ks, alpha), quantile(ks, 1-alpha)
	return ci, true
}

// MoreSamples is how many more samples would narrow an interval of
// halfWidth, measured on n samples, to target: an interval's width shrinks
// as 1/√n, so n·(halfWidth/target)² samples are needed in all. 0 when it is
// already narrow enough.
func MoreSamples(n int, halfWidth, target float64) int {
	if n <= 0 || target <= 0 || halfWidth <= target {
		return 0
	}
	need := float64(n) * (halfWidth / target) * (halfWidth / target)
	return int(math.Ceil(need)) - n
}
