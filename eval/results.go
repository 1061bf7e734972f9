package eval

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/llmfall/llmfall/provider"
	"github.com/llmfall/llmfall/provider/toolspec"
)

// ResultsVersion is the version of the results document.
const ResultsVersion = 1

// Result is one case's outcome, in the shape docs/design.md documents for
// --output. A result with an Error has no grade: the link failed to answer,
// which is not a quality failure.
type Result struct {
	Prompt     string            `json:"prompt"`
	Test       string            `json:"test"`
	Provider   string            `json:"provider"`
	Model      string            `json:"model"`
	Position   int               `json:"position"`
	Output     string            `json:"output"`
	ToolCalls  []toolspec.Call   `json:"tool_calls,omitempty"` // as run --json shows them
	Pass       bool              `json:"pass"`
	Score      float64           `json:"score"`
	LatencyMS  int64             `json:"latency_ms"`
	Usage      provider.Usage    `json:"usage"`
	CostUSD    float64           `json:"cost_usd"`
	Error      string            `json:"error"`
	Assertions []AssertionResult `json:"assertions"`
	// Repeat numbers the runs of one case (--repeat), from 0.
	Repeat int `json:"repeat"`
	// Fingerprint covers every input that decided the outcome (see
	// Fingerprint); Inputs are its parts, so that a later run can say
	// which changed. A baseline result is reused only for a case of the
	// same fingerprint.
	Fingerprint string            `json:"fingerprint"`
	Inputs      map[string]string `json:"inputs,omitempty"`
	// Reason says why the case ran, or that it was carried.
	Reason string `json:"reason,omitempty"`
	// Input is the prompt as sent (system and user message), on the
	// primary link's result of each case only: the other links were sent
	// the same, and the document stays small.
	Input string `json:"input,omitempty"`
	// Order, in a shard's results only, is where the result goes in the
	// results of the unsharded run: Merge lists them by it.
	Order int `json:"order,omitempty"`

	// Where the test is defined, for annotations; not part of the document.
	File string `json:"-"`
	Line int    `json:"-"`
	// Cached marks an answer read from the cache, Carried a result taken
	// from the baseline for a prompt that did not change.
	Cached  bool `json:"-"`
	Carried bool `json:"-"`
}

// Errored reports whether the case has no grade because a call failed.
func (r *Result) Errored() bool { return r.Error != "" }

// Link is "provider/model".
func (r *Result) Link() string { return r.Provider + "/" + r.Model }

// Results is the document --output writes and --baseline reads.
type Results struct {
	Version int      `json:"version"`
	Results []Result `json:"results"`
	Summary Summary  `json:"summary"`
	// Run says what was run: which suite, which shard of it, under which
	// gate; Merge checks that the shards it combines agree on it.
	Run *RunInfo `json:"run,omitempty"`

	// Source is the file the document was read from, for errors.
	Source string `json:"-"`
	// Unlisted counts the failed and errored results a run left out of
	// Results (RunOptions.Retain); the summary counts them.
	Unlisted int `json:"-"`
}

// RunInfo identifies a run's suite and gate, so that the results of the
// shards of one run can be merged and those of different runs cannot.
type RunInfo struct {
	// Suite is Plan.Suite: a hash of every planned case's key and
	// fingerprint, over all shards.
	Suite string `json:"suite"`
	// Cases is how many cases the suite plans over all shards.
	Cases int `json:"cases"`
	// Shard is the part of the suite run; nil for all of it.
	Shard *Shard `json:"shard,omitempty"`
	// Gate is what the gate was (or, for a shard, will be) set to.
	Gate *GateSettings `json:"gate,omitempty"`
}

// Summary totals a run. Pass rates count graded cases only: errored cases
// are neither passes nor failures.
type Summary struct {
	Total    int     `json:"total"`
	Passed   int     `json:"passed"`
	Failed   int     `json:"failed"`
	Errored  int     `json:"errored"`
	PassRate float64 `json:"pass_rate"`
	// NotRun counts planned cases left without a result by an interrupt.
	NotRun      int     `json:"not_run"`
	Cached      int     `json:"cached"`
	Carried     int     `json:"carried"`
	CostUSD     float64 `json:"cost_usd"`
	DurationMS  int64   `json:"duration_ms"`
	Interrupted bool    `json:"interrupted"`
	Offline     bool    `json:"offline"`
	Links       []Cell  `json:"links"`
	// Reasons counts the results by why their case ran (or was carried).
	Reasons map[string]int `json:"reasons,omitempty"`
	Gate    *Gating        `json:"gate,omitempty"`
	// Judge is who judged and how reliably; nil when no assertion needed a judge.
	Judge *JudgeSummary `json:"judge,omitempty"`
	// Repeats are pass@k and pass^k per test × link when cases ran more
	// than once (--repeat).
	Repeats []Repeat `json:"repeats,omitempty"`
}

// Cell is one prompt × link of the matrix.
type Cell struct {
	Prompt   string  `json:"prompt"`
	Position int     `json:"position"`
	Provider string  `json:"provider"`
	Model    string  `json:"model"`
	Passed   int     `json:"passed"`
	Failed   int     `json:"failed"`
	Errored  int     `json:"errored"`
	PassRate float64 `json:"pass_rate"`
}

// Graded is the number of cases with a grade.
func (c Cell) Graded() int { return c.Passed + c.Failed }

// Link is "provider/model".
func (c Cell) Link() string { return c.Provider + "/" + c.Model }

type cellKey struct {
	prompt, provider, model string
	position                int
}

// Cells groups results by prompt × link, in order of first appearance.
func Cells(results []Result) []Cell {
	t := newTally()
	for i := range results {
		t.add(&results[i])
	}
	return t.cells()
}

// tally sums results one at a time into a summary's counts and cells, so
// that a run can report on more results than it keeps (RunOptions.Retain).
// It is the one place where results are counted.
type tally struct {
	s       Summary
	links   []Cell
	index   map[cellKey]int
	repeats repeatTally
}

func newTally() *tally { return &tally{index: map[cellKey]int{}} }

// cell is the cell of r's prompt × link, made in order of first call: a
// run calls it in plan order first, so that the matrix does not depend on
// which case finished first.
func (t *tally) cell(prompt, provider, model string, position int) *Cell {
	k := cellKey{prompt, provider, model, position}
	i, ok := t.index[k]
	if !ok {
		i = len(t.links)
		t.index[k] = i
		t.links = append(t.links, Cell{Prompt: prompt, Position: position, Provider: provider, Model: model})
	}
	return &t.links[i]
}

func (t *tally) add(r *Result) {
	s := &t.s
	t.repeats.add(r)
	c := t.cell(r.Prompt, r.Provider, r.Model, r.Position)
	s.Total++
	switch {
	case r.Errored():
		s.Errored++
		c.Errored++
	case r.Pass:
		s.Passed++
		c.Passed++
	default:
		s.Failed++
		c.Failed++
	}
	if r.Cached {
		s.Cached++
	}
	if r.Carried {
		s.Carried++
	}
	if r.Reason != "" {
		if s.Reasons == nil {
			s.Reasons = map[string]int{}
		}
		s.Reasons[r.Reason]++
	}
	s.CostUSD += r.CostUSD
}

// cells are the cells with at least one result, with their pass rates.
func (t *tally) cells() []Cell {
	var out []Cell
	for _, c := range t.links {
		if c.Passed+c.Failed+c.Errored == 0 {
			continue
		}
		c.PassRate = passRate(c.Passed, c.Graded())
		out = append(out, c)
	}
	return out
}

// fill sets the counts, cost and cells of s from the tally; the judge's
// cost, when s has a judge, counts in the total.
func (t *tally) fill(s *Summary) {
	s.Total, s.Passed, s.Failed, s.Errored = t.s.Total, t.s.Passed, t.s.Failed, t.s.Errored
	s.Cached, s.Carried, s.CostUSD, s.Reasons = t.s.Cached, t.s.Carried, t.s.CostUSD, t.s.Reasons
	if s.Judge != nil {
		s.CostUSD += s.Judge.CostUSD
	}
	s.PassRate = passRate(s.Passed, s.Passed+s.Failed)
	s.Links = t.cells()
	s.Repeats = t.repeats.repeats()
}

func passRate(passed, graded int) float64 {
	if graded == 0 {
		return 0
	}
	return float64(passed) / float64(graded)
}

// Summarize fills the counts of the summary, its cost and its cells from
// the results.
func (rs *Results) Summarize() {
	t := newTally()
	for i := range rs.Results {
		t.add(&rs.Results[i])
	}
	t.fill(&rs.Summary)
}

// WriteFile writes the results document to path, atomically.
func (rs *Results) WriteFile(path string) error {
	b, err := json.MarshalIndent(rs, "", "  ")
	if err != nil {
		return fmt.Errorf("writing results: %w", err)
	}
	return writeAtomic(path, append(b, '\n'))
}

// ReadResults reads a results document, e.g. a baseline.
func ReadResults(path string) (*Results, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading results: %w", err)
	}
	var rs Results
	if err := json.Unmarshal(b, &rs); err != nil {
		return nil, fmt.Errorf("reading results %s: %w", path, err)
	}
	if rs.Version != ResultsVersion {
		return nil, fmt.Errorf("reading results %s: version %d, want %d", path, rs.Version, ResultsVersion)
	}
	rs.Source = path
	return &rs, nil
}

// writeAtomic writes through a temporary file in the same directory and a
// rename, so that a reader never sees half a file and an interrupted write
// leaves the old one.
func writeAtomic(path string, data []byte) error {
	return writeAtomicWith(path, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// ReasonsLine is "why: 3 link changed, 27 unchanged since the baseline":
// the reasons counted, most frequent first; "" when there are none.
func (s *Summary) ReasonsLine() string {
	if len(s.Reasons) == 0 {
		return ""
	}
	names := slices.Sorted(maps.Keys(s.Reasons))
	slices.SortStableFunc(names, func(a, b string) int { return s.Reasons[b] - s.Reasons[a] })
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = fmt.Sprintf("%d %s", s.Reasons[n], n)
	}
	return "why: " + strings.Join(parts, ", ")
}
