package eval

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/llmfall/llmfall/judge"
)

// votingPanel is a panel whose members vote by rule on the ticket number
// the prompt asks about and the candidate's provider, so that they agree on
// some verdicts and not on others; a member whose rule errs fails to give
// its vote.
type votingPanel []panelRule

type panelRule struct {
	member string
	vote   func(id int, provider string) (pass bool, err error)
}

func (p votingPanel) Rubric(_ context.Context, in judge.RubricInput) (judge.Verdict, error) {
	var id int
	if _, err := fmt.Sscanf(in.Prompt, "ticket %d", &id); err != nil {
		return judge.Verdict{}, fmt.Errorf("prompt %q: %w", in.Prompt, err)
	}
	votes := make([]judge.Vote, len(p))
	for i, r := range p {
		name := "j/" + r.member
		pass, err := r.vote(id, in.CandidateProvider)
		votes[i] = judge.Vote{Member: r.member, Verdict: judge.Verdict{Pass: pass, Judge: name}}
		if err != nil {
			votes[i] = judge.Vote{Member: r.member, Error: err.Error(), Verdict: judge.Verdict{Judge: name}}
		}
	}
	return judge.Tally(votes, len(p)/2+1), nil
}

func (votingPanel) Consistent(context.Context, judge.PairInput) (judge.Verdict, error) {
	return judge.Verdict{}, errors.New("not asked")
}

var (
	smartRule = panelRule{"smart", func(id int, _ string) (bool, error) { return id%3 != 0, nil }}
	fastRule  = panelRule{"fast", func(id int, p string) (bool, error) {
		if id == 5 && p == "c" {
			return false, errors.New("timeout")
		}
		return id%4 != 1 && p != "b", nil
	}}
	cheapRule = panelRule{"cheap", func(id int, p string) (bool, error) { return id%2 == 1 || p == "a", nil }}
)

// TestMergeKeepsThePanel: the merged panel summary of a sharded run is the
// unsharded run's: votes and contested verdicts add up, and the agreement
// (Cohen's for two members, Fleiss' for three, over the verdicts every
// member voted on) is the one the unsharded run computed, not a sum.
func TestMergeKeepsThePanel(t *testing.T) {
	s := shardSuite(t, 3, 8, nil, `{type: judge, rubric: "mentions ticket"}`)
	for _, tc := range []struct {
		panel  votingPanel
		method string
	}{
		{votingPanel{smartRule, fastRule}, "cohen"},
		{votingPanel{smartRule, fastRule, cheapRule}, "fleiss"},
	} {
		t.Run(tc.method, func(t *testing.T) {
			whole := runShardJudged(t, s, Shard{}, GateOptions{}, tc.panel)
			want := whole.Summary.Judge.Panel
			if want == nil || want.Agreement == nil || want.AgreementMethod != tc.method || want.Contested == 0 {
				t.Fatalf("unsharded panel = %+v; want %s agreement and contested verdicts for the comparison to mean something", want, tc.method)
			}
			const n = 3
			var parts []*Results
			for i := 1; i <= n; i++ {
				part := runShardJudged(t, s, Shard{Index: i, Count: n}, GateOptions{}, tc.panel)
				if part.Summary.Judge == nil || part.Summary.Judge.Panel == nil {
					t.Fatalf("shard %d/%d has no panel summary; want verdicts in every shard", i, n)
				}
				parts = append(parts, part)
			}
			merged, err := Merge(parts)
			if err != nil {
				t.Fatal(err)
			}
			if diff := gocmp.Diff(want, merged.Summary.Judge.Panel); diff != "" {
				t.Errorf("merged panel (-unsharded +merged):\n%s", diff)
			}
			if w, m := whole.Summary.Judge.String(), merged.Summary.Judge.String(); w != m {
				t.Errorf("merged judge line = %q; want the unsharded %q", m, w)
			}
		})
	}
}

// panelVerdicts are n verdicts of members a, b and c, made up from seed:
// each member passes or fails, now and then fails to answer, and c sits out
// every verdict on a multiple of 5 (as a member of the candidate's own
// provider does).
func panelVerdicts(n int, seed uint64) []judge.Verdict {
	rng := rand.New(rand.NewPCG(seed, 1))
	out := make([]judge.Verdict, n)
	for i := range out {
		var votes []judge.Vote
		for _, m := range []string{"a", "b", "c"} {
			if m == "c" && i%5 == 0 {
				continue
			}
			v := vote(m, rng.IntN(3) > 0)
			if rng.IntN(10) == 0 {
				v = judge.Vote{Member: m, Error: "timeout", Verdict: judge.Verdict{Judge: "j/" + m}}
			}
			votes = append(votes, v)
		}
		out[i] = judge.Tally(votes, 2)
	}
	return out
}

// shardPanel is the panel summary of verdicts as a shard's results document
// carries it.
func shardPanel(t *testing.T, verdicts []judge.Verdict) *PanelSummary {
	t.Helper()
	var tally panelTally
	for _, v := range verdicts {
		tally.add(v)
	}
	data, err := json.Marshal(tally.summary())
	if err != nil {
		t.Fatal(err)
	}
	var back *PanelSummary
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	return back
}

// TestMergedPanelIsTheWholeRuns: however the verdicts are split into shards
// (one of them without any verdict member c voted on, one without any
// verdict every member voted on), the merged panel, its agreement to the
// last bit included, is the one tallied over all of them.
func TestMergedPanelIsTheWholeRuns(t *testing.T) {
	for _, members := range [][]string{{"a", "b"}, {"a", "b", "c"}} {
		for seed := range uint64(20) {
			all := panelVerdicts(60, seed)
			for i := range all {
				all[i].Votes = slices.DeleteFunc(all[i].Votes, func(v judge.Vote) bool { return !slices.Contains(members, v.Member) })
			}
			want := shardPanel(t, all)
			if want.AgreementMethod == "" {
				t.Fatalf("seed %d: panel %+v has no agreement; want one for the comparison to mean something", seed, want)
			}
			rng := rand.New(rand.NewPCG(seed, 2))
			cuts := []int{0, 1 + rng.IntN(20), 25 + rng.IntN(20), 60}
			var shards [][]judge.Verdict
			for i := range len(cuts) - 1 {
				shards = append(shards, all[cuts[i]:cuts[i+1]])
			}
			shards = append(shards,
				[]judge.Verdict{all[0], all[5], all[10]}, // c sat out: a shard of members a and b
				[]judge.Verdict{judge.Tally([]judge.Vote{vote("a", true), {Member: "b", Error: "timeout", Verdict: judge.Verdict{Judge: "j/b"}}}, 2)})
			var extra []judge.Verdict
			for _, s := range shards[3:] {
				extra = append(extra, s...)
			}
			want = shardPanel(t, slices.Concat(all, extra))
			var merged *PanelSummary
			for _, s := range shards {
				merged = mergePanel(merged, shardPanel(t, s))
			}
			if diff := gocmp.Diff(want, merged); diff != "" || want.String() != merged.String() {
				t.Errorf("members %v, seed %d: merged panel (-whole +merged):\n%s\nwhole:  %s\nmerged: %s", members, seed, diff, want, merged)
			}
		}
	}
}

// TestMergedPanelWithoutCounts: a shard whose results lack the agreement
// counts (written before llmfall kept them) or carry counts that describe
// no votes leaves the merged agreement unknown, never a wrong number; the
// votes still add up.
func TestMergedPanelWithoutCounts(t *testing.T) {
	one, two := shardPanel(t, panelVerdicts(30, 1)), shardPanel(t, panelVerdicts(30, 2))
	broken := []func(p *PanelSummary){
		func(p *PanelSummary) { p.AgreementCounts = nil },
		func(p *PanelSummary) { p.AgreementCounts.Pass = p.AgreementCounts.Pass[1:] },
		func(p *PanelSummary) { p.AgreementCounts.Split[0] = -1 },
		func(p *PanelSummary) { p.AgreementCounts.Pass[0]++ },
		func(p *PanelSummary) { p.AgreementCounts.Members = []string{"c", "b", "a"} },
		func(p *PanelSummary) { p.AgreementCounts.Members = []string{"a", "a", "c"} },
	}
	for i, breakIt := range broken {
		for _, first := range []bool{true, false} {
			a, b := shardPanel(t, panelVerdicts(30, 1)), shardPanel(t, panelVerdicts(30, 2))
			if first {
				breakIt(a)
			} else {
				breakIt(b)
			}
			merged := mergePanel(mergePanel(nil, a), b)
			if merged.Agreement != nil || merged.AgreementMethod != AgreementUnmerged || merged.AgreementCounts != nil {
				t.Errorf("case %d (broken first %t): merged agreement = %v, %q, %+v; want none, %q", i, first,
					merged.Agreement, merged.AgreementMethod, merged.AgreementCounts, AgreementUnmerged)
			}
			if merged.Verdicts != one.Verdicts+two.Verdicts || merged.Contested != one.Contested+two.Contested ||
				merged.Judges["j/a"].Pass != one.Judges["j/a"].Pass+two.Judges["j/a"].Pass {
				t.Errorf("case %d: merged panel = %+v; want the shards' votes added up", i, merged)
			}
			if line := merged.String(); !strings.Contains(line, "agreement κ unknown (a shard's results lack the counts to merge it") {
				t.Errorf("case %d: line = %q; want the agreement unknown and why", i, line)
			}
		}
	}
}
