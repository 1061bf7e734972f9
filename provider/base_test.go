package provider

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// errStream is a stream that ends at once with err.
type errStream struct{ err error }

func (s errStream) Next() bool          { return false }
func (s errStream) Current() Chunk      { return Chunk{} }
func (s errStream) Err() error          { return s.err }
func (s errStream) Response() *Response { return &Response{} }
func (s errStream) Close() error        { return nil }

func TestRedacting(t *testing.T) {
	const key = "k-redact-me-1234"
	leak := &Error{Provider: "p", Class: ClassAuth, Message: "bad key " + key}
	r := NewRedacting(
		func(context.Context, *Request) (*Response, error) { return nil, leak },
		func(_ context.Context, req *Request) (Stream, error) {
			if req.Model == "fail-early" {
				return nil, leak
			}
			return errStream{err: leak}, nil
		},
		key)
	ctx := context.Background()
	_, err := r.Complete(ctx, &Request{})
	if err == nil || strings.Contains(err.Error(), key) || ClassOf(err) != ClassAuth {
		t.Errorf("Complete() error = %v; want an auth error without the key", err)
	}
	if _, err := r.Stream(ctx, &Request{Model: "fail-early"}); err == nil || strings.Contains(err.Error(), key) {
		t.Errorf("Stream() error = %v; want an error without the key", err)
	}
	s, err := r.Stream(ctx, &Request{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for s.Next() {
	}
	if err := s.Err(); err == nil || strings.Contains(err.Error(), key) || ClassOf(err) != ClassAuth {
		t.Errorf("stream Err() = %v; want an auth error without the key", err)
	}
}

func TestNewHTTP(t *testing.T) {
	h := NewHTTP(HTTPConfig{DefaultName: "x", BaseURL: "http://h.example/v1/", DefaultBaseURL: "http://d.example"})
	if h.Name != "x" || h.BaseURL != "http://h.example/v1" || h.client == nil {
		t.Errorf("NewHTTP() = name %q base %q client %v; want x, http://h.example/v1, a client", h.Name, h.BaseURL, h.client)
	}
	if d := NewHTTP(HTTPConfig{Name: "mine", DefaultName: "x", DefaultBaseURL: "http://d.example"}); d.Name != "mine" || d.BaseURL != "http://d.example" {
		t.Errorf("NewHTTP() = name %q base %q; want mine, http://d.example", d.Name, d.BaseURL)
	}
}

// TestHTTPPost checks the order headers are set in: configured first, then
// the adapter's own, so that config cannot replace the key or content type.
func TestHTTPPost(t *testing.T) {
	got := make(chan http.Header, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.Header.Clone()
		w.WriteHeader(http.StatusTeapot)
	}))
	defer srv.Close()
	headers := map[string]string{"Content-Type": "text/plain", "X-Key": "from-config", "X-Route": "a"}
	h := NewHTTP(HTTPConfig{Name: "p", APIKey: "sk-secret-123456", Headers: headers, Client: srv.Client()})
	headers["X-Route"] = "changed after New"
	resp, err := h.Post(context.Background(), srv.URL, []byte(`{}`), func(hd http.Header) { hd.Set("X-Key", "own") })
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusTeapot {
		t.Errorf("status = %d; want the response whatever its status", resp.StatusCode)
	}
	hd := <-got
	for k, want := range map[string]string{"Content-Type": "application/json", "X-Key": "own", "X-Route": "a"} {
		if hd.Get(k) != want {
			t.Errorf("header %s = %q; want %q", k, hd.Get(k), want)
		}
	}
	if len(h.Secrets) != 1 || h.Secrets[0] != "sk-secret-123456" {
		t.Errorf("Secrets = %q; want the key", h.Secrets)
	}

	// A dead server is a classified transport error.
	srv.Close()
	_, err = h.Post(context.Background(), srv.URL, nil, nil)
	var pe *Error
	if !errors.As(err, &pe) || pe.Class != ClassNetwork {
		t.Errorf("Post() to a closed server = %v; want a network *Error", err)
	}
}
