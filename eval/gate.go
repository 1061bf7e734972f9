package eval

import (
	"cmp"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
)

// GateOptions set what a run must reach. The zero value passes any run.
//
// MinPassRate and PositionMinPassRate come from the command line or the
// trusted configuration and are floors: a prompt file, which a pull request
// can change, may raise its minimum but not lower it.
type GateOptions struct {
	// MinPassRate is the pass rate every prompt × link must reach; 0 sets
	// no minimum.
	MinPassRate float64
	// PositionMinPassRate replaces MinPassRate for the links at a chain
	// position (e.g. let the last fallback pass less often).
	PositionMinPassRate map[int]float64
	// PromptMinPassRate is what a prompt file asks for (its min_pass_rate):
	// it applies where it is above the floor.
	PromptMinPassRate map[string]float64
	// Overrides are the thresholds set outside the command line that the
	// caller already weighed against a trusted value (llmfall.yaml against
	// the base's); the gate adds the prompt files' and reports them all.
	Overrides []Override
	// Baseline, when set, fails every prompt × link whose pass rate fell by
	// more than MaxRegression from the baseline's for the same prompt,
	// provider and model.
	Baseline      *Results
	MaxRegression float64
	// BaselineCells, when set, are Baseline's cells (GateSettings keeps
	// them), which the rate gate compares with; nil means Baseline's.
	BaselineCells []Cell
	// Paired replaces the pass-rate comparison with the baseline by a
	// case-by-case one (see Comparison): a cell fails when its pass→fail
	// flips are significant at Alpha (0 means DefaultAlpha), or when its
	// mean score fell by more than MaxRegression (0: no such limit). Rand
	// draws the bootstrap; nil means a fixed seed, so that the same results
	// always give the same gate.
	Paired bool
	Alpha  float64
	Rand   *rand.Rand
	// TestMinimums are tests' pass@k and pass^k minimums (TestMinimums),
	// checked on every link when cases ran more than once.
	TestMinimums map[[2]string]TestMinimum
	// CanaryPolicy CanaryFail fails the gate when a judge passed a canary;
	// anything else only reports it.
	CanaryPolicy string
}

// NeedsAllResults reports whether the gate reads every result rather than
// the summary, so that the run must keep them all in memory
// (RunOptions.Retain 0): the paired gate compares case by case.
func (o GateOptions) NeedsAllResults() bool { return o.Paired }

// GateSettings are GateOptions as the results document records them, so
// that the gate of merged shards, and of saved results re-rendered by
// llmfall report, is exactly the one eval applied (or, for a shard, would
// have applied). Every GateOptions field but Rand (a fixed seed when nil)
// has a home here; TestGateSettingsRoundTrip fails when one is added
// without one.
type GateSettings struct {
	MinPassRate         float64            `json:"min_pass_rate"`
	PositionMinPassRate map[int]float64    `json:"min_pass_rate_at,omitempty"`
	PromptMinPassRate   map[string]float64 `json:"prompt_min_pass_rate,omitempty"`
	MaxRegression       float64            `json:"max_regression"`
	Overrides           []Override         `json:"overrides,omitempty"`
	// Baseline are the baseline's cells, which regressions compare with.
	Baseline []Cell `json:"baseline,omitempty"`
	// Gate is GatePaired for the paired gate (eval.gate), which compares
	// with BaselineCases at Alpha (eval.alpha; 0 means DefaultAlpha);
	// omitted for the rate gate.
	Gate          string         `json:"gate,omitempty"`
	Alpha         float64        `json:"alpha,omitempty"`
	BaselineCases []BaselineCase `json:"baseline_cases,omitempty"`
	// BaselineCasesDigest is set in a shard's document only, whose
	// BaselineCases are those of its own tests (see ForShard): the hash of
	// the whole list, so that Merge can tell that the shards' lists make
	// it up.
	BaselineCasesDigest string `json:"baseline_cases_digest,omitempty"`
	// TestMinimums are the tests' min_pass_at_k and min_pass_all_k.
	TestMinimums []TestMinimumSetting `json:"test_minimums,omitempty"`
	// CanaryPolicy is kept so that merged shards fail on a compromised
	// judge as one run would.
	CanaryPolicy string `json:"canary_policy,omitempty"`
}

// BaselineCase is what the paired gate needs of one of the baseline's
// graded cases: which case, and its verdict.
type BaselineCase struct {
	Prompt   string  `json:"prompt"`
	Test     string  `json:"test"`
	Provider string  `json:"provider"`
	Model    string  `json:"model"`
	Repeat   int     `json:"repeat,omitempty"`
	Pass     bool    `json:"pass"`
	Score    float64 `json:"score"`
}

// TestMinimumSetting is one test's TestMinimum as the document records it.
type TestMinimumSetting struct {
	Prompt   string   `json:"prompt"`
	Test     string   `json:"test"`
	PassAtK  *float64 `json:"min_pass_at_k,omitempty"`
	PassAllK *float64 `json:"min_pass_all_k,omitempty"`
}

// Settings are o as the results document records them.
func (o GateOptions) Settings() *GateSettings {
	s := &GateSettings{MinPassRate: o.MinPassRate, PositionMinPassRate: o.PositionMinPassRate,
		PromptMinPassRate: o.PromptMinPassRate, MaxRegression: o.MaxRegression, Overrides: o.Overrides,
		Baseline: o.baselineCells(), CanaryPolicy: o.CanaryPolicy}
	if o.Paired {
		s.Gate, s.Alpha = GatePaired, o.Alpha
		if o.Baseline != nil {
			s.BaselineCases = []BaselineCase{}
			for _, r := range o.Baseline.Results {
				if !r.Errored() {
					s.BaselineCases = append(s.BaselineCases, BaselineCase{Prompt: r.Prompt, Test: r.Test,
						Provider: r.Provider, Model: r.Model, Repeat: r.Repeat, Pass: r.Pass, Score: r.Score})
				}
			}
			sortBaselineCases(s.BaselineCases)
		}
	}
	// Sorted, so that shards run under the same gate record the same
	// settings (Merge compares them).
	for _, k := range slices.SortedFunc(maps.Keys(o.TestMinimums), func(a, b [2]string) int {
		return cmp.Or(cmp.Compare(a[0], b[0]), cmp.Compare(a[1], b[1]))
	}) {
		m := o.TestMinimums[k]
		s.TestMinimums = append(s.TestMinimums, TestMinimumSetting{Prompt: k[0], Test: k[1], PassAtK: m.PassAtK, PassAllK: m.PassAllK})
	}
	return s
}

// sortBaselineCases sorts cases by case, whatever order the baseline had
// them in: the order Merge puts the shards' lists back together in.
func sortBaselineCases(cases []BaselineCase) {
	slices.SortStableFunc(cases, func(a, b BaselineCase) int {
		return cmp.Or(cmp.Compare(a.Prompt, b.Prompt), cmp.Compare(a.Test, b.Test), cmp.Compare(a.Provider, b.Provider),
			cmp.Compare(a.Model, b.Model), cmp.Compare(a.Repeat, b.Repeat))
	})
}

// ForShard is s as the results document of shard records it: the paired
// gate's baseline cases of the shard's tests only, not the whole
// baseline's in every shard, and the digest of the whole list. s itself
// for the whole plan.
func (s *GateSettings) ForShard(shard Shard) *GateSettings {
	if shard.whole() || s.BaselineCases == nil {
		return s
	}
	out := *s
	out.BaselineCasesDigest = hashOf(s.BaselineCases)
	out.BaselineCases = []BaselineCase{}
	for _, c := range s.BaselineCases {
		if shard.Holds(c.Prompt, c.Test) {
			out.BaselineCases = append(out.BaselineCases, c)
		}
	}
	return &out
}

// Options are the GateOptions s records.
func (s *GateSettings) Options() GateOptions {
	o := GateOptions{MinPassRate: s.MinPassRate, PositionMinPassRate: s.PositionMinPassRate,
		PromptMinPassRate: s.PromptMinPassRate, MaxRegression: s.MaxRegression, Overrides: s.Overrides,
		BaselineCells: s.Baseline, CanaryPolicy: s.CanaryPolicy,
		Paired: s.Gate == GatePaired, Alpha: s.Alpha}
	if s.BaselineCases != nil {
		o.Baseline = &Results{Version: ResultsVersion, Results: make([]Result, len(s.BaselineCases))}
		for i, c := range s.BaselineCases {
			o.Baseline.Results[i] = Result{Prompt: c.Prompt, Test: c.Test, Provider: c.Provider, Model: c.Model,
				Repeat: c.Repeat, Pass: c.Pass, Score: c.Score}
		}
	}
	if len(s.TestMinimums) > 0 {
		o.TestMinimums = map[[2]string]TestMinimum{}
		for _, m := range s.TestMinimums {
			o.TestMinimums[[2]string{m.Prompt, m.Test}] = TestMinimum{PassAtK: m.PassAtK, PassAllK: m.PassAllK}
		}
	}
	return o
}

func (o GateOptions) baselineCells() []Cell {
	if o.BaselineCells == nil && o.Baseline != nil {
		return Cells(o.Baseline.Results)
	}
	return o.BaselineCells
}

// PromptMinimums collects the min_pass_rate of each prompt that sets one.
func PromptMinimums(s *Suite) map[string]float64 {
	m := map[string]float64{}
	for _, p := range s.Prompts {
		if p.MinPassRate != nil {
			m[p.Name] = *p.MinPassRate
		}
	}
	return m
}

// Gating is the gate's verdict.
type Gating struct {
	// Pass is true only for a complete run that met every mark.
	Pass bool `json:"pass"`
	// Status is GatePassed, GateFailed or GateIncomplete.
	Status string `json:"status"`
	// NotRun counts the planned cases an interrupt left without a result.
	NotRun     int         `json:"not_run"`
	Violations []Violation `json:"violations"`
	// Paired holds the case-by-case comparisons of a paired gate.
	Paired []Comparison `json:"paired,omitempty"`
	// Overrides lists every threshold a file set, and whether it applied.
	Overrides []Override `json:"overrides"`
}

// Override is a setting of how strict the gate is, made in a file a pull
// request may change: a prompt file's min_pass_rate, or one of
// llmfall.yaml's that differs from the trusted base's.
type Override struct {
	// Prompt is the prompt whose file sets it; "" for llmfall.yaml.
	Prompt string `json:"prompt,omitempty"`
	// Rule is "min_pass_rate", "max_regression", "chain_depth", "repeat",
	// "judge.threshold", "judge.different_provider" (1 for true),
	// "judge.canaries", "judge.canary_policy" (1 for fail), "eval.alpha" or
	// "eval.gate" (1 for rate).
	Rule string `json:"rule"`
	// Value is what the file asks for, Floor the trusted value it is held
	// to (for max_regression a maximum, for the others a minimum).
	Value float64 `json:"value"`
	Floor float64 `json:"floor"`
	// Ignored is true when Value would have loosened the gate, so Floor
	// applies instead.
	Ignored bool `json:"ignored"`
}

// String is "ticket-summary: min_pass_rate 50% is below the floor 90%: ignored".
func (o Override) String() string {
	who := o.Prompt
	if who == "" {
		who = "llmfall.yaml"
	}
	val := func(v float64) string {
		switch o.Rule {
		case "min_pass_rate", "max_regression":
			return Percent(v)
		case "judge.different_provider":
			return strconv.FormatBool(v != 0)
		case "judge.canary_policy":
			return map[bool]string{true: CanaryFail, false: CanaryWarn}[v != 0]
		case "eval.gate":
			return map[bool]string{true: GateRate, false: GatePaired}[v != 0]
		}
		return strconv.FormatFloat(v, 'g', -1, 64)
	}
	switch {
	case o.Ignored && o.Rule == "min_pass_rate":
		return fmt.Sprintf("%s: %s %s is below the floor %s: ignored", who, o.Rule, val(o.Value), val(o.Floor))
	case o.Ignored:
		return fmt.Sprintf("%s: %s %s is looser than the trusted %s: ignored", who, o.Rule, val(o.Value), val(o.Floor))
	}
	return fmt.Sprintf("%s: %s %s (the trusted value is %s)", who, o.Rule, val(o.Value), val(o.Floor))
}

// Gate statuses. An interrupted run is incomplete whatever its finished
// cases say: the cases it did not run could have failed.
const (
	GatePassed     = "passed"
	GateFailed     = "failed"
	GateIncomplete = "incomplete"
)

// Violation is one prompt × link that missed its mark.
type Violation struct {
	Prompt   string `json:"prompt"`
	Position int    `json:"position"`
	Provider string `json:"provider"`
	Model    string `json:"model"`
	// Rule is "min_pass_rate" or "max_regression".
	Rule string `json:"rule"`
	// Got is the pass rate; Want the minimum, or the baseline's rate.
	Got     float64 `json:"got"`
	Want    float64 `json:"want"`
	Message string  `json:"message"`
}

// epsilon absorbs float noise in rate comparisons (2/3 vs 0.6667).
const epsilon = 1e-9

// Gate checks rs against opts and records the verdict in rs.Summary.Gate.
// An interrupted run's gate is incomplete and does not pass; its violations
// still list the finished cells that missed their mark.
// Cells with no graded case (every case errored) are not judged here: the
// caller reports errored cases separately. The gate judges the summary's
// cells (Summarize or Run fill them), which a run that retains few of its
// results (RunOptions.Retain) still has in full.
func Gate(rs *Results, opts GateOptions) *Gating {
	g := &Gating{Violations: []Violation{}, Overrides: append([]Override{}, opts.Overrides...)}
	for _, name := range slices.Sorted(maps.Keys(opts.PromptMinPassRate)) {
		v := opts.PromptMinPassRate[name]
		g.Overrides = append(g.Overrides, Override{Prompt: name, Rule: "min_pass_rate", Value: v, Floor: opts.MinPassRate,
			Ignored: v < opts.MinPassRate-epsilon})
	}
	var base map[cellKey]Cell
	if !opts.Paired {
		base = map[cellKey]Cell{}
		for _, c := range opts.baselineCells() {
			base[cellKey{prompt: c.Prompt, provider: c.Provider, model: c.Model}] = c
		}
	}
	for _, c := range rs.Summary.Links {
		if c.Graded() == 0 {
			continue
		}
		v := Violation{Prompt: c.Prompt, Position: c.Position, Provider: c.Provider, Model: c.Model, Got: c.PassRate}
		where := fmt.Sprintf("%s @ %s (link %d)", c.Prompt, c.Link(), c.Position)
		if min := opts.minimum(c); c.PassRate < min-epsilon {
			v.Rule, v.Want = "min_pass_rate", min
			v.Message = fmt.Sprintf("%s: pass rate %s (%d/%d) is below the minimum %s", where, Percent(c.PassRate), c.Passed, c.Graded(), Percent(min))
			g.Violations = append(g.Violations, v)
		}
		b, ok := base[cellKey{prompt: c.Prompt, provider: c.Provider, model: c.Model}]
		if !ok || b.Graded() == 0 {
			continue
		}
		if b.PassRate-c.PassRate > opts.MaxRegression+epsilon {
			v.Rule, v.Want = "max_regression", b.PassRate
			v.Message = fmt.Sprintf("%s: pass rate fell from %s to %s, more than the allowed %s", where, Percent(b.PassRate), Percent(c.PassRate), Percent(opts.MaxRegression))
			g.Violations = append(g.Violations, v)
		}
	}
	if opts.Paired {
		var violations []Violation
		g.Paired, violations = pairedGate(rs, opts)
		g.Violations = append(g.Violations, violations...)
	}
	g.Violations = append(g.Violations, repeatViolations(rs, opts)...)
	g.Violations = append(g.Violations, canaryViolations(rs, opts)...)
	g.NotRun = rs.Summary.NotRun
	switch {
	case rs.Summary.Interrupted || g.NotRun > 0:
		g.Pass, g.Status = false, GateIncomplete
	case len(g.Violations) > 0:
		g.Pass, g.Status = false, GateFailed
	default:
		g.Pass, g.Status = true, GatePassed
	}
	rs.Summary.Gate = g
	return g
}

// minimum is the pass rate c must reach: the floor for its position,
// raised by its prompt file's min_pass_rate, never lowered by it.
func (o GateOptions) minimum(c Cell) float64 {
	floor := o.MinPassRate
	if m, ok := o.PositionMinPassRate[c.Position]; ok {
		floor = m
	}
	if m, ok := o.PromptMinPassRate[c.Prompt]; ok {
		return max(m, floor)
	}
	return floor
}

// Percent formats a rate as a whole percentage, or with one decimal when
// that matters (99.5%).
func Percent(r float64) string {
	p := r * 100
	if p == float64(int(p)) {
		return fmt.Sprintf("%d%%", int(p))
	}
	return fmt.Sprintf("%.1f%%", p)
}
