// Package registry names the provider types llmfall is built with. It is the
// one line to extend when an adapter is added; each adapter package owns its
// own registration (type name, key variables, base-URL rules, constructor).
// config validates files against these types without importing the adapters
// (it is handed the list), and setup builds clients from them.
package registry

import (
	"github.com/llmfall/llmfall/provider"
	"github.com/llmfall/llmfall/provider/anthropic"
	"github.com/llmfall/llmfall/provider/gemini"
	"github.com/llmfall/llmfall/provider/openai"
	"github.com/llmfall/llmfall/provider/sim"
)

// Types returns every built-in provider type, in the order messages list them.
func Types() provider.Types {
	return provider.Types{openai.Type(), anthropic.Type(), gemini.Type(), sim.Type()}
}
