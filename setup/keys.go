package setup

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/llmfall/llmfall/config"
	"github.com/llmfall/llmfall/fallback"
	"github.com/llmfall/llmfall/provider"
)

// MissingKeys is an error naming each variable to set when a provider
// among names needs an API key and has none: every call to it would come
// back a 401 (or, with no network, a dial error) after retries, which says
// less, costs time and sends requests no one authenticated. Offline needs
// no keys. Callers check before any call: the run's chain (ChainProviders),
// an eval's (EvalProviders), the judge's, a gateway's (ServeProviders).
func MissingKeys(cfg *config.Config, names []string, opts Options) error {
	if opts.Offline {
		return nil
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
		if key, _ := p.APIKey(opts.getenv); key == "" {
			errs = append(errs, fmt.Errorf("provider %q needs an API key: %s is not set", name, strings.Join(p.APIKeyEnv, " or ")))
		}
	}
	return errors.Join(errs...)
}

// ServeProviders are the providers a gateway over eng may call: those of
// every category's chain, category by category (a provider/model request
// names a link of one of them). Their keys are checked before the gateway
// listens, as a run's chain's are before its call.
func ServeProviders(eng *fallback.Engine) []string {
	var names []string
	for _, cat := range eng.Categories() {
		chain, _ := eng.Chain(cat)
		names = append(names, ChainProviders(chain)...)
	}
	return names
}

// ChainProviders are the providers of a chain, in order.
func ChainProviders(chain []provider.Target) []string {
	names := make([]string, len(chain))
	for i, t := range chain {
		names[i] = t.Provider
	}
	return names
}
