package fallback

import "github.com/llmfall/llmfall/provider"

// Target is one link of a chain: provider.Target, the one type of it that
// eval, simulate and the commands share with the engine.
type Target = provider.Target
