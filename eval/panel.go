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
	// vote alike), and nil with AgreementUnmerged when merged from shards
	// whose results lack AgreementCounts (or carry malformed ones).
	Agreement       *float64 `json:"agreement"`
	AgreementMethod string   `json:"agreement_method,omitempty"`
	// AgreementCounts are what Agreement is computed from. Unlike kappa
	// they add up, so llmfall merge recomputes the unsharded run's
	// agreement from its shards'.
	AgreementCounts *AgreementCounts `json:"agreement_counts,omitempty"`
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

// AgreementUnmerged is the AgreementMethod of a panel merged from shards of
// which one lacks AgreementCounts (written before llmfall kept them): its
// agreement cannot be recomputed, and a sum or mean of kappas would be wrong.
const AgreementUnmerged = "unmerged"

// AgreementCounts are the counts a panel's agreement is computed from:
// every verdict's votes are not needed, only how the verdicts every member
// voted on split and each member's share of the passes.
type AgreementCounts struct {
	// Members are the members asked for any verdict (whether or not they
	// answered it), sorted; the counts are of the verdicts every one of
	// them voted on.
	Members []string `json:"members"`
	// Pass is each member's pass votes on those verdicts, in Members' order.
	Pass []int `json:"pass"`
	// Split[p] is the number of those verdicts that p members passed
	// (len(Members)+1 entries).
	Split []int `json:"split"`
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
	s.AgreementCounts = agreementCounts(t.members, t.items)
	s.Agreement, s.AgreementMethod = s.AgreementCounts.kappa()
	return s
}

// agreementCounts counts the items every member voted on, what the
// members' kappa over them is computed from.
func agreementCounts(members []string, items []map[string]bool) *AgreementCounts {
	c := &AgreementCounts{Members: slices.Sorted(slices.Values(members)), Pass: make([]int, len(members)),
		Split: make([]int, len(members)+1)}
	for _, it := range items {
		if len(it) != len(members) {
			continue
		}
		passed := 0
		for i, m := range c.Members {
			if it[m] {
				c.Pass[i]++
				passed++
			}
		}
		c.Split[passed]++
	}
	return c
}

// kappa is the members' agreement beyond chance from the counts: the one
// computation for a run's panel and a merged one. It rebuilds the ratings
// the stats functions take, in an order of their own, so that the same
// counts give the same number however the verdicts were split or ordered.
func (c *AgreementCounts) kappa() (*float64, string) {
	n := 0
	for _, k := range c.Split {
		n += k
	}
	if len(c.Members) < 2 || n == 0 {
		return nil, ""
	}
	if len(c.Members) == 2 {
		// The 2×2 table: both passed, both failed, and the one pass of
		// the split verdicts, which Pass says whose it was.
		both, neither := c.Split[2], c.Split[0]
		onlyA, onlyB := c.Pass[0]-both, c.Pass[1]-both
		a, b := make([]string, 0, n), make([]string, 0, n)
		for _, cell := range []struct {
			a, b  bool
			count int
		}{{true, true, both}, {false, false, neither}, {true, false, onlyA}, {false, true, onlyB}} {
			for range cell.count {
				a, b = append(a, passFail(cell.a)), append(b, passFail(cell.b))
			}
		}
		if k, ok := stats.CohenKappa(a, b); ok {
			return &k, "cohen"
		}
		return nil, "cohen"
	}
	var counts [][]int
	for passed, k := range c.Split {
		for range k {
			counts = append(counts, []int{passed, len(c.Members) - passed})
		}
	}
	if k, ok := stats.FleissKappa(counts); ok {
		return &k, "fleiss"
	}
	return nil, "fleiss"
}

// valid reports whether counts read from a results document are of the
// shape agreementCounts makes, so that a merge never computes from
// counts that do not describe any votes.
func (c *AgreementCounts) valid() bool {
	if c == nil || len(c.Pass) != len(c.Members) || len(c.Split) != len(c.Members)+1 ||
		!slices.IsSorted(c.Members) || len(slices.Compact(slices.Clone(c.Members))) != len(c.Members) {
		return false
	}
	n, passes := 0, 0
	for p, k := range c.Split {
		if k < 0 {
			return false
		}
		n += k
		passes += p * k
	}
	total := 0
	for _, k := range c.Pass {
		if k < 0 || k > n {
			return false
		}
		total += k
	}
	if total != passes {
		return false
	}
	// Two members: whose was the one pass of each split verdict must add up.
	return len(c.Members) != 2 || (c.Pass[0] >= c.Split[2] && c.Pass[1] >= c.Split[2])
}

// mergeCounts adds b's counts to a's. The counts are of the verdicts every
// member voted on, so a shard that saw fewer members than the merged run
// (one sat out all its verdicts) has none of them: its counts are left out.
func mergeCounts(a, b *AgreementCounts) *AgreementCounts {
	members := slices.Concat(a.Members, b.Members)
	slices.Sort(members)
	members = slices.Compact(members)
	out := &AgreementCounts{Members: members, Pass: make([]int, len(members)), Split: make([]int, len(members)+1)}
	for _, c := range []*AgreementCounts{a, b} {
		if !slices.Equal(c.Members, members) {
			continue
		}
		for i, k := range c.Pass {
			out.Pass[i] += k
		}
		for i, k := range c.Split {
			out.Split[i] += k
		}
	}
	return out
}

// mergePanel adds b's panel summary to a's (nil before the first shard's)
// and recomputes the agreement from the summed counts. Review is not merged:
// results documents do not carry it.
func mergePanel(a, b *PanelSummary) *PanelSummary {
	if b == nil {
		return a
	}
	if a == nil {
		a = &PanelSummary{Judges: map[string]VoteCount{}, AgreementCounts: &AgreementCounts{Split: []int{0}}}
	}
	for name, v := range b.Judges {
		c := a.Judges[name]
		c.Pass, c.Fail, c.Errors = c.Pass+v.Pass, c.Fail+v.Fail, c.Errors+v.Errors
		a.Judges[name] = c
	}
	a.Verdicts += b.Verdicts
	a.Contested += b.Contested
	if a.AgreementCounts == nil || !b.AgreementCounts.valid() {
		a.AgreementCounts = nil
		a.Agreement, a.AgreementMethod = nil, AgreementUnmerged
		return a
	}
	a.AgreementCounts = mergeCounts(a.AgreementCounts, b.AgreementCounts)
	a.Agreement, a.AgreementMethod = a.AgreementCounts.kappa()
	return a
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
	case s.AgreementMethod == AgreementUnmerged:
		parts = append(parts, "agreement κ unknown (a shard's results lack the counts to merge it: rerun the shards with this llmfall)")
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
