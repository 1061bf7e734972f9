package gemini

import (
	"testing"

	"github.com/llmfall/llmfall/provider/wiretest"
)

// A base URL with the API's path in it would get /v1beta/models/… appended
// again: the config check refuses it, naming the host root to use instead.
func TestTypeChecksBaseURL(t *testing.T) {
	wiretest.CheckBaseURLs(t, Type(), map[string]bool{
		"https://generativelanguage.googleapis.com":                                                true,
		"https://gateway.example.com/google/":                                                      true,
		"https://generativelanguage.googleapis.com/v1beta":                                         false,
		"https://generativelanguage.googleapis.com/v1/":                                            false,
		"https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:generateContent": false,
	})
}
