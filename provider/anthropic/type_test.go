package anthropic

import (
	"testing"

	"github.com/llmfall/llmfall/provider/wiretest"
)

// A base URL with the API's path in it would get /v1/messages appended
// twice: the config check refuses it, naming the host root to use instead.
func TestTypeChecksBaseURL(t *testing.T) {
	wiretest.CheckBaseURLs(t, Type(), map[string]bool{
		"https://api.anthropic.com":              true,
		"https://gateway.example.com/anthropic/": true,
		"https://api.anthropic.com/v1":           false,
		"https://api.anthropic.com/v1/":          false,
		"https://api.anthropic.com/v1/messages":  false,
	})
}
