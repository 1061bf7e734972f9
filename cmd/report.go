package cmd

import (
	"context"
	"errors"
	"fmt"
	"io/fs"

	"github.com/spf13/cobra"

	"github.com/llmfall/llmfall/config"
	"github.com/llmfall/llmfall/eval"
	"github.com/llmfall/llmfall/setup"
)

// reportOptions are report's flags. The gate's flags and the report files
// fill the same options eval reads, so that the gate is built and applied
// by eval's own code.
type reportOptions struct {
	Results    string
	PathsGiven bool
	// AllowPartial gates the results of one shard, which hold part of
	// each prompt × link, instead of refusing them.
	AllowPartial bool
	eval         evalOptions
}

func newCmdReport(f *factory, runF func(context.Context, *reportOptions) error) *cobra.Command {
	opts := &reportOptions{eval: evalOptions{IO: f.IO, Getenv: f.Getenv, Setup: f.setupOptions, Config: f.Config}}
	var minPassRate float64 // --min-pass-rate, which opts holds only when given
	c := &cobra.Command{
		Use:   "report RESULTS.json [prompt paths...]",
		Short: "Render the reports of saved eval results and apply the gate, calling no provider",
		Long: `Read the results an earlier 'llmfall eval --output' wrote, print the terminal report,
write the other formats asked for, and apply the gate the results record, which is the one eval
applied (built from the trusted config, the --base floors and the prompt files of the run):
llmfall.yaml and the prompt files as they are now do not move it. The flags below set thresholds
over it as eval's do. The results of one shard (eval --shard) are refused: merge every shard's
first (llmfall merge), or pass --allow-partial to gate the shard's part alone. The prompt files under the given paths (default: prompts/, when it exists)
place GitHub annotations on each test's file and line. No provider is called.

Exit codes: 0 the gate passed; 1 it failed (or the run was interrupted: incomplete); 2 a bad
flag, config, results or prompt file; 3 cases in the results have no result.`,
		Example: `  llmfall report results.json --html report.html
  llmfall report results.json --junit junit.xml --markdown comment.md --github
  llmfall report results.json --baseline main-results.json --min-pass-rate 0.9`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			opts.Results, opts.eval.Paths = args[0], args[1:]
			opts.PathsGiven = len(opts.eval.Paths) > 0
			if !opts.PathsGiven {
				opts.eval.Paths = []string{"prompts"}
			}
			if c.Flags().Changed("min-pass-rate") {
				opts.eval.MinPassRate = &minPassRate
			}
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runReport(c.Context(), opts)
		},
	}
	fl := c.Flags()
	e := &opts.eval
	fl.StringVar(&e.JUnit, "junit", "", "write a JUnit XML report to this file")
	fl.StringVar(&e.Markdown, "markdown", "", "write a Markdown report (for a PR comment) to this file")
	fl.StringVar(&e.HTML, "html", "", "write a self-contained HTML report to this file")
	fl.BoolVar(&e.GitHub, "github", false, "print GitHub Actions annotations and append to $GITHUB_STEP_SUMMARY (automatic when GITHUB_ACTIONS=true)")
	fl.StringVar(&e.Baseline, "baseline", "", "results.json of an earlier run, in place of the one the results record: regressions fail the gate; the HTML report marks changed cases")
	fl.Float64Var(&minPassRate, "min-pass-rate", 0, "pass rate every prompt × link must reach (default: the one the results record)")
	fl.StringSliceVar(&e.MinPassAt, "min-pass-rate-at", nil, "per chain position minimum, e.g. 2=0.8")
	fl.BoolVar(&opts.AllowPartial, "allow-partial", false, "report on and gate the results of one shard (eval --shard) alone, not refuse them")
	return c
}

func runReport(ctx context.Context, opts *reportOptions) error {
	e := &opts.eval
	cfg, err := e.Config()
	if err != nil {
		return err
	}
	rs, err := eval.ReadResults(opts.Results)
	if err != nil {
		return usageErr(err, "pass a file that 'llmfall eval --output' wrote")
	}
	if err := checkWhole(opts, rs); err != nil {
		return err
	}
	in, err := loadEvalInputs(ctx, e)
	if err != nil {
		return err
	}
	suite, err := eval.LoadSuite(e.Paths, setup.LoadOptions(cfg))
	switch {
	case err != nil && !opts.PathsGiven && errors.Is(err, fs.ErrNotExist):
		// No prompts/ here: the gate has no per-prompt minimums.
		suite = &eval.Suite{}
	case err != nil:
		return usageErr(err, "pass the directories of the prompt files the results came from")
	}
	locate(rs, suite)
	gopts, recorded := reportGate(e, cfg, suite, in, rs)
	if !recorded {
		fmt.Fprintf(e.IO.Err, "llmfall: %s records no gate (written by an older llmfall): applying llmfall.yaml's eval section and the prompt files' minimums\n", opts.Results)
	}
	gate := eval.Gate(rs, gopts)
	if err := writeReports(e, rs, nil, in.baseline); err != nil {
		return err
	}
	return evalExit(nil, rs, gate)
}

// checkWhole refuses the results of one shard, whose pass rates are those
// of part of each prompt × link: a gate on them says nothing of the suite.
// With --allow-partial they are reported on, and said to be partial.
func checkWhole(opts *reportOptions, rs *eval.Results) error {
	if rs.Run == nil || rs.Run.Shard == nil {
		return nil
	}
	if !opts.AllowPartial {
		return usageErr(fmt.Errorf("%s holds the results of shard %s only", opts.Results, rs.Run.Shard),
			"merge every shard's results first (llmfall merge shard-*.json -o results.json), or pass --allow-partial to report on this shard alone")
	}
	fmt.Fprintf(opts.eval.IO.Err, "llmfall: %s: the results of shard %s only (--allow-partial): the gate judges this shard's part of each prompt × link, not the suite\n",
		opts.Results, rs.Run.Shard)
	return nil
}

// reportGate is the gate report applies: the one the results record, which
// eval built from the trusted configuration, the base's floors (--base) and
// the prompt files of the run, with the command line's thresholds, which are
// trusted, laid over it as eval lays them over the configuration.
// llmfall.yaml and the prompt files as they are now, which a pull request may
// have changed since the run, are not consulted, so they cannot loosen it.
// Results that record no gate (from an older llmfall) get the configuration's
// and the prompt files' gate, as eval builds it; recorded is false then.
func reportGate(opts *evalOptions, cfg *config.Config, suite *eval.Suite, in evalInputs, rs *eval.Results) (g eval.GateOptions, recorded bool) {
	if rs.Run == nil || rs.Run.Gate == nil {
		return gateOptions(opts, cfg, suite, in), false
	}
	g = rs.Run.Gate.Options()
	if opts.MinPassRate != nil {
		g.MinPassRate = *opts.MinPassRate
	}
	if len(in.minAt) > 0 {
		g.PositionMinPassRate = in.minAt
	}
	if in.baseline != nil {
		g.Baseline, g.BaselineCells = in.baseline, nil
	}
	return g, true
}

// locate puts back each result's test file and line, which the results
// document does not keep, from the suite, for annotations and JUnit.
func locate(rs *eval.Results, suite *eval.Suite) {
	type key struct{ prompt, test string }
	where := map[key]*eval.Test{}
	for _, p := range suite.Prompts {
		for _, t := range p.Tests {
			where[key{p.Name, t.Name}] = t
		}
	}
	for i := range rs.Results {
		r := &rs.Results[i]
		if t, ok := where[key{r.Prompt, r.Test}]; ok && r.File == "" {
			r.File, r.Line = t.File, t.Line
		}
	}
}
