package eval

import (
	"cmp"
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/llmfall/llmfall/judge"
	"github.com/llmfall/llmfall/provider"
)

// shardSuite writes prompts p0..p(prompts-1), each with tests tests
// carrying asserts, plus extra files.
func shardSuite(t *testing.T, prompts, tests int, extra map[string]string, asserts ...string) *Suite {
	t.Helper()
	files := map[string]string{}
	for p := range prompts {
		var b strings.Builder
		fmt.Fprintf(&b, "name: p%d\ncategory: fast\nprompt: \"ticket {{.id}}\"\ntests:\n", p)
		for i := range tests {
			fmt.Fprintf(&b, "  - name: t%d\n    vars: {id: \"%d\"}\n    assert: [%s]\n", i, i, strings.Join(asserts, ", "))
		}
		files[fmt.Sprintf("p%d.yaml", p)] = b.String()
	}
	for name, content := range extra {
		files[name] = content
	}
	return loadDir(t, files)
}

// shardOfCases maps each planned case to the shard whose plan holds it.
func shardOfCases(t *testing.T, s *Suite, opts PlanOptions, n int) map[CaseKey][]int {
	t.Helper()
	got := map[CaseKey][]int{}
	for i := 1; i <= n; i++ {
		opts.Shard = Shard{Index: i, Count: n}
		for _, c := range mustPlan(t, s, opts).Cases {
			got[c.Key()] = append(got[c.Key()], i)
		}
	}
	return got
}

func TestShardsPartitionThePlan(t *testing.T) {
	s := shardSuite(t, 3, 12, nil, `{type: contains, value: "ticket"}`, `{type: consistent}`)
	opts := PlanOptions{Depth: 3, Repeat: 2}
	whole := mustPlan(t, s, opts)
	for _, n := range []int{1, 2, 3, 7} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			got := shardOfCases(t, s, opts, n)
			if len(got) != len(whole.Cases) {
				t.Errorf("shards hold %d cases; want the plan's %d", len(got), len(whole.Cases))
			}
			testShard := map[string]int{}
			for _, c := range whole.Cases {
				shards := got[c.Key()]
				if len(shards) != 1 {
					t.Errorf("case %s is in shards %v; want exactly one", c.Key(), shards)
					continue
				}
				// Every link and repeat of a test stays together, so that
				// a consistent check has its primary in its shard.
				if prev, ok := testShard[c.Name()]; ok && prev != shards[0] {
					t.Errorf("test %s is split over shards %d and %d", c.Name(), prev, shards[0])
				}
				testShard[c.Name()] = shards[0]
			}
			for i := 1; i <= n; i++ {
				p := mustPlan(t, s, PlanOptions{Depth: 3, Repeat: 2, Shard: Shard{Index: i, Count: n}})
				if p.Suite != whole.Suite || p.Planned != len(whole.Cases) {
					t.Errorf("shard %d/%d: suite %.12s of %d cases; want the whole plan's %.12s of %d", i, n, p.Suite, p.Planned, whole.Suite, len(whole.Cases))
				}
			}
		})
	}
	// With 36 tests, 3 shards are not left empty: the hash spreads them.
	counts := map[int]int{}
	for _, shards := range shardOfCases(t, s, opts, 3) {
		counts[shards[0]]++
	}
	if len(counts) != 3 {
		t.Errorf("cases per shard = %v; want all 3 shards used", counts)
	}
}

func TestShardsStayWhenPromptsAreAdded(t *testing.T) {
	assert := `{type: contains, value: "ticket"}`
	before := shardSuite(t, 2, 20, nil, assert)
	after := shardSuite(t, 2, 20, map[string]string{
		"new.yaml": "name: new\ncategory: fast\nprompt: \"other {{.id}}\"\ntests:\n  - {name: a, vars: {id: \"1\"}, assert: [" + assert + "]}\n  - {name: t3, vars: {id: \"2\"}, assert: [" + assert + "]}\n",
	}, assert)
	const n = 4
	was := shardOfCases(t, before, PlanOptions{}, n)
	now := shardOfCases(t, after, PlanOptions{}, n)
	for key, shards := range was {
		if !slices.Equal(now[key], shards) {
			t.Errorf("case %s moved from shard %v to %v when a prompt was added", key, shards, now[key])
		}
	}
	if len(now) != len(was)+4 {
		t.Errorf("after adding a prompt: %d cases; want %d", len(now), len(was)+4)
	}
	if mustPlan(t, before, PlanOptions{}).Suite == mustPlan(t, after, PlanOptions{}).Suite {
		t.Error("suite identity unchanged by a new prompt; want it to differ")
	}
}

func TestParseShard(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Shard
		err  bool
	}{
		{in: "1/1", want: Shard{1, 1}},
		{in: "2/4", want: Shard{2, 4}},
		{in: "0/4", err: true},
		{in: "5/4", err: true},
		{in: "2", err: true},
		{in: "a/b", err: true},
	} {
		got, err := ParseShard(tc.in)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("ParseShard(%q) = %v, %v; want %v (error: %v)", tc.in, got, err, tc.want, tc.err)
		}
	}
}

// modelAnswers echo the ticket, except that link b drops it on even
// tests, so that some cells fail the gate.
func modelAnswers(_ int, req *provider.Request) (string, error) {
	text := req.Messages[0].Content
	var id int
	fmt.Sscanf(text, "ticket %d", &id)
	if req.Model == "claude-3-5-haiku-latest" && id%2 == 0 {
		return "something else", nil
	}
	return text, nil
}

// runShard runs one shard (or the whole plan) as eval does and returns the
// document it would write, read back from disk.
func runShard(t *testing.T, s *Suite, shard Shard, gate GateOptions) *Results {
	t.Helper()
	return runShardJudged(t, s, shard, gate, &fakeJudge{})
}

// runShardJudged is runShard with judge j.
func runShardJudged(t *testing.T, s *Suite, shard Shard, gate GateOptions, j judge.Judge) *Results {
	t.Helper()
	plan := mustPlan(t, s, PlanOptions{Depth: 3, Shard: shard})
	ps, _ := fakes(modelAnswers)
	rs, err := Run(context.Background(), plan, RunOptions{Providers: ps, Judge: j, Prices: Prices(nil).WithDefaults()})
	if err != nil {
		t.Fatal(err)
	}
	rs.Run.Gate = gate.Settings().ForShard(shard)
	path := filepath.Join(t.TempDir(), "results.json")
	if err := rs.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	back, err := ReadResults(path)
	if err != nil {
		t.Fatal(err)
	}
	return back
}

func sortedGating(g *Gating) *Gating {
	out := *g
	out.Violations = slices.Clone(g.Violations)
	slices.SortFunc(out.Violations, func(a, b Violation) int {
		return cmp.Or(cmp.Compare(a.Prompt, b.Prompt), cmp.Compare(a.Position, b.Position), cmp.Compare(a.Rule, b.Rule))
	})
	return &out
}

func sortedCells(cells []Cell) []Cell {
	out := slices.Clone(cells)
	slices.SortFunc(out, func(a, b Cell) int {
		return cmp.Or(cmp.Compare(a.Prompt, b.Prompt), cmp.Compare(a.Position, b.Position))
	})
	return out
}

func TestMergedGateIsTheUnshardedGate(t *testing.T) {
	s := shardSuite(t, 3, 9, nil, `{type: contains, value: "ticket"}`, `{type: judge, rubric: "mentions ticket"}`, `{type: consistent}`)
	baseline := &Results{Results: slices.Concat(cellResults("p0", "c", 2, 10, 0, 0), cellResults("p1", "a", 0, 10, 0, 0))}
	gate := GateOptions{MinPassRate: 0.6, PositionMinPassRate: map[int]float64{2: 0.5}, PromptMinPassRate: map[string]float64{"p2": 0.9},
		Baseline: baseline, MaxRegression: 0.05}

	whole := runShard(t, s, Shard{}, gate)
	want := Gate(whole, gate)
	if want.Pass || len(want.Violations) == 0 {
		t.Fatalf("unsharded gate = %+v; want a failing gate for the comparison to mean something", want)
	}
	const n = 3
	var parts []*Results
	for i := n; i >= 1; i-- { // in any order
		parts = append(parts, runShard(t, s, Shard{Index: i, Count: n}, gate))
	}
	// Which results came from the cache or the baseline is counted in
	// each shard's summary only.
	parts[0].Summary.Cached, parts[1].Summary.Cached, parts[2].Summary.Carried = 2, 3, 1
	merged, err := Merge(parts)
	if err != nil {
		t.Fatal(err)
	}
	if merged.Summary.Cached != 5 || merged.Summary.Carried != 1 {
		t.Errorf("merged cached, carried = %d, %d; want the shards' 5, 1", merged.Summary.Cached, merged.Summary.Carried)
	}
	got := Gate(merged, merged.Run.Gate.Options())
	if diff := gocmp.Diff(sortedGating(want), sortedGating(got)); diff != "" {
		t.Errorf("merged gate (-unsharded +merged):\n%s", diff)
	}
	if diff := gocmp.Diff(sortedCells(whole.Summary.Links), sortedCells(merged.Summary.Links)); diff != "" {
		t.Errorf("merged cells (-unsharded +merged):\n%s", diff)
	}
	w, m := whole.Summary, merged.Summary
	if m.Total != w.Total || m.Passed != w.Passed || m.Failed != w.Failed || m.Judge.Verdicts != w.Judge.Verdicts || !approx(m.CostUSD, w.CostUSD) {
		t.Errorf("merged summary = %+v; want the unsharded totals %+v", m, w)
	}
	if merged.Run.Shard != nil || merged.Run.Suite != whole.Run.Suite || merged.Run.Cases != whole.Run.Cases {
		t.Errorf("merged run = %+v; want the whole suite's identity %+v", merged.Run, whole.Run)
	}
}

func TestMergeRefusesMixedShards(t *testing.T) {
	s := shardSuite(t, 2, 6, nil, `{type: contains, value: "ticket"}`)
	other := shardSuite(t, 3, 6, nil, `{type: contains, value: "ticket"}`)
	gate := GateOptions{MinPassRate: 0.9}
	shard := func(s *Suite, i, n int, g GateOptions) *Results { return runShard(t, s, Shard{Index: i, Count: n}, g) }
	one, two := shard(s, 1, 2, gate), shard(s, 2, 2, gate)
	overlapping := shard(s, 2, 2, gate)
	overlapping.Results = append(overlapping.Results, one.Results[0])
	tests := []struct {
		name  string
		parts []*Results
		want  string
	}{
		{"another suite", []*Results{one, shard(other, 2, 2, gate)}, "ran another suite or configuration"},
		{"another count", []*Results{one, two, shard(s, 3, 3, gate)}, "is not one of 2 shards"},
		{"another gate", []*Results{one, shard(s, 2, 2, GateOptions{MinPassRate: 0.5})}, "ran under another gate"},
		{"a shard twice", []*Results{one, one}, "shard 1/2 is given twice"},
		{"a missing shard", []*Results{two}, "shard 1/2 is missing"},
		{"a case in two shards", []*Results{one, overlapping}, "is in shard 1/2 and shard 2/2"},
		{"not a shard", []*Results{runShard(t, s, Shard{}, gate)}, "not the results of a shard"},
	}
	// Under the paired gate each shard has the baseline cases of its own
	// tests: a shard run against another baseline, or listing a case of
	// another shard, is refused all the same.
	baseline := runShard(t, s, Shard{}, gate)
	paired := GateOptions{Paired: true, Baseline: baseline}
	flipped := *baseline
	flipped.Results = slices.Clone(baseline.Results)
	for i := range flipped.Results {
		if two.Run.Shard.Holds(flipped.Results[i].Prompt, flipped.Results[i].Test) {
			// Its score only, so that the baseline's cells are the same.
			flipped.Results[i].Score /= 2
			break
		}
	}
	onePaired, twoPaired := shard(s, 1, 2, paired), shard(s, 2, 2, paired)
	foreign, short := shard(s, 2, 2, paired), shard(s, 2, 2, paired)
	foreign.Run.Gate.BaselineCases = append(foreign.Run.Gate.BaselineCases, onePaired.Run.Gate.BaselineCases[0])
	short.Run.Gate.BaselineCases = short.Run.Gate.BaselineCases[1:]
	tests = append(tests,
		struct {
			name  string
			parts []*Results
			want  string
		}{"another baseline", []*Results{onePaired, shard(s, 2, 2, GateOptions{Paired: true, Baseline: &flipped})}, "ran under another gate"},
		struct {
			name  string
			parts []*Results
			want  string
		}{"a baseline case left out", []*Results{onePaired, short}, "do not make up the baseline"},
		struct {
			name  string
			parts []*Results
			want  string
		}{"a baseline case of another shard", []*Results{onePaired, foreign}, "lists the baseline case"},
	)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Merge(tc.parts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Merge error = %v; want one saying %q", err, tc.want)
			}
		})
	}
	if _, err := Merge([]*Results{two, one}); err != nil {
		t.Errorf("Merge of both shards: %v", err)
	}
	merged, err := Merge([]*Results{twoPaired, onePaired})
	if err != nil {
		t.Fatalf("Merge of both paired shards: %v", err)
	}
	if diff := gocmp.Diff(paired.Settings(), merged.Run.Gate); diff != "" {
		t.Errorf("merged gate settings (-unsharded +merged):\n%s", diff)
	}
}

// A judge that passed a canary in one shard fails the merged gate, as it
// fails the gate of one unsharded run: merging must not launder it.
func TestMergedGateFailsOnACompromisedJudge(t *testing.T) {
	s := shardSuite(t, 2, 6, nil, `{type: contains, value: "ticket"}`)
	gate := GateOptions{MinPassRate: 0, CanaryPolicy: CanaryFail}
	one, two := runShard(t, s, Shard{Index: 1, Count: 2}, gate), runShard(t, s, Shard{Index: 2, Count: 2}, gate)
	two.Summary.Judge = &JudgeSummary{Canaries: &CanarySummary{Policy: CanaryFail, Judged: 2,
		Compromised: []string{"gemini/gemini-2.5-pro"},
		Failures:    []CanaryResult{{Prompt: "p0", Judge: "gemini/gemini-2.5-pro", Kind: "injection", Score: 1}}}}
	merged, err := Merge([]*Results{one, two})
	if err != nil {
		t.Fatal(err)
	}
	g := Gate(merged, merged.Run.Gate.Options())
	if g.Pass {
		t.Fatalf("merged gate passed with a compromised judge in shard 2/2: %+v", g)
	}
	if len(g.Violations) != 1 || g.Violations[0].Rule != "canary" {
		t.Errorf("violations = %+v; want one canary violation", g.Violations)
	}
}
