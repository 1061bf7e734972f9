package cmd

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/llmfall/llmfall/config"
	"github.com/llmfall/llmfall/eval"
	"github.com/llmfall/llmfall/eval/report"
	"github.com/llmfall/llmfall/fallback"
	"github.com/llmfall/llmfall/internal/untrusted"
	"github.com/llmfall/llmfall/judge"
	"github.com/llmfall/llmfall/provider"
	"github.com/llmfall/llmfall/setup"
)

// evalGCPercent is eval's GOGC unless the environment sets GOGC or
// GOMEMLIMIT.
const evalGCPercent = 30

// evalGC sets eval's GOGC and returns what restores the one before. The
// suite and the plan live for the whole run, and the default GOGC lets the
// heap grow to twice them between collections: 30% keeps a 100,000-case
// run near 120 MB (BenchmarkEvalMemory) for a little more GC CPU in a
// process that mostly waits on providers. A memory limit instead
// (debug.SetMemoryLimit, GOGC 100) measured no better there (148 MB where
// GOGC 30 gave 153-155, before the plan shrank, for as much CPU, README
// "Benchmarks") and needs a size: a fixed one wastes
// memory on small suites and makes the collector run without pause on
// suites whose plan alone is bigger, where a percentage scales with the
// suite. A user's GOGC or GOMEMLIMIT is theirs: then nothing is changed.
func evalGC(getenv func(string) string) (restore func()) {
	if getenv("GOGC") != "" || getenv("GOMEMLIMIT") != "" {
		return func() {}
	}
	old := debug.SetGCPercent(evalGCPercent)
	return func() { debug.SetGCPercent(old) }
}

type evalOptions struct {
	IO     *IO
	Getenv func(string) string
	// Setup are the global flags' setup options (--offline), read when
	// the command runs.
	Setup  func() setup.Options
	Config func() (*config.Config, error)
	// Clients are the configured providers' clients.
	Clients func() (map[string]provider.Provider, error)
	Engine  func() (*fallback.Engine, error)
	Judge   func() (judge.Judge, error)

	Paths        []string
	Depth        int
	Providers    []string
	Repeat       int
	Filter       string
	ChangedSince string
	// Base is the trusted revision: provider settings come from its
	// config, and it is the default ChangedSince.
	Base                 string
	AllowProviderChanges bool
	AllowJudgeChanges    bool // with --base: a judge other than the base's (judge.category, judge.panel, their models)
	Baseline             string
	DryRun               bool
	Concurrency          int
	NoCache              bool
	CacheDir             string
	Output               string
	ReviewOut            string
	// Formats are the reports asked for; GitHub there is report --github,
	// GitHub Actions output even outside GITHUB_ACTIONS (see formats).
	report.Formats
	MinPassRate *float64 // nil: the config's
	MinPassAt   []string
	NoProgress  bool
	Shard       string
}

func newCmdEval(f *factory, runF func(context.Context, *evalOptions) error) *cobra.Command {
	opts := &evalOptions{IO: f.IO, Getenv: f.Getenv, Setup: f.setupOptions,
		Config: f.Config, Clients: f.Providers, Engine: f.Engine, Judge: f.Judge}
	var minPassRate float64 // --min-pass-rate, which opts holds only when given
	c := &cobra.Command{
		Use:   "eval [paths...]",
		Short: "Evaluate prompts on every link of their fallback chains, and gate on the result",
		Long: `Evaluate every prompt file (*.yaml) under the given paths (default: prompts/) on the first
links of its category's chain. Each link is called directly, with no fallback, so that a
fallback that would give worse answers shows up before it serves users.

Exit codes: 0 the gate passed; 1 it failed; 2 a bad flag, config or prompt file; 3 cases
were left without a result (a provider kept failing); 130 interrupted by SIGINT, 143 by
SIGTERM (finished results are still written; the gate is incomplete, never passed).`,
		Example: `  llmfall eval prompts/ --offline
  llmfall eval prompts/ --depth 3 -j 4 --output results.json --junit junit.xml
  llmfall eval --changed-since origin/main --baseline main-results.json
  llmfall eval prompts/ --dry-run
  llmfall eval prompts/ --shard 2/4 --output shard-2.json   # then: llmfall merge shard-*.json -o results.json`,
		Args: cobra.ArbitraryArgs,
		RunE: func(c *cobra.Command, args []string) error {
			opts.Paths = args
			if len(opts.Paths) == 0 {
				opts.Paths = []string{"prompts"}
			}
			if c.Flags().Changed("min-pass-rate") {
				opts.MinPassRate = &minPassRate
			}
			// An explicit --changed-since "" runs every case under --base.
			if !c.Flags().Changed("changed-since") {
				opts.ChangedSince = opts.Base
			}
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runEval(c.Context(), opts)
		},
	}
	fl := c.Flags()
	fl.IntVar(&opts.Depth, "depth", 0, "links of each chain to evaluate (default: eval.chain_depth)")
	fl.StringSliceVar(&opts.Providers, "providers", nil, "evaluate the links of these providers instead of the first --depth")
	fl.IntVar(&opts.Repeat, "repeat", 0, "run every case this many times (default: eval.repeat)")
	fl.StringVar(&opts.Filter, "filter", "", "only cases whose prompt/test matches this regular expression")
	fl.StringVar(&opts.ChangedSince, "changed-since", "", "only cases whose fingerprint differs at this git ref (default: --base; \"\" for every case)")
	fl.StringVar(&opts.Base, "base", "", "trusted git ref (the PR's base): provider type, base_url, api_key_env and headers, and the judge, must match its llmfall.yaml")
	fl.BoolVar(&opts.AllowProviderChanges, "allow-provider-changes", false, "with --base: accept provider settings that differ from the base's")
	fl.BoolVar(&opts.AllowJudgeChanges, "allow-judge-changes", false, "with --base: accept a judge (judge.category, judge.panel or their models) that differs from the base's")
	fl.StringVar(&opts.Baseline, "baseline", "", "results.json of an earlier run: regressions fail the gate, unchanged prompts are taken from it")
	fl.BoolVar(&opts.DryRun, "dry-run", false, "print the plan (calls, judge calls, tokens, cost) and make no calls")
	fl.IntVarP(&opts.Concurrency, "concurrency", "j", 0, "calls in flight in all, judge calls included (default: eval.concurrency); providers.NAME.concurrency caps one provider under it")
	fl.BoolVar(&opts.NoCache, "no-cache", false, "call every provider even for answers in the cache")
	fl.StringVar(&opts.CacheDir, "cache-dir", "", "cache directory (default: llmfall/eval in the user cache directory)")
	fl.StringVarP(&opts.Output, "output", "o", "", "write the results as JSON to this file")
	fl.StringVar(&opts.JUnit, "junit", "", "write a JUnit XML report to this file")
	fl.StringVar(&opts.Markdown, "markdown", "", "write a Markdown report (for a PR comment) to this file")
	fl.StringVar(&opts.ReviewOut, "review-out", "", "write the cases a judge panel disagreed on as JSON Lines, to label and feed to judge calibrate")
	fl.StringVar(&opts.HTML, "html", "", "write a self-contained HTML report to this file")
	fl.Float64Var(&minPassRate, "min-pass-rate", 0, "pass rate every prompt × link must reach (default: eval.min_pass_rate)")
	fl.StringSliceVar(&opts.MinPassAt, "min-pass-rate-at", nil, "per chain position minimum, e.g. 2=0.8")
	fl.BoolVar(&opts.NoProgress, "no-progress", false, "print no progress while running")
	fl.StringVar(&opts.Shard, "shard", "", "run shard I of N (e.g. 2/4): a stable 1/N of the tests; the gate is applied by llmfall merge")
	c.RegisterFlagCompletionFunc("providers", completeProviders(f))
	return c
}

func runEval(ctx context.Context, opts *evalOptions) error {
	defer evalGC(opts.Getenv)()
	cfg, err := opts.Config()
	if err != nil {
		return err
	}
	in, err := loadEvalInputs(ctx, opts)
	if err != nil {
		return err
	}
	if in.base != nil {
		base, err := checkBase(ctx, opts, in.base, cfg)
		if err != nil {
			return err
		}
		in.overrides = applyBaseFloors(opts, cfg, base)
	}
	suite, err := eval.LoadSuite(opts.Paths, setup.LoadOptions(cfg))
	if err != nil {
		hint := "fix the prompt files above (the format is in README)"
		if errors.Is(err, fs.ErrNotExist) {
			hint = "pass directories or files of prompt files (*.yaml), e.g. llmfall eval prompts/"
		}
		return usageErr(err, hint)
	}
	engine, err := opts.Engine()
	if err != nil {
		return err
	}
	inputs := setup.Inputs(cfg, engine, opts.Setup())
	po := setup.PlanOptions(cfg, engine, inputs)
	if opts.Depth != 0 {
		po.Depth = opts.Depth
	}
	if opts.Repeat != 0 {
		po.Repeat = opts.Repeat
	}
	po.Providers, po.Filter, po.Baseline, po.Shard = opts.Providers, in.filter, in.baseline, in.shard
	if in.changedSince != nil {
		warn := func(msg string) { fmt.Fprintf(opts.IO.Err, "llmfall: --changed-since: %s\n", msg) }
		if po.Base, err = baseFingerprints(ctx, in.changedSince, cfg, opts.Paths, po, opts.Setup(), warn); err != nil {
			return usageErr(fmt.Errorf("--changed-since %s: %w", opts.ChangedSince, err), "")
		}
	}
	plan, err := eval.NewPlan(suite, po)
	if err != nil {
		return usageErr(err, "")
	}
	if opts.DryRun {
		// The run's own options, so that the estimate sees its cache.
		providers, err := opts.Clients()
		if err != nil {
			return err
		}
		run, err := setup.RunOptions(cfg, plan, providers, opts.Judge, inputs, opts.Setup(),
			setup.EvalOptions{Concurrency: opts.Concurrency, NoCache: opts.NoCache, CacheDir: opts.CacheDir})
		if err != nil {
			return err
		}
		eo := estimateOptions(cfg, engine, opts.Setup())
		eo.Prices, eo.Providers, eo.Cache, eo.Identity, eo.JudgeID = run.Prices, run.Providers, run.Cache, run.Identity, run.JudgeID
		eval.WriteEstimate(opts.IO.Out, plan, plan.Estimate(eo))
		return nil
	}
	// An empty shard still writes its results: merge needs every shard.
	if len(plan.Cases) == 0 && len(plan.Carried) == 0 && in.shard.Count == 0 {
		fmt.Fprintf(opts.IO.Err, "llmfall: no cases to run (%d unchanged since the base; check --filter and --changed-since)\n", plan.Unchanged)
		return nil
	}
	if err := checkKeys(cfg, setup.EvalProviders(cfg, engine, plan), opts.Setup()); err != nil {
		return err
	}
	providers, err := opts.Clients()
	if err != nil {
		return err
	}
	run, err := setup.RunOptions(cfg, plan, providers, opts.Judge, inputs, opts.Setup(),
		setup.EvalOptions{Concurrency: opts.Concurrency, NoCache: opts.NoCache, CacheDir: opts.CacheDir})
	if err != nil {
		return err
	}
	// Memory stays flat however big the suite: results go to the journal
	// as they finish and only the failures the terminal lists stay in
	// memory, unless a report or the gate needs every result.
	gopts := gateOptions(opts, cfg, suite, in)
	if !opts.formats().NeedsAllResults() && !gopts.NeedsAllResults() {
		run.Retain = report.DefaultMaxFailures
	}
	if opts.Output != "" {
		if run.Journal, err = eval.CreateJournal(eval.JournalPath(opts.Output)); err != nil {
			return err
		}
		defer run.Journal.Close()
	}
	var progress *report.ProgressPrinter
	if !opts.NoProgress {
		progress = report.NewProgressPrinter(opts.IO.Err, opts.IO.ErrTTY)
		run.Progress = progress.Update
	}
	rs, runErr := eval.Run(ctx, plan, run)
	if progress != nil {
		progress.Done()
	}
	if rs == nil {
		return usageErr(runErr, panelHint(cfg, runErr))
	}
	rs.Run.Gate = gopts.Settings().ForShard(in.shard)
	var gate *eval.Gating
	if in.shard.Count == 0 {
		gate = eval.Gate(rs, gopts)
	} else {
		// A shard holds part of each prompt × link: only the merged
		// results have the pass rates the gate judges.
		fmt.Fprintf(opts.IO.Err, "llmfall: shard %s: %d of %d cases; the gate is applied when the shards are merged (llmfall merge)\n",
			in.shard, len(plan.Cases)+len(plan.Carried), plan.Planned)
	}
	if err := writeReports(opts, rs, run.Journal, in.baseline); err != nil {
		return err
	}
	return evalExit(runErr, rs, gate)
}

// evalInputs are what the flags name beyond the suite: a filter, the
// revision to compare with, a baseline.
type evalInputs struct {
	filter *regexp.Regexp
	base   *eval.Revision
	// overrides are the settings of llmfall.yaml that differ from the
	// base's where they decide how strict the gate is.
	overrides    []eval.Override
	changedSince *eval.Revision
	baseline     *eval.Results
	minAt        map[int]float64
	shard        eval.Shard
}

func loadEvalInputs(ctx context.Context, opts *evalOptions) (evalInputs, error) {
	var in evalInputs
	var err error
	if opts.Filter != "" {
		if in.filter, err = regexp.Compile(opts.Filter); err != nil {
			return in, usageErr(fmt.Errorf("--filter: %w", err), "")
		}
	}
	if opts.Base != "" {
		if in.base, err = resolveRef(ctx, opts.Paths[0], opts.Base); err != nil {
			return in, usageErr(fmt.Errorf("--base: %w", err), "pass the pull request's base branch or commit, e.g. origin/main")
		}
	}
	if opts.ChangedSince != "" {
		if in.changedSince, err = resolveRef(ctx, opts.Paths[0], opts.ChangedSince); err != nil {
			return in, usageErr(fmt.Errorf("--changed-since: %w", err), "pass a branch, tag or commit, e.g. origin/main")
		}
	}
	if opts.Baseline != "" {
		if in.baseline, err = eval.ReadResults(opts.Baseline); err != nil {
			return in, usageErr(fmt.Errorf("--baseline: %w", err), "")
		}
	}
	if opts.Shard != "" {
		if in.shard, err = eval.ParseShard(opts.Shard); err != nil {
			return in, usageErr(fmt.Errorf("--shard: %w", err), "")
		}
	}
	if in.minAt, err = parseMinAt(opts.MinPassAt); err != nil {
		return in, usageErr(err, "write it as POSITION=RATE, e.g. 2=0.8")
	}
	return in, nil
}

// resolveRef verifies ref in the repository holding path.
func resolveRef(ctx context.Context, path, ref string) (*eval.Revision, error) {
	dir := path
	if st, err := os.Stat(dir); err == nil && !st.IsDir() {
		dir = filepath.Dir(dir)
	}
	return eval.ResolveRevision(ctx, dir, ref)
}

func parseMinAt(items []string) (map[int]float64, error) {
	m := map[int]float64{}
	for _, item := range items {
		pos, rate, ok := strings.Cut(item, "=")
		p, err1 := strconv.Atoi(strings.TrimSpace(pos))
		r, err2 := strconv.ParseFloat(strings.TrimSpace(rate), 64)
		if !ok || err1 != nil || err2 != nil || p < 0 || r < 0 || r > 1 {
			return nil, fmt.Errorf("--min-pass-rate-at %q: want POSITION=RATE with a rate from 0 to 1", item)
		}
		m[p] = r
	}
	return m, nil
}

// gateOptions are the gate's thresholds: the config's, after
// applyBaseFloors, unless the command line sets them.
func gateOptions(opts *evalOptions, cfg *config.Config, suite *eval.Suite, in evalInputs) eval.GateOptions {
	g := setup.GateOptions(cfg, suite)
	g.PositionMinPassRate, g.Baseline, g.Overrides = in.minAt, in.baseline, in.overrides
	if opts.MinPassRate != nil {
		g.MinPassRate = *opts.MinPassRate
	}
	return g
}

// writeReports prints the terminal report and writes the files asked for;
// with a journal, the results document is written from it (rs may hold
// only some results). baseline marks changed cases in the HTML report.
func writeReports(opts *evalOptions, rs *eval.Results, journal *eval.Journal, baseline *eval.Results) error {
	streams := opts.IO
	formats := opts.formats()
	terminal := func(w io.Writer) error {
		report.WriteTerminal(w, rs, report.TerminalOptions{Renderer: streams.Render, Width: streams.Width})
		return nil
	}
	if formats.GitHub {
		// The report quotes test names and model outputs: in the job log
		// none of its lines may run as a workflow command. The annotations
		// below are ours, escaped, and must run.
		untrusted.StopCommands(streams.Out, rand.Text(), terminal)
	} else {
		terminal(streams.Out)
	}
	var errs []error
	switch {
	case opts.Output != "" && journal != nil:
		errs = append(errs, journal.WriteResults(opts.Output, rs))
	case opts.Output != "":
		errs = append(errs, rs.WriteFile(opts.Output))
	}
	if formats.JUnit != "" {
		errs = append(errs, writeFileWith(formats.JUnit, func(w *os.File) error { return report.WriteJUnit(w, rs) }))
	}
	if opts.ReviewOut != "" {
		errs = append(errs, writeReview(opts.ReviewOut, rs))
	}
	if formats.Markdown != "" {
		errs = append(errs, writeFileWith(formats.Markdown, func(w *os.File) error { return report.WriteMarkdown(w, rs) }))
	}
	if formats.HTML != "" {
		errs = append(errs, writeFileWith(formats.HTML, func(w *os.File) error {
			return report.WriteHTML(w, rs, report.HTMLOptions{Baseline: baseline})
		}))
	}
	if formats.GitHub {
		report.WriteGitHubAnnotations(streams.Out, rs, opts.Getenv("GITHUB_WORKSPACE"))
		if path := opts.Getenv("GITHUB_STEP_SUMMARY"); path != "" {
			errs = append(errs, report.AppendGitHubSummary(path, rs))
		}
	}
	return errors.Join(errs...)
}

// formats are the reports this run writes: the ones asked for, and the
// GitHub Actions output whenever it runs in a job log.
func (opts *evalOptions) formats() report.Formats {
	f := opts.Formats
	f.GitHub = f.GitHub || inJobLog(opts.Getenv)
	return f
}

func writeFileWith(path string, write func(*os.File) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	werr := write(f)
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	return werr
}

// evalExit turns the run's outcome into the exit-code contract: an
// interrupt is 130, or 143 for SIGTERM (results written, gate incomplete),
// a failed gate 1, cases without a result 3. A nil gate (a shard's) is
// left to llmfall merge.
func evalExit(runErr error, rs *eval.Results, gate *eval.Gating) error {
	s := rs.Summary
	switch {
	case runErr != nil && s.Interrupted:
		return exitErr(ExitInterrupted, fmt.Errorf("interrupted: the gate is incomplete; %s reported, %d not run", eval.Count(s.Total-s.Carried, "finished case"), s.NotRun), "")
	case runErr != nil:
		return runErr
	case gate != nil && !gate.Pass:
		return exitErr(ExitFailed, nil, "")
	case s.Errored > 0:
		return exitErr(ExitProviders, fmt.Errorf("cases left without a result: %d", s.Errored),
			"see the errors above; answers already received are cached, so a re-run only retries these")
	}
	return nil
}
