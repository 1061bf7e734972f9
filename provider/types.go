package provider

import (
	"net/url"
	"time"
)

// Type is one kind of provider a config file may name (`type: openai`): what
// config needs to validate an entry of that type and what setup needs to
// build it. Each adapter package exports its own Type, and one list
// (package provider/registry) names the types llmfall is built with, so that
// adding an adapter touches its own package and that one line.
type Type struct {
	// Name is the value of `type:` in llmfall.yaml.
	Name string
	// KeyEnv are the environment variables the key is read from, in order,
	// unless an entry sets api_key_env; it follows the provider's own SDK
	// convention. nil means the type takes no key.
	KeyEnv []string
	// CheckBaseURL says what is wrong with a base_url for this type, given
	// an http(s) URL with a host and no query, or returns nil. The message
	// names the convention and what the adapter appends. nil accepts any.
	CheckBaseURL func(u *url.URL) error
	// Simulated types take the simulation keys (latency, error_rate, ...);
	// on every other type those keys are an error.
	Simulated bool
	// New builds a client from a config entry's settings.
	New func(Settings) Provider
}

// Settings is what a config entry gives a Type's New, whatever the type.
type Settings struct {
	Name    string            // the configured provider name, used in errors
	BaseURL string            // "" keeps the adapter's default
	APIKey  string            // "" sends none
	Headers map[string]string // extra request headers; nil when none
	// Simulation holds the sim keys; only a Simulated type reads it.
	Simulation Simulation
}

// Simulation is how a simulated provider behaves. Zero values leave the
// simulator's own defaults in place.
type Simulation struct {
	Latency         time.Duration // total time of an answer
	FirstToken      time.Duration // time to the first token
	TokensPerSecond float64
	ErrorRate       float64 // 0..1: share of calls that fail
	HangRate        float64 // 0..1: share of calls that never answer
	ErrorClasses    []Class
	Seed            int64
}

// Types is a set of provider types, in the order messages list them.
type Types []Type

// Lookup returns the type called name.
func (ts Types) Lookup(name string) (Type, bool) {
	for _, t := range ts {
		if t.Name == name {
			return t, true
		}
	}
	return Type{}, false
}

// Names lists the types' names.
func (ts Types) Names() []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.Name
	}
	return out
}
