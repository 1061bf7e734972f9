package report

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/llmfall/llmfall/eval"

	"github.com/llmfall/llmfall/clock"
)

// ProgressEvery is how often, at most, progress prints a line when not on
// a terminal: a CI log gets a line every few seconds of a long run, and
// none for a short one.
const ProgressEvery = 5 * time.Second

// ProgressPrinter shows a run's progress: a bar redrawn in place on a
// terminal, or a plain line at most every ProgressEvery otherwise, so that
// CI logs stay short.
type ProgressPrinter struct {
	w     io.Writer
	tty   bool
	clock clock.Clock
	last  time.Time // the last plain line, or the start
	drawn bool
}

// NewProgressPrinter prints to w; tty selects the redrawn bar.
func NewProgressPrinter(w io.Writer, tty bool) *ProgressPrinter {
	return newProgressPrinter(w, tty, clock.Real())
}

func newProgressPrinter(w io.Writer, tty bool, c clock.Clock) *ProgressPrinter {
	return &ProgressPrinter{w: w, tty: tty, clock: c, last: c.Now()}
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
	now := p.clock.Now()
	if now.Sub(p.last) < ProgressEvery {
		return
	}
	p.last = now
	fmt.Fprintf(p.w, "eval: %d/%d %s done (%d passed, %d failed, %d errored)\n", pr.Done, pr.Total, plural(pr.Total, "case", "cases"), pr.Passed, pr.Failed, pr.Errored)
}

// Done ends the bar's line.
func (p *ProgressPrinter) Done() {
	if p.tty && p.drawn {
		fmt.Fprint(p.w, "\r\033[K")
	}
}
