package provider

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"mime"
	"net/http"
	"strings"
)

// HTTPConfig is the part of every HTTP adapter's Config that means the same
// in each, with the adapter's defaults for it.
type HTTPConfig struct {
	Name           string // the configured name; "" means DefaultName
	DefaultName    string
	BaseURL        string // "" means DefaultBaseURL; a trailing "/" is tolerated
	DefaultBaseURL string
	APIKey         string            // redacted from every error; the adapter sends it
	Headers        map[string]string // extra headers on every request
	Client         *http.Client      // nil means NewHTTPClient()
}

// HTTP is the skeleton every HTTP adapter shares: the defaults its New
// applies, the way a request is sent, and the secrets its errors must not
// carry. Wire formats and error classification stay in each adapter.
type HTTP struct {
	Name    string // the provider name used in errors
	BaseURL string // the base URL without a trailing "/"
	// Secrets are what RedactError removes from the adapter's errors: the
	// key and the credential headers the config adds.
	Secrets []string
	headers map[string]string
	client  *http.Client
}

// NewHTTP applies cfg's defaults. The headers are copied, so that a caller
// changing its map later cannot race the adapter's reads.
func NewHTTP(cfg HTTPConfig) HTTP {
	h := HTTP{
		Name:    cmp.Or(cfg.Name, cfg.DefaultName),
		BaseURL: cmp.Or(strings.TrimRight(cfg.BaseURL, "/"), cfg.DefaultBaseURL),
		Secrets: Secrets(cfg.APIKey, cfg.Headers),
		headers: make(map[string]string, len(cfg.Headers)),
		client:  cfg.Client,
	}
	for k, v := range cfg.Headers {
		h.headers[k] = v
	}
	if h.client == nil {
		h.client = NewHTTPClient()
	}
	return h
}

// Post sends body to url as JSON. The configured headers are set first and
// then Content-Type and whatever own sets (the adapter's auth and version
// headers), so that a configured header cannot break the request or replace
// the key. A request that cannot be built is an invalid_request *Error, a
// failed round trip a classified TransportError; a response of any status is
// returned and its body is the caller's to close.
func (h HTTP) Post(ctx context.Context, url string, body []byte, own func(http.Header)) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, &Error{Provider: h.Name, Class: ClassInvalidRequest, Err: fmt.Errorf("build request: %w", err)}
	}
	for k, v := range h.headers {
		req.Header.Set(k, v)
	}
	req.Header.Set("Content-Type", "application/json")
	if own != nil {
		own(req.Header)
	}
	resp, err := h.client.Do(req)
	if err != nil {
		return nil, TransportError(ctx, h.Name, err)
	}
	return resp, nil
}

// Redacting returns complete and stream (an adapter's calls) as its Complete
// and Stream, with every error redacted of h.Secrets on the way out.
func (h HTTP) Redacting(complete CompleteFunc, stream StreamFunc) Redacting {
	return NewRedacting(complete, stream, h.Secrets...)
}

// CompleteFunc is the signature of Provider.Complete.
type CompleteFunc func(ctx context.Context, req *Request) (*Response, error)

// StreamFunc is the signature of Provider.Stream.
type StreamFunc func(ctx context.Context, req *Request) (Stream, error)

// Redacting is the Complete and Stream an adapter exports: its own calls
// with every error they return, and the error that ends a stream, passed
// through RedactError. An adapter embeds it, so that redaction is where
// errors leave the adapter by construction rather than by each call site
// remembering it.
type Redacting struct {
	complete CompleteFunc
	stream   StreamFunc
	secrets  []string
}

// NewRedacting wraps complete and stream.
func NewRedacting(complete CompleteFunc, stream StreamFunc, secrets ...string) Redacting {
	return Redacting{complete: complete, stream: stream, secrets: secrets}
}

// Complete sends req and waits for the whole answer. Every error it returns
// has passed RedactError.
func (r Redacting) Complete(ctx context.Context, req *Request) (*Response, error) {
	resp, err := r.complete(ctx, req)
	return resp, RedactError(err, r.secrets...)
}

// Stream sends req and returns once the response headers have arrived; a
// failure the provider reports before that is returned here, later ones
// through the stream's Err. Every error has passed RedactError.
func (r Redacting) Stream(ctx context.Context, req *Request) (Stream, error) {
	s, err := r.stream(ctx, req)
	if err != nil {
		return nil, RedactError(err, r.secrets...)
	}
	return &redactedStream{Stream: s, secrets: r.secrets}, nil
}

// redactedStream is a Stream whose Err has passed RedactError.
type redactedStream struct {
	Stream
	secrets []string
}

func (s *redactedStream) Err() error { return RedactError(s.Stream.Err(), s.secrets...) }

// IsJSON reports whether a response's Content-Type is JSON: a gateway's
// error document, or a server that ignored stream: true.
func IsJSON(h http.Header) bool {
	mt, _, err := mime.ParseMediaType(h.Get("Content-Type"))
	return err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json"))
}
