package cmd

import (
	"github.com/llmfall/llmfall/setup"
)

// CheckKeys fails before any call when a provider among names needs an
// API key and has none (setup.MissingKeys decides which): a usage error
// naming each variable to set.
func (f *factory) CheckKeys(names []string) error {
	cfg, err := f.Config()
	if err != nil {
		return err
	}
	if err := setup.MissingKeys(cfg, names, f.setupOptions()); err != nil {
		return usageErr(err, "export them, or run with --offline to use simulated providers")
	}
	return nil
}
