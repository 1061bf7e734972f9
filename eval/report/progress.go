package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/llmfall/llmfall/eval"
)

// ProgressPrinter shows a run's progress: a bar redrawn in place on a
// terminal, or a plain line at every tenth of the run otherwise, so that CI
// logs stay short.
type ProgressPrinter struct {
	w        io.Writer
	tty      bool
	lastStep int
	drawn    bool
}

// NewProgressPrinter prints to w; tty selects the redrawn bar.
func NewProgressPrinter(w io.Writer, tty bool) *ProgressPrinter {
	return &ProgressPrinter{w: w, tty: tty, lastStep: -1}
}

// Update is a RunOptions.Progress function.
func (p *ProgressPrinter) Update(pr eval.Progress) {
	if pr.Total == 0 {
		return
	}
	if p.tty {
		const width = 30
		filled := pr.Done * width / pr.Total
		fmt.Fprintf(p.w, "\r[%s%s] %d/%d  %d passed  %d failed  %d errored ",
			strings.Repeat("#", filled), strings.Repeat(".", width-filled), pr.Done, pr.Total, pr.Passed, pr.Failed, pr.Errored)
		p.drawn = true
		return
	}
	step := pr.Done * 10 / pr.Total
	if step == p.lastStep {
		return
	}
	p.lastStep = step
	fmt.Fprintf(p.w, "eval: %d/%d cases done (%d passed, %d failed, %d errored)\n", pr.Done, pr.Total, pr.Passed, pr.Failed, pr.Errored)
}

// Done ends the bar's line.
func (p *ProgressPrinter) Done() {
	if p.tty && p.drawn {
		fmt.Fprint(p.w, "\r\033[K")
	}
}
