package eval

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/llmfall/llmfall/internal/untrusted"
	"github.com/llmfall/llmfall/judge"
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
	Cases int
	// Cached counts the cases whose answer the cache holds: no call, no
	// cost. CachedJudge counts the judge calls it answers.
	Cached      int
	CachedJudge int
	Calls       map[string]int // generations per provider, cached ones left out
	JudgeCalls  int
	// Tokens are exact for a provider that can say (the simulator), else
	// rough: four characters a token for prompts, max_tokens (or
	// DefaultOutputTokens) for answers.
	InputTokens  int
	OutputTokens int
	CostUSD      float64
	// CandidateCostUSD and JudgeCostUSD split CostUSD: the answers, and
	// the verdicts (every panel member's, and the canaries').
	CandidateCostUSD float64
	JudgeCostUSD     float64
	// CachedCostUSD is what the cached answers cost when they were made:
	// the run spends nothing on them, but its report counts them.
	CachedCostUSD float64
	// Unpriced lists the models with no price; their calls cost 0 here.
	Unpriced []string
}

// EstimateOptions say what an estimate knows beyond the plan.
type EstimateOptions struct {
	Prices Prices
	// JudgeModels price the judge's calls: one model per judge (several
	// for a panel); "" leaves a judge free (the offline heuristic judge),
	// and none is one such free judge.
	JudgeModels []string
	// Canaries is how many canaries each rubric gets (judge.canaries).
	Canaries int
	// Providers by name: one that is a provider.UsageEstimator is asked for
	// each answer's usage instead of guessing.
	Providers map[string]provider.Provider
	// Cache, Identity and JudgeID are the run's (RunOptions): answers and
	// verdicts the cache holds are counted as cached, not as calls.
	Cache    *Cache
	Identity func(providerName string) string
	JudgeID  string
}

// DefaultOutputTokens is the answer length an estimate assumes for a prompt
// without max_tokens.
const DefaultOutputTokens = 300

// judgeOverheadTokens is a judge prompt's instructions around what it grades.
const judgeOverheadTokens = 250

// judgeAnswerTokens is a judge's verdict: a few sentences of reasoning in
// JSON.
const judgeAnswerTokens = 100

// Estimate counts the plan's calls and prices them: the answers and the
// verdicts apart, every panel member's and the canaries' included, and
// what the cache answers left out.
func (p *Plan) Estimate(opts EstimateOptions) Estimate {
	e := Estimate{Cases: len(p.Cases), Calls: map[string]int{}}
	unpriced := map[string]bool{}
	cost := func(model string, in, out int) float64 {
		e.InputTokens += in
		e.OutputTokens += out
		c, ok := opts.Prices.Cost(model, provider.Usage{InputTokens: in, OutputTokens: out})
		if !ok && model != "" {
			unpriced[model] = true
		}
		return c
	}
	add := func(model string, in, out int) { e.CandidateCostUSD += cost(model, in, out) }
	judges := opts.JudgeModels
	if len(judges) == 0 {
		judges = []string{""}
	}
	// calls counts the questions behind one verdict of every judge: a
	// model asks a pairwise one in both orders; the heuristic ("") asks
	// nothing, and counts as one call per verdict.
	calls := func(pairwise bool) int {
		n := 0
		for _, m := range judges {
			n++
			if pairwise && m != "" {
				n++
			}
		}
		return n
	}
	// judged prices one verdict of every judge, of in tokens a question.
	judged := func(pairwise bool, in int) {
		for _, m := range judges {
			asks := 1
			if pairwise && m != "" {
				asks = 2
			}
			e.JudgeCalls += asks
			e.JudgeCostUSD += float64(asks) * cost(m, in, judgeAnswerTokens)
		}
	}
	for _, c := range canaries(p, opts.Canaries) {
		if opts.Cache != nil {
			var v judge.Verdict
			if opts.Cache.get(cacheKey("rubric", opts.JudgeID, c.in), &v) {
				e.CachedJudge += calls(false)
				continue
			}
		}
		judged(false, tokens(c.in.Prompt)+tokens(c.in.Output)+tokens(c.in.Rubric)+tokens(c.in.Reference)+judgeOverheadTokens)
	}
	// The primaries' cached answers, which consistent verdicts compare with.
	primaries := map[int]primaryAnswer{}
	answers := make([]*cachedAnswer, len(p.Cases))
	for i, c := range p.Cases {
		answers[i] = opts.cached(c)
		if c.Primary {
			primaries[c.Group] = primaryAnswer{answers[i], c.Target.Provider}
		}
	}
	for i, c := range p.Cases {
		req := c.Test.Request(c.Prompt, c.Target.Model)
		var in, out int
		switch est, ok := opts.Providers[c.Target.Provider].(provider.UsageEstimator); {
		case answers[i] != nil:
			e.Cached++
			in, out = answers[i].Usage.InputTokens, answers[i].Usage.OutputTokens
			c, _ := opts.Prices.Cost(c.Target.Model, answers[i].Usage)
			e.CachedCostUSD += c
		case ok:
			u := est.EstimateUsage(req)
			in, out = u.InputTokens, u.OutputTokens
		default:
			in, out = tokens(c.Test.System)+tokens(c.Test.User), c.Prompt.Params.MaxTokens
			if c.Test.Messages != nil {
				in = tokens(c.Test.Rendered()) // the history too
			}
			if out == 0 {
				out = DefaultOutputTokens
			}
		}
		if answers[i] == nil {
			e.Calls[c.Target.Provider]++
			add(c.Target.Model, in, out)
		}
		for _, a := range c.Test.Asserts {
			if a.Type != TypeJudge && (a.Type != TypeConsistent || c.Primary) {
				continue
			}
			// A rubric verdict is one question about the prompt and the
			// answer; a consistent one asks about the prompt and both
			// answers, once in each order.
			pairwise := a.Type == TypeConsistent
			size := in + out + tokens(a.Rubric) + tokens(a.Reference) + judgeOverheadTokens
			if pairwise {
				size = in + out*2 + judgeOverheadTokens
			}
			if opts.verdictCached(c, a, answers[i], primaries[c.Group]) {
				e.CachedJudge += calls(pairwise) // one cached verdict answers the whole panel
				continue
			}
			judged(pairwise, size)
		}
	}
	e.Unpriced = slices.Sorted(maps.Keys(unpriced))
	e.CostUSD = e.CandidateCostUSD + e.JudgeCostUSD
	return e
}

type primaryAnswer struct {
	answer   *cachedAnswer
	provider string
}

// cached is the cache's answer for c, nil when it has none.
func (o EstimateOptions) cached(c *Case) *cachedAnswer {
	if o.Cache == nil {
		return nil
	}
	id := c.Target.Provider
	if o.Identity != nil {
		id = o.Identity(id)
	}
	var a cachedAnswer
	if !o.Cache.get(generationKey(id, c.Test.Request(c.Prompt, c.Target.Model), c.Repeat), &a) {
		return nil
	}
	return &a
}

// verdictCached reports whether the cache holds a's verdict on c's cached
// answer (and, for consistent, on the primary's cached answer).
func (o EstimateOptions) verdictCached(c *Case, a *Assertion, answer *cachedAnswer, primary primaryAnswer) bool {
	if o.Cache == nil || answer == nil {
		return false
	}
	var key string
	switch a.Type {
	case TypeJudge:
		key = cacheKey("rubric", o.JudgeID, rubricInput(c, a, answer.Text))
	default:
		if primary.answer == nil {
			return false
		}
		key = cacheKey("pair", o.JudgeID, pairInput(c, a, primary.answer.Text, primary.provider, answer.Text))
	}
	var v judge.Verdict
	return o.Cache.get(key, &v)
}

func tokens(s string) int { return (len(s) + 3) / 4 }

// WriteEstimate prints a dry run's plan and estimate.
func WriteEstimate(w io.Writer, p *Plan, e Estimate) {
	fmt.Fprintf(w, "plan: %s, %s", Count(len(p.Prompts), "prompt"), Count(e.Cases, "case"))
	if e.Cached > 0 {
		fmt.Fprintf(w, " (%d answered from the cache)", e.Cached)
	}
	fmt.Fprintln(w)
	for _, name := range slices.Sorted(maps.Keys(e.Calls)) {
		fmt.Fprintf(w, "  %-12s %s\n", name, Count(e.Calls[name], "call"))
	}
	fmt.Fprintf(w, "  %-12s %s", "judge", Count(e.JudgeCalls, "call"))
	if e.CachedJudge > 0 {
		fmt.Fprintf(w, " (%d more from the cache)", e.CachedJudge)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "estimated tokens: %d in, %d out\n", e.InputTokens, e.OutputTokens)
	fmt.Fprintf(w, "estimated cost: $%.4f (answers $%.4f, judge $%.4f)", e.CostUSD, e.CandidateCostUSD, e.JudgeCostUSD)
	if e.CachedCostUSD > 0 {
		fmt.Fprintf(w, " (plus $%.4f of cached answers, which the report counts and the run does not pay again)", e.CachedCostUSD)
	}
	fmt.Fprintln(w)
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
