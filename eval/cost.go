package eval

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/llmfall/llmfall/internal/untrusted"
	"github.com/llmfall/llmfall/provider"
)

// Price is what a model costs: provider.Price, the one price type.
type Price = provider.Price

// DefaultPrices are list prices of well-known models, used when the
// configuration has no price of its own for a model. Dated snapshots match
// by prefix ("gpt-4.1-mini-2025-04-14" costs what "gpt-4.1-mini" does).
var DefaultPrices = map[string]Price{
	"gpt-4.1":               {Input: 2.00, Output: 8.00},
	"gpt-4.1-mini":          {Input: 0.40, Output: 1.60},
	"gpt-4.1-nano":          {Input: 0.10, Output: 0.40},
	"gpt-4o":                {Input: 2.50, Output: 10.00},
	"gpt-4o-mini":           {Input: 0.15, Output: 0.60},
	"gpt-5":                 {Input: 1.25, Output: 10.00},
	"gpt-5-mini":            {Input: 0.25, Output: 2.00},
	"gpt-5-nano":            {Input: 0.05, Output: 0.40},
	"o3-mini":               {Input: 1.10, Output: 4.40},
	"o4-mini":               {Input: 1.10, Output: 4.40},
	"claude-3-haiku":        {Input: 0.25, Output: 1.25},
	"claude-3-5-haiku":      {Input: 0.80, Output: 4.00},
	"claude-haiku-4-5":      {Input: 1.00, Output: 5.00},
	"claude-3-5-sonnet":     {Input: 3.00, Output: 15.00},
	"claude-3-7-sonnet":     {Input: 3.00, Output: 15.00},
	"claude-sonnet-4":       {Input: 3.00, Output: 15.00},
	"claude-sonnet-4-5":     {Input: 3.00, Output: 15.00},
	"claude-opus-4":         {Input: 15.00, Output: 75.00},
	"claude-opus-4-1":       {Input: 15.00, Output: 75.00},
	"gemini-2.0-flash":      {Input: 0.10, Output: 0.40},
	"gemini-2.5-flash":      {Input: 0.30, Output: 2.50},
	"gemini-2.5-flash-lite": {Input: 0.10, Output: 0.40},
	"gemini-2.5-pro":        {Input: 1.25, Output: 10.00},
}

// Prices is a price table by model name.
type Prices map[string]Price

// WithDefaults returns the table with DefaultPrices under it: a configured
// price wins.
func (p Prices) WithDefaults() Prices {
	out := maps.Clone(Prices(DefaultPrices))
	maps.Copy(out, p)
	return out
}

// Lookup finds the price of model: an exact entry, else the longest entry
// the model name starts with.
func (p Prices) Lookup(model string) (Price, bool) {
	if pr, ok := p[model]; ok {
		return pr, true
	}
	best := ""
	for name := range p {
		if strings.HasPrefix(model, name) && len(name) > len(best) {
			best = name
		}
	}
	if best == "" {
		return Price{}, false
	}
	return p[best], true
}

// Cost prices usage on model; false when the model has no price.
func (p Prices) Cost(model string, u provider.Usage) (float64, bool) {
	pr, ok := p.Lookup(model)
	if !ok {
		return 0, false
	}
	return pr.Cost(u), true
}

// Estimate is what a plan will cost, before it runs (--dry-run).
type Estimate struct {
	Cases      int
	Calls      map[string]int // generations per provider
	JudgeCalls int
	// Tokens are rough: four characters a token for prompts, max_tokens
	// (or DefaultOutputTokens) for answers.
	InputTokens  int
	OutputTokens int
	CostUSD      float64
	// Unpriced lists the models with no price; their calls cost 0 here.
	Unpriced []string
}

// DefaultOutputTokens is the answer length an estimate assumes for a prompt
// without max_tokens.
const DefaultOutputTokens = 300

// judgeOverheadTokens is a judge prompt's instructions around what it grades.
const judgeOverheadTokens = 250

// Estimate counts the plan's calls and prices them; judgeModel prices the
// judge's calls ("" leaves them unpriced).
func (p *Plan) Estimate(prices Prices, judgeModel string) Estimate {
	e := Estimate{Cases: len(p.Cases), Calls: map[string]int{}}
	unpriced := map[string]bool{}
	add := func(model string, in, out int) {
		e.InputTokens += in
		e.OutputTokens += out
		if c, ok := prices.Cost(model, provider.Usage{InputTokens: in, OutputTokens: out}); ok {
			e.CostUSD += c
		} else if model != "" {
			unpriced[model] = true
		}
	}
	for _, c := range p.Cases {
		e.Calls[c.Target.Provider]++
		in := tokens(c.Test.System) + tokens(c.Test.User)
		if c.Test.Messages != nil {
			in = tokens(c.Test.Rendered()) // the history too
		}
		out := c.Prompt.Params.MaxTokens
		if out == 0 {
			out = DefaultOutputTokens
		}
		add(c.Target.Model, in, out)
		for _, a := range c.Test.Asserts {
			if a.Type == TypeJudge || a.Type == TypeConsistent && !c.Primary {
				e.JudgeCalls++
				add(judgeModel, in+out*2+tokens(a.Rubric)+judgeOverheadTokens, 100)
			}
		}
	}
	e.Unpriced = slices.Sorted(maps.Keys(unpriced))
	return e
}

func tokens(s string) int { return (len(s) + 3) / 4 }

// WriteEstimate prints a dry run's plan and estimate.
func WriteEstimate(w io.Writer, p *Plan, e Estimate) {
	fmt.Fprintf(w, "plan: %d prompts, %d cases\n", len(p.Prompts), e.Cases)
	for _, name := range slices.Sorted(maps.Keys(e.Calls)) {
		fmt.Fprintf(w, "  %-12s %d calls\n", name, e.Calls[name])
	}
	fmt.Fprintf(w, "  %-12s %d calls\n", "judge", e.JudgeCalls)
	fmt.Fprintf(w, "estimated tokens: %d in, %d out\n", e.InputTokens, e.OutputTokens)
	fmt.Fprintf(w, "estimated cost: $%.4f\n", e.CostUSD)
	if len(e.Unpriced) > 0 {
		fmt.Fprintf(w, "no price for: %s (counted as $0; add them under pricing in llmfall.yaml)\n", strings.Join(e.Unpriced, ", "))
	}
	if len(p.Cases) > 0 {
		fmt.Fprintln(w, "cases, and why each runs:")
	}
	for _, c := range p.Cases {
		rep := ""
		if c.Repeat > 0 {
			rep = fmt.Sprintf(" #%d", c.Repeat+1)
		}
		// Names and models come from files a pull request may change.
		fmt.Fprintf(w, "  %s\n", untrusted.Terminal(fmt.Sprintf("%s @ %s (link %d)%s: %s", c.Name(), c.Target, c.Position, rep, c.Reason)))
	}
	if len(p.Carried) > 0 {
		fmt.Fprintf(w, "carried from the baseline: %d results (same fingerprint)\n", len(p.Carried))
	}
	if p.Unchanged > 0 {
		fmt.Fprintf(w, "unchanged since the base, not run: %d cases\n", p.Unchanged)
	}
}
