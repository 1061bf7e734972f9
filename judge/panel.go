package judge

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/llmfall/llmfall/internal/stats"
)

// Member is one judge of a panel: the name the configuration gives it (a
// category, or "provider/model") and its chain, strongest first.
type Member struct {
	Name  string
	Chain []Link
}

// PanelConfig configures a Panel. Threshold, MaxTokens and Rand mean what
// they mean in Config, for every member.
type PanelConfig struct {
	Members []Member
	// MinAgree is how many of the sitting members must pass a verdict; 0
	// means a strict majority of them.
	MinAgree  int
	Threshold float64
	MaxTokens int
	Rand      io.Reader
}

// MinPanelProviders is how many providers other than the candidate's a
// panel's judges must come from: two judges of one family share its
// blind spots, which is what a panel is for avoiding.
const MinPanelProviders = 2

// Panel is several judges asked the same question: a verdict passes when
// MinAgree of them pass it (by default a majority), and scores the median of
// their scores. Every member judges with a link of a provider other than the
// candidate's, and members prefer providers that earlier members do not
// already use, so that the panel spans families. It is safe for concurrent
// use.
type Panel struct {
	cfg PanelConfig

	mu sync.Mutex
	// seated caches the members' judges per candidate provider.
	seated map[string][]seat
}

// seat is one member's judge for one candidate provider: its chain without
// the candidate's provider, other members' providers last.
type seat struct {
	member string
	judge  *LLM
}

var _ Judge = (*Panel)(nil)

// NewPanel checks cfg and returns a Panel.
func NewPanel(cfg PanelConfig) (*Panel, error) {
	var errs []error
	if len(cfg.Members) < 2 {
		errs = append(errs, fmt.Errorf("a judge panel needs at least two members, got %d", len(cfg.Members)))
	}
	if cfg.MinAgree < 0 || cfg.MinAgree > len(cfg.Members) {
		errs = append(errs, fmt.Errorf("judge panel min_agree %d outside 0..%d", cfg.MinAgree, len(cfg.Members)))
	}
	for _, m := range cfg.Members {
		if len(m.Chain) == 0 {
			errs = append(errs, fmt.Errorf("judge panel member %q has no judge model", m.Name))
		}
		// New checks every link; a member's errors are reported once here.
		if _, err := New(Config{Chain: m.Chain, Threshold: cfg.Threshold, MaxTokens: cfg.MaxTokens}); err != nil && len(m.Chain) > 0 {
			errs = append(errs, fmt.Errorf("judge panel member %q: %w", m.Name, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return &Panel{cfg: cfg, seated: map[string][]seat{}}, nil
}

// PanelError says why a panel cannot judge a candidate provider's outputs:
// its judges come from too few other providers.
type PanelError struct {
	Candidate string
	// Providers are the providers the panel's judges would come from.
	Providers []string
}

func (e *PanelError) Error() string {
	have := "no other provider"
	if len(e.Providers) > 0 {
		have = "only " + strings.Join(e.Providers, ", ")
	}
	return fmt.Sprintf("the judge panel for outputs of %s has judges from %s; it needs judges from at least %d providers other than %s",
		e.Candidate, have, MinPanelProviders, e.Candidate)
}

// Check reports whether the panel can judge outputs of the candidate
// provider: its sitting members must come from at least MinPanelProviders
// providers other than the candidate's, and be enough for MinAgree.
func (p *Panel) Check(candidate string) error {
	seats := p.seats(candidate)
	provs := map[string]bool{}
	var names []string
	for _, s := range seats {
		first := s.judge.cfg.Chain[0].Provider
		if !provs[first] {
			provs[first] = true
			names = append(names, first)
		}
	}
	if len(names) < MinPanelProviders {
		return &PanelError{Candidate: candidate, Providers: names}
	}
	if p.cfg.MinAgree > len(seats) {
		return fmt.Errorf("the judge panel for outputs of %s has %d members without %s's models, fewer than min_agree %d",
			candidate, len(seats), candidate, p.cfg.MinAgree)
	}
	return nil
}

// seats are the members that may judge outputs of candidate, each with its
// chain reordered: the candidate's provider removed, and providers that an
// earlier member already judges with moved last.
func (p *Panel) seats(candidate string) []seat {
	p.mu.Lock()
	defer p.mu.Unlock()
	if s, ok := p.seated[candidate]; ok {
		return s
	}
	var out []seat
	used := map[string]bool{}
	for _, m := range p.cfg.Members {
		var fresh, taken []Link
		for _, l := range m.Chain {
			switch {
			case candidate != "" && l.Provider == candidate:
			case used[l.Provider]:
				taken = append(taken, l)
			default:
				fresh = append(fresh, l)
			}
		}
		chain := append(fresh, taken...)
		if len(chain) == 0 {
			continue // an explicit judge of the candidate's own provider sits out
		}
		used[chain[0].Provider] = true
		j, err := New(Config{Chain: chain, Threshold: p.cfg.Threshold, MaxTokens: p.cfg.MaxTokens, Rand: p.cfg.Rand})
		if err != nil {
			continue // NewPanel checked every link
		}
		out = append(out, seat{member: m.Name, judge: j})
	}
	p.seated[candidate] = out
	return out
}

// minAgree is how many of n sitting members must pass.
func (p *Panel) minAgree(n int) int {
	if p.cfg.MinAgree > 0 {
		return p.cfg.MinAgree
	}
	return n/2 + 1
}

// Rubric asks every sitting member; see Panel.
func (p *Panel) Rubric(ctx context.Context, in RubricInput) (Verdict, error) {
	return p.ask(ctx, in.CandidateProvider, func(ctx context.Context, j *LLM) (Verdict, error) { return j.Rubric(ctx, in) })
}

// Consistent asks every sitting member; see Panel. A member whose verdict
// flipped when the answers swapped votes fail.
func (p *Panel) Consistent(ctx context.Context, in PairInput) (Verdict, error) {
	return p.ask(ctx, in.CandidateProvider, func(ctx context.Context, j *LLM) (Verdict, error) { return j.Consistent(ctx, in) })
}

func (p *Panel) ask(ctx context.Context, candidate string, one func(context.Context, *LLM) (Verdict, error)) (Verdict, error) {
	if err := p.Check(candidate); err != nil {
		return Verdict{}, fmt.Errorf("%w: %w", ErrNoJudge, err)
	}
	seats := p.seats(candidate)
	votes := make([]Vote, len(seats))
	g, gctx := errgroup.WithContext(ctx)
	for i, s := range seats {
		g.Go(func() error {
			v, err := one(gctx, s.judge)
			if err != nil {
				return fmt.Errorf("panel member %s: %w", s.member, err)
			}
			votes[i] = Vote{Member: s.member, Verdict: v}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return Verdict{}, err
	}
	return Tally(votes, p.minAgree(len(votes))), nil
}

// Vote is one panel member's verdict.
type Vote struct {
	Member string `json:"member"`
	Verdict
}

// Tally is a panel's verdict from its members' votes: it passes when at
// least minAgree votes pass, and scores the median of the votes' scores
// (one wild score moves a median less than a mean). A vote that flipped
// under a swap counts as a fail.
func Tally(votes []Vote, minAgree int) Verdict {
	v := Verdict{Votes: votes}
	scores := make([]float64, len(votes))
	var passed int
	var names, why []string
	for i, vote := range votes {
		ok := vote.Pass && !vote.Inconsistent
		if ok {
			passed++
		}
		scores[i] = vote.Score
		names = append(names, vote.Judge)
		why = append(why, fmt.Sprintf("[%s, %s: %s %.2f] %s", vote.Member, vote.Judge, passLabel(ok), vote.Score, vote.Reasoning))
		v.Usage.InputTokens += vote.Usage.InputTokens
		v.Usage.OutputTokens += vote.Usage.OutputTokens
		v.CostUSD += vote.CostUSD
	}
	v.Pass = passed >= minAgree && len(votes) > 0
	v.Score = stats.Median(scores)
	v.Judge = "panel(" + strings.Join(names, ", ") + ")"
	v.Reasoning = fmt.Sprintf("panel: %d of %d judges pass (%d needed), median score %.2f\n%s",
		passed, len(votes), minAgree, v.Score, strings.Join(why, "\n"))
	return v
}

// Contested reports whether a panel's members disagreed on v.
func (v Verdict) Contested() bool {
	if len(v.Votes) < 2 {
		return false
	}
	first := v.Votes[0].Pass && !v.Votes[0].Inconsistent
	return slices.ContainsFunc(v.Votes[1:], func(o Vote) bool { return (o.Pass && !o.Inconsistent) != first })
}

var _ Preferrer = (*Panel)(nil)

// Prefer asks every member which output is better (each in both orders); a
// choice stands when at least MinAgree members (by default a majority) make
// it, so that a panel can be calibrated on preference data too.
func (p *Panel) Prefer(ctx context.Context, in PreferInput) (Preference, error) {
	seats := p.seats("")
	prefs := make([]Preference, len(seats))
	g, gctx := errgroup.WithContext(ctx)
	for i, s := range seats {
		g.Go(func() error {
			pr, err := s.judge.Prefer(gctx, in)
			if err != nil {
				return fmt.Errorf("panel member %s: %w", s.member, err)
			}
			prefs[i] = pr
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return Preference{}, err
	}
	out := Preference{}
	votes := map[int]int{}
	var names, why []string
	for i, pr := range prefs {
		votes[pr.Choice]++
		names = append(names, pr.Judge)
		why = append(why, fmt.Sprintf("[%s, %s: choice %d] %s", seats[i].member, pr.Judge, pr.Choice, pr.Reasoning))
		out.Usage.InputTokens += pr.Usage.InputTokens
		out.Usage.OutputTokens += pr.Usage.OutputTokens
		out.CostUSD += pr.CostUSD
	}
	need := p.minAgree(len(prefs))
	for _, c := range []int{1, 2} {
		if votes[c] >= need {
			out.Choice = c
		}
	}
	out.Inconsistent = out.Choice == 0
	out.Judge = "panel(" + strings.Join(names, ", ") + ")"
	out.Reasoning = fmt.Sprintf("panel: output 1 chosen by %d, output 2 by %d, none by %d (%d needed)\n%s",
		votes[1], votes[2], votes[0], need, strings.Join(why, "\n"))
	return out, nil
}
