package eval

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
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
	var cells []Cell
	index := map[cellKey]int{}
	for _, r := range results {
		k := cellKey{r.Prompt, r.Provider, r.Model, r.Position}
		i, ok := index[k]
		if !ok {
			i = len(cells)
			index[k] = i
			cells = append(cells, Cell{Prompt: r.Prompt, Position: r.Position, Provider: r.Provider, Model: r.Model})
		}
		c := &cells[i]
		switch {
		case r.Errored():
			c.Errored++
		case r.Pass:
			c.Passed++
		default:
			c.Failed++
		}
	}
	for i := range cells {
		cells[i].PassRate = passRate(cells[i].Passed, cells[i].Graded())
	}
	return cells
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
	s := &rs.Summary
	s.Total, s.Passed, s.Failed, s.Errored, s.Cached, s.Carried, s.CostUSD = len(rs.Results), 0, 0, 0, 0, 0, 0
	s.Reasons = nil
	for _, r := range rs.Results {
		switch {
		case r.Errored():
			s.Errored++
		case r.Pass:
			s.Passed++
		default:
			s.Failed++
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
	if s.Judge != nil {
		s.CostUSD += s.Judge.CostUSD
	}
	s.PassRate = passRate(s.Passed, s.Passed+s.Failed)
	s.Links = Cells(rs.Results)
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
	return &rs, nil
}

// writeAtomic writes through a temporary file in the same directory and a
// rename, so that a reader never sees half a file and an interrupted write
// leaves the old one.
func writeAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	tmp := f.Name()
	_, werr := f.Write(data)
	if werr == nil {
		werr = f.Chmod(0o644)
	}
	cerr := f.Close()
	if werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(tmp, path)
	}
	if werr != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", path, werr)
	}
	return nil
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
