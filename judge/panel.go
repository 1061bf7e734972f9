package judge

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/llmfall/llmfall/internal/stats"
)

// Member is one judge of a panel: the name the configuration gives it (a
// category, or "provider/model") and its chain, strongest first.
type Member struct {
	Name  string
	Chain []Link
	// Heuristic has the offline heuristic vote for this member instead of
	// its chain's models: the caller sets it when every link is a
	// simulation, whose answers to a judge prompt are made-up text, not
	// verdicts. The chain still decides which candidates it may judge.
	Heuristic bool
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
	judge  seatJudge
	// provider and name are the first link's provider and
	// "provider/model", the judge a failed vote names.
	provider, name string
}

// seatJudge is what a seated member is asked: a model judge, or the
// heuristic for a member of simulations.
type seatJudge interface {
	Judge
	Preferrer
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
		first := s.provider
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
		st := seat{member: m.Name, provider: chain[0].Provider, name: chain[0].String()}
		if m.Heuristic {
			st.judge = &Heuristic{Threshold: p.cfg.Threshold}
			out = append(out, st)
			continue
		}
		j, err := New(Config{Chain: chain, Threshold: p.cfg.Threshold, MaxTokens: p.cfg.MaxTokens, Rand: p.cfg.Rand})
		if err != nil {
			continue // NewPanel checked every link
		}
		st.judge = j
		out = append(out, st)
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
	return p.ask(ctx, in.CandidateProvider, func(ctx context.Context, j Judge) (Verdict, error) { return j.Rubric(ctx, in) })
}

// Consistent asks every sitting member; see Panel. A member whose verdict
// flipped when the answers swapped votes fail.
func (p *Panel) Consistent(ctx context.Context, in PairInput) (Verdict, error) {
	return p.ask(ctx, in.CandidateProvider, func(ctx context.Context, j Judge) (Verdict, error) { return j.Consistent(ctx, in) })
}

func (p *Panel) ask(ctx context.Context, candidate string, one func(context.Context, Judge) (Verdict, error)) (Verdict, error) {
	if err := p.Check(candidate); err != nil {
		return Verdict{}, fmt.Errorf("%w: %w", ErrNoJudge, err)
	}
	seats := p.seats(candidate)
	votes := make([]Vote, len(seats))
	errs := make([]error, len(seats))
	// Members answer apart: one member's failure neither cancels nor
	// decides the others' votes.
	var wg sync.WaitGroup
	for i, s := range seats {
		wg.Go(func() {
			v, err := one(ctx, s.judge)
			votes[i] = Vote{Member: s.member, Verdict: v}
			if err != nil {
				errs[i] = fmt.Errorf("panel member %s: %w", s.member, err)
				votes[i] = Vote{Member: s.member, Error: err.Error(), Verdict: Verdict{Judge: s.name}}
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return Verdict{}, fmt.Errorf("judge panel: %w", err)
	}
	need := p.minAgree(len(votes))
	var passed, missing int
	for _, v := range votes {
		switch {
		case v.Error != "":
			missing++
		case v.passes():
			passed++
		}
	}
	// The verdict stands when the missing votes could not change it:
	// enough passes already, or too few even if every missing vote passed.
	if missing > 0 && passed < need && passed+missing >= need {
		return Verdict{}, &PanelShortError{Answered: len(votes) - missing, Seated: len(votes), MinAgree: need,
			Err: errors.Join(errs...)}
	}
	return Tally(votes, need), nil
}

// PanelShortError reports that too few of a panel's members answered to
// decide a verdict: the members that failed might have swung it. Err joins
// the members' errors (each a judge.Error, or why its answer did not parse).
type PanelShortError struct {
	Answered, Seated int
	// MinAgree is the votes a verdict (or a choice) needed.
	MinAgree int
	Err      error
}

func (e *PanelShortError) Error() string {
	return fmt.Sprintf("judge panel: %d of %d members answered, too few to decide with %d votes needed: %v",
		e.Answered, e.Seated, e.MinAgree, e.Err)
}

func (e *PanelShortError) Unwrap() error { return e.Err }

// Vote is one panel member's verdict.
type Vote struct {
	Member string `json:"member"`
	// Error says why the member gave no verdict (its every judge link
	// failed, or its answer did not parse): its Verdict is empty but for
	// Judge, its first judge model, and the panel decided without it.
	Error string `json:"error,omitempty"`
	Verdict
}

// passes reports whether the vote is a pass: answered, passed, and the same
// when the answers were swapped.
func (v Vote) passes() bool { return v.Error == "" && v.Pass && !v.Inconsistent }

// Tally is a panel's verdict from its members' votes: it passes when at
// least minAgree votes pass, and scores the median of the votes' scores
// (one wild score moves a median less than a mean). A vote that flipped
// under a swap counts as a fail; a vote with an Error counts as neither and
// scores nothing.
func Tally(votes []Vote, minAgree int) Verdict {
	v := Verdict{Votes: votes}
	var scores []float64
	var passed, answered, heuristic int
	var names, why []string
	for _, vote := range votes {
		if vote.Error != "" {
			why = append(why, fmt.Sprintf("[%s, %s: error] %s", vote.Member, vote.Judge, vote.Error))
			continue
		}
		answered++
		ok := vote.passes()
		if ok {
			passed++
		}
		if vote.Heuristic {
			heuristic++
		}
		scores = append(scores, vote.Score)
		names = append(names, vote.Judge)
		why = append(why, fmt.Sprintf("[%s, %s: %s %.2f] %s", vote.Member, vote.Judge, passLabel(ok), vote.Score, vote.Reasoning))
		v.Usage.InputTokens += vote.Usage.InputTokens
		v.Usage.OutputTokens += vote.Usage.OutputTokens
		v.CostUSD += vote.CostUSD
	}
	v.Pass = passed >= minAgree && answered > 0
	v.Score = stats.Median(scores)
	v.Heuristic = answered > 0 && heuristic == answered
	v.Judge = "panel(" + strings.Join(names, ", ") + ")"
	counted := fmt.Sprintf("%d of %d judges pass", passed, answered)
	if answered < len(votes) {
		counted = fmt.Sprintf("%d of %d judges pass (%d of %d failed to answer)", passed, answered, len(votes)-answered, len(votes))
	}
	v.Reasoning = fmt.Sprintf("panel: %s (%d needed), median score %.2f\n%s",
		counted, minAgree, v.Score, strings.Join(why, "\n"))
	return v
}

// Missing counts the panel members that gave no vote on v.
func (v Verdict) Missing() int {
	n := 0
	for _, vote := range v.Votes {
		if vote.Error != "" {
			n++
		}
	}
	return n
}

// Contested reports whether a panel's members that answered disagreed on v.
func (v Verdict) Contested() bool {
	var pass, fail bool
	for _, o := range v.Votes {
		if o.Error != "" {
			continue
		}
		ok := o.passes()
		pass, fail = pass || ok, fail || !ok
	}
	return pass && fail
}

var _ Preferrer = (*Panel)(nil)

// Prefer asks every member which output is better (each in both orders); a
// choice stands when at least MinAgree members (by default a majority) make
// it, so that a panel can be calibrated on preference data too. As with
// verdicts, members that fail are left out when the others decide it.
func (p *Panel) Prefer(ctx context.Context, in PreferInput) (Preference, error) {
	seats := p.seats("")
	prefs := make([]Preference, len(seats))
	errs := make([]error, len(seats))
	var wg sync.WaitGroup
	for i, s := range seats {
		wg.Go(func() {
			prefs[i], errs[i] = s.judge.Prefer(ctx, in)
			if errs[i] != nil {
				errs[i] = fmt.Errorf("panel member %s: %w", s.member, errs[i])
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return Preference{}, fmt.Errorf("judge panel: %w", err)
	}
	out := Preference{}
	votes := map[int]int{}
	var names, why []string
	missing := 0
	for i, pr := range prefs {
		if errs[i] != nil {
			missing++
			why = append(why, fmt.Sprintf("[%s, %s: error] %v", seats[i].member, seats[i].name, errs[i]))
			continue
		}
		votes[pr.Choice]++
		names = append(names, pr.Judge)
		why = append(why, fmt.Sprintf("[%s, %s: choice %d] %s", seats[i].member, pr.Judge, pr.Choice, pr.Reasoning))
		out.Usage.InputTokens += pr.Usage.InputTokens
		out.Usage.OutputTokens += pr.Usage.OutputTokens
		out.CostUSD += pr.CostUSD
	}
	need := p.minAgree(len(prefs))
	for _, c := range []int{1, 2} {
		if votes[c] < need && votes[c]+missing >= need {
			// The members that failed could have made this choice stand.
			return Preference{}, &PanelShortError{Answered: len(prefs) - missing, Seated: len(prefs), MinAgree: need,
				Err: errors.Join(errs...)}
		}
		if votes[c] >= need {
			out.Choice = c
		}
	}
	out.Inconsistent = out.Choice == 0
	out.Judge = "panel(" + strings.Join(names, ", ") + ")"
	failed := ""
	if missing > 0 {
		failed = fmt.Sprintf(", %d failed to answer", missing)
	}
	out.Reasoning = fmt.Sprintf("panel: output 1 chosen by %d, output 2 by %d, none by %d%s (%d needed)\n%s",
		votes[1], votes[2], votes[0], failed, need, strings.Join(why, "\n"))
	return out, nil
}
