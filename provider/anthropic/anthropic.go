// Package anthropic adapts Anthropic's Messages API to provider.Provider. It
// owns the wire format, the mapping of stop reasons and error types to
// llmfall's classes, and the event stream; retries, fallback and deadlines
// are the caller's.
//
// It speaks plain net/http rather than the official SDK because the SDK
// retries behind the caller's back and hides the status, headers and raw
// body the fallback engine needs.
package anthropic

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/llmfall/llmfall/provider"
	"github.com/llmfall/llmfall/provider/sse"
)

// DefaultBaseURL is Anthropic's API host. Like every Anthropic base URL it is
// the host root: the adapter appends /v1/messages.
const DefaultBaseURL = "https://api.anthropic.com"

// DefaultVersion is the anthropic-version header sent when Config.Version is
// empty; it is the only version of the Messages API so far.
const DefaultVersion = "2023-06-01"

// maxBody bounds a non-streamed answer. The largest real answers are a few
// hundred kB; anything past this is a misbehaving proxy, not a model.
const maxBody = 32 << 20

// Config configures a Client. Every zero value has a useful default.
type Config struct {
	// Name is the configured provider name used in errors; "" means "anthropic".
	Name string
	// BaseURL is the host root; "" means DefaultBaseURL. A trailing "/" is
	// tolerated.
	BaseURL string
	// APIKey is sent as x-api-key. Empty sends no auth header (a proxy that
	// adds its own).
	APIKey string
	// Headers are extra headers sent on every request (anthropic-beta, a
	// gateway's auth). The adapter's own headers win over a header of the
	// same name here.
	Headers map[string]string
	// HTTPClient is used for every call; nil means provider.NewHTTPClient().
	HTTPClient *http.Client
	// Version is the anthropic-version header; "" means DefaultVersion.
	Version string
}

// Client calls the Anthropic Messages API. It is safe for concurrent use.
type Client struct {
	// Redacting is Complete and Stream: complete and stream below, with
	// every error redacted of secrets on the way out.
	provider.Redacting
	http    provider.HTTP
	name    string
	url     string
	key     string
	version string
	// secrets are redacted from every provider message: the key and any
	// credential header the config adds.
	secrets []string
}

var _ provider.Provider = (*Client)(nil)

// New returns a Client for cfg.
func New(cfg Config) *Client {
	h := provider.NewHTTP(provider.HTTPConfig{
		Name: cfg.Name, DefaultName: "anthropic", BaseURL: cfg.BaseURL, DefaultBaseURL: DefaultBaseURL,
		APIKey: cfg.APIKey, Headers: cfg.Headers, Client: cfg.HTTPClient,
	})
	c := &Client{
		http:    h,
		name:    h.Name,
		url:     h.BaseURL + "/v1/messages",
		key:     cfg.APIKey,
		version: cmp.Or(cfg.Version, DefaultVersion),
		secrets: h.Secrets,
	}
	c.Redacting = h.Redacting(c.complete, c.stream)
	return c
}

// complete sends req and waits for the whole message.
func (c *Client) complete(ctx context.Context, req *provider.Request) (*provider.Response, error) {
	body, err := c.encode(req, false)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	resp, err := c.send(ctx, body)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()

	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		e := provider.TransportError(ctx, c.name, fmt.Errorf("reading response body: %w", err))
		e.Status, e.RequestID = resp.StatusCode, resp.Header.Get("Request-Id")
		return nil, e
	}
	if len(data) > maxBody {
		return nil, provider.MalformedError(c.name, resp.StatusCode, fmt.Errorf("response body larger than %d bytes", maxBody))
	}
	var m messageResponse
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, provider.MalformedError(c.name, resp.StatusCode, fmt.Errorf("decoding message: %w", err))
	}
	if m.Type == "error" || m.Error != nil {
		// A 200 carrying an error document: some gateways do this.
		return nil, c.newError(resp.StatusCode, resp.Header, data)
	}
	out := m.response(newOutputTool(req))
	if err := provider.CheckUsage(c.name, resp.StatusCode, out.Usage); err != nil {
		return nil, err
	}
	out.RequestID = firstNonEmpty(resp.Header.Get("Request-Id"), m.ID, provider.RequestIDFrom(resp.Header))
	out.Latency = time.Since(start)
	out.TTFT = out.Latency
	return out, nil
}

// stream sends req with stream: true and returns once the response headers
// arrived. An error status is returned here; an error Anthropic sends after
// the 200 (an "event: error") ends the stream and comes out of Stream.Err.
func (c *Client) stream(ctx context.Context, req *provider.Request) (provider.Stream, error) {
	body, err := c.encode(req, true)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	resp, err := c.send(ctx, body)
	if err != nil {
		return nil, err
	}
	if provider.IsJSON(resp.Header) {
		// A gateway answering a stream request with a JSON document has
		// either an error to report or did not understand stream: true.
		data := provider.ReadErrorBody(resp)
		if e := c.newError(resp.StatusCode, resp.Header, data); e.Code != "" {
			return nil, e
		}
		return nil, provider.MalformedError(c.name, resp.StatusCode, errors.New("expected an event stream, got a JSON document"))
	}
	d := &streamDecoder{
		name:      c.name,
		r:         sse.NewReader(resp.Body),
		status:    resp.StatusCode,
		requestID: firstNonEmpty(resp.Header.Get("Request-Id"), provider.RequestIDFrom(resp.Header)),
		tools:     toolBlocks{out: newOutputTool(req)},
	}
	return provider.NewChunkStream(ctx, c.name, resp.Body, start, d.next), nil
}

// send POSTs body and returns a 2xx response whose body the caller must
// close. Any other outcome is a *provider.Error with the body already closed.
func (c *Client) send(ctx context.Context, body []byte) (*http.Response, error) {
	resp, err := c.http.Post(ctx, c.url, body, func(h http.Header) {
		h.Set("Anthropic-Version", c.version)
		if c.key != "" {
			h.Set("X-Api-Key", c.key)
		}
	})
	if err != nil {
		return nil, err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		data := provider.ReadErrorBody(resp)
		return nil, c.newError(resp.StatusCode, resp.Header, data)
	}
	return resp, nil
}

// encode builds the JSON body for req.
func (c *Client) encode(req *provider.Request, stream bool) ([]byte, error) {
	if req == nil {
		return nil, &provider.Error{Provider: c.name, Class: provider.ClassInvalidRequest, Err: errors.New("nil request")}
	}
	body, err := json.Marshal(newMessageRequest(req, stream))
	if err != nil {
		// Only a NaN or infinite temperature/top_p gets here.
		return nil, &provider.Error{Provider: c.name, Class: provider.ClassInvalidRequest, Err: fmt.Errorf("encoding request: %w", err)}
	}
	return body, nil
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
