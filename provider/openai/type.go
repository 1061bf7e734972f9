package openai

import (
	"errors"
	"net/url"
	"strings"

	"github.com/llmfall/llmfall/provider"
)

// Type registers the adapter as `type: openai` in llmfall.yaml.
func Type() provider.Type {
	return provider.Type{
		Name:   "openai",
		KeyEnv: []string{"OPENAI_API_KEY"},
		CheckBaseURL: func(u *url.URL) error {
			if strings.HasSuffix(strings.TrimRight(u.Path, "/"), "/chat/completions") {
				return errors.New("ends at the API root for openai (e.g. " + DefaultBaseURL + "): the adapter appends /chat/completions")
			}
			return nil
		},
		New: func(s provider.Settings) provider.Provider {
			return New(Config{Name: s.Name, BaseURL: s.BaseURL, APIKey: s.APIKey, Headers: s.Headers})
		},
	}
}
