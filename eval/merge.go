package eval

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
)

// Merge combines the results of the shards of one run (eval --shard I/N)
// into the document the unsharded run would have written, its summary
// recomputed; the caller applies the gate (Gate, with the settings in Run).
// It refuses shards of different suites, configurations or gates, a shard
// given twice or missing, and a case found in two shards: a merged result
// that passes must cover the whole suite exactly once.
func Merge(parts []*Results) (*Results, error) {
	if len(parts) == 0 {
		return nil, errors.New("no results to merge")
	}
	first := parts[0].Run
	if err := checkShard(0, parts[0], first); err != nil {
		return nil, err
	}
	n := first.Shard.Count
	byIndex := make([]*Results, n+1)
	var errs []error
	for i, p := range parts {
		if err := checkShard(i, p, first); err != nil {
			errs = append(errs, err)
			continue
		}
		idx := p.Run.Shard.Index
		if byIndex[idx] != nil {
			errs = append(errs, fmt.Errorf("shard %s is given twice", p.Run.Shard))
			continue
		}
		byIndex[idx] = p
	}
	for i := 1; i <= n; i++ {
		if byIndex[i] == nil && len(errs) == 0 {
			errs = append(errs, fmt.Errorf("shard %d/%d is missing", i, n))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	gate, err := mergeGates(byIndex[1:])
	if err != nil {
		return nil, err
	}
	out := &Results{Version: ResultsVersion, Results: []Result{},
		Run: &RunInfo{Suite: first.Suite, Cases: first.Cases, Gate: gate}}
	seen := map[CaseKey]int{}
	// Which results were cached or carried is not in the document: the
	// shards' counts of them add up.
	var cached, carried int
	for i, p := range byIndex[1:] {
		for _, r := range p.Results {
			if j, dup := seen[r.Key()]; dup {
				return nil, fmt.Errorf("case %s is in shard %d/%d and shard %d/%d", r.Key(), j, n, i+1, n)
			}
			seen[r.Key()] = i + 1
		}
		out.Results = append(out.Results, p.Results...)
		s := p.Summary
		cached, carried = cached+s.Cached, carried+s.Carried
		out.Summary.NotRun += s.NotRun
		out.Summary.Interrupted = out.Summary.Interrupted || s.Interrupted
		out.Summary.Offline = out.Summary.Offline || s.Offline
		// Shards run side by side: the run took as long as the longest.
		out.Summary.DurationMS = max(out.Summary.DurationMS, s.DurationMS)
		out.Summary.Judge = mergeJudge(out.Summary.Judge, s.Judge)
	}
	// In the unsharded run's order (Result.Order), which the summary's
	// cells follow; shards of a version without it stay in shard order.
	slices.SortStableFunc(out.Results, func(a, b Result) int { return cmp.Compare(a.Order, b.Order) })
	for i := range out.Results {
		out.Results[i].Order = 0
	}
	out.Summarize()
	out.Summary.Cached, out.Summary.Carried = cached, carried
	return out, nil
}

// checkShard reports why p cannot be merged with shards like first.
func checkShard(i int, p *Results, first *RunInfo) error {
	where := p.Source
	if where == "" {
		where = fmt.Sprintf("results %d", i+1)
	}
	switch {
	case p.Version != ResultsVersion:
		return fmt.Errorf("%s: version %d, want %d", where, p.Version, ResultsVersion)
	case p.Run == nil || p.Run.Shard == nil:
		return fmt.Errorf("%s: not the results of a shard (run eval with --shard I/N)", where)
	case p.Run.Suite != first.Suite || p.Run.Cases != first.Cases:
		return fmt.Errorf("%s: shard %s ran another suite or configuration than shard %s (suite %.12s, want %.12s)",
			where, p.Run.Shard, first.Shard, p.Run.Suite, first.Suite)
	case p.Run.Shard.Count != first.Shard.Count:
		return fmt.Errorf("%s: shard %s is not one of %d shards like shard %s", where, p.Run.Shard, first.Shard.Count, first.Shard)
	case !sameGate(p.Run.Gate, first.Gate):
		return fmt.Errorf("%s: shard %s ran under another gate (thresholds or baseline) than shard %s", where, p.Run.Shard, first.Shard)
	}
	return nil
}

// mergeGates is the gate of the unsharded run, from its shards' (which
// checkShard found the same but for the baseline cases): each shard has
// the paired gate's baseline cases of its own tests (GateSettings.ForShard),
// which together must make up the whole list whose digest they all carry.
// Shards of a version that carried the whole list in each have no digest.
func mergeGates(shards []*Results) (*GateSettings, error) {
	first := shards[0].Run.Gate
	if first == nil || first.BaselineCasesDigest == "" {
		return first, nil
	}
	gate := *first
	gate.BaselineCasesDigest = ""
	gate.BaselineCases = []BaselineCase{}
	for _, p := range shards {
		for _, c := range p.Run.Gate.BaselineCases {
			if !p.Run.Shard.Holds(c.Prompt, c.Test) {
				return nil, fmt.Errorf("%s: shard %s lists the baseline case %s/%s of another shard", p.Source, p.Run.Shard, c.Prompt, c.Test)
			}
		}
		gate.BaselineCases = append(gate.BaselineCases, p.Run.Gate.BaselineCases...)
	}
	sortBaselineCases(gate.BaselineCases)
	if hashOf(gate.BaselineCases) != first.BaselineCasesDigest {
		return nil, errors.New("the shards' baseline cases do not make up the baseline they were run against: run every shard with the same --baseline")
	}
	return &gate, nil
}

// sameGate reports whether a and b are the same gate, but for the baseline
// cases each shard has of its own tests (see mergeGates).
func sameGate(a, b *GateSettings) bool {
	if a != nil && b != nil && a.BaselineCasesDigest != "" {
		ac, bc := *a, *b
		ac.BaselineCases, bc.BaselineCases = nil, nil
		a, b = &ac, &bc
	}
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return slices.Equal(ja, jb)
}

// mergeJudge adds b's judge tally to a's.
func mergeJudge(a, b *JudgeSummary) *JudgeSummary {
	if b == nil {
		return a
	}
	if a == nil {
		a = &JudgeSummary{}
	}
	if a.Models == nil {
		a.Models = map[string]int{}
	}
	for name, n := range b.Models {
		a.Models[name] += n
	}
	a.Verdicts += b.Verdicts
	a.Errors += b.Errors
	a.Pairwise += b.Pairwise
	a.Inconsistent += b.Inconsistent
	a.Cached += b.Cached
	a.CostUSD += b.CostUSD
	a.InconsistencyRate = 0
	if a.Pairwise > 0 {
		a.InconsistencyRate = float64(a.Inconsistent) / float64(a.Pairwise)
	}
	a.Canaries = mergeCanaries(a.Canaries, b.Canaries)
	a.Panel = mergePanel(a.Panel, b.Panel)
	return a
}

// mergeCanaries adds b's canaries to a's: a judge compromised in any shard
// is compromised in the merged run.
func mergeCanaries(a, b *CanarySummary) *CanarySummary {
	if b == nil {
		return a
	}
	if a == nil {
		a = &CanarySummary{Policy: b.Policy}
	}
	a.Judged += b.Judged
	a.Errors += b.Errors
	a.CostUSD += b.CostUSD
	a.Failures = append(a.Failures, b.Failures...)
	for _, name := range b.Compromised {
		if !slices.Contains(a.Compromised, name) {
			a.Compromised = append(a.Compromised, name)
		}
	}
	slices.Sort(a.Compromised)
	return a
}
