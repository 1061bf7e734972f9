package judge

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"

	"golang.org/x/sync/errgroup"

	"github.com/llmfall/llmfall/internal/stats"
	"github.com/llmfall/llmfall/provider"
)

// Kind is the question a calibration example asks.
type Kind string

// Example kinds, decided by which fields an Example has (see Example).
const (
	KindRubric     Kind = "rubric"     // output + pass: does it meet the rubric?
	KindPair       Kind = "pairwise"   // output_1 + output_2 + pass: equivalent in substance?
	KindPreference Kind = "preference" // output_1 + output_2 + label: which is better?
)

// DefaultRubric is used for rubric examples that carry none.
const DefaultRubric = "The output correctly and completely carries out the input's instruction."

// Example is one human-labelled calibration item. The file format (see
// LoadExamples) is one JSON object per line with these fields:
//
//   - input (required): what the model was asked; "instruction" is read
//     as input, as the common pairwise-preference format names it.
//   - output: a single answer, graded against rubric (DefaultRubric when
//     absent) and reference (optional); the human verdict is pass.
//   - output_1 and output_2: two answers. With pass, the human says whether
//     they are equivalent in substance (the consistent assertion). With
//     label 1 or 2, the human says which is better (LLMBar's format).
//   - id, note: free text for people, ignored by the judge.
//
// Any other field is an error, so that a typo does not silently drop a label.
type Example struct {
	ID    string `json:"id,omitempty"`
	Input string `json:"input"`
	// Instruction is input under its other common name; loading moves it
	// to Input.
	Instruction string `json:"instruction,omitempty"`
	Output      string `json:"output,omitempty"`
	Output1     string `json:"output_1,omitempty"`
	Output2     string `json:"output_2,omitempty"`
	Rubric      string `json:"rubric,omitempty"`
	Reference   string `json:"reference,omitempty"`
	Pass        *bool  `json:"pass,omitempty"`
	Label       int    `json:"label,omitempty"`
	Note        string `json:"note,omitempty"`
}

// Kind is the question e asks; Validate says whether it is well formed.
func (e Example) Kind() Kind {
	switch {
	case e.Output1 == "" && e.Output2 == "":
		return KindRubric
	case e.Label != 0:
		return KindPreference
	}
	return KindPair
}

// Validate reports every problem with e.
func (e Example) Validate() error {
	var errs []error
	switch {
	case e.Input == "" && e.Instruction == "":
		errs = append(errs, errors.New(`"input" (or "instruction") is required`))
	case e.Input != "" && e.Instruction != "":
		errs = append(errs, errors.New(`"input" and "instruction" are one field under two names; give one`))
	}
	switch e.Kind() {
	case KindRubric:
		if e.Output == "" {
			errs = append(errs, errors.New(`one of "output" or "output_1" and "output_2" is required`))
		}
		if e.Pass == nil {
			errs = append(errs, errors.New(`a rubric example needs the human verdict "pass"`))
		}
		if e.Label != 0 {
			errs = append(errs, errors.New(`"label" belongs to pairs (output_1, output_2); use "pass"`))
		}
	default:
		if e.Output != "" {
			errs = append(errs, errors.New(`"output" and "output_1"/"output_2" are exclusive`))
		}
		if e.Output1 == "" || e.Output2 == "" {
			errs = append(errs, errors.New(`a pair needs both "output_1" and "output_2"`))
		}
		if e.Rubric != "" || e.Reference != "" {
			errs = append(errs, errors.New(`"rubric" and "reference" apply only to a single "output"`))
		}
		switch {
		case e.Label != 0 && e.Pass != nil:
			errs = append(errs, errors.New(`a pair has "label" (which is better) or "pass" (equivalent), not both`))
		case e.Label == 0 && e.Pass == nil:
			errs = append(errs, errors.New(`a pair needs "label" (1 or 2: which is better) or "pass" (equivalent?)`))
		case e.Label != 0 && e.Label != 1 && e.Label != 2:
			errs = append(errs, fmt.Errorf(`"label" is %d; want 1 or 2`, e.Label))
		}
	}
	return errors.Join(errs...)
}

// human is the human verdict as a category label.
func (e Example) human() string {
	if e.Kind() == KindPreference {
		return strconv.Itoa(e.Label)
	}
	return passLabel(*e.Pass)
}

func passLabel(pass bool) string {
	if pass {
		return "pass"
	}
	return "fail"
}

// noPreference is the judged label of a preference that did not survive the
// swap: it agrees with no human label.
const noPreference = "none"

// Result is the judge's answer to one example.
type Result struct {
	Index int    `json:"index"` // position in the examples, from 0
	ID    string `json:"id,omitempty"`
	Kind  Kind   `json:"kind"`
	Human string `json:"human"` // "pass"/"fail", or "1"/"2"
	// Judged is the judge's label in the same terms ("none" for a
	// preference that flipped); empty when the judge failed.
	Judged       string  `json:"judged,omitempty"`
	Judge        string  `json:"judge,omitempty"`
	Heuristic    bool    `json:"heuristic,omitempty"`
	Score        float64 `json:"score"`
	Inconsistent bool    `json:"inconsistent,omitempty"`
	Error        string  `json:"error,omitempty"`

	usage provider.Usage
	cost  float64
	// failed lists the judges that failed on this example, when no verdict came.
	failed []string
}

// Stats is how well one judge model (or all of them together) agreed with
// the human labels.
type Stats struct {
	Judge     string `json:"judge"` // "provider/model", "heuristic", or "all"
	Heuristic bool   `json:"heuristic,omitempty"`
	Judged    int    `json:"judged"`  // examples this judge gave a verdict on
	Correct   int    `json:"correct"` // verdicts that agree with the human
	// Accuracy is Correct/Judged; errors are not counted in it.
	Accuracy float64 `json:"accuracy"`
	// Kappa is Cohen's kappa between judge and human over the judged
	// examples; nil when undefined (both said the same thing every time).
	Kappa *float64 `json:"kappa"`
	// KappaLow and KappaHigh are kappa's bootstrap 95 % interval (nil when
	// undefined), and MoreLabels how many more labelled examples would
	// narrow it to ±KappaTarget.
	KappaLow   *float64 `json:"kappa_low,omitempty"`
	KappaHigh  *float64 `json:"kappa_high,omitempty"`
	MoreLabels int      `json:"more_labels"`
	// Pairs counts the pairwise and preference verdicts, the ones asked in
	// both orders; Flips those whose answer changed with the order.
	Pairs    int     `json:"pairs"`
	Flips    int     `json:"flips"`
	FlipRate float64 `json:"flip_rate"`
	// Errors counts examples left without a verdict on which this judge
	// was tried and failed (for "all": every example without a verdict).
	Errors int `json:"errors"`
	// CanaryJudged counts the known-bad answers (one per rubric example)
	// this judge graded, CanaryPassed those it passed: any is too many.
	CanaryJudged int            `json:"canary_judged"`
	CanaryPassed int            `json:"canary_passed"`
	Usage        provider.Usage `json:"usage"`
	CostUSD      float64        `json:"cost_usd"`

	human, judged []string
}

// Report is the outcome of a calibration run.
type Report struct {
	Examples int `json:"examples"`
	// Judges has one row per judge model that gave a verdict or failed,
	// sorted by name.
	Judges  []Stats  `json:"judges"`
	Total   Stats    `json:"total"`
	Results []Result `json:"results"`
}

// calibrateConcurrency bounds the questions in flight; each pair question is
// two calls. Providers' own limits apply beneath it.
const calibrateConcurrency = 4

// Calibrate runs j over labelled examples and measures its agreement with
// the humans, per judge model. A judge error on an example is counted, not
// returned; Calibrate fails only on invalid examples, a judge that cannot
// rank pairs when preference examples are given, or a cancelled ctx.
func Calibrate(ctx context.Context, j Judge, examples []Example) (Report, error) {
	var errs []error
	pref, canPrefer := j.(Preferrer)
	for i, e := range examples {
		if err := e.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("example %d: %w", i+1, err))
			continue
		}
		if e.Kind() == KindPreference && !canPrefer {
			errs = append(errs, fmt.Errorf("example %d: the judge cannot rank two outputs (preference examples need a judge.Preferrer)", i+1))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return Report{}, err
	}
	results := make([]Result, len(examples))
	canaries := make([]canaryOutcome, len(examples))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(calibrateConcurrency)
	rubrics := 0
	for i, e := range examples {
		g.Go(func() error {
			results[i] = judgeExample(gctx, j, pref, i, e)
			return nil
		})
		if e.Kind() != KindRubric {
			continue
		}
		c := Canaries(2)[rubrics%2]
		rubrics++
		g.Go(func() error {
			canaries[i] = judgeCanary(gctx, j, e, c)
			return nil
		})
	}
	g.Wait()
	if err := ctx.Err(); err != nil {
		return Report{}, fmt.Errorf("calibrate: %w", err)
	}
	return summarise(results, canaries), nil
}

// canaryOutcome is a judge's verdict on a known-bad answer to a rubric
// example.
type canaryOutcome struct {
	judged bool
	judge  string
	passed bool
	usage  provider.Usage
	cost   float64
}

func judgeCanary(ctx context.Context, j Judge, e Example, c Canary) canaryOutcome {
	rubric := e.Rubric
	if rubric == "" {
		rubric = DefaultRubric
	}
	v, err := j.Rubric(ctx, RubricInput{Prompt: e.Input, Output: c.Output, Rubric: rubric, Reference: e.Reference})
	if err != nil {
		return canaryOutcome{}
	}
	// A panel member that passes it is compromised even when the panel
	// outvotes it.
	passed := v.Pass && !v.Inconsistent
	for _, vote := range v.Votes {
		passed = passed || vote.Pass && !vote.Inconsistent
	}
	return canaryOutcome{judged: true, judge: v.Judge, passed: passed, usage: v.Usage, cost: v.CostUSD}
}

func judgeExample(ctx context.Context, j Judge, pref Preferrer, i int, e Example) Result {
	r := Result{Index: i, ID: e.ID, Kind: e.Kind(), Human: e.human()}
	var err error
	switch r.Kind {
	case KindRubric:
		rubric := e.Rubric
		if rubric == "" {
			rubric = DefaultRubric
		}
		var v Verdict
		v, err = j.Rubric(ctx, RubricInput{Prompt: e.Input, Output: e.Output, Rubric: rubric, Reference: e.Reference})
		r.fromVerdict(v)
	case KindPair:
		var v Verdict
		v, err = j.Consistent(ctx, PairInput{Prompt: e.Input, Primary: e.Output1, Candidate: e.Output2})
		r.fromVerdict(v)
	case KindPreference:
		var p Preference
		p, err = pref.Prefer(ctx, PreferInput{Prompt: e.Input, Output1: e.Output1, Output2: e.Output2})
		r.Judged, r.Judge, r.Heuristic, r.Inconsistent = noPreference, p.Judge, p.Heuristic, p.Inconsistent
		if p.Choice != 0 {
			r.Judged = strconv.Itoa(p.Choice)
		}
		r.usage, r.cost = p.Usage, p.CostUSD
	}
	if err != nil {
		r = Result{Index: i, ID: e.ID, Kind: r.Kind, Human: r.Human, Error: err.Error()}
		var je *Error
		if errors.As(err, &je) {
			for _, a := range je.Attempts {
				r.failed = append(r.failed, a.Judge)
			}
		}
	}
	return r
}

func (r *Result) fromVerdict(v Verdict) {
	r.Judged = passLabel(v.Pass)
	r.Judge, r.Heuristic, r.Score, r.Inconsistent = v.Judge, v.Heuristic, v.Score, v.Inconsistent
	r.usage, r.cost = v.Usage, v.CostUSD
}

func summarise(results []Result, canaries []canaryOutcome) Report {
	rep := Report{Examples: len(results), Results: results, Total: Stats{Judge: "all"}}
	byJudge := map[string]*Stats{}
	row := func(name string) *Stats {
		s, ok := byJudge[name]
		if !ok {
			s = &Stats{Judge: name, Heuristic: name == HeuristicName}
			byJudge[name] = s
		}
		return s
	}
	for _, r := range results {
		if r.Error != "" {
			rep.Total.Errors++
			for _, name := range r.failed {
				row(name).Errors++
			}
			continue
		}
		rep.Total.Heuristic = rep.Total.Heuristic || r.Heuristic
		for _, s := range []*Stats{row(r.Judge), &rep.Total} {
			s.add(r)
		}
	}
	for _, c := range canaries {
		if !c.judged {
			continue
		}
		for _, s := range []*Stats{row(c.judge), &rep.Total} {
			s.CanaryJudged++
			if c.passed {
				s.CanaryPassed++
			}
			s.Usage.InputTokens += c.usage.InputTokens
			s.Usage.OutputTokens += c.usage.OutputTokens
			s.CostUSD += c.cost
		}
	}
	for _, s := range byJudge {
		s.finish()
		rep.Judges = append(rep.Judges, *s)
	}
	sort.Slice(rep.Judges, func(a, b int) bool { return rep.Judges[a].Judge < rep.Judges[b].Judge })
	rep.Total.finish()
	return rep
}

func (s *Stats) add(r Result) {
	s.Judged++
	if r.Judged == r.Human {
		s.Correct++
	}
	if r.Kind != KindRubric {
		s.Pairs++
		if r.Inconsistent {
			s.Flips++
		}
	}
	s.Usage.InputTokens += r.usage.InputTokens
	s.Usage.OutputTokens += r.usage.OutputTokens
	s.CostUSD += r.cost
	s.human = append(s.human, r.Human)
	s.judged = append(s.judged, r.Judged)
}

func (s *Stats) finish() {
	if s.Judged > 0 {
		s.Accuracy = float64(s.Correct) / float64(s.Judged)
	}
	if s.Pairs > 0 {
		s.FlipRate = float64(s.Flips) / float64(s.Pairs)
	}
	if k, ok := CohenKappa(s.human, s.judged); ok {
		s.Kappa = &k
	}
	// A fixed seed: the same labels and verdicts give the same interval.
	rng := rand.New(rand.NewPCG(kappaSeed, kappaSeed))
	if ci, ok := stats.BootstrapKappa(s.human, s.judged, 0.95, 0, rng); ok && s.Judged >= MinIntervalLabels {
		s.KappaLow, s.KappaHigh = &ci.Lo, &ci.Hi
		s.MoreLabels = stats.MoreSamples(s.Judged, (ci.Hi-ci.Lo)/2, KappaTarget)
	}
}

// KappaTarget is the half-width of kappa's interval that calibration counts
// labels towards: ±0.1 tells a fair judge (0.4) from a good one (0.6).
const KappaTarget = 0.1

const kappaSeed = 0x6b61

// MinIntervalLabels is the fewest labels kappa gets an interval from: a
// bootstrap of a handful of items mostly redraws the same few and claims a
// certainty it does not have.
const MinIntervalLabels = 10

// CohenKappa is Cohen's kappa between two raters who labelled the same items
// (a[i] and b[i] label item i); see stats.CohenKappa, its one home.
func CohenKappa(a, b []string) (kappa float64, ok bool) { return stats.CohenKappa(a, b) }
