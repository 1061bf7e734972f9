package anthropic

import (
	"net/url"
	"testing"
)

// A base URL with the API's path in it (copied from a curl example) would
// get /v1/messages appended twice: the config check refuses it, naming the
// host root to use instead.
func TestTypeChecksBaseURL(t *testing.T) {
	for _, tc := range []struct {
		url string
		ok  bool
	}{
		{"https://api.anthropic.com", true},
		{"https://gateway.example.com/anthropic/", true},
		{"https://api.anthropic.com/v1", false},
		{"https://api.anthropic.com/v1/", false},
		{"https://api.anthropic.com/v1/messages", false},
	} {
		u, err := url.Parse(tc.url)
		if err != nil {
			t.Fatal(err)
		}
		if err := Type().CheckBaseURL(u); (err == nil) != tc.ok {
			t.Errorf("CheckBaseURL(%s) = %v; want ok %v", tc.url, err, tc.ok)
		}
	}
}
