package stats

import (
	"math"
	"math/rand/v2"
	"testing"
)

func near(got, want, tol float64) bool { return math.Abs(got-want) <= tol }

// repeatLabels builds a rater's labels from (label, count) runs.
func repeatLabels(runs ...any) []string {
	var out []string
	for i := 0; i < len(runs); i += 2 {
		for range runs[i+1].(int) {
			out = append(out, runs[i].(string))
		}
	}
	return out
}

func TestCohenKappa(t *testing.T) {
	tests := []struct {
		name   string
		a, b   []string
		want   float64
		wantOK bool
	}{
		// Wikipedia, "Cohen's kappa", worked example: 50 grant proposals read
		// by A and B; yes/yes 20, yes/no 5, no/yes 10, no/no 15. po = 0.70,
		// pe = 0.5·0.6 + 0.5·0.4 = 0.50, κ = 0.40.
		{
			name:   "wikipedia grant proposals",
			a:      repeatLabels("yes", 20, "yes", 5, "no", 10, "no", 15),
			b:      repeatLabels("yes", 20, "no", 5, "yes", 10, "no", 15),
			want:   0.40,
			wantOK: true,
		},
		// Same article, the two tables with equal agreement (60 %) and
		// different kappas: 45/15/25/15 gives κ = 0.1304 and 25/35/5/35
		// gives κ = 0.2593, hand-checked: pe = 0.60·0.70+0.40·0.30 = 0.54
		// and 0.60·0.30+0.40·0.70 = 0.46.
		{
			name:   "wikipedia unbalanced",
			a:      repeatLabels("yes", 45, "yes", 15, "no", 25, "no", 15),
			b:      repeatLabels("yes", 45, "no", 15, "yes", 25, "no", 15),
			want:   (0.60 - 0.54) / (1 - 0.54),
			wantOK: true,
		},
		{
			name:   "wikipedia balanced",
			a:      repeatLabels("yes", 25, "yes", 35, "no", 5, "no", 35),
			b:      repeatLabels("yes", 25, "no", 35, "yes", 5, "no", 35),
			want:   (0.60 - 0.46) / (1 - 0.46),
			wantOK: true,
		},
		{name: "perfect", a: []string{"p", "f", "p"}, b: []string{"p", "f", "p"}, want: 1, wantOK: true},
		{name: "one label throughout", a: []string{"p", "p"}, b: []string{"p", "p"}},
		{name: "empty"},
		{name: "lengths differ", a: []string{"p"}, b: []string{"p", "f"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := CohenKappa(tc.a, tc.b)
			if ok != tc.wantOK || !near(got, tc.want, 1e-9) {
				t.Errorf("CohenKappa() = %v, %t; want %v, %t", got, ok, tc.want, tc.wantOK)
			}
		})
	}
}

func TestFleissKappa(t *testing.T) {
	tests := []struct {
		name   string
		counts [][]int
		want   float64
		wantOK bool
	}{
		// Wikipedia, "Fleiss' kappa", worked example: 10 subjects, 14 raters,
		// 5 categories; P̄ = 0.378, P̄e = 0.213, κ = 0.210 (0.2099307 to
		// seven places, as statsmodels' inter_rater.fleiss_kappa also gives).
		{
			name: "wikipedia 10 subjects 14 raters",
			counts: [][]int{
				{0, 0, 0, 0, 14},
				{0, 2, 6, 4, 2},
				{0, 0, 3, 5, 6},
				{0, 3, 9, 2, 0},
				{2, 2, 8, 1, 1},
				{7, 7, 0, 0, 0},
				{3, 2, 6, 3, 0},
				{2, 5, 3, 2, 2},
				{6, 5, 2, 1, 0},
				{0, 2, 2, 3, 7},
			},
			want:   0.2099307,
			wantOK: true,
		},
		// Hand-computed, 3 raters pass/fail on 4 items: rows (3,0) (0,3)
		// (2,1) (1,2): P_i = 1, 1, 1/3, 1/3 → P̄ = 2/3; p = ½, ½ → P̄e = ½;
		// κ = (2/3 − ½)/(½) = 1/3.
		{
			name:   "hand three raters",
			counts: [][]int{{3, 0}, {0, 3}, {2, 1}, {1, 2}},
			want:   1.0 / 3,
			wantOK: true,
		},
		{name: "perfect", counts: [][]int{{3, 0}, {0, 3}}, want: 1, wantOK: true},
		{name: "one category throughout", counts: [][]int{{3, 0}, {3, 0}}},
		{name: "raters differ per item", counts: [][]int{{3, 0}, {1, 1}}},
		{name: "one rater", counts: [][]int{{1, 0}, {0, 1}}},
		{name: "empty"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := FleissKappa(tc.counts)
			if ok != tc.wantOK || !near(got, tc.want, 5e-7) {
				t.Errorf("FleissKappa() = %v, %t; want %v, %t", got, ok, tc.want, tc.wantOK)
			}
		})
	}
}

// Two raters' Fleiss kappa is Scott's pi, not Cohen's kappa: on the Cohen
// example above (marginals 0.6/0.4 and 0.5/0.5) pooled pe = 0.55² + 0.45²
// = 0.505, so π = (0.70 − 0.505)/0.495 = 0.3939.
func TestFleissKappaTwoRatersIsScottsPi(t *testing.T) {
	var counts [][]int
	add := func(row []int, n int) {
		for range n {
			counts = append(counts, row)
		}
	}
	add([]int{2, 0}, 20)
	add([]int{1, 1}, 15)
	add([]int{0, 2}, 15)
	got, ok := FleissKappa(counts)
	want := (0.70 - 0.505) / 0.495
	if !ok || !near(got, want, 1e-9) {
		t.Errorf("FleissKappa() = %v, %t; want %v", got, ok, want)
	}
}

func TestMcNemarExact(t *testing.T) {
	tests := []struct {
		name string
		b, c int
		want float64
	}{
		// Fagerland, Lydersen & Laake (2013), "The McNemar test for binary
		// matched-pairs data: mid-p and asymptotic are better than exact
		// conditional", BMC Med Res Methodol 13:91, Table 1 (airway
		// hyper-responsiveness, Bentur et al.): b = 1, c = 7, exact
		// conditional p = 0.070 (= 2·9/256 = 0.0703125).
		{name: "fagerland airway", b: 1, c: 7, want: 18.0 / 256},
		{name: "3 flips one way", b: 3, c: 0, want: 2.0 / 8},
		{name: "12 flips one way", b: 12, c: 0, want: 2.0 / 4096},
		{name: "symmetric", b: 4, c: 4, want: 1},
		{name: "none", b: 0, c: 0, want: 1},
		// 2·P(X ≤ 2), X ~ Bin(10, ½) = 2·(1+10+45)/1024.
		{name: "hand 2 of 10", b: 8, c: 2, want: 112.0 / 1024},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := McNemarExact(tc.b, tc.c); !near(got, tc.want, 1e-12) {
				t.Errorf("McNemarExact(%d, %d) = %v; want %v", tc.b, tc.c, got, tc.want)
			}
		})
	}
}

func TestBootstrapMean(t *testing.T) {
	t.Run("constant differences", func(t *testing.T) {
		mean, ci := BootstrapMean([]float64{-0.2, -0.2, -0.2}, 0.95, 500, rand.New(rand.NewPCG(1, 2)))
		if !near(mean, -0.2, 1e-12) || !near(ci.Lo, -0.2, 1e-12) || !near(ci.Hi, -0.2, 1e-12) {
			t.Errorf("BootstrapMean() = %v, %+v; want -0.2 and [-0.2, -0.2]", mean, ci)
		}
	})
	t.Run("same seed same interval", func(t *testing.T) {
		xs := []float64{0, -1, 0, 0.5, -0.25, 0, 1, -1}
		_, a := BootstrapMean(xs, 0.95, 1000, rand.New(rand.NewPCG(7, 7)))
		_, b := BootstrapMean(xs, 0.95, 1000, rand.New(rand.NewPCG(7, 7)))
		if a != b {
			t.Errorf("BootstrapMean() with one seed gave %+v then %+v", a, b)
		}
	})
	// 3 of 40 cases drop by 1 and the rest are unchanged: mean −0.075, and
	// the normal interval ±1.96·sd/√n = ±1.96·0.2634/√40 = ±0.0816 (sd the
	// population sd of the 0/−1 differences), so the percentile interval
	// spans roughly [−0.16, 0] and holds 0 or touches it.
	t.Run("3 of 40 drop", func(t *testing.T) {
		xs := make([]float64, 40)
		xs[0], xs[1], xs[2] = -1, -1, -1
		mean, ci := BootstrapMean(xs, 0.95, 4000, rand.New(rand.NewPCG(1, 1)))
		if !near(mean, -0.075, 1e-12) {
			t.Errorf("mean = %v; want -0.075", mean)
		}
		if !near(ci.Lo, -0.075-0.0816, 0.03) || ci.Hi < -1e-12 || ci.Hi > 0.01 {
			t.Errorf("interval = [%v, %v]; want about [-0.157, 0]", ci.Lo, ci.Hi)
		}
	})
	t.Run("12 of 40 drop", func(t *testing.T) {
		xs := make([]float64, 40)
		for i := range 12 {
			xs[i] = -1
		}
		_, ci := BootstrapMean(xs, 0.95, 4000, rand.New(rand.NewPCG(1, 1)))
		// sd = √(0.3·0.7) = 0.458; half-width 1.96·0.458/√40 = 0.142.
		if !near(ci.Lo, -0.3-0.142, 0.03) || !near(ci.Hi, -0.3+0.142, 0.03) {
			t.Errorf("interval = [%v, %v]; want about [-0.442, -0.158]", ci.Lo, ci.Hi)
		}
	})
	t.Run("empty", func(t *testing.T) {
		if mean, ci := BootstrapMean(nil, 0.95, 10, rand.New(rand.NewPCG(1, 1))); mean != 0 || ci.Lo != 0 || ci.Hi != 0 {
			t.Errorf("BootstrapMean(nil) = %v, %+v; want zeros", mean, ci)
		}
	})
}

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		xs   []float64
		want float64
	}{{nil, 0}, {[]float64{0.3}, 0.3}, {[]float64{0.9, 0.1, 0.5}, 0.5}, {[]float64{1, 0, 0.2, 0.6}, 0.4}} {
		if got := Median(tc.xs); !near(got, tc.want, 1e-12) {
			t.Errorf("Median(%v) = %v; want %v", tc.xs, got, tc.want)
		}
	}
}

func TestPassAtK(t *testing.T) {
	tests := []struct {
		n, c, k       int
		wantAt, wantH float64
	}{
		// k = n: pass@k is "any passed", pass^k "all passed".
		{n: 5, c: 0, k: 5, wantAt: 0, wantH: 0},
		{n: 5, c: 1, k: 5, wantAt: 1, wantH: 0},
		{n: 5, c: 5, k: 5, wantAt: 1, wantH: 1},
		// k = 1: both are the pass rate.
		{n: 4, c: 3, k: 1, wantAt: 0.75, wantH: 0.75},
		// Hand-computed: n = 4, c = 2, k = 2: pass@2 = 1 − C(2,2)/C(4,2) =
		// 1 − 1/6 = 5/6; pass^2 = C(2,2)/C(4,2) = 1/6.
		{n: 4, c: 2, k: 2, wantAt: 5.0 / 6, wantH: 1.0 / 6},
		// n = 10, c = 3, k = 5: 1 − C(7,5)/C(10,5) = 1 − 21/252 = 11/12;
		// pass^5 = C(3,5)/… = 0.
		{n: 10, c: 3, k: 5, wantAt: 11.0 / 12, wantH: 0},
	}
	for _, tc := range tests {
		if got := PassAtK(tc.n, tc.c, tc.k); !near(got, tc.wantAt, 1e-12) {
			t.Errorf("PassAtK(%d, %d, %d) = %v; want %v", tc.n, tc.c, tc.k, got, tc.wantAt)
		}
		if got := PassHatK(tc.n, tc.c, tc.k); !near(got, tc.wantH, 1e-12) {
			t.Errorf("PassHatK(%d, %d, %d) = %v; want %v", tc.n, tc.c, tc.k, got, tc.wantH)
		}
	}
	if !math.IsNaN(PassAtK(2, 1, 3)) || !math.IsNaN(PassHatK(2, 1, 0)) {
		t.Error("PassAtK/PassHatK with k outside 1..n should be NaN")
	}
}

func TestBootstrapKappa(t *testing.T) {
	// The Wikipedia example (κ = 0.40 on 50 items): the interval holds
	// 0.40 and is about ±1.96·SE wide, SE ≈ 0.13 by the usual large-sample
	// formula √(po(1−po)/(n(1−pe)²)) = √(0.21/12.5) = 0.13.
	a := repeatLabels("yes", 20, "yes", 5, "no", 10, "no", 15)
	b := repeatLabels("yes", 20, "no", 5, "yes", 10, "no", 15)
	ci, ok := BootstrapKappa(a, b, 0.95, 4000, rand.New(rand.NewPCG(3, 4)))
	if !ok || ci.Lo > 0.40 || ci.Hi < 0.40 || !near((ci.Hi-ci.Lo)/2, 1.96*0.13, 0.05) {
		t.Errorf("BootstrapKappa() = %+v, %t; want about 0.40 ± 0.25", ci, ok)
	}
	if _, ok := BootstrapKappa([]string{"p", "p"}, []string{"p", "p"}, 0.95, 10, rand.New(rand.NewPCG(1, 1))); ok {
		t.Error("BootstrapKappa(one label throughout) ok; want undefined")
	}
}

func TestMoreSamples(t *testing.T) {
	for _, tc := range []struct {
		n          int
		half, want float64
		more       int
	}{
		{n: 32, half: 0.2, want: 0.1, more: 96}, // 4× the samples halve the width
		{n: 100, half: 0.1, want: 0.1, more: 0},
		{n: 100, half: 0.05, want: 0.1, more: 0},
		{n: 50, half: 0.3, want: 0.1, more: 400},
	} {
		if got := MoreSamples(tc.n, tc.half, tc.want); got != tc.more {
			t.Errorf("MoreSamples(%d, %v, %v) = %d; want %d", tc.n, tc.half, tc.want, got, tc.more)
		}
	}
}
