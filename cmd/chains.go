package cmd

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/spf13/cobra"

	"github.com/llmfall/llmfall/config"
	"github.com/llmfall/llmfall/eval/report"
	"github.com/llmfall/llmfall/fallback"
	"github.com/llmfall/llmfall/setup"
)

type chainsOptions struct {
	IO     *IO
	Getenv func(string) string
	// Setup are the global flags' setup options (--offline), read when
	// the command runs.
	Setup  func() setup.Options
	Config func() (*config.Config, error)
	Engine func() (*fallback.Engine, error)

	JSON bool
}

func newCmdChains(f *factory, runF func(context.Context, *chainsOptions) error) *cobra.Command {
	opts := &chainsOptions{IO: f.IO, Getenv: f.Getenv, Setup: f.setupOptions, Config: f.Config, Engine: f.Engine}
	c := &cobra.Command{
		Use:   "chains",
		Short: "Show the fallback chain of every category and which provider keys are set",
		Long: `Show the resolved fallback chain of every category (provider order applied) and, for each
provider, whether the environment variable holding its key is set. Key values are never shown.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runChains(c.Context(), opts)
		},
	}
	c.Flags().BoolVar(&opts.JSON, "json", false, "print the chains and key status as JSON")
	return c
}

type chainsDoc struct {
	Categories []categoryChain `json:"categories"`
	Providers  []providerKey   `json:"providers"`
}

type categoryChain struct {
	Name  string            `json:"name"`
	Chain []fallback.Target `json:"chain"`
}

type providerKey struct {
	Name    string `json:"name"`
	Type    string `json:"type"`
	BaseURL string `json:"base_url,omitempty"`
	KeyEnv  string `json:"key_env,omitempty"` // the variable that holds (or would hold) the key
	KeySet  bool   `json:"key_set"`
}

func runChains(ctx context.Context, opts *chainsOptions) error {
	cfg, err := opts.Config()
	if err != nil {
		return err
	}
	eng, err := opts.Engine()
	if err != nil {
		return err
	}
	var doc chainsDoc
	for _, cat := range cfg.Categories {
		chain, err := eng.Chain(cat.Name)
		if err != nil {
			return err
		}
		doc.Categories = append(doc.Categories, categoryChain{Name: cat.Name, Chain: chain})
	}
	for _, p := range cfg.Providers {
		doc.Providers = append(doc.Providers, keyStatus(p, opts.Getenv))
	}
	if opts.JSON {
		enc := json.NewEncoder(opts.IO.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(doc)
	}
	renderChains(opts, doc)
	return nil
}

// keyStatus says whether a provider's key is available, naming the variable
// it came from (or the first one it would be read from), never its value.
func keyStatus(p config.Provider, getenv func(string) string) providerKey {
	pk := providerKey{Name: p.Name, Type: p.Type, BaseURL: p.BaseURL}
	if len(p.APIKeyEnv) == 0 {
		return pk
	}
	key, env := p.APIKey(getenv)
	pk.KeySet = key != ""
	pk.KeyEnv = env
	if env == "" {
		pk.KeyEnv = strings.Join(p.APIKeyEnv, " or ")
	}
	return pk
}

func renderChains(opts *chainsOptions, doc chainsDoc) {
	r := opts.IO.Render
	width := 0
	for _, c := range doc.Categories {
		width = max(width, len(c.Chain))
	}
	headers := []string{"CATEGORY"}
	for i := range width {
		headers = append(headers, strconv.Itoa(i+1))
	}
	g := report.Grid{Headers: headers}
	for _, c := range doc.Categories {
		row := []string{c.Name}
		for i := range width {
			cell := ""
			if i < len(c.Chain) {
				cell = c.Chain[i].String()
			}
			row = append(row, cell)
		}
		g.Rows = append(g.Rows, row)
	}
	out := opts.IO.Out
	if opts.Setup().Offline {
		fmt.Fprintln(out, "offline: every provider below is simulated (sim); no request leaves this machine")
	}
	fmt.Fprintln(out, report.FitTable(r, opts.IO.Width, g))

	ok, bad := r.NewStyle().Foreground(lipgloss.Color("2")), r.NewStyle().Foreground(lipgloss.Color("1"))
	pt := report.Grid{Headers: []string{"PROVIDER", "TYPE", "BASE URL", "KEY"}}
	for _, p := range doc.Providers {
		base := p.BaseURL
		if base == "" {
			base = "(default)"
		}
		key := "not needed"
		switch {
		case p.KeyEnv != "" && p.KeySet:
			key = ok.Render("✓") + " " + p.KeyEnv
		case p.KeyEnv != "":
			key = bad.Render("✗") + " " + p.KeyEnv + " not set"
		}
		pt.Rows = append(pt.Rows, []string{p.Name, p.Type, base, key})
	}
	fmt.Fprintln(out, report.FitTable(r, opts.IO.Width, pt))
}
