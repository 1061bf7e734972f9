package report

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"strings"
	"time"

	"github.com/llmfall/llmfall/eval"
)

//go:embed html.tmpl
var htmlTemplate string

// HTMLOptions add to the HTML report.
type HTMLOptions struct {
	// Baseline, when set, marks the cases whose verdict or output differs
	// from the baseline's same case, for the "changed" filter.
	Baseline *eval.Results
}

// WriteHTML writes the report as one self-contained HTML page (inline CSS
// and script, nothing fetched): the verdict, the prompt × link matrix with
// pass rates and cost, and every case, expandable to its prompt, each
// link's output side by side with its word differences from the primary's
// output marked, the assertion results and the judge's reasoning, latency
// and cost; with filters for failed, errored and changed cases. Every name,
// output, reason and error is untrusted and reaches the page only through
// html/template's contextual escaping.
func WriteHTML(w io.Writer, rs *eval.Results, opts HTMLOptions) error {
	// Parsed per call rather than at package initialisation: most commands
	// never render HTML, and start-up should not pay for it.
	t, err := template.New("report").Funcs(template.FuncMap{
		"percent": eval.Percent,
		"usd":     func(v float64) string { return fmt.Sprintf("$%.4f", v) },
		"ms":      func(v int64) string { return (time.Duration(v) * time.Millisecond).String() },
		"score":   func(v float64) string { return fmt.Sprintf("%.2f", v) },
		"judged":  isJudged,
	}).Parse(htmlTemplate)
	if err != nil {
		return fmt.Errorf("writing html: %w", err)
	}
	if err := t.Execute(w, newHTMLPage(rs, opts)); err != nil {
		return fmt.Errorf("writing html: %w", err)
	}
	return nil
}

type htmlPage struct {
	Verdict, VerdictClass string
	Offline               bool
	Summary               eval.Summary
	Judge                 string
	Violations            []string
	Positions             []int
	Rows                  []htmlRow
	Sections              []*htmlSection
	HasBaseline           bool
	Cases                 int
	Failed, Errored       int // cases with a failed or errored link
	Changed               int
}

type htmlRow struct {
	Prompt, Anchor string
	Cells          []htmlCell
}

type htmlCell struct {
	Present          bool
	Link, Rate, Cost string
	Passed, Graded   int
	Errored          int
	Class            string
}

// htmlSection is one prompt's cases.
type htmlSection struct {
	Prompt, Anchor string
	Groups         []*htmlGroup
}

// htmlGroup is one case on every link: a prompt's test (and repeat).
type htmlGroup struct {
	ID, Prompt, Test string
	Repeat           int
	Where            string
	Input            string
	Links            []htmlLink
	Status           string // pass, fail or error: the worst of its links
	Failed, Errored  bool
	Changed          bool
}

type htmlLink struct {
	eval.Result
	Status   string
	Diff     []Segment // the output's word diff from the primary's; nil for the primary
	Changed  bool
	Baseline string // what the baseline said, when Changed
}

type resultKey struct {
	prompt, test, provider, model string
	position, occurrence          int
}

// occurrences numbers the results of each prompt × test × link in order,
// so that repeats line up across links and with a baseline even when read
// back from a results file (which does not keep the repeat number).
func occurrences(results []eval.Result) []resultKey {
	seen := map[resultKey]int{}
	keys := make([]resultKey, len(results))
	for i, r := range results {
		k := resultKey{prompt: r.Prompt, test: r.Test, provider: r.Provider, model: r.Model, position: r.Position}
		k.occurrence = seen[k]
		seen[k]++
		keys[i] = k
	}
	return keys
}

func newHTMLPage(rs *eval.Results, opts HTMLOptions) *htmlPage {
	p := &htmlPage{Summary: rs.Summary, Offline: rs.Summary.Offline, HasBaseline: opts.Baseline != nil}
	p.Verdict, p.VerdictClass = "no gate", "warn"
	switch g := rs.Summary.Gate; {
	case g == nil:
	case g.Status == eval.GateIncomplete:
		p.Verdict, p.VerdictClass = fmt.Sprintf("gate incomplete (interrupted: %d %s not run)", g.NotRun, plural(g.NotRun, "case", "cases")), "bad"
	case g.Pass:
		p.Verdict, p.VerdictClass = "gate passed", "good"
	default:
		p.Verdict, p.VerdictClass = "gate failed", "bad"
	}
	if g := rs.Summary.Gate; g != nil {
		for _, v := range g.Violations {
			p.Violations = append(p.Violations, v.Message)
		}
	}
	if rs.Summary.Judge != nil {
		p.Judge = rs.Summary.Judge.String()
	}
	p.matrix(rs)
	p.groups(rs, opts.Baseline)
	return p
}

func (p *htmlPage) matrix(rs *eval.Results) {
	prompts, positions, at := matrix(rs)
	cost := map[resultKey]float64{}
	for _, r := range rs.Results {
		cost[resultKey{prompt: r.Prompt, provider: r.Provider, model: r.Model, position: r.Position}] += r.CostUSD
	}
	for i := range positions {
		p.Positions = append(p.Positions, i)
	}
	for i, prompt := range prompts {
		row := htmlRow{Prompt: prompt, Anchor: fmt.Sprintf("p%d", i)}
		for pos := range positions {
			c, ok := at[prompt][pos]
			if !ok {
				row.Cells = append(row.Cells, htmlCell{})
				continue
			}
			cell := htmlCell{Present: true, Link: c.Link(), Passed: c.Passed, Graded: c.Graded(), Errored: c.Errored, Rate: "no result",
				Cost: fmt.Sprintf("$%.4f", cost[resultKey{prompt: c.Prompt, provider: c.Provider, model: c.Model, position: c.Position}])}
			if c.Graded() > 0 {
				cell.Rate = eval.Percent(c.PassRate)
			}
			switch {
			case c.Graded() == 0:
				cell.Class = "warn"
			case violated(rs, c):
				cell.Class = "bad"
			case c.PassRate < 1 || c.Errored > 0:
				cell.Class = "warn"
			default:
				cell.Class = "good"
			}
			row.Cells = append(row.Cells, cell)
		}
		p.Rows = append(p.Rows, row)
	}
}

func (p *htmlPage) groups(rs *eval.Results, baseline *eval.Results) {
	var base map[resultKey]eval.Result
	if baseline != nil {
		base = map[resultKey]eval.Result{}
		for i, k := range occurrences(baseline.Results) {
			base[k] = baseline.Results[i]
		}
	}
	type groupKey struct {
		prompt, test string
		occurrence   int
	}
	index := map[groupKey]*htmlGroup{}
	sections := map[string]*htmlSection{}
	for _, row := range p.Rows {
		s := &htmlSection{Prompt: row.Prompt, Anchor: row.Anchor}
		sections[row.Prompt] = s
		p.Sections = append(p.Sections, s)
	}
	var groups []*htmlGroup
	for i, k := range occurrences(rs.Results) {
		r := rs.Results[i]
		gk := groupKey{r.Prompt, r.Test, k.occurrence}
		g := index[gk]
		if g == nil {
			s := sections[r.Prompt]
			if s == nil { // a results file whose summary lacks the prompt's cells
				s = &htmlSection{Prompt: r.Prompt, Anchor: fmt.Sprintf("p%d", len(p.Sections))}
				sections[r.Prompt] = s
				p.Sections = append(p.Sections, s)
			}
			g = &htmlGroup{ID: fmt.Sprintf("%s-c%d", s.Anchor, len(s.Groups)), Prompt: r.Prompt, Test: r.Test,
				Repeat: k.occurrence + 1, Status: "pass"}
			if r.File != "" {
				g.Where = fmt.Sprintf("%s:%d", r.File, r.Line)
			}
			index[gk] = g
			s.Groups = append(s.Groups, g)
			groups = append(groups, g)
		}
		if g.Input == "" {
			g.Input = r.Input
		}
		l := htmlLink{Result: r, Status: "pass"}
		switch {
		case r.Errored():
			l.Status, g.Errored = "error", true
		case !r.Pass:
			l.Status, g.Failed = "fail", true
		}
		if b, ok := base[k]; ok && !r.Carried {
			if b.Pass != r.Pass || b.Errored() != r.Errored() || b.Output != r.Output {
				l.Changed, l.Baseline = true, baselineVerdict(b)
			}
		} else if base != nil && !r.Carried {
			l.Changed, l.Baseline = true, "not in the baseline"
		}
		g.Changed = g.Changed || l.Changed
		g.Links = append(g.Links, l)
	}
	for _, g := range groups {
		sortLinks(g.Links)
		primary := g.Links[0]
		for i := range g.Links {
			l := &g.Links[i]
			if i > 0 && !primary.Errored() && !l.Errored() {
				l.Diff = WordDiff(primary.Output, l.Output)
			}
		}
		switch {
		case g.Failed:
			g.Status = "fail"
			p.Failed++
		case g.Errored:
			g.Status = "error"
		}
		if g.Errored {
			p.Errored++
		}
		if g.Changed {
			p.Changed++
		}
		p.Cases++
	}
}

func baselineVerdict(r eval.Result) string {
	switch {
	case r.Errored():
		return "errored in the baseline"
	case r.Pass:
		return "passed in the baseline"
	}
	return "failed in the baseline"
}

// sortLinks orders a case's links by chain position (insertion sort: a
// handful of links, mostly in order already).
func sortLinks(ls []htmlLink) {
	for i := 1; i < len(ls); i++ {
		for j := i; j > 0 && ls[j].Position < ls[j-1].Position; j-- {
			ls[j], ls[j-1] = ls[j-1], ls[j]
		}
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// isJudged reports whether an assertion's reason is a judge's reasoning.
func isJudged(typ string) bool {
	t := strings.TrimPrefix(typ, "not-")
	return t == eval.TypeJudge || t == eval.TypeConsistent
}
