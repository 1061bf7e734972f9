package cmd

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/llmfall/llmfall/fallback"
)

// CheckKeys fails before any call when a provider among names needs an
// API key and has none: every call to it would come back a 401 (or, with
// no network, a dial error) after retries, which says less, costs time and
// sends requests no one authenticated. It is a usage error naming each
// variable to set. --offline needs no keys.
func (f *factory) CheckKeys(names []string) error {
	if f.Offline {
		return nil
	}
	cfg, err := f.Config()
	if err != nil {
		return err
	}
	var errs []error
	var seen []string
	for _, name := range names {
		if slices.Contains(seen, name) {
			continue
		}
		seen = append(seen, name)
		p, ok := cfg.Provider(name)
		if !ok || len(p.APIKeyEnv) == 0 {
			continue
		}
		if key, _ := p.APIKey(f.Getenv); key == "" {
			errs = append(errs, fmt.Errorf("provider %q needs an API key: %s is not set", name, strings.Join(p.APIKeyEnv, " or ")))
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return usageErr(errors.Join(errs...), "export them, or run with --offline to use simulated providers")
}

// chainProviders are the providers of a chain, in order.
func chainProviders(chain []fallback.Target) []string {
	names := make([]string, len(chain))
	for i, t := range chain {
		names[i] = t.Provider
	}
	return names
}
