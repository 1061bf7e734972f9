// Package gemini is the provider adapter for Google's Gemini API
// (generativelanguage v1beta), spoken directly over net/http: it owns the
// wire format, the endpoint paths and the mapping of Gemini's errors to
// provider classes, and leaves retries and fallback to the engine. The
// official SDKs are not used because they retry behind the engine's back and
// hide the statuses, headers and bodies the engine decides on.
package gemini

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/llmfall/llmfall/provider"
	"github.com/llmfall/llmfall/provider/sse"
)

// DefaultBaseURL is the host root of the Gemini API. The adapter appends
// /v1beta/models/{model}:generateContent (or :streamGenerateContent?alt=sse).
const DefaultBaseURL = "https://generativelanguage.googleapis.com"

// Config configures a Client. Every zero value has a useful default.
type Config struct {
	// Name is the configured provider name used in errors; "" means "gemini".
	Name string
	// BaseURL is the host root; "" means DefaultBaseURL. A trailing "/" is
	// tolerated.
	BaseURL string
	// APIKey is sent in the x-goog-api-key header; "" sends no key (a proxy
	// that adds its own).
	APIKey string
	// Headers are extra headers sent on every request.
	Headers map[string]string
	// HTTPClient is the client used; nil means provider.NewHTTPClient().
	HTTPClient *http.Client
}

// Client is a Gemini provider. It is safe for concurrent use.
type Client struct {
	// Redacting is Complete and Stream: complete and stream below, with
	// every error redacted of secrets on the way out.
	provider.Redacting
	http provider.HTTP
	name string
	base string
	key  string
	// secrets are redacted from every provider message: the key, and any
	// credential passed through Headers instead.
	secrets []string
}

var _ provider.Provider = (*Client)(nil)

// New returns a Client for cfg.
func New(cfg Config) *Client {
	h := provider.NewHTTP(provider.HTTPConfig{
		Name: cfg.Name, DefaultName: "gemini", BaseURL: cfg.BaseURL, DefaultBaseURL: DefaultBaseURL,
		APIKey: cfg.APIKey, Headers: cfg.Headers, Client: cfg.HTTPClient,
	})
	c := &Client{http: h, name: h.Name, base: h.BaseURL, key: cfg.APIKey, secrets: h.Secrets}
	c.Redacting = h.Redacting(c.complete, c.stream)
	return c
}

// complete sends req to :generateContent and waits for the whole answer.
func (c *Client) complete(ctx context.Context, req *provider.Request) (*provider.Response, error) {
	start := time.Now()
	model, resp, err := c.post(ctx, req, "generateContent")
	if err != nil {
		return nil, err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, c.errorFromResponse(resp)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, provider.TransportError(ctx, c.name, fmt.Errorf("read response body: %w", err))
	}

	var wire generateContentResponse
	if err := json.Unmarshal(body, &wire); err != nil {
		return nil, provider.MalformedError(c.name, resp.StatusCode, fmt.Errorf("decode response: %w", err))
	}
	if err := c.chunkError(resp.StatusCode, &wire); err != nil {
		return nil, err
	}
	if len(wire.Candidates) == 0 {
		return nil, provider.MalformedError(c.name, resp.StatusCode, fmt.Errorf("response has no candidates"))
	}

	out := &provider.Response{RequestID: provider.RequestIDFrom(resp.Header), Model: model}
	wire.apply(out)
	if err := provider.CheckUsage(c.name, resp.StatusCode, out.Usage); err != nil {
		return nil, err
	}
	out.Text = wire.text()
	out.ToolCalls = wire.calls(0)
	out.FinishReason = callFinish(out.FinishReason, len(out.ToolCalls))
	if out.FinishReason == "" {
		// A whole response always has stopped for some reason, even one
		// the API did not name.
		out.FinishReason = provider.FinishOther
	}
	out.Latency = time.Since(start)
	out.TTFT = out.Latency
	return out, nil
}

// stream sends req to :streamGenerateContent?alt=sse and returns once the
// response headers have arrived.
//
// Gemini sends no end-of-stream sentinel: every event is a whole
// GenerateContentResponse and the stream ends at EOF. A clean EOF is a clean
// end only if some chunk carried a finishReason (the last one always does);
// an EOF before that, including one before any chunk at all, means the
// answer was cut short and is reported as a network error, so the engine
// treats it like any other dropped connection.
func (c *Client) stream(ctx context.Context, req *provider.Request) (provider.Stream, error) {
	start := time.Now()
	model, resp, err := c.post(ctx, req, "streamGenerateContent")
	if err != nil {
		return nil, err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, c.errorFromResponse(resp)
	}

	status := resp.StatusCode
	headerID := provider.RequestIDFrom(resp.Header)
	rd := sse.NewReader(resp.Body)
	sawFinish := false
	// Gemini sends each function call whole, in one chunk; pending holds
	// the deltas of a chunk's calls until Next hands them out.
	var pending []provider.Chunk
	ncalls := 0
	step := func(meta *provider.Response) (string, error) {
		if meta.Model == "" {
			meta.Model = model
		}
		if meta.RequestID == "" {
			meta.RequestID = headerID
		}
		for {
			ev, err := rd.Next()
			if err == io.EOF {
				if !sawFinish {
					return "", errTruncated
				}
				return "", io.EOF
			}
			if err != nil {
				return "", err
			}
			if len(bytes.TrimSpace(ev.Data)) == 0 {
				continue
			}
			var wire generateContentResponse
			if err := json.Unmarshal(ev.Data, &wire); err != nil {
				return "", provider.MalformedEvent(c.name, status, fmt.Errorf("decode stream chunk: %w", err))
			}
			if err := c.chunkError(status, &wire); err != nil {
				return "", err
			}
			wire.apply(meta)
			for _, tc := range wire.calls(ncalls) {
				pending = append(pending, provider.Chunk{ToolCall: &provider.ToolCallDelta{Index: ncalls, ID: tc.ID, Name: tc.Name, Arguments: string(tc.Arguments), Signature: tc.Signature}})
				ncalls++
			}
			meta.FinishReason = callFinish(meta.FinishReason, ncalls)
			if meta.FinishReason != "" {
				sawFinish = true
			}
			return wire.text(), nil
		}
	}
	next := func(meta *provider.Response) (provider.Chunk, error) {
		if len(pending) == 0 {
			text, err := step(meta)
			if err != nil || text != "" || len(pending) == 0 {
				return provider.Chunk{Text: text}, err
			}
		}
		ch := pending[0]
		pending = pending[1:]
		return ch, nil
	}
	return provider.NewChunkStream(ctx, c.name, resp.Body, start, next), nil
}

// errTruncated ends a stream whose body ended before any chunk carried a
// finishReason. It wraps io.ErrUnexpectedEOF, so that provider.NewStream
// classes it as a network failure, like any other cut connection.
var errTruncated = fmt.Errorf("stream ended before a finish reason: %w", io.ErrUnexpectedEOF)

// post sends req to method ("generateContent" or "streamGenerateContent")
// and returns the model name without its "models/" prefix and the response,
// whatever its status.
func (c *Client) post(ctx context.Context, req *provider.Request, method string) (string, *http.Response, error) {
	if req == nil {
		return "", nil, c.invalid("nil request")
	}
	model := strings.TrimPrefix(req.Model, "models/")
	if model == "" {
		return "", nil, c.invalid("no model given")
	}
	wire, err := newGenerateContentRequest(req)
	var se *SchemaError
	if errors.As(err, &se) {
		// Another link may take the schema: this one cannot.
		return "", nil, &provider.Error{Provider: c.name, Class: provider.ClassUnsupported, Message: err.Error()}
	}
	if err != nil {
		return "", nil, c.invalid(err.Error())
	}
	body, err := json.Marshal(wire)
	if err != nil {
		return "", nil, c.invalid(fmt.Sprintf("encode request: %v", err))
	}

	u := c.base + "/v1beta/models/" + url.PathEscape(model) + ":" + method
	stream := method == "streamGenerateContent"
	if stream {
		// Without alt=sse the API streams one JSON array, which cannot be
		// read incrementally with a standard decoder.
		u += "?alt=sse"
	}
	// With no APIKey, a key passed as a configured header still goes
	// through.
	resp, err := c.http.Post(ctx, u, body, func(h http.Header) {
		if stream {
			h.Set("Accept", "text/event-stream")
		}
		if c.key != "" {
			// The header, not the ?key= query parameter: URLs end up in
			// logs and in transport error strings.
			h.Set("x-goog-api-key", c.key)
		}
	})
	return model, resp, err
}

// invalid reports a request this adapter refuses to send.
func (c *Client) invalid(msg string) *provider.Error {
	return &provider.Error{Provider: c.name, Class: provider.ClassInvalidRequest, Message: msg}
}
