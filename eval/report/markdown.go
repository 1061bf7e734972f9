package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/llmfall/llmfall/eval"
	"github.com/llmfall/llmfall/internal/untrusted"
)

// WriteMarkdown writes the report as GitHub-flavoured Markdown, for a pull
// request comment or the job summary: verdict, matrix, gate violations, and
// the failures folded away. Every name, reason, error and output is
// untrusted and escaped for Markdown, so that it renders as itself.
func WriteMarkdown(w io.Writer, rs *eval.Results) error {
	var b strings.Builder
	s := rs.Summary
	verdict := "no gate"
	switch g := s.Gate; {
	case g == nil:
	case g.Status == eval.GateIncomplete:
		verdict = fmt.Sprintf("⏹️ gate incomplete (interrupted: %s not run)", eval.Count(g.NotRun, "case"))
	case g.Pass:
		verdict = "✅ gate passed"
	default:
		verdict = "❌ gate failed"
	}
	fmt.Fprintf(&b, "## llmfall eval: %s\n\n", verdict)
	if s.Offline {
		b.WriteString("> **Offline run**: simulated providers and heuristic judge.\n\n")
	}
	prompts, positions, at := matrix(rs)
	b.WriteString("| prompt |")
	for p := range positions {
		fmt.Fprintf(&b, " link %d |", p)
	}
	b.WriteString("\n| --- |")
	b.WriteString(strings.Repeat(" --- |", positions))
	b.WriteString("\n")
	for _, prompt := range prompts {
		fmt.Fprintf(&b, "| %s |", untrusted.MarkdownText(prompt))
		for p := range positions {
			c, ok := at[prompt][p]
			if !ok {
				b.WriteString(" – |")
				continue
			}
			fmt.Fprintf(&b, " %s %s %s |", mdMark(rs, c), cellRate(c), untrusted.MarkdownCode(c.Link()))
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "\n**%s**: %d passed, %d failed, %d errored", eval.Count(s.Total, "case"), s.Passed, s.Failed, s.Errored)
	if s.NotRun > 0 {
		fmt.Fprintf(&b, ", %d not run", s.NotRun)
	}
	if s.Carried > 0 {
		fmt.Fprintf(&b, ", %d from the baseline", s.Carried)
	}
	fmt.Fprintf(&b, " · $%.4f\n", s.CostUSD)
	// The reasons are llmfall's words, but a results document read back
	// (report, merge) may say anything.
	if why := s.ReasonsLine(); why != "" {
		fmt.Fprintf(&b, "\n%s\n", untrusted.MarkdownText(why))
	}
	if s.Judge != nil {
		fmt.Fprintf(&b, "\n%s\n", untrusted.MarkdownText(s.Judge.String()))
	}
	if g := s.Gate; g != nil && len(g.Violations) > 0 {
		b.WriteString("\n### Gate\n\n")
		for _, v := range g.Violations {
			fmt.Fprintf(&b, "- %s\n", untrusted.MarkdownText(v.Message))
		}
	}
	writeMarkdownPaired(&b, rs)
	writeMarkdownFailures(&b, rs)
	_, err := io.WriteString(w, b.String())
	if err != nil {
		return fmt.Errorf("writing markdown: %w", err)
	}
	return nil
}

func cellRate(c eval.Cell) string {
	s := "no result"
	if c.Graded() > 0 {
		s = fmt.Sprintf("%s (%d/%d)", eval.Percent(c.PassRate), c.Passed, c.Graded())
	}
	if c.Errored > 0 {
		s += fmt.Sprintf(" +%d errored", c.Errored)
	}
	return s
}

func mdMark(rs *eval.Results, c eval.Cell) string {
	switch {
	case c.Graded() == 0:
		return "⚠️"
	case violated(rs, c):
		return "❌"
	case c.PassRate < 1 || c.Errored > 0:
		return "⚠️"
	}
	return "✅"
}

func writeMarkdownFailures(b *strings.Builder, rs *eval.Results) {
	var failed []eval.Result
	for _, r := range rs.Results {
		if !r.Pass && !r.Carried {
			failed = append(failed, r)
		}
	}
	if len(failed) == 0 {
		return
	}
	fmt.Fprintf(b, "\n<details><summary>Failures and errors (%d)</summary>\n\n", len(failed))
	for _, r := range failed {
		fmt.Fprintf(b, "#### %s / %s @ %s (link %d)\n\n", untrusted.MarkdownText(r.Prompt), untrusted.MarkdownText(r.Test), untrusted.MarkdownCode(r.Link()), r.Position)
		if r.File != "" {
			fmt.Fprintf(b, "%s\n\n", untrusted.MarkdownCode(fmt.Sprintf("%s:%d", r.File, r.Line)))
		}
		if r.Errored() {
			fmt.Fprintf(b, "- ⚠️ **error**: %s\n\n", untrusted.MarkdownText(r.Error))
			continue
		}
		for _, a := range r.Assertions {
			if !a.Pass {
				fmt.Fprintf(b, "- ❌ **%s**: %s\n", untrusted.MarkdownText(a.Type), untrusted.MarkdownText(a.Reason))
			}
		}
		fmt.Fprintf(b, "\n%s\n\n", untrusted.MarkdownBlock(clip(r.Output, 600), "text"))
	}
	b.WriteString("</details>\n")
}

// clip cuts s to n runes.
func clip(s string, n int) string {
	s = strings.TrimSpace(s)
	r := []rune(s)
	if len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}
