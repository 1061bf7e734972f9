package judge

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/llmfall/llmfall/internal/shared"
	"github.com/llmfall/llmfall/provider"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestCohenKappa(t *testing.T) {
	rep := func(label string, n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = label
		}
		return out
	}
	cat := func(parts ...[]string) []string {
		var out []string
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	tests := []struct {
		name   string
		a, b   []string
		want   float64
		wantOK bool
	}{
		// The textbook table: 20 yes/yes, 5 yes/no, 10 no/yes, 15 no/no.
		// po = 35/50 = 0.7; pe = 0.5·0.6 + 0.5·0.4 = 0.5; κ = 0.2/0.5 = 0.4.
		{"textbook 2x2",
			cat(rep("yes", 25), rep("no", 25)),
			cat(rep("yes", 20), rep("no", 5), rep("yes", 10), rep("no", 15)),
			0.4, true},
		{"perfect agreement", []string{"pass", "fail", "pass"}, []string{"pass", "fail", "pass"}, 1, true},
		// po = 0.5, pe = 0.5: agreement no better than chance.
		{"chance", []string{"p", "p", "f", "f"}, []string{"p", "f", "p", "f"}, 0, true},
		// po = 0, pe = 0.5: κ = −1.
		{"perfect disagreement", []string{"p", "f", "p", "f"}, []string{"f", "p", "f", "p"}, -1, true},
		// A judge with an extra label: po = 3/5; pe = (3/5)(3/5) + (2/5)(1/5)
		// = 0.44; κ = 0.16/0.56 = 2/7.
		{"judge label outside the human set",
			[]string{"1", "1", "2", "2", "1"}, []string{"1", "none", "2", "1", "1"}, 2.0 / 7, true},
		{"both constant", []string{"pass", "pass"}, []string{"pass", "pass"}, 0, false},
		{"empty", nil, nil, 0, false},
		{"different lengths", []string{"a"}, []string{"a", "b"}, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := CohenKappa(tc.a, tc.b)
			if ok != tc.wantOK || (ok && !near(got, tc.want)) {
				t.Errorf("CohenKappa() = %v, %t; want %v, %t", got, ok, tc.want, tc.wantOK)
			}
		})
	}
}

// scriptedJudge answers calibration questions from a table keyed by input.
type scriptedJudge struct {
	verdicts map[string]Verdict
	prefs    map[string]Preference
	errs     map[string]error
}

func (s *scriptedJudge) Rubric(_ context.Context, in RubricInput) (Verdict, error) {
	return s.verdicts[in.Prompt], s.errs[in.Prompt]
}

func (s *scriptedJudge) Consistent(_ context.Context, in PairInput) (Verdict, error) {
	return s.verdicts[in.Prompt], s.errs[in.Prompt]
}

func (s *scriptedJudge) Prefer(_ context.Context, in PreferInput) (Preference, error) {
	return s.prefs[in.Prompt], s.errs[in.Prompt]
}

func TestCalibrateArithmetic(t *testing.T) {
	yes, no := true, false
	const a, b = "openai/a", "anthropic/b"
	usage := provider.Usage{InputTokens: 100, OutputTokens: 10}
	v := func(judge string, pass, inconsistent bool) Verdict {
		return Verdict{Judge: judge, Pass: pass, Inconsistent: inconsistent, Usage: usage, CostUSD: 0.01}
	}
	p := func(judge string, choice int) Preference {
		return Preference{Judge: judge, Choice: choice, Inconsistent: choice == 0, Usage: usage, CostUSD: 0.01}
	}
	examples := []Example{
		{Input: "e1", Output: "o", Pass: &yes},
		{Input: "e2", Output: "o", Pass: &no},
		{Input: "e3", Output: "o", Pass: &no},
		{Input: "e4", Output: "o", Pass: &yes},
		{Input: "e5", Output1: "x", Output2: "y", Pass: &yes},
		{Input: "e6", Output1: "x", Output2: "y", Pass: &no},
		{Input: "e7", Output1: "x", Output2: "y", Label: 1},
		{Input: "e8", Output1: "x", Output2: "y", Label: 2},
		{Input: "e9", Output1: "x", Output2: "y", Label: 2},
	}
	j := &scriptedJudge{
		verdicts: map[string]Verdict{
			"e1": v(a, true, false), // right
			"e2": v(a, true, false), // wrong
			"e3": v(a, false, false),
			"e5": v(b, true, false),
			"e6": v(b, false, true), // right, but flipped under the swap
		},
		prefs: map[string]Preference{
			"e7": p(b, 1),
			"e8": p(b, 0), // no preference survived the swap: wrong
			"e9": p(a, 1), // wrong
		},
		errs: map[string]error{"e4": &Error{Attempts: []Attempt{
			{Judge: a, Err: ErrMalformed}, {Judge: b, Err: &provider.Error{Class: provider.ClassServer}},
		}}},
	}
	rep, err := Calibrate(context.Background(), j, examples)
	if err != nil {
		t.Fatalf("Calibrate() error = %v", err)
	}
	// Hand-computed:
	//   a: human [pass fail fail 2], judged [pass pass fail 1]: po 1/2,
	//      pe 1/4·2/4 + 2/4·1/4 = 1/4, κ = 1/3.
	//   b: human [pass fail 1 2], judged [pass fail 1 none]: po 3/4,
	//      pe 3/16, κ = (9/16)/(13/16) = 9/13.
	//   all: po 5/8; human pass 2 fail 3 "1" 1 "2" 2, judged pass 3 fail 2
	//      "1" 2 none 1: pe = (6+6+2)/64 = 14/64, κ = (26/64)/(50/64) = 0.52.
	want := map[string]struct {
		judged, correct, pairs, flips, errors int
		accuracy, kappa, flipRate, cost       float64
	}{
		a:     {4, 2, 1, 0, 1, 0.5, 1.0 / 3, 0, 0.07}, // and 3 canaries at 0.01
		b:     {4, 3, 4, 2, 1, 0.75, 9.0 / 13, 0.5, 0.04},
		"all": {8, 5, 5, 2, 1, 0.625, 0.52, 0.4, 0.11},
	}
	rows := append([]Stats{rep.Total}, rep.Judges...)
	if len(rep.Judges) != 2 || rep.Judges[0].Judge != b || rep.Judges[1].Judge != a {
		t.Fatalf("Report.Judges = %+v; want rows for %s and %s, sorted", rep.Judges, b, a)
	}
	for _, s := range rows {
		w := want[s.Judge]
		if s.Judged != w.judged || s.Correct != w.correct || s.Pairs != w.pairs || s.Flips != w.flips || s.Errors != w.errors {
			t.Errorf("%s: judged, correct, pairs, flips, errors = %d, %d, %d, %d, %d; want %d, %d, %d, %d, %d",
				s.Judge, s.Judged, s.Correct, s.Pairs, s.Flips, s.Errors, w.judged, w.correct, w.pairs, w.flips, w.errors)
		}
		if !near(s.Accuracy, w.accuracy) || s.Kappa == nil || !near(*s.Kappa, w.kappa) || !near(s.FlipRate, w.flipRate) || !near(s.CostUSD, w.cost) {
			t.Errorf("%s: accuracy, kappa, flip rate, cost = %v, %v, %v, %v; want %v, %v, %v, %v",
				s.Judge, s.Accuracy, s.Kappa, s.FlipRate, s.CostUSD, w.accuracy, w.kappa, w.flipRate, w.cost)
		}
	}
	// Eight labels are too few for an interval.
	if rep.Total.KappaLow != nil || rep.Total.MoreLabels != 0 {
		t.Errorf("Total kappa interval = %v..%v, more labels %d; want none from 8 labels", rep.Total.KappaLow, rep.Total.KappaHigh, rep.Total.MoreLabels)
	}
	// The scripted judge answers a canary as it answered the example: e1's
	// and e2's passes pass their canaries, e3's fail fails it, e4 errors.
	if a := rep.Judges[1]; a.CanaryJudged != 3 || a.CanaryPassed != 2 || rep.Total.CanaryPassed != 2 {
		t.Errorf("%s canaries judged, passed = %d, %d; want 3, 2", a.Judge, a.CanaryJudged, a.CanaryPassed)
	}
	if got, want := rep.Total.Usage, (provider.Usage{InputTokens: 1100, OutputTokens: 110}); got != want {
		t.Errorf("Total.Usage = %+v; want %+v", got, want)
	}
	if r := rep.Results[3]; r.Error == "" || r.Judged != "" {
		t.Errorf("Results[3] = %+v; want an error and no judged label", r)
	}
	if r := rep.Results[7]; r.Judged != "none" || !r.Inconsistent {
		t.Errorf("Results[7] = %+v; want judged none, inconsistent", r)
	}
}

func TestCalibrateRejectsBadInput(t *testing.T) {
	yes := true
	t.Run("invalid example", func(t *testing.T) {
		_, err := Calibrate(context.Background(), &Heuristic{}, []Example{{Input: "x", Output: "y"}})
		if err == nil {
			t.Error("Calibrate() error = nil; want the missing verdict reported")
		}
	})
	t.Run("preference without a Preferrer", func(t *testing.T) {
		j := struct{ Judge }{&Heuristic{}} // hides Prefer
		_, err := Calibrate(context.Background(), j, []Example{
			{Input: "x", Output: "y", Pass: &yes},
			{Input: "x", Output1: "a", Output2: "b", Label: 1},
		})
		if err == nil {
			t.Error("Calibrate() error = nil; want the judge's missing capability reported")
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := Calibrate(ctx, &Heuristic{}, []Example{{Input: "x", Output: "y", Pass: &yes}})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Calibrate() error = %v; want context.Canceled", err)
		}
	})
}

func TestLoadExamples(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		wantKinds []Kind
		wantErr   []string // substrings of the error, one per problem
	}{
		{
			name: "one of each kind",
			in: `{"input": "q", "output": "a", "rubric": "r", "pass": true}

{"id": "p", "input": "q", "output_1": "a", "output_2": "b", "pass": false, "note": "n"}
{"input": "q", "output_1": "a", "output_2": "b", "label": 2}
`,
			wantKinds: []Kind{KindRubric, KindPair, KindPreference},
		},
		{
			name:      "LLMBar's JSON array",
			in:        `[{"input": "q", "output_1": "a", "output_2": "b", "label": 1}, {"input": "q", "output_1": "a", "output_2": "b", "label": 2}]`,
			wantKinds: []Kind{KindPreference, KindPreference},
		},
		{
			name: "every problem with its line",
			in: `{"input": "q", "output": "a", "pass": true}
{"input": "q", "output": "a"}
{"input": "q", "output_1": "a", "output_2": "b", "label": 3}
{"input": "q", "output": "a", "pass": true, "refrence": "typo"}
not json
{"input": "q", "output_1": "a", "pass": true}
`,
			wantErr: []string{"line 2", "line 3", "line 4", "line 5", "line 6"},
		},
		{
			name:      "the pairwise format's instruction field",
			in:        `{"instruction": "q", "output_1": "a", "output_2": "b", "label": 1}`,
			wantKinds: []Kind{KindPreference},
		},
		{
			name:    "input and instruction both",
			in:      `{"input": "q", "instruction": "q", "output_1": "a", "output_2": "b", "label": 1}`,
			wantErr: []string{`line 1: "input" and "instruction" are one field under two names`},
		},
		{name: "empty", in: "\n\n", wantErr: []string{"no examples"}},
		{name: "array item problems", in: `[{"input": "q", "output": "a"}]`, wantErr: []string{"item 1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := LoadExamples(strings.NewReader(tc.in))
			if len(tc.wantErr) > 0 {
				if err == nil {
					t.Fatalf("LoadExamples() = %d examples; want an error", len(got))
				}
				for _, w := range tc.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("LoadExamples() error = %v; want it to name %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("LoadExamples() error = %v", err)
			}
			var kinds []Kind
			for _, e := range got {
				kinds = append(kinds, e.Kind())
				if e.Input != "q" || e.Instruction != "" {
					t.Errorf("example input, instruction = %q, %q; want q and nothing", e.Input, e.Instruction)
				}
			}
			if strings.Join(kindStrings(kinds), ",") != strings.Join(kindStrings(tc.wantKinds), ",") {
				t.Errorf("kinds = %v; want %v", kinds, tc.wantKinds)
			}
		})
	}
}

func kindStrings(ks []Kind) []string {
	out := make([]string, len(ks))
	for i, k := range ks {
		out[i] = string(k)
	}
	return out
}

func TestShippedCalibrationSet(t *testing.T) {
	examples, err := BuiltinExamples()
	if err != nil {
		t.Fatalf("BuiltinExamples() error = %v", err)
	}
	count := map[Kind]int{}
	ids := map[string]bool{}
	for _, e := range examples {
		count[e.Kind()]++
		if e.ID == "" || ids[e.ID] {
			t.Errorf("example id %q missing or repeated", e.ID)
		}
		ids[e.ID] = true
	}
	if count[KindRubric] != 16 || count[KindPair] != 8 || count[KindPreference] != 8 {
		t.Errorf("kinds = %v; want 16 rubric, 8 pairwise, 8 preference (as calibration/README.md says)", count)
	}
	rep, err := Calibrate(context.Background(), &Heuristic{}, examples)
	if err != nil {
		t.Fatalf("Calibrate() error = %v", err)
	}
	if rep.Total.Judged != len(examples) || rep.Total.Errors != 0 || rep.Total.Flips != 0 || !rep.Total.Heuristic {
		t.Errorf("heuristic report total = %+v; want every example judged, no errors, no flips, labelled heuristic", rep.Total)
	}
	t.Logf("heuristic on the shipped set: accuracy %.2f, kappa %s", rep.Total.Accuracy, fmtKappa(rep.Total.Kappa))
}

func fmtKappa(k *float64) string {
	if k == nil {
		return "n/a"
	}
	return strconv.FormatFloat(*k, 'f', 2, 64)
}

// TestLLMBar reads the human-labelled LLMBar sets when the reference material
// is present, and runs the heuristic over them: every item must load as a
// preference, and the heuristic, being symmetric, must never flip.
func TestLLMBar(t *testing.T) {
	files := map[string]int{
		"natural.json": 100, "adversarial-gptinst.json": 92, "adversarial-gptout.json": 47,
		"adversarial-manual.json": 46, "adversarial-neighbor.json": 134, "mt-bench.json": 200,
	}
	for name, n := range files {
		t.Run(name, func(t *testing.T) {
			path := shared.Path(t, "datasets/llmbar/"+name)
			examples, err := LoadExamplesFile(path)
			if err != nil {
				t.Fatalf("BuiltinExamples() error = %v", err)
			}
			if len(examples) != n {
				t.Errorf("examples = %d; want %d (SOURCES.md)", len(examples), n)
			}
			for i, e := range examples {
				if e.Kind() != KindPreference {
					t.Fatalf("example %d kind = %s; want preference", i+1, e.Kind())
				}
			}
			rep, err := Calibrate(context.Background(), &Heuristic{}, examples)
			if err != nil {
				t.Fatalf("Calibrate() error = %v", err)
			}
			if rep.Total.Pairs != n || rep.Total.Flips != 0 {
				t.Errorf("pairs, flips = %d, %d; want %d, 0", rep.Total.Pairs, rep.Total.Flips, n)
			}
			t.Logf("heuristic on LLMBar %s: accuracy %.2f, kappa %s", name, rep.Total.Accuracy, fmtKappa(rep.Total.Kappa))
		})
	}
}

// Forty labels, 30 judged right: kappa's interval holds the estimate, and
// narrowing it to ±0.1 takes n·(half-width/0.1)² labels in all.
func TestCalibrateKappaInterval(t *testing.T) {
	yes, no := true, false
	var examples []Example
	j := &scriptedJudge{verdicts: map[string]Verdict{}}
	for i := range 40 {
		human := i%2 == 0
		judged := human != (i%4 == 1) // every fourth example judged wrong
		e := Example{Input: fmt.Sprint("e", i), Output: "o", Pass: &no}
		if human {
			e.Pass = &yes
		}
		examples = append(examples, e)
		j.verdicts[e.Input] = Verdict{Judge: "x/j", Pass: judged}
	}
	rep, err := Calibrate(context.Background(), j, examples)
	if err != nil {
		t.Fatal(err)
	}
	tot := rep.Total
	if tot.Kappa == nil || tot.KappaLow == nil || *tot.KappaLow > *tot.Kappa || *tot.KappaHigh < *tot.Kappa {
		t.Fatalf("kappa %v in %v..%v; want an interval holding it", tot.Kappa, tot.KappaLow, tot.KappaHigh)
	}
	half := (*tot.KappaHigh - *tot.KappaLow) / 2
	if half < 0.1 || math.Abs(float64(tot.MoreLabels)-(40*half*half/0.01-40)) > 1 {
		t.Errorf("half-width %.3f, more labels %d; want 40·(half/0.1)² − 40", half, tot.MoreLabels)
	}
}
