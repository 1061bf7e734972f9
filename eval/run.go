package eval

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/llmfall/llmfall/judge"
	"github.com/llmfall/llmfall/provider"
	"github.com/llmfall/llmfall/provider/toolspec"
)

// RunOptions say how to run a plan. Only Providers is required.
type RunOptions struct {
	// Providers are called directly by configured name: no fallback, since
	// the point is to measure every link.
	Providers map[string]provider.Provider
	// Limits bound each provider's calls; a provider without an entry gets
	// DefaultConcurrency and no rate limit.
	Limits map[string]Limit
	// Concurrency caps all calls in flight, generations and judge calls
	// together; 0 sets no cap beyond the per-provider limits.
	Concurrency int
	// Judge grades judge and consistent assertions; required when the plan
	// has any. JudgeLimit bounds its calls, JudgeID names it in cache keys
	// (e.g. "anthropic/claude-sonnet-4-5").
	Judge      judge.Judge
	JudgeLimit Limit
	JudgeID    string
	// Cache, when set, answers repeated calls from disk. Identity names a
	// provider in cache keys by what determines its answers (type and base
	// URL, never a key); nil uses the provider's name.
	Cache    *Cache
	Identity func(providerName string) string
	// Prices price each call (see Prices.WithDefaults).
	Prices Prices
	// Retries is how often a transient failure is retried; 0 means
	// DefaultRetries and a negative value (NoRetries) none, not even after
	// a wait the provider named. Which failures, and the waits, are
	// provider.Retry's (see RetryPolicy).
	Retries int
	// CheckRetry, Backoff and Rand replace the retry policy's defaults
	// (provider.DefaultCheckRetry, provider.DefaultBackoff,
	// math/rand/v2) when set.
	CheckRetry provider.CheckRetry
	Backoff    provider.Backoff
	Rand       func(n int64) int64
	// Timeout bounds each call; 0 means DefaultTimeout.
	Timeout time.Duration
	// Progress, when set, is called after each case, one call at a time.
	Progress func(Progress)
	// Offline is recorded in the summary: the answers are simulated.
	Offline bool

	// sleep waits before a retry; nil means provider.Sleep. Tests inject
	// their own.
	sleep func(ctx context.Context, d time.Duration) error
	// global, when set, is the semaphore of the Concurrency cap, so that a
	// test can see who waits for a slot; nil makes one.
	global *slots
	// Journal, when set, gets each result the moment its case finishes (and
	// the carried results at the end), so that every finished result is on
	// disk whatever ends the run.
	Journal *Journal
	// Retain, when above 0, keeps in the returned Results only the first
	// Retain failed or errored results that ran (in plan order), instead
	// of every result, so that memory stays flat however big the plan.
	// The summary still counts every result; Results.Unlisted counts the
	// failures left out, and Journal.WriteResults writes them all.
	Retain int
	// Canaries is how many known-bad answers each judge rubric gets (see
	// DefaultCanaries); 0 means none. CanaryPolicy is recorded with them
	// for the gate and reports.
	Canaries     int
	CanaryPolicy string
}

// Progress reports how far a run is.
type Progress struct {
	Done, Total             int
	Passed, Failed, Errored int
	Last                    *Result
}

// Defaults of RunOptions.
const (
	DefaultRetries = 3
	DefaultTimeout = 2 * time.Minute
	// RetryWait is the backoff before the first retry of an error that
	// named no wait; it doubles per retry.
	RetryWait = time.Second
	// MaxBackoff caps every wait before a retry, and is the longest
	// Retry-After that is waited out: eval measures each link and has no
	// other link to move on to, so it waits where the engine would not.
	MaxBackoff = time.Minute
)

// RetryPolicy is the retry policy of each of eval's calls (generation and
// judging): the one provider.Retry the engine and the judge share, with
// eval's patience.
func (o *RunOptions) RetryPolicy() provider.Retry {
	n, namedWait := o.Retries, MaxBackoff
	switch {
	case n == 0:
		n = DefaultRetries
	case n < 0:
		// provider.Retry waits out a provider's named wait once even with
		// Max 0 (the engine's retry_after_max_wait rule), but a user who
		// asked eval for no retries (e.g. to see raw failure rates) gets
		// none, named wait or not.
		n, namedWait = 0, 0
	}
	return provider.Retry{Max: n, WaitMin: RetryWait, WaitMax: MaxBackoff, RetryAfterMaxWait: namedWait,
		CheckRetry: o.CheckRetry, Backoff: o.Backoff, Rand: o.Rand}
}

// Run runs plan and grades every answer. Cases run concurrently within the
// limits; each case's judge calls start as soon as its answer (and, for
// consistent, its primary's answer) is in, so generation and judging
// overlap; when slots are short, generations go first (see slots). When
// ctx is cancelled Run stops dispatching, cancels the calls in flight and
// returns the results finished so far with ctx's error.
func Run(ctx context.Context, plan *Plan, opts RunOptions) (*Results, error) {
	if err := checkRunnable(plan, opts); err != nil {
		return nil, err
	}
	start := time.Now()
	r := newRunner(plan, opts)
	canaried := make(chan *CanarySummary, 1)
	go func() { canaried <- r.runCanaries(ctx, canaries(plan, opts.Canaries)) }()
	// Bound the goroutines waiting for a slot, so that a big plan does not
	// hold one stack per case.
	pending := make(chan struct{}, r.maxPending())
	var wg sync.WaitGroup
dispatch:
	for i, c := range plan.Cases {
		select {
		case pending <- struct{}{}:
		case <-ctx.Done():
			break dispatch
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-pending }()
			r.report(i, r.runCase(ctx, c))
		}()
	}
	wg.Wait()
	canarySummary := <-canaried

	rs := &Results{Version: ResultsVersion, Results: []Result{}, Run: &RunInfo{Suite: plan.Suite, Cases: plan.Planned}}
	if !plan.Shard.whole() {
		shard := plan.Shard
		rs.Run.Shard = &shard
	}
	for i := range plan.Carried {
		r.record(len(plan.Cases)+i, &plan.Carried[i])
	}
	for _, k := range r.kept {
		if k.res != nil {
			rs.Results = append(rs.Results, *k.res)
		}
	}
	rs.Unlisted = r.unlisted
	rs.Summary.NotRun = len(plan.Cases) - r.prog.Done
	rs.Summary.Judge = r.judged.summary()
	if j := rs.Summary.Judge; j != nil && canarySummary != nil {
		j.Canaries = canarySummary
		j.CostUSD += canarySummary.CostUSD
	}
	r.tally.fill(&rs.Summary)
	rs.Summary.DurationMS = time.Since(start).Milliseconds()
	rs.Summary.Offline = opts.Offline
	if err := ctx.Err(); err != nil {
		rs.Summary.Interrupted = true
		return rs, err
	}
	return rs, nil
}

// checkRunnable reports what makes the plan impossible to run at all.
func checkRunnable(plan *Plan, opts RunOptions) error {
	var errs []error
	missing := map[string]bool{}
	needJudge := false
	for _, c := range plan.Cases {
		if _, ok := opts.Providers[c.Target.Provider]; !ok && !missing[c.Target.Provider] {
			missing[c.Target.Provider] = true
			errs = append(errs, fmt.Errorf("provider %q (in the chain of %q) is not configured", c.Target.Provider, c.Prompt.Category))
		}
		for _, a := range c.Test.Asserts {
			needJudge = needJudge || a.NeedsJudge()
		}
	}
	if needJudge && opts.Judge == nil {
		errs = append(errs, errors.New("the suite has judge or consistent assertions but no judge is configured"))
	}
	if needJudge && opts.Judge != nil {
		errs = append(errs, checkJudge(plan, opts.Judge))
	}
	return errors.Join(errs...)
}

type runner struct {
	plan     *Plan
	opts     RunOptions
	limits   map[string]*limiter
	judgeLim *limiter
	global   *slots
	groups   []*group // by Group; nil for a group without a consistent check
	retry    provider.Retry

	mu   sync.Mutex // serialises Progress calls and guards what follows
	prog Progress
	// tally sums every result; kept are those Results returns (all, or
	// the first opts.Retain failures by plan index), unlisted the failures
	// left out.
	tally    *tally
	kept     []kept
	unlisted int

	judged judgeTally
}

// kept is a result the run returns, with its plan index.
type kept struct {
	i   int
	res *Result
}

// group is what the other links of a (prompt, test, repeat) wait for: the
// primary's answer.
type group struct {
	done     chan struct{}
	text     string
	provider string
	err      string
}

func newRunner(plan *Plan, opts RunOptions) *runner {
	if opts.sleep == nil {
		opts.sleep = provider.Sleep
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	r := &runner{
		plan:     plan,
		opts:     opts,
		limits:   map[string]*limiter{},
		judgeLim: newLimiter(opts.JudgeLimit),
		global:   cmp.Or(opts.global, newSlots(opts.Concurrency)),
		groups:   make([]*group, plan.Groups),
		retry:    opts.RetryPolicy(),
		prog:     Progress{Total: len(plan.Cases)},
		tally:    newTally(),
	}
	if opts.Retain <= 0 {
		r.kept = make([]kept, len(plan.Cases)+len(plan.Carried))
	}
	// Cells and repeats in plan order, whatever order the cases finish in.
	repeats := slices.ContainsFunc(plan.Cases, func(c *Case) bool { return c.Repeat > 0 }) ||
		slices.ContainsFunc(plan.Carried, func(c Result) bool { return c.Repeat > 0 })
	r.tally.repeats.off = !repeats
	for _, c := range plan.Cases {
		r.tally.cell(c.Prompt.Name, c.Target.Provider, c.Target.Model, c.Position)
		if repeats {
			r.tally.repeats.register(repeatKey{c.Prompt.Name, c.Test.Name, c.Target.Provider, c.Target.Model, c.Position})
		}
	}
	for _, c := range plan.Carried {
		r.tally.cell(c.Prompt, c.Provider, c.Model, c.Position)
		if repeats {
			r.tally.repeats.register(repeatKey{c.Prompt, c.Test, c.Provider, c.Model, c.Position})
		}
	}
	// Only the groups with a consistent check wait for their primary.
	for _, c := range plan.Cases {
		if c.Primary && hasConsistent(c.Test) {
			r.groups[c.Group] = &group{done: make(chan struct{})}
		}
	}
	for name := range opts.Providers {
		r.limits[name] = newLimiter(opts.Limits[name])
	}
	return r
}

// maxPending is enough waiting cases to keep every slot busy with room for
// the cases blocked on their primary.
func (r *runner) maxPending() int {
	n := cap(r.judgeLim.slots)
	for _, l := range r.limits {
		n += cap(l.slots)
	}
	return max(4*n, 64)
}

// report counts the result of the case at plan index i (nil: the run was
// interrupted before it finished) and tells Progress.
func (r *runner) report(i int, res *Result) {
	if res == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.recordLocked(i, res)
	r.prog.Done++
	switch {
	case res.Errored():
		r.prog.Errored++
	case res.Pass:
		r.prog.Passed++
	default:
		r.prog.Failed++
	}
	if r.opts.Progress != nil {
		p := r.prog
		p.Last = res
		r.opts.Progress(p)
	}
}

// record counts a result that did not run as a case (a carried one).
func (r *runner) record(i int, res *Result) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.recordLocked(i, res)
}

// recordLocked tallies res, the result of plan index i, journals it and
// keeps it when the returned Results should hold it.
func (r *runner) recordLocked(i int, res *Result) {
	r.tally.add(res)
	if r.opts.Journal != nil {
		r.opts.Journal.record(i, res)
	}
	if r.opts.Retain <= 0 {
		r.kept[i] = kept{i, res}
		return
	}
	if res.Pass || res.Carried {
		return
	}
	// Keep the Retain failures of lowest index, so that which are listed
	// does not depend on which finished first.
	at, _ := slices.BinarySearchFunc(r.kept, i, func(k kept, i int) int { return cmp.Compare(k.i, i) })
	r.kept = slices.Insert(r.kept, at, kept{i, res})
	if len(r.kept) > r.opts.Retain {
		r.kept = r.kept[:r.opts.Retain]
		r.unlisted++
	}
}

// runCase generates, checks and judges one case. It returns nil when the
// run was interrupted before the case finished.
func (r *runner) runCase(ctx context.Context, c *Case) *Result {
	res := &Result{
		Prompt: c.Prompt.Name, Test: c.Test.Name, Provider: c.Target.Provider, Model: c.Target.Model,
		Position: c.Position, File: c.Test.File, Line: c.Test.Line, Repeat: c.Repeat,
		Assertions: []AssertionResult{}, Fingerprint: c.Fingerprint.Sum.String(), Inputs: c.Fingerprint.Parts.Map(), Reason: c.Reason,
		Order: r.plan.mergeOrder(c, false),
	}
	if c.Primary {
		res.Input = c.Test.Rendered()
	}
	resp, cached, err := r.generate(ctx, c)
	if g := r.groups[c.Group]; c.Primary && g != nil {
		g.provider = c.Target.Provider
		if err != nil {
			g.err = fmt.Sprintf("%s failed: %s", c.Target, errorText(err))
		} else {
			g.text = judgedText(resp)
		}
		close(g.done)
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		res.Error = errorText(err)
		return res
	}
	res.Output, res.Usage, res.Cached = resp.Text, resp.Usage, cached
	res.ToolCalls = toolspec.Calls(resp.ToolCalls)
	res.LatencyMS = resp.Latency.Milliseconds()
	cost, known := r.opts.Prices.Cost(c.Target.Model, resp.Usage)
	if !known && resp.Model != "" {
		cost, known = r.opts.Prices.Cost(resp.Model, resp.Usage)
	}
	res.CostUSD = cost
	out := Output{Text: resp.Text, Latency: resp.Latency, CostUSD: cost, CostKnown: known, ToolCalls: resp.ToolCalls}
	for _, a := range c.Test.Asserts {
		var ar AssertionResult
		if a.NeedsJudge() {
			ar, err = r.judge(ctx, c, a, judgedText(resp))
			if err != nil {
				if ctx.Err() != nil {
					return nil
				}
				res.Error = err.Error()
				return res
			}
		} else {
			ar = a.Check(out)
		}
		res.Assertions = append(res.Assertions, ar)
	}
	res.Score, res.Pass = grade(c.Test, res.Assertions)
	return res
}

// errorText is an error as results show it: never with a key in it, even
// if an adapter let one through.
func errorText(err error) string { return provider.Redact(err.Error()) }

// grade is the case's weighted score and verdict: every assertion must
// pass, unless the test sets a threshold for the score.
func grade(t *Test, results []AssertionResult) (float64, bool) {
	var sum, weights float64
	all := true
	for i, ar := range results {
		w := t.Asserts[i].Weight
		sum += w * ar.Score
		weights += w
		all = all && ar.Pass
	}
	score := boolScore(all)
	if weights > 0 {
		score = sum / weights
	}
	if t.Threshold != nil {
		return score, score >= *t.Threshold-epsilon
	}
	return score, all
}

// cachedAnswer is a generation as the cache keeps it.
type cachedAnswer struct {
	Text         string                `json:"text"`
	FinishReason provider.FinishReason `json:"finish_reason"`
	Usage        provider.Usage        `json:"usage"`
	Model        string                `json:"model"`
	LatencyMS    int64                 `json:"latency_ms"`
	ToolCalls    []provider.ToolCall   `json:"tool_calls,omitempty"`
}

func (r *runner) identity(name string) string {
	if r.opts.Identity == nil {
		return name
	}
	return r.opts.Identity(name)
}

func (r *runner) generate(ctx context.Context, c *Case) (*provider.Response, bool, error) {
	req := c.Test.Request(c.Prompt, c.Target.Model)
	var key string
	if r.opts.Cache != nil {
		key = generationKey(r.identity(c.Target.Provider), req, c.Repeat)
		var a cachedAnswer
		if r.opts.Cache.get(key, &a) {
			return &provider.Response{Text: a.Text, ToolCalls: a.ToolCalls, FinishReason: a.FinishReason, Usage: a.Usage, Model: a.Model,
				Latency: time.Duration(a.LatencyMS) * time.Millisecond}, true, nil
		}
	}
	p := r.opts.Providers[c.Target.Provider]
	lim := r.limits[c.Target.Provider]
	var resp *provider.Response
	err := r.withRetries(ctx, lim, callGenerate, func(ctx context.Context) error {
		start := time.Now()
		var err error
		resp, err = p.Complete(ctx, req)
		if err == nil && resp.Latency == 0 {
			resp.Latency = time.Since(start)
		}
		return err
	})
	if err != nil {
		return nil, false, err
	}
	if key != "" {
		// A failed cache write only costs a call next time.
		_ = r.opts.Cache.put(key, cachedAnswer{Text: resp.Text, ToolCalls: resp.ToolCalls, FinishReason: resp.FinishReason, Usage: resp.Usage,
			Model: resp.Model, LatencyMS: resp.Latency.Milliseconds()})
	}
	return resp, false, nil
}

// withRetries calls fn inside the limits, retrying transient failures. The
// slots are released while it waits to retry.
func (r *runner) withRetries(ctx context.Context, lim *limiter, kind callKind, fn func(context.Context) error) error {
	for retry := 0; ; retry++ {
		if err := lim.acquire(ctx); err != nil {
			return err
		}
		if err := r.global.acquire(ctx, kind); err != nil {
			lim.release()
			return err
		}
		callCtx, cancel := context.WithTimeout(ctx, r.opts.Timeout)
		err := fn(callCtx)
		cancel()
		r.global.release()
		lim.release()
		if err == nil || ctx.Err() != nil {
			return err
		}
		d, again := r.retry.Next(retry, err, 0)
		if !again {
			return err
		}
		if err := r.opts.sleep(ctx, d); err != nil {
			return err
		}
	}
}

// judge checks a judge or consistent assertion. An error means the case
// could not be graded.
func (r *runner) judge(ctx context.Context, c *Case, a *Assertion, output string) (AssertionResult, error) {
	if a.Type == TypeConsistent {
		return r.consistent(ctx, c, a, output)
	}
	in := rubricInput(c, a, output)
	v, err := r.verdict(ctx, false, cacheKey("rubric", r.opts.JudgeID, in), func(ctx context.Context) (judge.Verdict, error) {
		return r.opts.Judge.Rubric(ctx, in)
	})
	if err != nil {
		return AssertionResult{}, fmt.Errorf("judge (%s:%d): %s", a.File, a.Line, errorText(err))
	}
	r.judged.contested(reviewID(c, a), judge.Example{Input: in.Prompt, Output: output, Rubric: a.Rubric, Reference: a.Reference}, v)
	return a.result(v.Pass && !v.Inconsistent, v.Score, verdictReason(v)), nil
}

func (r *runner) consistent(ctx context.Context, c *Case, a *Assertion, output string) (AssertionResult, error) {
	if c.Primary {
		return a.result(true, 1, "primary link: the answer the others are compared with"), nil
	}
	g := r.groups[c.Group]
	select {
	case <-g.done:
	case <-ctx.Done():
		return AssertionResult{}, ctx.Err()
	}
	if g.err != "" {
		return AssertionResult{}, fmt.Errorf("consistent (%s:%d): no primary answer to compare with: %s", a.File, a.Line, g.err)
	}
	in := pairInput(c, a, g.text, g.provider, output)
	v, err := r.verdict(ctx, true, cacheKey("pair", r.opts.JudgeID, in), func(ctx context.Context) (judge.Verdict, error) {
		return r.opts.Judge.Consistent(ctx, in)
	})
	if err != nil {
		return AssertionResult{}, fmt.Errorf("judge (%s:%d): %s", a.File, a.Line, errorText(err))
	}
	r.judged.contested(reviewID(c, a), judge.Example{Input: in.Prompt, Output1: g.text, Output2: output}, v)
	return a.result(v.Pass && !v.Inconsistent, v.Score, verdictReason(v)), nil
}

// generationKey, rubricInput and pairInput say what a generation's and a
// verdict's cache keys are made of, for the run and for a dry run's count
// of what the cache will answer.
func generationKey(identity string, req *provider.Request, repeat int) string {
	return cacheKey("generation", identity, req, repeat)
}

func rubricInput(c *Case, a *Assertion, output string) judge.RubricInput {
	return judge.RubricInput{Prompt: c.Test.Rendered(), Output: output, Rubric: a.Rubric, Reference: a.Reference,
		CandidateProvider: c.Target.Provider, Threshold: a.Threshold}
}

func pairInput(c *Case, a *Assertion, primary, primaryProvider, output string) judge.PairInput {
	return judge.PairInput{Prompt: c.Test.Rendered(), Primary: primary, Candidate: output,
		PrimaryProvider: primaryProvider, CandidateProvider: c.Target.Provider, Threshold: a.Threshold}
}

func verdictReason(v judge.Verdict) string {
	reason := v.Reasoning
	if v.Inconsistent {
		reason = "inconsistent verdict (changed when the answers were swapped): " + reason
	}
	return reason
}

// verdict asks the judge through the cache, the judge's limits and retries,
// and tallies who judged.
func (r *runner) verdict(ctx context.Context, pairwise bool, key string, ask func(context.Context) (judge.Verdict, error)) (judge.Verdict, error) {
	var v judge.Verdict
	if r.opts.Cache.get(key, &v) {
		r.judged.verdict(v, pairwise, true)
		return v, nil
	}
	err := r.withRetries(ctx, r.judgeLim, callJudge, func(ctx context.Context) error {
		var err error
		v, err = ask(ctx)
		return err
	})
	if err != nil {
		if ctx.Err() == nil {
			r.judged.failed()
		}
		return v, err
	}
	r.judged.verdict(v, pairwise, false)
	// A panel verdict some member failed to vote on stands for this run;
	// the next run asks again for the full panel.
	if v.Missing() == 0 {
		_ = r.opts.Cache.put(key, v)
	}
	return v, nil
}
