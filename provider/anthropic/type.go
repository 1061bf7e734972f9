package anthropic

import (
	"errors"
	"net/url"
	"strings"

	"github.com/llmfall/llmfall/provider"
)

// Type registers the adapter as `type: anthropic` in llmfall.yaml.
func Type() provider.Type {
	return provider.Type{
		Name:   "anthropic",
		KeyEnv: []string{"ANTHROPIC_API_KEY"},
		CheckBaseURL: func(u *url.URL) error {
			path := strings.TrimRight(u.Path, "/")
			if strings.HasSuffix(path, "/v1") || strings.HasSuffix(path, "/v1/messages") {
				return errors.New("is the host root for anthropic (e.g. " + DefaultBaseURL + "): the adapter appends /v1/messages")
			}
			return nil
		},
		New: func(s provider.Settings) provider.Provider {
			return New(Config{Name: s.Name, BaseURL: s.BaseURL, APIKey: s.APIKey, Headers: s.Headers})
		},
	}
}
