package cmd

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/llmfall/llmfall/eval"
	"github.com/llmfall/llmfall/eval/report"
)

type mergeOptions struct {
	IO     *IO
	Getenv func(string) string

	Files    []string
	Output   string
	JUnit    string
	Markdown string
}

func newCmdMerge(f *factory, runF func(context.Context, *mergeOptions) error) *cobra.Command {
	opts := &mergeOptions{IO: f.IO, Getenv: f.Getenv}
	c := &cobra.Command{
		Use:   "merge FILE... -o FILE",
		Short: "Combine the results of eval --shard runs and apply the gate",
		Long: `Combine the results documents of every shard of one run (llmfall eval --shard I/N
--output FILE) into the document the unsharded run would have written, print the report,
and apply the gate the shards were run under. No provider is called.

It refuses results of different suites, configurations or gates, a shard given twice or
missing, and a case found in two shards. Exit codes are eval's: 0 the gate passed; 1 it
failed (or a shard was interrupted: the gate is incomplete); 2 bad or mismatched files;
3 cases were left without a result.`,
		Example: `  llmfall merge shard-*.json -o results.json --markdown comment.md`,
		Args:    cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			opts.Files = args
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runMerge(c.Context(), opts)
		},
	}
	fl := c.Flags()
	fl.StringVarP(&opts.Output, "output", "o", "", "write the merged results as JSON to this file")
	fl.StringVar(&opts.JUnit, "junit", "", "write a JUnit XML report to this file")
	fl.StringVar(&opts.Markdown, "markdown", "", "write a Markdown report (for a PR comment) to this file")
	return c
}

func runMerge(_ context.Context, opts *mergeOptions) error {
	parts := make([]*eval.Results, len(opts.Files))
	for i, path := range opts.Files {
		rs, err := eval.ReadResults(path)
		if err != nil {
			return usageErr(err, "pass the --output files of llmfall eval --shard I/N")
		}
		parts[i] = rs
	}
	merged, err := eval.Merge(parts)
	if err != nil {
		return usageErr(fmt.Errorf("merge: %w", err), "pass the results of every shard of one run, each once")
	}
	settings := merged.Run.Gate
	if settings == nil {
		settings = &eval.GateSettings{}
	}
	gate := eval.Gate(merged, settings.Options())
	eo := &evalOptions{IO: opts.IO, Getenv: opts.Getenv, Output: opts.Output, Formats: report.Formats{JUnit: opts.JUnit, Markdown: opts.Markdown}}
	if err := writeReports(eo, merged, nil, nil); err != nil {
		return err
	}
	return evalExit(nil, merged, gate)
}
