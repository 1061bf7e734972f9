package eval

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/llmfall/llmfall/judge"
)

// DefaultCanaries is how many known-bad answers each rubric gets when the
// configuration says nothing: one wrong answer and one wrong answer that
// tries to talk the judge into a pass.
const DefaultCanaries = 2

// Canary policies: what a judge that passes a canary does to the gate.
const (
	CanaryFail = "fail"
	CanaryWarn = "warn"
)

// DefaultCanaryPolicy fails the gate: a judge that passes a known-bad answer
// has graded nothing else of the run either.
const DefaultCanaryPolicy = CanaryFail

// Canary kinds, as judge.Canaries makes them.
const (
	CanaryWrong     = judge.CanaryWrong
	CanaryInjection = judge.CanaryInjection
)

// CanarySummary is how the judge did on the run's negative controls: known-bad
// answers, judged exactly like the real ones and never counted as cases.
type CanarySummary struct {
	Policy string `json:"policy"`
	Judged int    `json:"judged"`
	Errors int    `json:"errors"`
	// Compromised are the judges that passed a canary, sorted; Failures
	// the canaries they passed.
	Compromised []string       `json:"compromised"`
	Failures    []CanaryResult `json:"failures"`
	CostUSD     float64        `json:"cost_usd"`
}

// CanaryResult is a canary a judge passed.
type CanaryResult struct {
	Prompt string `json:"prompt"`
	// Rubric is where the rubric is defined (file:line).
	Rubric string `json:"rubric"`
	Kind   string `json:"kind"`
	// Candidate is the provider the canary was judged as coming from.
	Candidate string  `json:"candidate"`
	Judge     string  `json:"judge"`
	Score     float64 `json:"score"`
	Reasoning string  `json:"reasoning"`
}

// canary is one known-bad answer to one rubric.
type canary struct {
	prompt string
	a      *Assertion
	kind   string
	in     judge.RubricInput
}

// canaries picks n known-bad answers for every distinct rubric of the plan.
// They take turns at the providers whose outputs the rubric grades, so that
// with n ≥ the chain depth every judge that grades real answers also grades
// a canary.
func canaries(plan *Plan, n int) []canary {
	if n <= 0 {
		return nil
	}
	type rubric struct {
		prompt, text, ref string
	}
	type seen struct {
		first     *Case
		a         *Assertion
		providers []string
	}
	var order []rubric
	byRubric := map[rubric]*seen{}
	for _, c := range plan.Cases {
		for _, a := range c.Test.Asserts {
			if a.Type != TypeJudge || a.Negate {
				continue
			}
			k := rubric{c.Prompt.Name, a.Rubric, a.Reference}
			s, ok := byRubric[k]
			if !ok {
				s = &seen{first: c, a: a}
				byRubric[k] = s
				order = append(order, k)
			}
			if !slices.Contains(s.providers, c.Target.Provider) {
				s.providers = append(s.providers, c.Target.Provider)
			}
		}
	}
	var out []canary
	for _, k := range order {
		s := byRubric[k]
		for i, c := range judge.Canaries(n) {
			out = append(out, canary{prompt: k.prompt, a: s.a, kind: c.Kind, in: judge.RubricInput{
				Prompt: s.first.Test.Rendered(), Output: c.Output, Rubric: s.a.Rubric, Reference: s.a.Reference,
				CandidateProvider: s.providers[i%len(s.providers)], Threshold: s.a.Threshold,
			}})
		}
	}
	return out
}

// runCanaries judges the canaries as the real answers are judged: through
// the cache, the judge's limits and retries.
func (r *runner) runCanaries(ctx context.Context, list []canary) *CanarySummary {
	if len(list) == 0 {
		return nil
	}
	s := &CanarySummary{Policy: r.opts.CanaryPolicy, Compromised: []string{}, Failures: []CanaryResult{}}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, c := range list {
		wg.Go(func() {
			v, cost, err := r.canaryVerdict(ctx, c.in)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if ctx.Err() == nil {
					s.Errors++
				}
				return
			}
			s.Judged++
			s.CostUSD += cost
			for _, p := range passedBy(v) {
				s.Failures = append(s.Failures, CanaryResult{Prompt: c.prompt, Rubric: fmt.Sprintf("%s:%d", c.a.File, c.a.Line),
					Kind: c.kind, Candidate: c.in.CandidateProvider, Judge: p.Judge, Score: p.Score, Reasoning: p.Reasoning})
				if !slices.Contains(s.Compromised, p.Judge) {
					s.Compromised = append(s.Compromised, p.Judge)
				}
			}
		})
	}
	wg.Wait()
	slices.Sort(s.Compromised)
	slices.SortFunc(s.Failures, func(a, b CanaryResult) int {
		return strings.Compare(a.Prompt+a.Rubric+a.Kind+a.Judge, b.Prompt+b.Rubric+b.Kind+b.Judge)
	})
	return s
}

// canaryVerdict is verdict without the tally: a canary is not a case.
func (r *runner) canaryVerdict(ctx context.Context, in judge.RubricInput) (judge.Verdict, float64, error) {
	key := cacheKey("rubric", r.opts.JudgeID, in)
	var v judge.Verdict
	if r.opts.Cache.get(key, &v) {
		return v, 0, nil
	}
	err := r.withRetries(ctx, r.judgeLim, callJudge, func(ctx context.Context) error {
		var err error
		v, err = r.opts.Judge.Rubric(ctx, in)
		return err
	})
	if err != nil {
		return v, 0, err
	}
	if v.Missing() == 0 { // as verdict: a partial panel is asked again next run
		_ = r.opts.Cache.put(key, v)
	}
	return v, v.CostUSD, nil
}

// passedBy are the verdicts within v that passed: each panel vote that did,
// or v itself from a single judge.
func passedBy(v judge.Verdict) []judge.Verdict {
	if len(v.Votes) == 0 {
		if v.Pass && !v.Inconsistent {
			return []judge.Verdict{v}
		}
		return nil
	}
	var out []judge.Verdict
	for _, vote := range v.Votes {
		if vote.Error == "" && vote.Pass && !vote.Inconsistent {
			out = append(out, vote.Verdict)
		}
	}
	return out
}

// String is the canaries' line in the reports.
func (s *CanarySummary) String() string {
	if len(s.Compromised) == 0 {
		line := fmt.Sprintf("canaries: the judge failed all %d known-bad answers", s.Judged)
		if s.Errors > 0 {
			line += fmt.Sprintf(" (%d could not be judged)", s.Errors)
		}
		return line
	}
	consequence := "the gate fails (judge.canary_policy: fail)"
	if s.Policy != CanaryFail {
		consequence = "warning only (judge.canary_policy: warn)"
	}
	return fmt.Sprintf("canaries: COMPROMISED judge %s passed %d of %d known-bad answers; its verdicts cannot be trusted; %s",
		strings.Join(s.Compromised, ", "), len(s.Failures), s.Judged, consequence)
}

// canaryViolations fail the gate for every compromised judge when the policy
// says so.
func canaryViolations(rs *Results, opts GateOptions) []Violation {
	j := rs.Summary.Judge
	if j == nil || j.Canaries == nil || opts.CanaryPolicy != CanaryFail {
		return nil
	}
	var out []Violation
	for _, name := range j.Canaries.Compromised {
		var first CanaryResult
		n := 0
		for _, f := range j.Canaries.Failures {
			if f.Judge == name {
				if n == 0 {
					first = f
				}
				n++
			}
		}
		out = append(out, Violation{Prompt: first.Prompt, Rule: "canary", Message: fmt.Sprintf(
			"judge %s passed %d known-bad canary answers (e.g. the %s answer to the rubric at %s, score %.2f): its verdicts cannot be trusted",
			name, n, first.Kind, first.Rubric, first.Score)})
	}
	return out
}
