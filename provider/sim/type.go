package sim

import "github.com/llmfall/llmfall/provider"

// Type registers the simulator as `type: sim` in llmfall.yaml: it takes no
// key, and the simulation keys (latency, error_rate, ...) configure it.
func Type() provider.Type {
	return provider.Type{
		Name:      "sim",
		Simulated: true,
		New:       func(s provider.Settings) provider.Provider { return New(FromSettings(s)) },
	}
}

// FromSettings is the Config a config entry's settings describe, on the
// wall clock. Offline mode uses it for every provider, whatever its type.
func FromSettings(s provider.Settings) Config {
	sim := s.Simulation
	return Config{
		Name:            s.Name,
		Latency:         sim.Latency,
		FirstToken:      sim.FirstToken,
		TokensPerSecond: sim.TokensPerSecond,
		ErrorRate:       sim.ErrorRate,
		ErrorClasses:    sim.ErrorClasses,
		HangRate:        sim.HangRate,
		Seed:            sim.Seed,
	}
}
