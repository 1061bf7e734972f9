package report

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/llmfall/llmfall/eval"
	"github.com/llmfall/llmfall/internal/untrusted"
)

// WriteGitHubAnnotations prints a GitHub Actions workflow command for every
// failure (an error) and every errored case (a warning), pointing at the
// test's file and line so that the pull request shows it in place. Paths
// are made relative to workspace (GITHUB_WORKSPACE) when they are absolute.
func WriteGitHubAnnotations(w io.Writer, rs *eval.Results, workspace string) {
	for _, r := range rs.Results {
		if r.Pass || r.Carried {
			continue
		}
		level, msg := "error", ""
		if r.Errored() {
			level, msg = "warning", "no result: "+r.Error
		} else {
			var reasons []string
			for _, a := range r.Assertions {
				if !a.Pass {
					reasons = append(reasons, a.Type+": "+a.Reason)
				}
			}
			msg = strings.Join(reasons, "\n")
		}
		title := fmt.Sprintf("%s / %s failed on %s (link %d)", r.Prompt, r.Test, r.Link(), r.Position)
		if r.Errored() {
			title = fmt.Sprintf("%s / %s: %s (link %d) gave no answer", r.Prompt, r.Test, r.Link(), r.Position)
		}
		var props []string
		if r.File != "" {
			props = append(props, "file="+untrusted.WorkflowProperty(ghPath(r.File, workspace)), fmt.Sprintf("line=%d", r.Line))
		}
		props = append(props, "title="+untrusted.WorkflowProperty(title))
		fmt.Fprintf(w, "::%s %s::%s\n", level, strings.Join(props, ","), untrusted.WorkflowData(msg))
	}
	if g := rs.Summary.Gate; g != nil {
		if g.Status == eval.GateIncomplete {
			fmt.Fprintf(w, "::error title=%s::%s\n", untrusted.WorkflowProperty("llmfall eval gate"),
				untrusted.WorkflowData(fmt.Sprintf("gate incomplete: the run was interrupted with %s not run", eval.Count(g.NotRun, "case"))))
		}
		for _, v := range g.Violations {
			fmt.Fprintf(w, "::error title=%s::%s\n", untrusted.WorkflowProperty("llmfall eval gate"), untrusted.WorkflowData(v.Message))
		}
	}
}

func ghPath(file, workspace string) string {
	if workspace != "" && filepath.IsAbs(file) {
		if rel, err := filepath.Rel(workspace, file); err == nil {
			file = rel
		}
	}
	return filepath.ToSlash(file)
}

// AppendGitHubSummary appends the Markdown report to the job summary file
// ($GITHUB_STEP_SUMMARY).
func AppendGitHubSummary(path string, rs *eval.Results) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("writing the job summary: %w", err)
	}
	werr := WriteMarkdown(f, rs)
	if cerr := f.Close(); werr == nil && cerr != nil {
		werr = fmt.Errorf("writing the job summary: %w", cerr)
	}
	return werr
}
