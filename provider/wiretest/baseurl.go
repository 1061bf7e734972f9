package wiretest

import (
	"net/url"
	"testing"

	"github.com/llmfall/llmfall/provider"
)

// CheckBaseURLs checks typ's config check of base_url against each URL:
// accepted when the map says true, refused when false. The adapters share
// it: a base URL with the API's path in it (copied from a curl example)
// would get that path appended again.
func CheckBaseURLs(t *testing.T, typ provider.Type, cases map[string]bool) {
	t.Helper()
	for raw, ok := range cases {
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		if err := typ.CheckBaseURL(u); (err == nil) != ok {
			t.Errorf("CheckBaseURL(%s) = %v; want ok %v", raw, err, ok)
		}
	}
}
