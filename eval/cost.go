package eval

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/llmfall/llmfall/provider"
)

// Price is what a model costs in USD per million tokens.
type Price struct {
	Input  float64 `json:"input" yaml:"input"`
	Output float64 `json:"output" yaml:"output"`
}

// DefaultPrices are list prices of well-known models, used when the
// configuration has no price of its own for a model. Dated snapshots match
// by prefix ("gpt-4.1-mini-2025-04-14" costs what "gpt-4.1-mini" does).
var DefaultPrices = map[string]Price{
	"gpt-4.1":               {2.00, 8.00},
	"gpt-4.1-mini":          {0.40, 1.60},
	"gpt-4.1-nano":          {0.10, 0.40},
	"gpt-4o":                {2.50, 10.00},
	"gpt-4o-mini":           {0.15, 0.60},
	"gpt-5":                 {1.25, 10.00},
	"gpt-5-mini":            {0.25, 2.00},
	"gpt-5-nano":            {0.05, 0.40},
	"o3-mini":               {1.10, 4.40},
	"o4-mini":               {1.10, 4.40},
	"claude-3-haiku":        {0.25, 1.25},
	"claude-3-5-haiku":      {0.80, 4.00},
	"claude-haiku-4-5":      {1.00, 5.00},
	"claude-3-5-sonnet":     {3.00, 15.00},
	"claude-3-7-sonnet":     {3.00, 15.00},
	"claude-sonnet-4":       {3.00, 15.00},
	"claude-sonnet-4-5":     {3.00, 15.00},
	"claude-opus-4":         {15.00, 75.00},
	"claude-opus-4-1":       {15.00, 75.00},
	"gemini-2.0-flash":      {0.10, 0.40},
	"gemini-2.5-flash":      {0.30, 2.50},
	"gemini-2.5-flash-lite": {0.10, 0.40},
	"gemini-2.5-pro":        {1.25, 10.00},
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
	return (float64(u.InputTokens)*pr.Input + float64(u.OutputTokens)*pr.Output) / 1e6, true
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
		fmt.Fprintf(w, "  %s @ %s (link %d)%s: %s\n", c.Name(), c.Target, c.Position, rep, c.Reason)
	}
	if len(p.Carried) > 0 {
		fmt.Fprintf(w, "carried from the baseline: %d results (same fingerprint)\n", len(p.Carried))
	}
	if p.Unchanged > 0 {
		fmt.Fprintf(w, "unchanged since the base, not run: %d cases\n", p.Unchanged)
	}
}
