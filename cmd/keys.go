package cmd

import (
	"github.com/llmfall/llmfall/config"
	"github.com/llmfall/llmfall/setup"
)

// checkKeys fails before any call when a provider among names needs an
// API key and has none (setup.MissingKeys decides which): a usage error
// naming each variable to set.
func checkKeys(cfg *config.Config, names []string, so setup.Options) error {
	if err := setup.MissingKeys(cfg, names, so); err != nil {
		return usageErr(err, "export them, or run with --offline to use simulated providers")
	}
	return nil
}
