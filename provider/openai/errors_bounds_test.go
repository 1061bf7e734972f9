package openai

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/llmfall/llmfall/provider"
)

// A JSON error body in no shape an OpenAI-compatible server uses (a
// FastAPI gateway's {"detail": …}) is quoted in the error, as plain text
// is: the status classifies it, the body tells a person what happened.
func TestForeignJSONErrorBodyIsQuoted(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		w.Write([]byte(`{"detail": "No route for model gpt-9"}`))
	}))
	defer srv.Close()
	c := New(Config{BaseURL: srv.URL + "/v1", APIKey: "k", HTTPClient: srv.Client()})
	_, err := c.Complete(context.Background(), &provider.Request{Model: "gpt-9", Messages: []provider.Message{{Role: provider.RoleUser, Content: "hi"}}})
	var pe *provider.Error
	if !errors.As(err, &pe) || pe.Class != provider.ClassNotFound || !strings.Contains(pe.Message, "No route for model gpt-9") {
		t.Errorf("Complete() error = %v; want not_found quoting the body", err)
	}
}

// statusOf sends one request to a server answering status with body and
// returns the error.
func statusOf(t *testing.T, status int, contentType string, body []byte) *provider.Error {
	t.Helper()
	srv := newServer(t, fakeResponse{status: status, header: http.Header{"Content-Type": {contentType}}, body: body})
	_, err := srv.client(testKey).Complete(context.Background(), fullRequest())
	return asProviderError(t, err)
}

// A numeric code is an HTTP status when it is one (100 to 599, as
// OpenRouter and proxies send it), and then no error code of its own; any
// other number is the provider's code.
func TestNumericErrorCodes(t *testing.T) {
	for _, tc := range []struct {
		code, want string
	}{
		{"100", "upstream_error"},
		{"599", "upstream_error"},
		{"99", "99"},
		{"600", "600"},
	} {
		body := `{"error":{"message":"upstream failed","type":"upstream_error","code":` + tc.code + `}}`
		if pe := statusOf(t, http.StatusBadGateway, "application/json", []byte(body)); pe.Code != tc.want {
			t.Errorf("code %s: error code %q; want %q", tc.code, pe.Code, tc.want)
		}
	}
}

// A body that is not text (a proxy's page in a legacy encoding) says
// nothing a person can read: the status text stands in for it.
func TestNonUTF8ErrorBody(t *testing.T) {
	pe := statusOf(t, http.StatusBadGateway, "text/plain; charset=iso-8859-1", []byte("Zeit\xfcberschreitung beim Upstream"))
	if pe.Message != "Bad Gateway" || pe.Class != provider.ClassServer {
		t.Errorf("error = class %q message %q; want server, %q", pe.Class, pe.Message, "Bad Gateway")
	}
}
