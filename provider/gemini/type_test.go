package gemini

import (
	"net/url"
	"testing"
)

// A base URL with the API's path in it (copied from a curl example) would
// get /v1beta/models/… appended again: the config check refuses it, naming
// the host root to use instead.
func TestTypeChecksBaseURL(t *testing.T) {
	for _, tc := range []struct {
		url string
		ok  bool
	}{
		{"https://generativelanguage.googleapis.com", true},
		{"https://gateway.example.com/google/", true},
		{"https://generativelanguage.googleapis.com/v1beta", false},
		{"https://generativelanguage.googleapis.com/v1/", false},
		{"https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:generateContent", false},
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
