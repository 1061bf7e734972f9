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
