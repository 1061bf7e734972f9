package report

import (
	"fmt"
	"io"

	"github.com/llmfall/llmfall/eval"
	"github.com/llmfall/llmfall/internal/untrusted"
)

// maxFlaky caps the flaky tests the terminal lists.
const maxFlaky = 10

// repeatLines say which tests were flaky when cases ran k times: pass@k
// (some run passed) and pass^k (every run passed) for each.
func repeatLines(rs *eval.Results) []string {
	reps := rs.Summary.Repeats
	if len(reps) == 0 {
		return nil
	}
	var flaky []eval.Repeat
	var atK, allK float64
	for _, r := range reps {
		atK += r.PassAtK
		allK += r.PassAllK
		if r.Flaky() {
			flaky = append(flaky, r)
		}
	}
	n := float64(len(reps))
	lines := []string{fmt.Sprintf("repeated runs: %d of %d tests × links flaky · mean pass@k %s · mean pass^k %s",
		len(flaky), len(reps), eval.Percent(atK/n), eval.Percent(allK/n))}
	for i, r := range flaky {
		if i == maxFlaky {
			lines = append(lines, fmt.Sprintf("  ... and %d more (see --output)", len(flaky)-maxFlaky))
			break
		}
		lines = append(lines, fmt.Sprintf("  flaky %s / %s @ %s (link %d): %d of %d runs passed",
			r.Prompt, r.Test, r.Link(), r.Position, r.Passed, r.Runs))
	}
	return lines
}

func writeRepeats(w io.Writer, rs *eval.Results, st termStyles) {
	for _, l := range repeatLines(rs) {
		fmt.Fprintln(w, st.dim.Render(untrusted.Terminal(l)))
	}
}

// costLine is the run's cost, with the answers' and the judge's apart when
// a judge ran: a panel or canaries can cost more than the answers.
func costLine(s eval.Summary) string {
	if s.Judge == nil {
		return fmt.Sprintf("$%.4f", s.CostUSD)
	}
	return fmt.Sprintf("$%.4f (answers $%.4f, judge $%.4f)", s.CostUSD, s.CostUSD-s.Judge.CostUSD, s.Judge.CostUSD)
}
