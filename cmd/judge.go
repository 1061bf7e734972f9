package cmd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"strconv"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/lipgloss/table"
	"github.com/spf13/cobra"

	"github.com/llmfall/llmfall/eval/report"
	"github.com/llmfall/llmfall/judge"
	"github.com/llmfall/llmfall/setup"
)

// loadExamples reads the labelled set at path, or the built-in one for "".
func loadExamples(path string) ([]judge.Example, error) {
	if path == "" {
		return judge.BuiltinExamples()
	}
	examples, err := judge.LoadExamplesFile(path)
	if err != nil {
		hint := `each line needs "input", "output" (or "output_1" and "output_2"), and "pass" (or "label" 1|2); see llmfall judge calibrate --help`
		if errors.Is(err, fs.ErrNotExist) {
			hint = "run llmfall judge calibrate with no file to use the built-in labelled set"
		}
		return nil, usageErr(err, hint)
	}
	return examples, nil
}

type judgeOptions struct {
	IO *IO
	// Judge builds the judge to calibrate; checkedJudge unless a test swaps it.
	Judge func() (judge.Judge, error)

	File string // "" means the built-in set
	JSON bool
}

func newCmdJudge(f *factory, runF func(context.Context, *judgeOptions) error) *cobra.Command {
	opts := &judgeOptions{IO: f.IO, Judge: func() (judge.Judge, error) { return checkedJudge(f) }}
	parent := &cobra.Command{
		Use:   "judge",
		Short: "Check how far the LLM judge can be trusted",
		Args:  cobra.NoArgs,
	}
	calibrate := &cobra.Command{
		Use:   "calibrate [FILE]",
		Short: "Measure the configured judge against human-labelled examples",
		Long: `Run the configured judge (its chain, as eval uses it; the offline heuristic with --offline)
over human-labelled examples and report, per judge model: accuracy, Cohen's kappa, the rate
of pairwise verdicts that flip when the two answers swap places, errors and cost.

With no FILE, the built-in set is used: 32 labelled examples that ship with llmfall
(rubric items, some of them traps for a judge, pairwise-equivalence and preference
items), enough for a first look, not a benchmark.

FILE is JSON Lines, one example per line: "input" and either "output" (graded against
"rubric" and an optional "reference"; human verdict "pass") or "output_1" and "output_2"
(human verdict "pass" = equivalent in substance, or "label" 1|2 = which is better). A JSON
array in the same shape is read too, so LLMBar's files work as they are.`,
		Example: `  llmfall judge calibrate --offline
  llmfall judge calibrate --json llmbar/natural.json > calibration.json`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.File = args[0]
			}
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runJudgeCalibrate(c.Context(), opts)
		},
	}
	calibrate.Flags().BoolVar(&opts.JSON, "json", false, "print the report, with every example's result, as JSON")
	parent.AddCommand(calibrate)
	return parent
}

func runJudgeCalibrate(ctx context.Context, opts *judgeOptions) error {
	examples, err := loadExamples(opts.File)
	if err != nil {
		return err
	}
	j, err := opts.Judge()
	if err != nil {
		return err
	}
	rep, err := judge.Calibrate(ctx, j, examples)
	if err != nil {
		return err
	}
	if opts.JSON {
		enc := json.NewEncoder(opts.IO.Out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		renderCalibration(opts.IO, rep)
	}
	if rep.Total.Judged == 0 {
		return exitErr(ExitProviders, errors.New("the judge gave no verdict on any example"),
			"check the judge's provider keys, or run with --json to see each example's error")
	}
	return nil
}

// checkedJudge is f's judge, once the keys of its chain are checked as
// eval checks its links'.
func checkedJudge(f *factory) (judge.Judge, error) {
	if err := checkJudgeKeys(f); err != nil {
		return nil, err
	}
	return f.Judge()
}

func checkJudgeKeys(f *factory) error {
	if f.Offline {
		return nil
	}
	cfg, err := f.Config()
	if err != nil {
		return err
	}
	eng, err := f.Engine()
	if err != nil {
		return err
	}
	names, err := setup.JudgeProviders(cfg, eng)
	if err != nil {
		return usageErr(err, "")
	}
	return checkKeys(cfg, names, f.setupOptions())
}

func renderCalibration(streams *IO, rep judge.Report) {
	out, r := streams.Out, streams.Render
	if rep.Total.Heuristic {
		fmt.Fprintln(out, "heuristic: the offline judge measures word overlap, not quality; calibrate a model judge before gating on it")
	}
	kinds := map[judge.Kind]int{}
	for _, res := range rep.Results {
		kinds[res.Kind]++
	}
	fmt.Fprintf(out, "%d examples: %d rubric, %d pairwise, %d preference\n",
		rep.Examples, kinds[judge.KindRubric], kinds[judge.KindPair], kinds[judge.KindPreference])

	g := report.Grid{
		Headers: []string{"JUDGE", "JUDGED", "ACCURACY", "KAPPA", "FLIP RATE", "CANARIES PASSED", "ERRORS", "COST"},
		Style: func(row, col int) lipgloss.Style {
			if row != table.HeaderRow && col > 0 {
				return r.NewStyle().Align(lipgloss.Right)
			}
			return r.NewStyle()
		},
	}
	rows := append([]judge.Stats(nil), rep.Judges...)
	if len(rep.Judges) != 1 || rep.Total.Errors != rep.Judges[0].Errors {
		// With one judge and nothing unattributed the total row would
		// only repeat it.
		rows = append(rows, rep.Total)
	}
	for _, s := range rows {
		g.Rows = append(g.Rows, []string{s.Judge, strconv.Itoa(s.Judged), percent(s.Accuracy, s.Judged), kappaCell(s),
			flipCell(s), canaryCell(s), strconv.Itoa(s.Errors), fmt.Sprintf("$%.4f", s.CostUSD)})
	}
	fmt.Fprintln(out, report.FitTable(r, streams.Width, g))
	fmt.Fprintln(out, "kappa: agreement with the humans beyond chance (1 perfect, 0 chance), with its 95% interval; flip rate: pair verdicts that changed when the answers swapped places; canaries: known-bad answers to the rubric examples, of which a judge should pass none")
	if tot := rep.Total; tot.Kappa != nil && tot.KappaLow == nil && tot.Judged < judge.MinIntervalLabels {
		fmt.Fprintf(out, "%d labels are too few for an interval of kappa; label at least %d\n", tot.Judged, judge.MinIntervalLabels)
	}
	if tot := rep.Total; tot.KappaLow != nil {
		half := (*tot.KappaHigh - *tot.KappaLow) / 2
		if tot.MoreLabels > 0 {
			fmt.Fprintf(out, "kappa is known to ±%.2f from %d labels; about %d more labelled examples would narrow it to ±%.1f\n",
				half, tot.Judged, tot.MoreLabels, judge.KappaTarget)
		} else {
			fmt.Fprintf(out, "kappa is known to ±%.2f from %d labels\n", half, tot.Judged)
		}
	}
}

func percent(v float64, n int) string {
	if n == 0 {
		return "–"
	}
	return fmt.Sprintf("%.1f%%", 100*v)
}

func kappaCell(s judge.Stats) string {
	if s.Kappa == nil {
		return "n/a"
	}
	if s.KappaLow == nil {
		return fmt.Sprintf("%.2f", *s.Kappa)
	}
	return fmt.Sprintf("%.2f (%.2f–%.2f)", *s.Kappa, *s.KappaLow, *s.KappaHigh)
}

func canaryCell(s judge.Stats) string {
	if s.CanaryJudged == 0 {
		return "–"
	}
	return fmt.Sprintf("%d/%d", s.CanaryPassed, s.CanaryJudged)
}

func flipCell(s judge.Stats) string {
	if s.Pairs == 0 {
		return "–"
	}
	return fmt.Sprintf("%.1f%% (%d/%d)", 100*s.FlipRate, s.Flips, s.Pairs)
}
