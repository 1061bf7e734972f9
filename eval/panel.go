package eval

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/llmfall/llmfall/internal/stats"
	"github.com/llmfall/llmfall/judge"
)

// PanelSummary says how a judge panel voted: each judge model's pass and
// fail votes, how far the members agreed beyond chance, and the verdicts
// they disagreed on.
type PanelSummary struct {
	// Judges counts each judge model's votes.
	Judges map[string]VoteCount `json:"judges"`
	// Verdicts is the number of panel verdicts; Contested those on which
	// the members did not all vote alike.
	Verdicts  int `json:"verdicts"`
	Contested int `json:"contested"`
	// Agreement is the members' agreement beyond chance on the verdicts
	// every member voted on: Cohen's kappa for two members, Fleiss' kappa
	// for more (AgreementMethod says which); nil when undefined (e.g. every
	// vote alike).
	Agreement       *float64 `json:"agreement"`
	AgreementMethod string   `json:"agreement_method,omitempty"`
	// Review holds the contested cases as calibration examples, sorted by
	// ID, for --review-out: a person labels them (adds "pass") and feeds
	// them to judge calibrate. Not part of the results document: it
	// repeats prompts and outputs.
	Review []judge.Example `json:"-"`
}

// VoteCount is one judge model's votes. Errors counts the verdicts it was
// asked for and did not give (the panel decided without it).
type VoteCount struct {
	Pass   int `json:"pass"`
	Fail   int `json:"fail"`
	Errors int `json:"errors,omitempty"`
}

// panelTally collects the PanelSummary; judgeTally's mutex guards it.
type panelTally struct {
	judges    map[string]VoteCount
	items     []map[string]bool // per verdict, member → pass
	members   []string
	contested int
	review    []judge.Example
}

func (t *panelTally) add(v judge.Verdict) {
	if t.judges == nil {
		t.judges = map[string]VoteCount{}
	}
	item := map[string]bool{}
	for _, vote := range v.Votes {
		c := t.judges[vote.Judge]
		if !slices.Contains(t.members, vote.Member) {
			t.members = append(t.members, vote.Member)
		}
		if vote.Error != "" {
			// Left out of the item: agreement counts verdicts every
			// member voted on.
			c.Errors++
			t.judges[vote.Judge] = c
			continue
		}
		pass := vote.Pass && !vote.Inconsistent
		if pass {
			c.Pass++
		} else {
			c.Fail++
		}
		t.judges[vote.Judge] = c
		item[vote.Member] = pass
	}
	t.items = append(t.items, item)
	if v.Contested() {
		t.contested++
	}
}

func (t *panelTally) summary() *PanelSummary {
	if len(t.items) == 0 {
		return nil
	}
	s := &PanelSummary{Judges: maps.Clone(t.judges), Verdicts: len(t.items), Contested: t.contested,
		Review: slices.Clone(t.review)}
	slices.SortFunc(s.Review, func(a, b judge.Example) int { return cmp.Compare(a.ID, b.ID) })
	s.Agreement, s.AgreementMethod = agreement(t.members, t.items)
	return s
}

// agreement is the members' kappa over the items every member voted on.
func agreement(members []string, items []map[string]bool) (*float64, string) {
	full := slices.DeleteFunc(slices.Clone(items), func(it map[string]bool) bool { return len(it) != len(members) })
	if len(members) < 2 || len(full) == 0 {
		return nil, ""
	}
	if len(members) == 2 {
		a, b := make([]string, len(full)), make([]string, len(full))
		for i, it := range full {
			a[i], b[i] = passFail(it[members[0]]), passFail(it[members[1]])
		}
		if k, ok := stats.CohenKappa(a, b); ok {
			return &k, "cohen"
		}
		return nil, "cohen"
	}
	counts := make([][]int, len(full))
	for i, it := range full {
		counts[i] = make([]int, 2)
		for _, pass := range it {
			if pass {
				counts[i][0]++
			} else {
				counts[i][1]++
			}
		}
	}
	if k, ok := stats.FleissKappa(counts); ok {
		return &k, "fleiss"
	}
	return nil, "fleiss"
}

func passFail(pass bool) string {
	if pass {
		return "pass"
	}
	return "fail"
}

// String is the panel's line in the reports: "panel: 40 verdicts, 3
// contested · agreement κ 0.71 (Cohen's) · anthropic/… 30 pass 10 fail, …".
func (s *PanelSummary) String() string {
	parts := []string{fmt.Sprintf("panel: %d verdicts, %d contested", s.Verdicts, s.Contested)}
	method := map[string]string{"cohen": "Cohen's", "fleiss": "Fleiss'"}[s.AgreementMethod]
	switch {
	case s.Agreement != nil:
		parts = append(parts, fmt.Sprintf("agreement κ %.2f (%s; 1 perfect, 0 chance)", *s.Agreement, method))
	case method != "":
		parts = append(parts, "agreement κ undefined (every vote alike)")
	}
	names := slices.Sorted(maps.Keys(s.Judges))
	votes := make([]string, len(names))
	for i, n := range names {
		c := s.Judges[n]
		votes[i] = fmt.Sprintf("%s %d pass %d fail", n, c.Pass, c.Fail)
		if c.Errors > 0 {
			votes[i] += fmt.Sprintf(" %s", Count(c.Errors, "error"))
		}
	}
	parts = append(parts, strings.Join(votes, ", "))
	return strings.Join(parts, " · ")
}

// contested records a contested verdict as a calibration example: the
// question, the outputs, and every judge's reasoning in its note.
func (t *judgeTally) contested(id string, e judge.Example, v judge.Verdict) {
	if !v.Contested() {
		return
	}
	e.ID = id
	e.Note = v.Reasoning
	t.mu.Lock()
	defer t.mu.Unlock()
	t.panel.review = append(t.panel.review, e)
}

// reviewID names a case in the review file: prompt/test @ link, and the
// repeat when there are several.
func reviewID(c *Case, a *Assertion) string {
	id := fmt.Sprintf("%s/%s @ %s (%s:%d)", c.Prompt.Name, c.Test.Name, c.Target, a.File, a.Line)
	if c.Repeat > 0 {
		id += fmt.Sprintf(" #%d", c.Repeat+1)
	}
	return id
}

// candidateChecker is a judge that can say up front that it cannot judge a
// provider's outputs (a panel short of other providers).
type candidateChecker interface {
	Check(candidate string) error
}

// checkJudge asks the judge, when it can tell, whether it can judge the
// outputs of every provider whose cases need it.
func checkJudge(plan *Plan, j judge.Judge) error {
	cc, ok := j.(candidateChecker)
	if !ok {
		return nil
	}
	seen := map[string]bool{}
	var errs []error
	for _, c := range plan.Cases {
		p := c.Target.Provider
		if seen[p] || !slices.ContainsFunc(c.Test.Asserts, (*Assertion).NeedsJudge) {
			continue
		}
		seen[p] = true
		if err := cc.Check(p); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
