package eval

import (
	"fmt"
	"path/filepath"
	"regexp"
	"slices"

	"github.com/llmfall/llmfall/fallback"
)

// DefaultDepth is how many links of each chain are evaluated when
// PlanOptions.Depth is 0: the primary and its first fallback.
const DefaultDepth = 2

// PlanOptions choose what to run. The zero value plans every test once on
// the first DefaultDepth links of each chain.
type PlanOptions struct {
	// Chain returns a category's chain; the command fills it from the
	// fallback engine. Required.
	Chain func(category string) ([]fallback.Target, error)
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
	// Changed, when not nil, keeps only prompts whose file or case files
	// are in it (absolute, symlink-free paths, as ChangedFiles returns).
	Changed map[string]bool
	// Baseline supplies the results of prompts that Changed leaves out, so
	// that the report and the gate still cover the whole suite.
	Baseline *Results
}

// Plan is the list of calls to make: prompt × test × link × repeat, in an
// order that interleaves providers and puts each case's primary link first.
type Plan struct {
	Cases []*Case
	// Prompts are the planned prompts, for reports.
	Prompts []*Prompt
	// Carried are baseline results for prompts left out by Changed.
	Carried []Result
	// Groups is how many (prompt, test, repeat) groups the cases form.
	Groups int
}

// Case is one generation: a test on one link of its prompt's chain.
type Case struct {
	Prompt   *Prompt
	Test     *Test
	Target   fallback.Target
	Position int // the target's index in its chain
	Repeat   int
	// Group numbers the cases of one (prompt, test, repeat); Primary marks
	// the first planned link of a group, which consistent assertions
	// compare the others with.
	Group   int
	Primary bool
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
	plan := &Plan{}
	left := map[string]bool{}
	usedProviders := map[string]bool{}
	for _, p := range suite.Prompts {
		if opts.Changed != nil && !changed(p, opts.Changed) {
			left[p.Name] = true
			continue
		}
		chain, err := opts.Chain(p.Category)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: chain of category %q: %w", p.File, p.Line, p.Category, err)
		}
		links := pickLinks(chain, depth, opts.Providers)
		for _, l := range links {
			usedProviders[chain[l].Provider] = true
		}
		planned := false
		for _, t := range p.Tests {
			for r := range repeat {
				group := plan.Groups
				added := 0
				for _, pos := range links {
					c := &Case{Prompt: p, Test: t, Target: chain[pos], Position: pos, Repeat: r, Group: group, Primary: added == 0}
					if opts.Filter != nil && !opts.Filter.MatchString(c.Name()) {
						continue
					}
					plan.Cases = append(plan.Cases, c)
					added++
				}
				if added > 0 {
					plan.Groups++
					planned = true
				}
			}
		}
		if planned {
			plan.Prompts = append(plan.Prompts, p)
		}
	}
	for _, name := range opts.Providers {
		if !usedProviders[name] {
			return nil, fmt.Errorf("provider %q is in none of the planned chains", name)
		}
	}
	if opts.Baseline != nil {
		for _, r := range opts.Baseline.Results {
			if left[r.Prompt] {
				r.Carried = true
				plan.Carried = append(plan.Carried, r)
			}
		}
	}
	return plan, nil
}

// pickLinks returns the chain positions to evaluate.
func pickLinks(chain []fallback.Target, depth int, providers []string) []int {
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

func changed(p *Prompt, set map[string]bool) bool {
	for _, f := range append([]string{p.File}, p.CaseFiles...) {
		if set[canonical(f)] {
			return true
		}
	}
	return false
}

// canonical is an absolute path with symlinks resolved, so that paths from
// git and from the command line compare equal.
func canonical(path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		return path
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		return real
	}
	return abs
}
