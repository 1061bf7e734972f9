package eval

import (
	"encoding/json"
	"strings"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"
)

// TestMergeAddsTheJudgeTallies: the merged run's judge line is the sum of
// the shards' (a shard without a judge adds nothing), its inconsistency
// rate recomputed from the sums, a judge compromised in two shards named
// once; shards without pairwise verdicts merge to a rate of 0, not NaN (which
// no results file can hold); and shards without any judge merge to none.
func TestMergeAddsTheJudgeTallies(t *testing.T) {
	s := shardSuite(t, 2, 6, nil, `{type: contains, value: "ticket"}`)
	gate := GateOptions{MinPassRate: 0}
	shards := func() []*Results {
		var out []*Results
		for i := 1; i <= 3; i++ {
			out = append(out, runShard(t, s, Shard{Index: i, Count: 3}, gate))
		}
		return out
	}

	parts := shards()
	if parts[0].Summary.Judge != nil {
		t.Fatalf("a shard without judged assertions has a judge summary: %+v", parts[0].Summary.Judge)
	}
	parts[1].Summary.Judge = &JudgeSummary{Models: map[string]int{"a/judge": 2}, Verdicts: 2, Errors: 1, Pairwise: 2, Inconsistent: 1,
		InconsistencyRate: 0.5, Cached: 1, CostUSD: 0.25,
		Canaries: &CanarySummary{Policy: CanaryFail, Judged: 2, Errors: 1, CostUSD: 0.5, Compromised: []string{"x/lax"},
			Failures: []CanaryResult{{Prompt: "p0", Judge: "x/lax", Kind: "injection"}}}}
	parts[2].Summary.Judge = &JudgeSummary{Models: map[string]int{"a/judge": 1, "b/judge": 3}, Verdicts: 4, Pairwise: 2,
		Cached: 2, CostUSD: 0.5,
		Canaries: &CanarySummary{Policy: CanaryFail, Judged: 1, CostUSD: 0.25, Compromised: []string{"a/judge", "x/lax"},
			Failures: []CanaryResult{{Prompt: "p1", Judge: "x/lax", Kind: "length"}, {Prompt: "p1", Judge: "a/judge", Kind: "length"}}}}
	merged, err := Merge(parts)
	if err != nil {
		t.Fatal(err)
	}
	want := &JudgeSummary{Models: map[string]int{"a/judge": 3, "b/judge": 3}, Verdicts: 6, Errors: 1, Pairwise: 4, Inconsistent: 1,
		InconsistencyRate: 0.25, Cached: 3, CostUSD: 0.75,
		Canaries: &CanarySummary{Policy: CanaryFail, Judged: 3, Errors: 1, CostUSD: 0.75, Compromised: []string{"a/judge", "x/lax"},
			Failures: []CanaryResult{{Prompt: "p0", Judge: "x/lax", Kind: "injection"}, {Prompt: "p1", Judge: "x/lax", Kind: "length"},
				{Prompt: "p1", Judge: "a/judge", Kind: "length"}}}}
	if diff := gocmp.Diff(want, merged.Summary.Judge); diff != "" {
		t.Errorf("merged judge summary (-want +got):\n%s", diff)
	}

	parts = shards()
	parts[0].Summary.Judge = &JudgeSummary{Models: map[string]int{"a/judge": 1}, Verdicts: 1}
	parts[2].Summary.Judge = &JudgeSummary{Models: map[string]int{"a/judge": 2}, Verdicts: 2}
	merged, err = Merge(parts)
	if err != nil {
		t.Fatal(err)
	}
	if j := merged.Summary.Judge; j == nil || j.Verdicts != 3 || j.InconsistencyRate != 0 || j.Canaries != nil {
		t.Errorf("merged judge summary = %+v; want 3 verdicts, a rate of 0, no canaries", j)
	}
	if _, err := json.Marshal(merged); err != nil {
		t.Errorf("the merged results do not encode: %v", err)
	}

	merged, err = Merge(shards())
	if err != nil {
		t.Fatal(err)
	}
	if merged.Summary.Judge != nil {
		t.Errorf("merged judge summary = %+v; want none when no shard had a judge", merged.Summary.Judge)
	}
}

// TestMergeRefusesAShardWithoutGateSettings: a shard whose results carry
// no gate settings (written by a version without them, or edited) beside
// one run under the paired gate is refused as run under another gate, in
// either order, rather than crashing the merge.
func TestMergeRefusesAShardWithoutGateSettings(t *testing.T) {
	s := shardSuite(t, 2, 6, nil, `{type: contains, value: "ticket"}`)
	paired := GateOptions{Paired: true, Baseline: runShard(t, s, Shard{}, GateOptions{})}
	for _, bare := range []int{1, 2} {
		one, two := runShard(t, s, Shard{Index: 1, Count: 2}, paired), runShard(t, s, Shard{Index: 2, Count: 2}, paired)
		if one.Run.Gate == nil || one.Run.Gate.BaselineCasesDigest == "" {
			t.Fatalf("a shard of a paired gate has gate settings %+v; want a baseline digest", one.Run.Gate)
		}
		[]*Results{one, two}[bare-1].Run.Gate = nil
		_, err := Merge([]*Results{one, two})
		if err == nil || !strings.Contains(err.Error(), "ran under another gate") {
			t.Errorf("shard %d/2 without gate settings: Merge error = %v; want it refused as run under another gate", bare, err)
		}
	}
}
