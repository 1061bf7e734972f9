package report

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/llmfall/llmfall/eval"
	"github.com/llmfall/llmfall/internal/untrusted"
)

// TerminalOptions style the terminal report.
type TerminalOptions struct {
	// Renderer styles for the output stream; nil renders plain text.
	Renderer *lipgloss.Renderer
	// MaxFailures bounds the failures listed in detail; 0 means
	// DefaultMaxFailures.
	MaxFailures int
	// Width is the terminal's width in columns: a matrix wider than it is
	// shortened or stacked. 0 means no limit (a pipe, a file).
	Width int
}

// DefaultMaxFailures is how many failures the terminal report lists in
// detail unless told otherwise: a run that keeps only these in memory
// (eval.RunOptions.Retain) loses nothing from it.
const DefaultMaxFailures = 20

type termStyles struct {
	r                    *lipgloss.Renderer
	good, warn, bad, dim lipgloss.Style
}

func newTermStyles(r *lipgloss.Renderer) termStyles {
	if r == nil {
		r = lipgloss.NewRenderer(io.Discard)
		r.SetColorProfile(termenv.Ascii)
	}
	return termStyles{
		r:    r,
		good: r.NewStyle().Foreground(lipgloss.Color("2")),
		warn: r.NewStyle().Foreground(lipgloss.Color("3")),
		bad:  r.NewStyle().Foreground(lipgloss.Color("1")).Bold(true),
		dim:  r.NewStyle().Foreground(lipgloss.Color("8")),
	}
}

// WriteTerminal prints the matrix of pass rates (prompts × chain links),
// then every failure with its reason and a short diff or excerpt of the
// output, then the gate's verdict and the totals. Names, reasons, errors
// and outputs are untrusted: their control characters are escaped.
func WriteTerminal(w io.Writer, rs *eval.Results, opts TerminalOptions) {
	st := newTermStyles(opts.Renderer)
	if rs.Summary.Offline {
		fmt.Fprintln(w, st.warn.Render("offline: simulated providers and heuristic judge; these results say nothing about real models"))
	}
	fmt.Fprintln(w, matrixTable(rs, st, opts.Width))
	writeFailures(w, rs, st, opts.MaxFailures)
	writeGate(w, rs, st)
	writePaired(w, rs, st)
	writeRepeats(w, rs, st)
	writeTotals(w, rs, st)
}

// matrix arranges cells by prompt (rows, in order of appearance) and chain
// position (columns).
func matrix(rs *eval.Results) (prompts []string, positions int, at map[string]map[int]eval.Cell) {
	at = map[string]map[int]eval.Cell{}
	for _, c := range rs.Summary.Links {
		if at[c.Prompt] == nil {
			at[c.Prompt] = map[int]eval.Cell{}
			prompts = append(prompts, c.Prompt)
		}
		at[c.Prompt][c.Position] = c
		positions = max(positions, c.Position+1)
	}
	return prompts, positions, at
}

func violated(rs *eval.Results, c eval.Cell) bool {
	if rs.Summary.Gate == nil {
		return false
	}
	for _, v := range rs.Summary.Gate.Violations {
		if v.Prompt == c.Prompt && v.Provider == c.Provider && v.Model == c.Model && v.Position == c.Position {
			return true
		}
	}
	return false
}

func matrixTable(rs *eval.Results, st termStyles, width int) string {
	prompts, positions, at := matrix(rs)
	headers := []string{"prompt"}
	for p := range positions {
		name := fmt.Sprintf("link %d", p)
		if p == 0 {
			name += " (primary)"
		}
		headers = append(headers, name)
	}
	styles := map[[2]int]lipgloss.Style{}
	// The full cells name provider and model; the short ones, for a
	// narrower terminal, the model alone.
	full := Grid{Headers: headers}
	short := Grid{Headers: headers}
	for row, prompt := range prompts {
		cells := []string{untrusted.Terminal(prompt)}
		shortCells := []string{untrusted.Terminal(prompt)}
		for p := range positions {
			c, ok := at[prompt][p]
			if !ok {
				cells = append(cells, "-")
				shortCells = append(shortCells, "-")
				continue
			}
			cells = append(cells, untrusted.Terminal(c.Link()+"  "+cellRate(c)))
			shortCells = append(shortCells, untrusted.Terminal(c.Model+" "+cellRate(c)))
			switch {
			case c.Graded() == 0:
				styles[[2]int{row, p + 1}] = st.warn
			case violated(rs, c):
				styles[[2]int{row, p + 1}] = st.bad
			case c.PassRate < 1 || c.Errored > 0:
				styles[[2]int{row, p + 1}] = st.warn
			default:
				styles[[2]int{row, p + 1}] = st.good
			}
		}
		full.Rows = append(full.Rows, cells)
		short.Rows = append(short.Rows, shortCells)
	}
	full.Style = func(row, col int) lipgloss.Style { return styles[[2]int{row, col}] }
	short.Style = full.Style
	return FitTable(st.r, width, full, short)
}

func writeFailures(w io.Writer, rs *eval.Results, st termStyles, maxShown int) {
	if maxShown <= 0 {
		maxShown = DefaultMaxFailures
	}
	// Failures a run did not keep in memory are still counted.
	shown, hidden := 0, rs.Unlisted
	for _, r := range rs.Results {
		if r.Pass || r.Carried {
			continue
		}
		if shown == maxShown {
			hidden++
			continue
		}
		shown++
		fmt.Fprintln(w)
		head := untrusted.Terminal(fmt.Sprintf("%s / %s @ %s (link %d)", r.Prompt, r.Test, r.Link(), r.Position))
		loc := ""
		if r.File != "" {
			loc = "  " + st.dim.Render(untrusted.Terminal(fmt.Sprintf("%s:%d", r.File, r.Line)))
		}
		if r.Errored() {
			fmt.Fprintf(w, "%s %s%s\n    %s\n", st.warn.Render("ERROR"), head, loc, untrusted.Terminal(r.Error))
			continue
		}
		fmt.Fprintf(w, "%s %s%s\n", st.bad.Render("FAIL"), head, loc)
		for _, a := range r.Assertions {
			if a.Pass {
				continue
			}
			fmt.Fprintf(w, "    %s %s: %s\n", st.bad.Render("x"), a.Type, untrusted.Terminal(a.Reason))
			if a.Want != "" {
				for _, line := range shortDiff(a.Want, r.Output, 8) {
					fmt.Fprintf(w, "        %s\n", untrusted.Terminal(line))
				}
			}
		}
		fmt.Fprintf(w, "    %s %s\n", st.dim.Render("output:"), excerpt(r.Output, 160))
	}
	if hidden > 0 {
		fmt.Fprintf(w, "\n... and %d more (see --output, --junit or --markdown for all)\n", hidden)
	}
}

func writeGate(w io.Writer, rs *eval.Results, st termStyles) {
	g := rs.Summary.Gate
	if g == nil {
		return
	}
	fmt.Fprintln(w)
	for _, o := range g.Overrides {
		fmt.Fprintln(w, st.dim.Render("threshold override: "+untrusted.Terminal(o.String())))
	}
	s := rs.Summary
	switch {
	case g.Status == eval.GateIncomplete:
		fmt.Fprintln(w, st.bad.Render(fmt.Sprintf("gate: INCOMPLETE (interrupted: %s not run; it cannot pass)", eval.Count(g.NotRun, "case"))))
		for _, v := range g.Violations {
			fmt.Fprintf(w, "  %s\n", untrusted.Terminal(v.Message))
		}
		return
	case g.Pass && s.Passed+s.Failed == 0:
		fmt.Fprintln(w, st.warn.Render("gate: nothing to judge (no case has a grade)"))
		return
	case g.Pass && s.Errored > 0:
		have := "have"
		if s.Errored == 1 {
			have = "has"
		}
		fmt.Fprintln(w, st.warn.Render(fmt.Sprintf("gate: passed on the graded cases; %s %s no grade", eval.Count(s.Errored, "errored case"), have)))
		return
	case g.Pass:
		fmt.Fprintln(w, st.good.Render("gate: passed"))
		return
	}
	fmt.Fprintln(w, st.bad.Render("gate: FAILED"))
	for _, v := range g.Violations {
		fmt.Fprintf(w, "  %s\n", untrusted.Terminal(v.Message))
	}
}

func writeTotals(w io.Writer, rs *eval.Results, st termStyles) {
	s := rs.Summary
	parts := []string{fmt.Sprintf("%s: %d passed, %d failed, %d errored", eval.Count(s.Total, "case"), s.Passed, s.Failed, s.Errored)}
	if s.NotRun > 0 {
		parts = append(parts, fmt.Sprintf("%d not run", s.NotRun))
	}
	if s.Cached > 0 {
		parts = append(parts, fmt.Sprintf("%d cached", s.Cached))
	}
	if s.Carried > 0 {
		parts = append(parts, fmt.Sprintf("%d from the baseline", s.Carried))
	}
	parts = append(parts, costLine(s))
	parts = append(parts, (time.Duration(s.DurationMS) * time.Millisecond).String())
	fmt.Fprintln(w)
	fmt.Fprintln(w, st.dim.Render(strings.Join(parts, " · ")))
	// The reasons are llmfall's words, but a results document read back
	// (report, merge) may say anything.
	if why := s.ReasonsLine(); why != "" {
		fmt.Fprintln(w, st.dim.Render(untrusted.Terminal(why)))
	}
	if s.Judge != nil {
		fmt.Fprintln(w, st.dim.Render(untrusted.Terminal(s.Judge.String())))
	}
	if s.Interrupted {
		fmt.Fprintln(w, st.warn.Render("interrupted: the results above are the cases that finished"))
	}
}

// excerpt is s on one line, quoted, cut at n runes.
func excerpt(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	r := []rune(s)
	if len(r) > n {
		return fmt.Sprintf("%q…", string(r[:n]))
	}
	return fmt.Sprintf("%q", s)
}

// shortDiff shows the lines where got differs from want, the common lines
// before and after left out, at most n lines.
func shortDiff(want, got string, n int) []string {
	wl := strings.Split(strings.TrimSpace(want), "\n")
	gl := strings.Split(strings.TrimSpace(got), "\n")
	pre := 0
	for pre < len(wl) && pre < len(gl) && wl[pre] == gl[pre] {
		pre++
	}
	suf := 0
	for suf < len(wl)-pre && suf < len(gl)-pre && wl[len(wl)-1-suf] == gl[len(gl)-1-suf] {
		suf++
	}
	var out []string
	for _, l := range wl[pre : len(wl)-suf] {
		out = append(out, "- "+l)
	}
	for _, l := range gl[pre : len(gl)-suf] {
		out = append(out, "+ "+l)
	}
	if len(out) > n {
		out = append(out[:n], fmt.Sprintf("  (%d more lines)", len(out)-n))
	}
	return out
}
