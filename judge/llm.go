package judge

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/llmfall/llmfall/provider"
)

// DefaultThreshold is the score a verdict needs when neither the input nor
// the Config sets one: a clear majority of the rubric met, not a coin toss.
// It is llmfall's one judge threshold default (llmfall.yaml's
// judge.threshold), for the model judge and the offline heuristic alike.
const DefaultThreshold = 0.7

// DefaultMaxTokens caps a judge's answer: room for a paragraph of reasoning
// and the JSON around it, not for an essay.
const DefaultMaxTokens = 1024

// ErrNoJudge is returned when every link of the judge chain is of the
// candidate's provider, so no judge may grade it.
var ErrNoJudge = errors.New("no judge in the chain may grade this candidate")

// Price is what a model costs: provider.Price, the one price type.
type Price = provider.Price

// Link is one judge model of the judge chain.
type Link struct {
	Provider string // configured provider name, e.g. "anthropic"
	Model    string
	Client   provider.Provider
	Price    Price // zero when unknown: verdicts then report no cost
}

// String is "provider/model", the name recorded in Verdict.Judge.
func (l Link) String() string { return l.Provider + "/" + l.Model }

// Config configures an LLM judge.
type Config struct {
	// Chain is the judge chain, strongest first: the first eligible link
	// judges, and the next ones take over when it fails.
	Chain []Link
	// AllowSameProvider lets a candidate be judged by a model of its own
	// provider. By default (false) links of the candidate's provider are
	// skipped: judges favour their own family's answers.
	AllowSameProvider bool
	// Threshold is the score a verdict needs when the input sets none; 0
	// means DefaultThreshold.
	Threshold float64
	// MaxTokens caps each judge answer; 0 means DefaultMaxTokens.
	MaxTokens int
	// Retry says which failures of a judge link are tried again on that
	// link, and after what wait, before the next link takes over: the
	// provider.Retry policy the engine and eval share (setup passes the
	// engine's). The zero value moves on at once.
	Retry provider.Retry
	// Rand is the source of the delimiter nonces; nil means crypto/rand.
	// It must be safe for concurrent use (both orders of a pair draw at
	// once). Tests inject a fixed one to see the exact prompt.
	Rand io.Reader

	// sleep waits before a retry; nil means provider.Sleep. Tests inject
	// their own.
	sleep func(ctx context.Context, d time.Duration) error
}

// LLM is the model judge. It is safe for concurrent use.
type LLM struct {
	cfg Config
}

var (
	_ Judge     = (*LLM)(nil)
	_ Preferrer = (*LLM)(nil)
)

// New checks cfg and returns an LLM judge.
func New(cfg Config) (*LLM, error) {
	var errs []error
	if len(cfg.Chain) == 0 {
		errs = append(errs, errors.New("judge chain is empty"))
	}
	for i, l := range cfg.Chain {
		if l.Provider == "" || l.Model == "" || l.Client == nil {
			errs = append(errs, fmt.Errorf("judge chain link %d (%s): provider, model and client are all required", i, l))
		}
	}
	if cfg.Threshold < 0 || cfg.Threshold > 1 {
		errs = append(errs, fmt.Errorf("judge threshold %v outside 0..1", cfg.Threshold))
	}
	if cfg.MaxTokens < 0 {
		errs = append(errs, fmt.Errorf("judge max tokens %d is negative", cfg.MaxTokens))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if cfg.Threshold == 0 {
		cfg.Threshold = DefaultThreshold
	}
	if cfg.MaxTokens == 0 {
		cfg.MaxTokens = DefaultMaxTokens
	}
	if cfg.sleep == nil {
		cfg.sleep = provider.Sleep
	}
	cfg.Chain = append([]Link(nil), cfg.Chain...)
	return &LLM{cfg: cfg}, nil
}

// Attempt is one judge model's failed try at a verdict.
type Attempt struct {
	Judge string // "provider/model"
	Err   error
}

// Error reports that every eligible judge failed. Each attempt keeps its
// provider error (see provider.ClassOf) or ErrMalformed.
type Error struct {
	Attempts []Attempt
}

func (e *Error) Error() string {
	parts := make([]string, len(e.Attempts))
	for i, a := range e.Attempts {
		parts[i] = a.Judge + ": " + a.Err.Error()
	}
	return "every judge failed: " + strings.Join(parts, "; ")
}

func (e *Error) Unwrap() []error {
	errs := make([]error, len(e.Attempts))
	for i, a := range e.Attempts {
		errs[i] = a.Err
	}
	return errs
}

// eligible orders the judge links for a question about outputs of the given
// providers. Links of any of those providers are skipped when the Config
// asks for a different provider; when that leaves nothing (a pairwise
// question across two providers with a two-provider chain), links of the
// other outputs' providers follow, but the candidate's own never judges it.
func (j *LLM) eligible(candidate string, others ...string) ([]Link, error) {
	if j.cfg.AllowSameProvider {
		return j.cfg.Chain, nil
	}
	avoid := func(p string) bool {
		if p == "" {
			return false
		}
		for _, o := range others {
			if p == o {
				return true
			}
		}
		return false
	}
	var first, then []Link
	for _, l := range j.cfg.Chain {
		switch {
		case candidate != "" && l.Provider == candidate:
		case avoid(l.Provider):
			then = append(then, l)
		default:
			first = append(first, l)
		}
	}
	links := append(first, then...)
	if len(links) == 0 {
		return nil, fmt.Errorf("%w: every judge link is of provider %q", ErrNoJudge, candidate)
	}
	return links, nil
}

// fallback runs try on each link in turn until one succeeds, and returns that
// link; the retry policy decides whether a failed link is tried again first.
// It stops early when ctx ends: a cancelled run is not a judge failure.
func (j *LLM) fallback(ctx context.Context, links []Link, try func(context.Context, Link) error) (Link, error) {
	var failed []Attempt
	for _, l := range links {
		for n := 0; ; n++ {
			err := try(ctx, l)
			if err == nil {
				return l, nil
			}
			if ctxErr := ctx.Err(); ctxErr != nil {
				return Link{}, fmt.Errorf("judge %s: %w", l, ctxErr)
			}
			failed = append(failed, Attempt{Judge: l.String(), Err: err})
			d, again := j.cfg.Retry.Next(n, err, budget(ctx))
			if !again {
				break
			}
			if err := j.cfg.sleep(ctx, d); err != nil {
				return Link{}, fmt.Errorf("judge %s: %w", l, err)
			}
		}
	}
	return Link{}, &Error{Attempts: failed}
}

// budget is the time left before ctx's deadline, 0 when it has none.
func budget(ctx context.Context) time.Duration {
	d, ok := ctx.Deadline()
	if !ok {
		return 0
	}
	return max(time.Until(d), time.Nanosecond)
}

// ask puts one question to one judge model.
func (j *LLM) ask(ctx context.Context, l Link, system, user string) (answer, provider.Usage, error) {
	zero := 0.0
	req := &provider.Request{
		Model:       l.Model,
		System:      system,
		Messages:    []provider.Message{{Role: provider.RoleUser, Content: user}},
		MaxTokens:   j.cfg.MaxTokens,
		Temperature: &zero,
		JSON:        true,
	}
	resp, err := l.Client.Complete(ctx, req)
	if err != nil {
		return answer{}, provider.Usage{}, err
	}
	a, err := parseAnswer(resp.Text)
	return a, resp.Usage, err
}

// threshold picks the input's threshold, else the judge's.
func (j *LLM) threshold(t float64) float64 {
	if t > 0 {
		return t
	}
	return j.cfg.Threshold
}

// Rubric grades in.Output against in.Rubric (and in.Reference when given).
// It passes when the judge says pass and its score reaches the threshold.
func (j *LLM) Rubric(ctx context.Context, in RubricInput) (Verdict, error) {
	if strings.TrimSpace(in.Rubric) == "" {
		return Verdict{}, errors.New("judge rubric is empty")
	}
	links, err := j.eligible(in.CandidateProvider)
	if err != nil {
		return Verdict{}, err
	}
	var v Verdict
	_, err = j.fallback(ctx, links, func(ctx context.Context, l Link) error {
		nonce, err := newNonce(j.cfg.Rand)
		if err != nil {
			return err
		}
		system, user := rubricPrompt(nonce, in)
		a, usage, err := j.ask(ctx, l, system, user)
		if err != nil {
			return err
		}
		v = Verdict{
			Pass:      a.Pass && a.Score >= j.threshold(in.Threshold),
			Score:     a.Score,
			Reasoning: a.Reasoning,
			Judge:     l.String(),
			Usage:     usage,
			CostUSD:   l.Price.Cost(usage),
		}
		return nil
	})
	return v, err
}

// swapped is one question asked in both orders of its two answers, of one
// judge model.
type swapped struct {
	ab, ba answer
	usage  provider.Usage
}

// askBoth asks the question built by prompt about (a, b) and about (b, a)
// concurrently, on the same judge, so that the only difference between the
// two answers is the order.
func (j *LLM) askBoth(ctx context.Context, l Link, prompt func(nonce, task, a, b string) (string, string), task, a, b string) (swapped, error) {
	var s swapped
	var uAB, uBA provider.Usage
	g, gctx := errgroup.WithContext(ctx)
	one := func(x, y string, out *answer, u *provider.Usage) func() error {
		return func() error {
			nonce, err := newNonce(j.cfg.Rand)
			if err != nil {
				return err
			}
			system, user := prompt(nonce, task, x, y)
			ans, usage, err := j.ask(gctx, l, system, user)
			*out, *u = ans, usage
			return err
		}
	}
	g.Go(one(a, b, &s.ab, &uAB))
	g.Go(one(b, a, &s.ba, &uBA))
	err := g.Wait()
	s.usage = provider.Usage{
		InputTokens:  uAB.InputTokens + uBA.InputTokens,
		OutputTokens: uAB.OutputTokens + uBA.OutputTokens,
	}
	return s, err
}

// Consistent asks whether in.Candidate is equivalent in substance to
// in.Primary, in both orders. It passes only when both orders pass (judge's
// pass and score at the threshold); when the orders disagree the verdict is
// Inconsistent and fails. The score is the mean of the two.
func (j *LLM) Consistent(ctx context.Context, in PairInput) (Verdict, error) {
	links, err := j.eligible(in.CandidateProvider, in.PrimaryProvider)
	if err != nil {
		return Verdict{}, err
	}
	threshold := j.threshold(in.Threshold)
	var v Verdict
	_, err = j.fallback(ctx, links, func(ctx context.Context, l Link) error {
		s, err := j.askBoth(ctx, l, pairPrompt, in.Prompt, in.Primary, in.Candidate)
		if err != nil {
			return err
		}
		passAB := s.ab.Pass && s.ab.Score >= threshold
		passBA := s.ba.Pass && s.ba.Score >= threshold
		v = Verdict{
			Pass:         passAB && passBA,
			Score:        (s.ab.Score + s.ba.Score) / 2,
			Reasoning:    bothReasons("primary first", s.ab, "candidate first", s.ba),
			Judge:        l.String(),
			Inconsistent: passAB != passBA,
			Usage:        s.usage,
			CostUSD:      l.Price.Cost(s.usage),
		}
		return nil
	})
	return v, err
}

// Prefer asks which output is better, with output 1 first and then with
// output 2 first. Only a preference that survives the swap is a Choice.
func (j *LLM) Prefer(ctx context.Context, in PreferInput) (Preference, error) {
	links, err := j.eligible("", in.Provider1, in.Provider2)
	if err != nil {
		return Preference{}, err
	}
	var p Preference
	_, err = j.fallback(ctx, links, func(ctx context.Context, l Link) error {
		s, err := j.askBoth(ctx, l, preferPrompt, in.Prompt, in.Output1, in.Output2)
		if err != nil {
			return err
		}
		// In the first order "pass" means output 1 is better; in the
		// swapped order it means output 2 is.
		one, two := s.ab.Pass, s.ba.Pass
		p = Preference{
			Reasoning: bothReasons("output 1 first", s.ab, "output 2 first", s.ba),
			Judge:     l.String(),
			Usage:     s.usage,
			CostUSD:   l.Price.Cost(s.usage),
		}
		switch {
		case one && !two:
			p.Choice = 1
		case two && !one:
			p.Choice = 2
		default:
			p.Inconsistent = true
		}
		return nil
	})
	return p, err
}

func bothReasons(labelA string, a answer, labelB string, b answer) string {
	return fmt.Sprintf("[%s: pass=%t score=%.2f] %s\n[%s: pass=%t score=%.2f] %s",
		labelA, a.Pass, a.Score, a.Reasoning, labelB, b.Pass, b.Score, b.Reasoning)
}
