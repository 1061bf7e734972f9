package eval

import (
	"fmt"
	"slices"

	"github.com/llmfall/llmfall/internal/stats"
)

// Repeat is one test on one link run k times (--repeat k): how many of its
// runs passed, pass@k (at least one run passes) and pass^k (every run
// passes). A test that passes sometimes is flaky, which a pass rate
// averages away.
type Repeat struct {
	Prompt   string `json:"prompt"`
	Test     string `json:"test"`
	Position int    `json:"position"`
	Provider string `json:"provider"`
	Model    string `json:"model"`
	// Runs counts the graded runs (errored runs have no grade), Passed
	// those that passed.
	Runs   int `json:"runs"`
	Passed int `json:"passed"`
	// PassAtK and PassAllK are pass@k and pass^k with k = Runs.
	PassAtK  float64 `json:"pass_at_k"`
	PassAllK float64 `json:"pass_all_k"`
}

// Flaky reports whether some runs passed and some failed.
func (r Repeat) Flaky() bool { return r.Passed > 0 && r.Passed < r.Runs }

// Link is "provider/model".
func (r Repeat) Link() string { return r.Provider + "/" + r.Model }

// Repeats groups results by test × link, in order of first appearance; nil
// when no case ran more than once.
func Repeats(results []Result) []Repeat {
	var t repeatTally
	for i := range results {
		t.add(&results[i])
	}
	return t.repeats()
}

// repeatTally counts repeats as results arrive, so that a run that keeps
// only some of its results in memory still reports every test's runs.
type repeatTally struct {
	out     []Repeat
	index   map[repeatKey]int
	several bool
}

type repeatKey struct {
	prompt, test, provider, model string
	position                      int
}

func (t *repeatTally) add(r *Result) {
	if t.index == nil {
		t.index = map[repeatKey]int{}
	}
	k := repeatKey{r.Prompt, r.Test, r.Provider, r.Model, r.Position}
	i, ok := t.index[k]
	if !ok {
		i = len(t.out)
		t.index[k] = i
		t.out = append(t.out, Repeat{Prompt: r.Prompt, Test: r.Test, Position: r.Position, Provider: r.Provider, Model: r.Model})
	} else {
		t.several = true
	}
	if r.Errored() {
		return
	}
	t.out[i].Runs++
	if r.Pass {
		t.out[i].Passed++
	}
}

func (t *repeatTally) repeats() []Repeat {
	if !t.several {
		return nil
	}
	out := slices.Clone(t.out)
	for i := range out {
		if n := out[i].Runs; n > 0 {
			out[i].PassAtK = stats.PassAtK(n, out[i].Passed, n)
			out[i].PassAllK = stats.PassHatK(n, out[i].Passed, n)
		}
	}
	return out
}

// TestMinimum is a test's pass@k and pass^k minimums.
type TestMinimum struct {
	PassAtK, PassAllK *float64
}

// TestMinimums collects the min_pass_at_k and min_pass_all_k of the tests
// that set them, by prompt and test name.
func TestMinimums(s *Suite) map[[2]string]TestMinimum {
	m := map[[2]string]TestMinimum{}
	for _, p := range s.Prompts {
		for _, t := range p.Tests {
			if t.MinPassAtK != nil || t.MinPassAllK != nil {
				m[[2]string{p.Name, t.Name}] = TestMinimum{PassAtK: t.MinPassAtK, PassAllK: t.MinPassAllK}
			}
		}
	}
	return m
}

// repeatViolations are the tests × links below their pass@k or pass^k
// minimum.
func repeatViolations(rs *Results, opts GateOptions) []Violation {
	if len(opts.TestMinimums) == 0 {
		return nil
	}
	var out []Violation
	for _, r := range Repeats(rs.Results) {
		m, ok := opts.TestMinimums[[2]string{r.Prompt, r.Test}]
		if !ok || r.Runs == 0 {
			continue
		}
		where := fmt.Sprintf("%s / %s @ %s (link %d)", r.Prompt, r.Test, r.Link(), r.Position)
		v := Violation{Prompt: r.Prompt, Position: r.Position, Provider: r.Provider, Model: r.Model}
		if m.PassAtK != nil && r.PassAtK < *m.PassAtK-epsilon {
			v.Rule, v.Got, v.Want = "min_pass_at_k", r.PassAtK, *m.PassAtK
			v.Message = fmt.Sprintf("%s: pass@%d is %s (%d of %d runs passed), below min_pass_at_k %s", where, r.Runs, Percent(r.PassAtK), r.Passed, r.Runs, Percent(*m.PassAtK))
			out = append(out, v)
		}
		if m.PassAllK != nil && r.PassAllK < *m.PassAllK-epsilon {
			v.Rule, v.Got, v.Want = "min_pass_all_k", r.PassAllK, *m.PassAllK
			v.Message = fmt.Sprintf("%s: pass^%d is %s (%d of %d runs passed: flaky), below min_pass_all_k %s", where, r.Runs, Percent(r.PassAllK), r.Passed, r.Runs, Percent(*m.PassAllK))
			out = append(out, v)
		}
	}
	return out
}
