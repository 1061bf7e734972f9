package eval

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/llmfall/llmfall/judge"
)

// JudgeSummary says who judged a run and how far to trust it: the judge
// models that gave verdicts, the verdicts that could not be had, and the
// share of pairwise verdicts that changed when the two answers swapped
// places (a judge that flips with the order is not evidence either way).
type JudgeSummary struct {
	// Models counts verdicts per judge: "provider/model", or "heuristic".
	Models   map[string]int `json:"models"`
	Verdicts int            `json:"verdicts"`
	// Errors counts verdicts that no judge could give after retries; their
	// cases are errored, not failed.
	Errors int `json:"errors"`
	// Pairwise and Inconsistent count the `consistent` verdicts and those
	// of them that flipped under a swap.
	Pairwise          int     `json:"pairwise"`
	Inconsistent      int     `json:"inconsistent"`
	InconsistencyRate float64 `json:"inconsistency_rate"`
	Cached            int     `json:"cached"`
	// CostUSD is what the judge calls of this run cost (cached verdicts
	// cost nothing); it is included in the summary's cost_usd.
	CostUSD float64 `json:"cost_usd"`
	// Panel is how a judge panel voted; nil for a single judge.
	Panel *PanelSummary `json:"panel,omitempty"`
	// Canaries is how the judge did on known-bad answers; nil when the run
	// had none.
	Canaries *CanarySummary `json:"canaries,omitempty"`
}

// judgeTally collects the JudgeSummary while cases run concurrently.
type judgeTally struct {
	mu    sync.Mutex
	s     JudgeSummary
	panel panelTally
}

func (t *judgeTally) verdict(v judge.Verdict, pairwise, cached bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.s.Models == nil {
		t.s.Models = map[string]int{}
	}
	// A panel's verdict counts once per judge that voted on it.
	counted := []judge.Verdict{v}
	if len(v.Votes) > 0 {
		t.panel.add(v)
		counted = counted[:0]
		for _, vote := range v.Votes {
			if vote.Error == "" { // a member that failed gave no verdict
				counted = append(counted, vote.Verdict)
			}
		}
	}
	for _, v := range counted {
		name := v.Judge
		if name == "" {
			name = "unknown"
		}
		t.s.Models[name]++
		t.s.Verdicts++
		if pairwise {
			t.s.Pairwise++
			if v.Inconsistent {
				t.s.Inconsistent++
			}
		}
	}
	if cached {
		t.s.Cached++
	} else {
		t.s.CostUSD += v.CostUSD
	}
}

func (t *judgeTally) failed() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.s.Errors++
}

// summary is the tally, or nil when the run asked no judge at all.
func (t *judgeTally) summary() *JudgeSummary {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.s.Verdicts == 0 && t.s.Errors == 0 {
		return nil
	}
	s := t.s
	s.Models = maps.Clone(t.s.Models)
	if s.Pairwise > 0 {
		s.InconsistencyRate = float64(s.Inconsistent) / float64(s.Pairwise)
	}
	s.Panel = t.panel.summary()
	return &s
}

// String is the one-line account the reports print:
// "judge: anthropic/claude-sonnet-4-5 (12), openai/gpt-4.1 (3) · 0 errors · 1 of 9 pairwise verdicts flipped when swapped (11%)".
func (s *JudgeSummary) String() string {
	names := slices.Sorted(maps.Keys(s.Models))
	slices.SortStableFunc(names, func(a, b string) int { return s.Models[b] - s.Models[a] })
	models := make([]string, len(names))
	for i, n := range names {
		models[i] = fmt.Sprintf("%s (%d)", n, s.Models[n])
	}
	if len(models) == 0 {
		models = []string{"none answered"}
	}
	parts := []string{"judge: " + strings.Join(models, ", ")}
	errs := "errors"
	if s.Errors == 1 {
		errs = "error"
	}
	parts = append(parts, fmt.Sprintf("%d %s", s.Errors, errs))
	if s.Pairwise > 0 {
		parts = append(parts, fmt.Sprintf("%d of %d pairwise verdicts flipped when swapped (%.0f%%)",
			s.Inconsistent, s.Pairwise, 100*s.InconsistencyRate))
	}
	if s.Panel != nil {
		parts = append(parts, s.Panel.String())
	}
	if s.Canaries != nil {
		parts = append(parts, s.Canaries.String())
	}
	if _, ok := s.Models[judge.HeuristicName]; ok {
		parts = append(parts, "the heuristic measures word overlap, not quality")
	}
	return strings.Join(parts, " · ")
}
