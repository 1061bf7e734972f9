package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/llmfall/llmfall/eval"
	"github.com/llmfall/llmfall/internal/untrusted"
)

// pairedLines are a paired gate's comparisons that the gate's violations do
// not already show: the links whose flips chance explains, in plain words,
// and a count of the links where nothing changed.
func pairedLines(g *eval.Gating) []string {
	if g == nil || len(g.Paired) == 0 {
		return nil
	}
	var lines []string
	unchanged := 0
	for _, c := range g.Paired {
		switch {
		case c.Regressed:
		case len(c.Flips) == 0 && c.Fixes == 0:
			unchanged++
		default:
			lines = append(lines, c.Message)
		}
	}
	if unchanged > 0 {
		lines = append(lines, fmt.Sprintf("%d links gave every paired case the verdict the baseline gave it", unchanged))
	}
	return lines
}

func writePaired(w io.Writer, rs *eval.Results, st termStyles) {
	lines := pairedLines(rs.Summary.Gate)
	if len(lines) == 0 {
		return
	}
	fmt.Fprintln(w, st.dim.Render("compared case by case with the baseline:"))
	for _, l := range lines {
		fmt.Fprintf(w, "  %s\n", untrusted.Terminal(l))
	}
}

func writeMarkdownPaired(b *strings.Builder, rs *eval.Results) {
	lines := pairedLines(rs.Summary.Gate)
	if len(lines) == 0 {
		return
	}
	b.WriteString("\n### Compared case by case with the baseline\n\n")
	for _, l := range lines {
		fmt.Fprintf(b, "- %s\n", untrusted.MarkdownText(l))
	}
}
