package eval

import (
	"fmt"
	"regexp"
	"slices"

	"github.com/llmfall/llmfall/provider"
)

// DefaultDepth is how many links of each chain are evaluated when
// PlanOptions.Depth is 0: the primary and its first fallback.
const DefaultDepth = 2

// PlanOptions choose what to run. The zero value plans every test once on
// the first DefaultDepth links of each chain.
type PlanOptions struct {
	// Chain returns a category's chain; the command fills it from the
	// fallback engine. Required.
	Chain func(category string) ([]provider.Target, error)
	// Depth is how many links from the start of each chain to evaluate;
	// 0 means DefaultDepth.
	Depth int
	// Providers, when set, picks the links of these providers (at whatever
	// position they hold) instead of the first Depth links.
	Providers []string
	// Repeat runs every case this many times; 0 means once.
	Repeat int
	// Filter keeps the cases whose "prompt/test" matches; nil keeps all.
	Filter *regexp.Regexp
	// Inputs describe the configuration for the cases' fingerprints.
	Inputs Inputs
	// Base, when not nil, holds the fingerprints of the cases at the base
	// revision (--changed-since). A case whose fingerprint is the same
	// there is left out, unless Baseline is set.
	Base map[CaseKey]Fingerprint
	// Baseline supplies the result of every case whose fingerprint it
	// carries, so that the report and the gate still cover the whole
	// suite; a case it has no result of that fingerprint for runs.
	Baseline *Results
	// Shard, when set, keeps the cases of one shard (see Shard).
	Shard Shard
}

// Plan is the list of calls to make: prompt × test × link × repeat, in an
// order that interleaves providers and puts each case's primary link first.
type Plan struct {
	Cases []*Case
	// Prompts are the planned prompts, for reports.
	Prompts []*Prompt
	// Carried are baseline results reused for cases whose fingerprint
	// they carry.
	Carried []Result
	// Unchanged counts the cases left out because their fingerprint is
	// the same at the base revision.
	Unchanged int
	// Groups is how many (prompt, test, repeat) groups the cases form.
	Groups int
	// Suite identifies the suite and configuration planned, over all
	// shards (see suiteHasher); Planned counts the cases of every shard,
	// Shard is the shard this plan runs.
	Suite   string
	Planned int
	Shard   Shard

	all []*Case // every case planned, run or not
}

// Case is one generation: a test on one link of its prompt's chain.
type Case struct {
	Prompt   *Prompt
	Test     *Test
	Target   provider.Target
	Position int // the target's index in its chain
	Repeat   int
	// Group numbers the cases of one (prompt, test, repeat); Primary marks
	// the first planned link of a group, which consistent assertions
	// compare the others with.
	Group   int
	Primary bool
	// Fingerprint covers every input that decides the case's outcome;
	// Reason says why the case runs.
	Fingerprint Fingerprint
	Reason      string
}

// Name is "prompt/test", what Filter matches.
func (c *Case) Name() string { return c.Prompt.Name + "/" + c.Test.Name }

// NewPlan plans suite under opts.
func NewPlan(suite *Suite, opts PlanOptions) (*Plan, error) {
	if opts.Chain == nil {
		return nil, fmt.Errorf("planning: no chain function")
	}
	depth := opts.Depth
	if depth <= 0 {
		depth = DefaultDepth
	}
	repeat := max(opts.Repeat, 1)
	plan := &Plan{Shard: opts.Shard}
	usedProviders := map[string]bool{}
	for _, p := range suite.Prompts {
		chain, err := opts.Chain(p.Category)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: chain of category %q: %w", p.File, p.Line, p.Category, err)
		}
		links := pickLinks(chain, depth, opts.Providers)
		for _, l := range links {
			usedProviders[chain[l].Provider] = true
		}
		for _, t := range p.Tests {
			for r := range repeat {
				var group []*Case
				for _, pos := range links {
					c := &Case{Prompt: p, Test: t, Target: chain[pos], Position: pos, Repeat: r, Group: plan.Groups, Primary: len(group) == 0}
					if opts.Filter != nil && !opts.Filter.MatchString(c.Name()) {
						continue
					}
					group = append(group, c)
				}
				if len(group) > 0 {
					plan.Groups++
					plan.all = append(plan.all, group...)
				}
			}
		}
	}
	for _, name := range opts.Providers {
		if !usedProviders[name] {
			return nil, fmt.Errorf("provider %q is in none of the planned chains", name)
		}
	}
	plan.decide(opts)
	return plan, nil
}

// caseState is what the plan does with a case.
type caseState int

const (
	stateRun caseState = iota
	stateCarry
	stateUnchanged
)

// decide fingerprints every case and chooses, for each, to run it, to
// reuse its baseline result, or to leave it out as unchanged since the
// base.
func (plan *Plan) decide(opts PlanOptions) {
	baseline := map[CaseKey]Result{}
	if opts.Baseline != nil {
		for _, r := range opts.Baseline.Results {
			if _, dup := baseline[r.Key()]; !dup {
				baseline[r.Key()] = r
			}
		}
	}
	fp := newFingerprinter(opts.Inputs)
	suite := newSuiteHasher()
	var primary *Case
	for _, c := range plan.all {
		if c.Primary {
			primary = c
		}
		other := primary
		if c.Primary {
			other = nil
		}
		c.Fingerprint = fp.fingerprint(c, other)
		suite.add(c)
	}
	plan.Suite, plan.Planned = suite.sum(), len(plan.all)
	if !opts.Shard.whole() {
		plan.all = slices.DeleteFunc(plan.all, func(c *Case) bool { return !opts.Shard.Holds(c.Prompt.Name, c.Test.Name) })
	}
	states := make([]caseState, len(plan.all))
	for i, c := range plan.all {
		states[i], c.Reason = decideCase(c, opts, baseline)
	}
	// A consistent assertion compares a link's answer with its primary's:
	// when such a link runs, its primary must run too, or there is nothing
	// to compare with.
	for i, c := range plan.all {
		if states[i] != stateRun || c.Primary || !hasConsistent(c.Test) {
			continue
		}
		for j := i - 1; j >= 0 && plan.all[j].Group == c.Group; j-- {
			if plan.all[j].Primary && states[j] != stateRun {
				states[j] = stateRun
				plan.all[j].Reason = "primary of a consistent check that runs"
			}
		}
	}
	prompts := map[*Prompt]bool{}
	for i, c := range plan.all {
		switch states[i] {
		case stateRun:
			plan.Cases = append(plan.Cases, c)
			if !prompts[c.Prompt] {
				prompts[c.Prompt] = true
				plan.Prompts = append(plan.Prompts, c.Prompt)
			}
		case stateCarry:
			r := baseline[c.Key()]
			r.Carried, r.Reason = true, "unchanged since the baseline"
			r.File, r.Line = c.Test.File, c.Test.Line
			r.Order = plan.mergeOrder(c, true)
			plan.Carried = append(plan.Carried, r)
		case stateUnchanged:
			plan.Unchanged++
		}
	}
}

// mergeOrder is Result.Order for a result of c: its group's place in the
// unsharded plan (whose groups are in plan order, each group's links in
// chain order, and shards keep groups whole), after every group for a
// carried result, since a run lists the results it carried after those it
// ran. 0, none, unless the plan is a shard.
func (plan *Plan) mergeOrder(c *Case, carried bool) int {
	switch {
	case plan.Shard.whole():
		return 0
	case carried:
		return plan.Groups + c.Group + 1
	}
	return c.Group + 1
}

// decideCase is the state of one case and the reason it runs.
func decideCase(c *Case, opts PlanOptions, baseline map[CaseKey]Result) (caseState, string) {
	fp := c.Fingerprint
	b, inBaseline := baseline[c.Key()]
	var sum string // in hex, as the baseline has it
	if inBaseline {
		sum = fp.Sum.String()
	}
	if inBaseline && b.Fingerprint == sum && !b.Errored() {
		return stateCarry, ""
	}
	if opts.Base != nil {
		base, ok := opts.Base[c.Key()]
		switch {
		case !ok:
			return stateRun, "new case"
		case base.Sum != fp.Sum:
			return stateRun, changes(base, fp)
		case opts.Baseline == nil:
			return stateUnchanged, ""
		}
	}
	switch {
	case opts.Baseline == nil:
		return stateRun, "no baseline"
	case !inBaseline:
		return stateRun, "not in the baseline"
	case b.Fingerprint == "":
		return stateRun, "baseline result has no fingerprint"
	case b.Fingerprint == sum:
		return stateRun, "errored in the baseline"
	}
	return stateRun, changes(Fingerprint{Sum: parseDigest(b.Fingerprint), Parts: partsOf(b.Inputs)}, fp)
}

func hasConsistent(t *Test) bool {
	for _, a := range t.Asserts {
		if a.Type == TypeConsistent {
			return true
		}
	}
	return false
}

// Fingerprints are the fingerprints of every case planned, run or not: a
// base revision's plan gives them to the head's (PlanOptions.Base).
func (plan *Plan) Fingerprints() map[CaseKey]Fingerprint {
	out := make(map[CaseKey]Fingerprint, len(plan.all))
	for _, c := range plan.all {
		out[c.Key()] = c.Fingerprint
	}
	return out
}

// pickLinks returns the chain positions to evaluate.
func pickLinks(chain []provider.Target, depth int, providers []string) []int {
	var out []int
	for i, t := range chain {
		if len(providers) > 0 {
			if slices.Contains(providers, t.Provider) {
				out = append(out, i)
			}
			continue
		}
		if i < depth {
			out = append(out, i)
		}
	}
	return out
}
