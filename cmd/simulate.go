package cmd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/llmfall/llmfall/config"
	"github.com/llmfall/llmfall/eval/report"
	"github.com/llmfall/llmfall/fallback"
	"github.com/llmfall/llmfall/setup"
	"github.com/llmfall/llmfall/simulate"
)

type simulateOptions struct {
	IO     *IO
	Config func() (*config.Config, error)

	Category string
	Scenario string
	RPS      float64
	Duration time.Duration
	Seed     int64
	Compare  bool
	JSON     bool
}

func newCmdSimulate(f *factory, runF func(context.Context, *simulateOptions) error) *cobra.Command {
	opts := &simulateOptions{IO: f.IO, Config: f.Config}
	c := &cobra.Command{
		Use:   "simulate --scenario NAME|FILE",
		Short: "Replay an outage against a category's chain and report what users would have seen",
		Long: `Drive the real fallback engine, configured from llmfall.yaml, with simulated links that replay
a scenario, and report what users would have seen: failed requests, which link served whom,
failovers, added latency, time lost on dead links, breaker openings and hedges won.

Added latency is per request: each served request's time to first token less what a healthy
primary would have taken for that same request, and its p50/p95/p99 over the served requests.
It is negative where a backup link answered faster than the primary would have.

Built-in scenarios: ` + strings.Join(simulate.Builtins(), ", ") + `. A scenario file (YAML) gives
per-link timelines: windows with error rate, error class mix, latency p50/p95 and hang rate.

Everything runs in virtual time: each request's fate and latency are drawn from the scenario and
--seed, the links wait on a virtual clock, and the engine's own timers (timeouts, hedge delay,
retry backoff, breaker cool-down) run on that clock too, so the same scenario and --seed give the
same report on any machine, however loaded. No request leaves this machine and no key is needed.`,
		Example: `  llmfall simulate --scenario seed --compare
  llmfall simulate -c smart --scenario hang --rps 20 --duration 2h --json
  llmfall simulate --scenario incidents/2025-03-outage.yaml`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			if opts.Scenario == "" {
				return usageErr(errors.New("no scenario given"),
					"pass --scenario with a built-in name ("+strings.Join(simulate.Builtins(), ", ")+") or a YAML file")
			}
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runSimulate(c.Context(), opts)
		},
	}
	fl := c.Flags()
	fl.StringVarP(&opts.Category, "category", "c", "", "category whose chain to drive (default: the first in the config)")
	fl.StringVar(&opts.Scenario, "scenario", "", "built-in scenario name or scenario YAML file")
	fl.Float64Var(&opts.RPS, "rps", 0, "requests per simulated second (default: the scenario's, else 50)")
	fl.DurationVar(&opts.Duration, "duration", 0, "simulated time to cover (default: the scenario's)")
	fl.Int64Var(&opts.Seed, "seed", 1, "seed of every random draw")
	fl.BoolVar(&opts.Compare, "compare", false, "also run the naive policy (no breaker, no hedging) beside the configured one")
	fl.BoolVar(&opts.JSON, "json", false, "print the report as JSON")
	c.RegisterFlagCompletionFunc("category", completeCategories(f))
	c.RegisterFlagCompletionFunc("scenario", completeScenarios)
	return c
}

func runSimulate(ctx context.Context, opts *simulateOptions) error {
	cfg, err := opts.Config()
	if err != nil {
		return err
	}
	if opts.Category == "" {
		opts.Category = cfg.Categories[0].Name
	}
	if err := checkCategory(cfg, opts.Category); err != nil {
		return err
	}
	cat, _ := cfg.Category(opts.Category)
	sc, err := simulate.Open(opts.Scenario)
	if err != nil {
		return usageErr(err, "pass a built-in scenario's name or a scenario YAML file (format in README)")
	}
	if opts.RPS < 0 || opts.Duration < 0 {
		return usageErr(errors.New("--rps and --duration must not be negative"), "")
	}

	base := simulate.Options{
		Engine: setup.EngineConfig(cfg), Category: opts.Category, Scenario: sc,
		RPS: opts.RPS, Duration: opts.Duration, Seed: opts.Seed,
	}
	start := time.Now()
	reports := make([]*simulate.Report, 1, 2)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		reports[0], err = simulate.Run(gctx, base)
		return err
	})
	if opts.Compare {
		reports = reports[:2]
		naive := base
		naive.Naive = true
		g.Go(func() (err error) {
			reports[1], err = simulate.Run(gctx, naive)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		if ctx.Err() != nil {
			return exitErr(ExitInterrupted, errors.New("interrupted"), "")
		}
		// What remains is the scenario not fitting the chain.
		return usageErr(err, "a scenario names links by chain position (link: 1) or provider name; 'llmfall chains' shows them")
	}
	took := time.Since(start)

	if opts.JSON {
		enc := json.NewEncoder(opts.IO.Out)
		enc.SetIndent("", "  ")
		if opts.Compare {
			return enc.Encode(map[string]*simulate.Report{"configured": reports[0], "naive": reports[1]})
		}
		return enc.Encode(reports[0])
	}
	renderSimulation(opts.IO, sc, cat.HedgeAfter > 0, reports)
	// The wall time goes to stderr so that stdout stays the same on every run.
	fmt.Fprintf(opts.IO.Err, "llmfall: simulated %s of traffic in %s; no request left this machine\n",
		reports[0].Simulated, took.Round(10*time.Millisecond))
	return nil
}

func renderSimulation(streams *IO, sc *simulate.Scenario, hedging bool, reports []*simulate.Report) {
	r := streams.Render
	out := streams.Out
	head := r.NewStyle().Bold(true)
	bad := r.NewStyle().Foreground(lipgloss.Color("1"))
	good := r.NewStyle().Foreground(lipgloss.Color("2"))
	first := reports[0]

	title := "Simulation: " + sc.Name
	if sc.Description != "" {
		title += " — " + sc.Description
	}
	fmt.Fprintln(out, head.Render(title))
	fmt.Fprintf(out, "%s: %s\n", first.Category, simChain(first.Chain))
	fmt.Fprintf(out, "%s requests over %s at %s/s, seed %d, in virtual time\n\n",
		simCount(first.Requests), first.Simulated, strconv.FormatFloat(first.RPS, 'f', -1, 64), first.Seed)

	headers := []string{""}
	for _, rep := range reports {
		headers = append(headers, strings.ToUpper(rep.Policy))
	}
	t := report.NewTable(r).Headers(headers...)
	row := func(label string, cell func(rep *simulate.Report) string) {
		cells := []string{label}
		for _, rep := range reports {
			cells = append(cells, cell(rep))
		}
		t.Row(cells...)
	}
	row("failed requests", func(rep *simulate.Report) string {
		s := fmt.Sprintf("%s (%s)", simCount(rep.Failed), simPercent(rep.FailedRate))
		if rep.Failed > 0 {
			return bad.Render(s)
		}
		return good.Render(s)
	})
	row("expected if failures independent", func(rep *simulate.Report) string { return simPercent(rep.ExpectedFailedRate) })
	for i, target := range first.Chain {
		row("served by "+target.Provider, func(rep *simulate.Report) string { return simPercent(rep.Links[i].Share) })
	}
	row("failovers", func(rep *simulate.Report) string { return simCount(rep.Failovers) })
	row("  of which skipped an open breaker", func(rep *simulate.Report) string {
		if rep.Policy == "naive" {
			return "off"
		}
		return simCount(rep.BreakerSkips)
	})
	row("latency p50 / p95 / p99", func(rep *simulate.Report) string { return simTriple(rep.Latency) })
	row("added vs healthy primary", func(rep *simulate.Report) string { return simTriple(rep.Added) })
	row("time waiting on dead links", func(rep *simulate.Report) string { return simWait(rep.DeadLinkWait) })
	row("breaker openings", func(rep *simulate.Report) string {
		if rep.Policy == "naive" {
			return "off"
		}
		return simCount(rep.BreakerOpenings)
	})
	row("hedges won", func(rep *simulate.Report) string {
		if rep.Policy == "naive" || !hedging {
			return "off"
		}
		return simCount(rep.HedgesWon)
	})
	row("after the breaker opened", func(rep *simulate.Report) string {
		p := rep.AfterBreakerOpen
		if p == nil {
			return "—"
		}
		return fmt.Sprintf("p99 %s from %s", simLatency(p.Latency.P99), p.From)
	})
	row("primary serving again", func(rep *simulate.Report) string {
		if rep.RecoveredAfter == nil {
			return "—"
		}
		return simLatency(*rep.RecoveredAfter) + " after its outage"
	})
	fmt.Fprintln(out, t.Render())
}

func simChain(chain []fallback.Target) string {
	parts := make([]string, len(chain))
	for i, t := range chain {
		parts[i] = t.String()
	}
	return strings.Join(parts, " → ")
}

func simTriple(p simulate.Percentiles) string {
	return simLatency(p.P50) + " / " + simLatency(p.P95) + " / " + simLatency(p.P99)
}

// simLatency formats a latency: milliseconds below a second, else seconds.
func simLatency(d time.Duration) string {
	if d < time.Second && d > -time.Second {
		return strconv.FormatInt(d.Milliseconds(), 10) + " ms"
	}
	return strconv.FormatFloat(d.Seconds(), 'f', 2, 64) + " s"
}

// simWait formats a total of waiting in the largest unit that keeps it readable.
func simWait(d time.Duration) string {
	switch {
	case d >= time.Hour:
		return strconv.FormatFloat(d.Hours(), 'f', 1, 64) + " h"
	case d >= time.Minute:
		return strconv.FormatFloat(d.Minutes(), 'f', 1, 64) + " min"
	}
	return strconv.FormatFloat(d.Seconds(), 'f', 1, 64) + " s"
}

// simPercent shows small rates with two significant digits rather than as 0.00%.
func simPercent(x float64) string {
	switch {
	case x == 0:
		return "0%"
	case x >= 0.001:
		return strconv.FormatFloat(x*100, 'f', 2, 64) + "%"
	}
	return strconv.FormatFloat(x*100, 'g', 2, 64) + "%"
}

func simCount(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
