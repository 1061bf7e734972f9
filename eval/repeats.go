package eval

import (
	"fmt"

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
	seen    []int // results of out[i], errored ones too
	index   map[repeatKey]int
	several bool
	// off stops counting: a run whose plan repeats no case has no repeats
	// to report, and an entry per case would cost 200 bytes each.
	off bool
}

type repeatKey struct {
	prompt, test, provider, model string
	position                      int
}

// entry is the index in out of k's test × link, made in order of first
// call: a run calls it in plan order first (register), so that the order
// does not depend on which case finished first.
func (t *repeatTally) entry(k repeatKey) int {
	if t.index == nil {
		t.index = map[repeatKey]int{}
	}
	i, ok := t.index[k]
	if !ok {
		i = len(t.out)
		t.index[k] = i
		t.out = append(t.out, Repeat{Prompt: k.prompt, Test: k.test, Position: k.position, Provider: k.provider, Model: k.model})
		t.seen = append(t.seen, 0)
	}
	return i
}

func (t *repeatTally) register(k repeatKey) { t.entry(k) }

func (t *repeatTally) add(r *Result) {
	if t.off {
		return
	}
	i := t.entry(repeatKey{r.Prompt, r.Test, r.Provider, r.Model, r.Position})
	t.seen[i]++
	t.several = t.several || t.seen[i] > 1
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
	out := make([]Repeat, 0, len(t.out))
	for i, r := range t.out {
		if t.seen[i] == 0 {
			continue // registered, but the run was interrupted before it
		}
		if n := r.Runs; n > 0 {
			r.PassAtK = stats.PassAtK(n, r.Passed, n)
			r.PassAllK = stats.PassHatK(n, r.Passed, n)
		}
		out = append(out, r)
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
// minimum. Like the rest of the gate it reads the summary, which counts
// every result even when the run kept only some (RunOptions.Retain).
func repeatViolations(rs *Results, opts GateOptions) []Violation {
	if len(opts.TestMinimums) == 0 {
		return nil
	}
	var out []Violation
	for _, r := range rs.Summary.Repeats {
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
