package cmd

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/llmfall/llmfall/config"
	"github.com/llmfall/llmfall/eval"
	"github.com/llmfall/llmfall/judge"
)

// writeReview writes the contested cases of a panel run as JSON Lines in
// judge calibrate's format, without the human verdict a person adds. A run
// with no panel, or no contested case, writes an empty file: the file's
// presence then says the run found nothing to review.
func writeReview(path string, rs *eval.Results) error {
	var review []judge.Example
	if s := rs.Summary.Judge; s != nil && s.Panel != nil {
		review = s.Panel.Review
	}
	return writeFileWith(path, func(f *os.File) error {
		enc := json.NewEncoder(f)
		enc.SetEscapeHTML(false)
		for _, e := range review {
			if err := enc.Encode(e); err != nil {
				return fmt.Errorf("--review-out: %w", err)
			}
		}
		return nil
	})
}

// panelHint says which providers a judge panel short of providers could
// add, when that is why the run could not start.
func panelHint(cfg *config.Config, err error) string {
	var pe *judge.PanelError
	if !errors.As(err, &pe) {
		return ""
	}
	var others []string
	for _, p := range cfg.Providers {
		if p.Name != pe.Candidate && !slices.Contains(pe.Providers, p.Name) {
			others = append(others, p.Name)
		}
	}
	if len(others) == 0 {
		return fmt.Sprintf("configure another provider and add a judge of it to judge.panel, or evaluate fewer links than %s's", pe.Candidate)
	}
	return fmt.Sprintf("add a judge of %s to judge.panel (a category whose chain has one, or provider/model)", strings.Join(others, " or "))
}
