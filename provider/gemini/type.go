package gemini

import (
	"errors"
	"net/url"
	"strings"

	"github.com/llmfall/llmfall/provider"
)

// Type registers the adapter as `type: gemini` in llmfall.yaml. The key
// variables follow Google's SDKs: GEMINI_API_KEY first, then GOOGLE_API_KEY.
func Type() provider.Type {
	return provider.Type{
		Name:   "gemini",
		KeyEnv: []string{"GEMINI_API_KEY", "GOOGLE_API_KEY"},
		CheckBaseURL: func(u *url.URL) error {
			path := strings.TrimRight(u.Path, "/")
			if strings.HasSuffix(path, "/v1beta") || strings.HasSuffix(path, "/v1") || strings.Contains(path, "/models") {
				return errors.New("is the host root for gemini (e.g. " + DefaultBaseURL + "): the adapter appends /v1beta/models/{model}:generateContent")
			}
			return nil
		},
		New: func(s provider.Settings) provider.Provider {
			return New(Config{Name: s.Name, BaseURL: s.BaseURL, APIKey: s.APIKey, Headers: s.Headers})
		},
	}
}
