package eval

import (
	"strings"
	"testing"
)

// Every shard that cannot be merged is named at once, each by its file, so
// that a CI job fixes them in one go.
func TestMergeNamesEveryBadShard(t *testing.T) {
	s := shardSuite(t, 2, 6, nil, `{type: contains, value: "ticket"}`)
	other := shardSuite(t, 3, 6, nil, `{type: contains, value: "ticket"}`)
	gate := GateOptions{MinPassRate: 0.9}
	one := runShard(t, s, Shard{Index: 1, Count: 3}, gate)
	foreign := runShard(t, other, Shard{Index: 2, Count: 3}, gate)
	foreign.Source = "shard-2.json"
	loose := runShard(t, s, Shard{Index: 3, Count: 3}, GateOptions{MinPassRate: 0.5})
	loose.Source = "" // read from no file: named by its place
	_, err := Merge([]*Results{one, foreign, loose})
	if err == nil {
		t.Fatal("Merge() error = nil; want both bad shards named")
	}
	msg := err.Error()
	for _, want := range []string{"shard-2.json: shard 2/3 ran another suite", "results 3: shard 3/3 ran under another gate"} {
		if !strings.Contains(msg, want) {
			t.Errorf("Merge() error = %v; want it to say %q", err, want)
		}
	}
	// The shards missing because they were refused are not reported as
	// missing as well.
	if strings.Contains(msg, "missing") {
		t.Errorf("Merge() error = %v; want no missing shard on top of the refused ones", err)
	}
}

// A shard given twice does not hide a problem of the shards after it, and
// the last shard missing is named like any other.
func TestMergeAfterADuplicateAndWithoutTheLast(t *testing.T) {
	s := shardSuite(t, 2, 6, nil, `{type: contains, value: "ticket"}`)
	gate := GateOptions{MinPassRate: 0.9}
	one := runShard(t, s, Shard{Index: 1, Count: 2}, gate)
	loose := runShard(t, s, Shard{Index: 2, Count: 2}, GateOptions{MinPassRate: 0.5})
	_, err := Merge([]*Results{one, one, loose})
	if err == nil || !strings.Contains(err.Error(), "shard 1/2 is given twice") || !strings.Contains(err.Error(), "shard 2/2 ran under another gate") {
		t.Errorf("Merge() error = %v; want the duplicate and the other gate named", err)
	}
	if _, err := Merge([]*Results{one}); err == nil || err.Error() != "shard 2/2 is missing" {
		t.Errorf("Merge() of the first shard alone: error = %v; want shard 2/2 missing", err)
	}
}

// One interrupted shard makes the merged run interrupted, and its gate
// incomplete, never passed; one offline shard makes it a simulation.
func TestMergeKeepsInterruptedAndOffline(t *testing.T) {
	s := shardSuite(t, 2, 6, nil, `{type: contains, value: "ticket"}`)
	gate := GateOptions{MinPassRate: 0}
	for _, second := range []bool{false, true} {
		one, two := runShard(t, s, Shard{Index: 1, Count: 2}, gate), runShard(t, s, Shard{Index: 2, Count: 2}, gate)
		flagged := one
		if second {
			flagged = two
		}
		flagged.Summary.Interrupted, flagged.Summary.Offline = true, true
		merged, err := Merge([]*Results{one, two})
		if err != nil {
			t.Fatal(err)
		}
		if !merged.Summary.Interrupted || !merged.Summary.Offline {
			t.Errorf("shard %d interrupted and offline: merged interrupted %t, offline %t; want both", map[bool]int{false: 1, true: 2}[second],
				merged.Summary.Interrupted, merged.Summary.Offline)
		}
		if g := Gate(merged, merged.Run.Gate.Options()); g.Pass || g.Status != GateIncomplete {
			t.Errorf("merged gate = %+v; want incomplete, not passed", g)
		}
	}
}

// A shard of the same suite planned into another number of cases (another
// depth or repeat), or of another suite with as many cases, is refused:
// either differing makes the shards two runs.
func TestMergeRefusesAnotherConfigurationAlone(t *testing.T) {
	s := shardSuite(t, 2, 6, nil, `{type: contains, value: "ticket"}`)
	gate := GateOptions{MinPassRate: 0}
	for _, field := range []string{"cases", "suite"} {
		one, two := runShard(t, s, Shard{Index: 1, Count: 2}, gate), runShard(t, s, Shard{Index: 2, Count: 2}, gate)
		if field == "cases" {
			two.Run.Cases++
		} else {
			two.Run.Suite += "-other"
		}
		if _, err := Merge([]*Results{one, two}); err == nil || !strings.Contains(err.Error(), "ran another suite or configuration") {
			t.Errorf("another %s: Merge() error = %v; want the shards refused", field, err)
		}
	}
}
