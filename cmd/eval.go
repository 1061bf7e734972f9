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
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/llmfall/llmfall/config"
	"github.com/llmfall/llmfall/eval"
	"github.com/llmfall/llmfall/eval/report"
	"github.com/llmfall/llmfall/fallback"
	"github.com/llmfall/llmfall/internal/untrusted"
	"github.com/llmfall/llmfall/setup"
)

type evalOptions struct {
	f *factory

	Paths        []string
	Depth        int
	Providers    []string
	Repeat       int
	Filter       string
	ChangedSince string
	Baseline     string
	DryRun       bool
	Concurrency  int
	NoCache      bool
	CacheDir     string
	Output       string
	JUnit        string
	Markdown     string
	HTML         string
	GitHub       bool    // GitHub Actions output even outside GITHUB_ACTIONS (report --github)
	MinPassRate  float64 // <0: the config's
	MinPassAt    []string
	NoProgress   bool
}

func newCmdEval(f *factory, runF func(context.Context, *evalOptions) error) *cobra.Command {
	opts := &evalOptions{f: f}
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
  llmfall eval prompts/ --dry-run`,
		Args: cobra.ArbitraryArgs,
		RunE: func(c *cobra.Command, args []string) error {
			opts.Paths = args
			if len(opts.Paths) == 0 {
				opts.Paths = []string{"prompts"}
			}
			if !c.Flags().Changed("min-pass-rate") {
				opts.MinPassRate = -1
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
	fl.StringVar(&opts.ChangedSince, "changed-since", "", "only prompts whose files changed since this git ref")
	fl.StringVar(&opts.Baseline, "baseline", "", "results.json of an earlier run: regressions fail the gate, unchanged prompts are taken from it")
	fl.BoolVar(&opts.DryRun, "dry-run", false, "print the plan (calls, judge calls, tokens, cost) and make no calls")
	fl.IntVarP(&opts.Concurrency, "concurrency", "j", 0, "calls in flight per provider (default: the provider's concurrency, else eval.concurrency)")
	fl.BoolVar(&opts.NoCache, "no-cache", false, "call every provider even for answers in the cache")
	fl.StringVar(&opts.CacheDir, "cache-dir", "", "cache directory (default: llmfall/eval in the user cache directory)")
	fl.StringVarP(&opts.Output, "output", "o", "", "write the results as JSON to this file")
	fl.StringVar(&opts.JUnit, "junit", "", "write a JUnit XML report to this file")
	fl.StringVar(&opts.Markdown, "markdown", "", "write a Markdown report (for a PR comment) to this file")
	fl.StringVar(&opts.HTML, "html", "", "write a self-contained HTML report to this file")
	fl.Float64Var(&opts.MinPassRate, "min-pass-rate", 0, "pass rate every prompt × link must reach (default: eval.min_pass_rate)")
	fl.StringSliceVar(&opts.MinPassAt, "min-pass-rate-at", nil, "per chain position minimum, e.g. 2=0.8")
	fl.BoolVar(&opts.NoProgress, "no-progress", false, "print no progress while running")
	c.RegisterFlagCompletionFunc("providers", completeProviders(f))
	return c
}

func runEval(ctx context.Context, opts *evalOptions) error {
	f := opts.f
	cfg, err := f.Config()
	if err != nil {
		return err
	}
	in, err := loadEvalInputs(ctx, opts)
	if err != nil {
		return err
	}
	suite, err := eval.LoadSuite(opts.Paths, eval.LoadOptions{Categories: categoryNames(cfg), MaxPromptBytes: int64(cfg.Eval.MaxPromptBytes)})
	if err != nil {
		hint := "fix the prompt files above (the format is in README)"
		if errors.Is(err, fs.ErrNotExist) {
			hint = "pass directories or files of prompt files (*.yaml), e.g. llmfall eval prompts/"
		}
		return usageErr(err, hint)
	}
	engine, err := f.Engine()
	if err != nil {
		return err
	}
	depth := opts.Depth
	if depth == 0 {
		depth = cfg.Eval.ChainDepth
	}
	repeat := opts.Repeat
	if repeat == 0 {
		repeat = cfg.Eval.Repeat
	}
	plan, err := eval.NewPlan(suite, eval.PlanOptions{
		Chain: func(cat string) ([]fallback.Target, error) { return engine.Chain(cat) },
		Depth: depth, Providers: opts.Providers, Repeat: repeat, Filter: in.filter,
		Changed: in.changed, Baseline: in.baseline,
	})
	if err != nil {
		return usageErr(err, "")
	}
	prices := setup.Prices(cfg)
	if opts.DryRun {
		// The run's own options, so that the estimate sees its cache.
		run, err := runOptionsFor(opts, cfg, plan, prices)
		if err != nil {
			return err
		}
		jm := judgeModel(cfg, engine)
		if f.Offline {
			jm = "" // the offline judge is a heuristic and costs nothing
		}
		eval.WriteEstimate(f.IO.Out, plan, plan.Estimate(eval.EstimateOptions{Prices: prices, JudgeModel: jm,
			Providers: run.Providers, Cache: run.Cache, Identity: run.Identity, JudgeID: run.JudgeID}))
		return nil
	}
	if len(plan.Cases) == 0 && len(plan.Carried) == 0 {
		fmt.Fprintln(f.IO.Err, "llmfall: no cases to run (check --filter and --changed-since)")
		return nil
	}
	if !f.Offline {
		if err := checkKeys(cfg, plan, f.Getenv); err != nil {
			return usageErr(err, "export them, or run with --offline to use simulated providers")
		}
	}
	run, err := runOptionsFor(opts, cfg, plan, prices)
	if err != nil {
		return err
	}
	var progress *report.ProgressPrinter
	if !opts.NoProgress {
		progress = report.NewProgressPrinter(f.IO.Err, f.IO.ErrTTY)
		run.Progress = progress.Update
	}
	rs, runErr := eval.Run(ctx, plan, run)
	if progress != nil {
		progress.Done()
	}
	if rs == nil {
		return usageErr(runErr, "")
	}
	gate := eval.Gate(rs, gateOptions(opts, cfg, suite, in))
	if err := writeReports(opts, rs, in.baseline); err != nil {
		return err
	}
	return evalExit(runErr, rs, gate)
}

// evalInputs are what the flags name beyond the suite: a filter, the files
// changed since a ref, a baseline.
type evalInputs struct {
	filter   *regexp.Regexp
	changed  map[string]bool
	baseline *eval.Results
	minAt    map[int]float64
}

func loadEvalInputs(ctx context.Context, opts *evalOptions) (evalInputs, error) {
	var in evalInputs
	var err error
	if opts.Filter != "" {
		if in.filter, err = regexp.Compile(opts.Filter); err != nil {
			return in, usageErr(fmt.Errorf("--filter: %w", err), "")
		}
	}
	if opts.ChangedSince != "" {
		dir := opts.Paths[0]
		if st, err := os.Stat(dir); err == nil && !st.IsDir() {
			dir = filepath.Dir(dir)
		}
		if in.changed, err = eval.ChangedFiles(ctx, dir, opts.ChangedSince); err != nil {
			return in, usageErr(fmt.Errorf("--changed-since: %w", err), "")
		}
	}
	if opts.Baseline != "" {
		if in.baseline, err = eval.ReadResults(opts.Baseline); err != nil {
			return in, usageErr(fmt.Errorf("--baseline: %w", err), "")
		}
	}
	if in.minAt, err = parseMinAt(opts.MinPassAt); err != nil {
		return in, usageErr(err, "write it as POSITION=RATE, e.g. 2=0.8")
	}
	return in, nil
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

func categoryNames(cfg *config.Config) []string {
	names := make([]string, len(cfg.Categories))
	for i, c := range cfg.Categories {
		names[i] = c.Name
	}
	return names
}

// judgeModel is the first model of the judge's chain, to price judge calls.
func judgeModel(cfg *config.Config, engine *fallback.Engine) string {
	chain, err := engine.Chain(cfg.Judge.Category)
	if err != nil || len(chain) == 0 {
		return ""
	}
	return chain[0].Model
}

func runOptionsFor(opts *evalOptions, cfg *config.Config, plan *eval.Plan, prices eval.Prices) (eval.RunOptions, error) {
	f := opts.f
	providers, err := f.Providers()
	if err != nil {
		return eval.RunOptions{}, err
	}
	run := eval.RunOptions{
		Providers: providers, Limits: map[string]eval.Limit{}, Prices: prices, Offline: f.Offline,
		Retries: cfg.Eval.Retries, Timeout: cfg.Timeouts.Attempt,
		JudgeLimit: eval.Limit{Concurrency: cfg.Eval.Concurrency},
	}
	if run.Retries == 0 {
		run.Retries = -1 // the config says none
	}
	identity := map[string]string{}
	for _, p := range cfg.Providers {
		lim := eval.Limit{Concurrency: p.Concurrency, RPM: p.RPM}
		if lim.Concurrency == 0 {
			lim.Concurrency = cfg.Eval.Concurrency
		}
		if opts.Concurrency > 0 {
			lim.Concurrency = opts.Concurrency
		}
		run.Limits[p.Name] = lim
		identity[p.Name] = p.Type + " " + p.BaseURL
	}
	run.Identity = func(name string) string { return identity[name] }
	if needsJudge(plan) {
		if run.Judge, err = f.Judge(); err != nil {
			return run, err
		}
		run.JudgeID = judgeID(cfg)
	}
	// Offline answers cost nothing to make again, and caching them would
	// only let a stale simulation outlive a new version of it.
	if !opts.NoCache && !f.Offline {
		dir := opts.CacheDir
		if dir == "" {
			if dir, err = eval.DefaultCacheDir(); err != nil {
				return run, err
			}
		}
		if run.Cache, err = eval.OpenCache(dir); err != nil {
			return run, err
		}
	}
	return run, nil
}

func needsJudge(plan *eval.Plan) bool {
	for _, c := range plan.Cases {
		for _, a := range c.Test.Asserts {
			if a.NeedsJudge() {
				return true
			}
		}
	}
	return false
}

// judgeID names the judge's configuration in cache keys, so that a verdict
// cached under one judge is not reused by another.
func judgeID(cfg *config.Config) string {
	return fmt.Sprintf("%s different_provider=%v threshold=%v", cfg.Judge.Category, cfg.Judge.DifferentProvider, cfg.Judge.Threshold)
}

func gateOptions(opts *evalOptions, cfg *config.Config, suite *eval.Suite, in evalInputs) eval.GateOptions {
	min := cfg.Eval.MinPassRate
	if opts.MinPassRate >= 0 {
		min = opts.MinPassRate
	}
	return eval.GateOptions{
		MinPassRate: min, PositionMinPassRate: in.minAt, PromptMinPassRate: eval.PromptMinimums(suite),
		Baseline: in.baseline, MaxRegression: cfg.Eval.MaxRegression,
	}
}

func writeReports(opts *evalOptions, rs *eval.Results, baseline *eval.Results) error {
	streams := opts.f.IO
	getenv := opts.f.Getenv
	terminal := func(w io.Writer) error {
		report.WriteTerminal(w, rs, report.TerminalOptions{Renderer: streams.Render, Width: streams.Width})
		return nil
	}
	github := opts.GitHub || inJobLog(getenv)
	if github {
		// The report quotes test names and model outputs: in the job log
		// none of its lines may run as a workflow command. The annotations
		// below are ours, escaped, and must run.
		untrusted.StopCommands(streams.Out, rand.Text(), terminal)
	} else {
		terminal(streams.Out)
	}
	var errs []error
	if opts.Output != "" {
		errs = append(errs, rs.WriteFile(opts.Output))
	}
	if opts.JUnit != "" {
		errs = append(errs, writeFileWith(opts.JUnit, func(w *os.File) error { return report.WriteJUnit(w, rs) }))
	}
	if opts.Markdown != "" {
		errs = append(errs, writeFileWith(opts.Markdown, func(w *os.File) error { return report.WriteMarkdown(w, rs) }))
	}
	if opts.HTML != "" {
		errs = append(errs, writeFileWith(opts.HTML, func(w *os.File) error {
			return report.WriteHTML(w, rs, report.HTMLOptions{Baseline: baseline})
		}))
	}
	if github {
		report.WriteGitHubAnnotations(streams.Out, rs, getenv("GITHUB_WORKSPACE"))
		if path := getenv("GITHUB_STEP_SUMMARY"); path != "" {
			errs = append(errs, report.AppendGitHubSummary(path, rs))
		}
	}
	return errors.Join(errs...)
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
// a failed gate 1, cases without a result 3.
func evalExit(runErr error, rs *eval.Results, gate *eval.Gating) error {
	s := rs.Summary
	switch {
	case runErr != nil && s.Interrupted:
		return exitErr(ExitInterrupted, fmt.Errorf("interrupted: the gate is incomplete; %s reported, %d not run", eval.Count(s.Total-s.Carried, "finished case"), s.NotRun), "")
	case runErr != nil:
		return runErr
	case !gate.Pass:
		return exitErr(ExitFailed, nil, "")
	case s.Errored > 0:
		return exitErr(ExitProviders, fmt.Errorf("cases left without a result: %d", s.Errored),
			"see the errors above; answers already received are cached, so a re-run only retries these")
	}
	return nil
}

// checkKeys fails before any call when a provider the plan measures needs a
// key and has none: every one of its cases would come back a 401 (or, with
// no network, a dial error) after retries, which says less and costs time.
func checkKeys(cfg *config.Config, plan *eval.Plan, getenv func(string) string) error {
	seen := map[string]bool{}
	var errs []error
	for _, c := range plan.Cases {
		name := c.Target.Provider
		if seen[name] {
			continue
		}
		seen[name] = true
		p, ok := cfg.Provider(name)
		if !ok || len(p.APIKeyEnv) == 0 {
			continue
		}
		if key, _ := p.APIKey(getenv); key == "" {
			errs = append(errs, fmt.Errorf("provider %q needs an API key: %s is not set", name, strings.Join(p.APIKeyEnv, " or ")))
		}
	}
	return errors.Join(errs...)
}
