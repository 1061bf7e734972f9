package cmd

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/llmfall/llmfall/simulate"
)

// Shell completion for the names that live in llmfall.yaml, so that
// `llmfall run -c <TAB>` offers the categories and `--order <TAB>` the
// providers. A config that does not load completes nothing rather than
// printing an error into the user's prompt.

func completeCategories(f *factory) cobra.CompletionFunc {
	return func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
		cfg, err := f.Config()
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var out []cobra.Completion
		for _, c := range cfg.Categories {
			out = append(out, c.Name)
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// completeProviders completes a comma-separated provider list: it offers the
// providers not yet named after what has been typed so far.
func completeProviders(f *factory) cobra.CompletionFunc {
	return func(_ *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		cfg, err := f.Config()
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		prefix, named := "", map[string]bool{}
		if i := strings.LastIndex(toComplete, ","); i >= 0 {
			prefix = toComplete[:i+1]
			for _, n := range strings.Split(toComplete[:i], ",") {
				named[n] = true
			}
		}
		var out []cobra.Completion
		for _, p := range cfg.Providers {
			if !named[p.Name] {
				out = append(out, prefix+p.Name)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
	}
}

// completeScenarios offers the built-in scenarios, and files for the rest.
func completeScenarios(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
	return simulate.Builtins(), cobra.ShellCompDirectiveDefault
}
