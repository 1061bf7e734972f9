// Package openai is the provider adapter for OpenAI's Chat Completions API and
// the many servers that copy it (Ollama, vLLM, Groq, OpenRouter). It speaks
// the wire format on net/http directly, so that the fallback engine sees every
// status, error type, Retry-After and request id exactly as sent; retries,
// deadlines and fallback are left to the caller.
package openai

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

// DefaultBaseURL is OpenAI's own API. OpenAI-style base URLs end in /v1; the
// adapter appends /chat/completions.
const DefaultBaseURL = "https://api.openai.com/v1"

// maxBody bounds a successful non-streaming body. A real completion is a few
// hundred KB at most; the bound only stops a runaway server.
const maxBody = 64 << 20

// Config configures one OpenAI-compatible backend. The zero value talks to
// api.openai.com without a key.
type Config struct {
	// Name is the configured provider name used in errors; "" means "openai".
	Name string
	// BaseURL is the API root ending in /v1; "" means DefaultBaseURL. A
	// trailing "/" is tolerated.
	BaseURL string
	// APIKey is sent as a bearer token; "" sends no Authorization header,
	// as local servers (Ollama, vLLM) expect.
	APIKey string
	// Headers are extra headers sent on every request (OpenRouter's
	// HTTP-Referer, a gateway's routing header). They cannot override the
	// Authorization header set from APIKey.
	Headers map[string]string
	// HTTPClient sends the requests; nil means provider.NewHTTPClient().
	HTTPClient *http.Client
	// Organization, when set, is sent as the OpenAI-Organization header.
	Organization string
}

// Client is an OpenAI-compatible provider. It is safe for concurrent use.
type Client struct {
	// Redacting is Complete and Stream: complete and stream below, with
	// every error redacted of secrets on the way out.
	provider.Redacting
	http     provider.HTTP
	name     string
	endpoint string
	apiKey   string
	org      string
	// official is true when the base URL is OpenAI's own API, which takes
	// max_completion_tokens rather than max_tokens.
	official bool
	// rejected remembers the sampling settings each model refused.
	rejected rejections
	// secrets are redacted from every provider message: the key and any
	// credential header the config adds (a gateway's Authorization).
	secrets []string
}

var _ provider.Provider = (*Client)(nil)

// New returns a Client for cfg.
func New(cfg Config) *Client {
	h := provider.NewHTTP(provider.HTTPConfig{
		Name: cfg.Name, DefaultName: "openai", BaseURL: cfg.BaseURL, DefaultBaseURL: DefaultBaseURL,
		APIKey: cfg.APIKey, Headers: cfg.Headers, Client: cfg.HTTPClient,
	})
	c := &Client{
		http:     h,
		name:     h.Name,
		endpoint: h.BaseURL + "/chat/completions",
		apiKey:   cfg.APIKey,
		org:      cfg.Organization,
		secrets:  h.Secrets,
	}
	if u, err := url.Parse(h.BaseURL); err == nil && strings.EqualFold(u.Hostname(), "api.openai.com") {
		c.official = true
	}
	c.Redacting = h.Redacting(c.complete, c.stream)
	return c
}

// complete sends req and waits for the whole answer.
func (c *Client) complete(ctx context.Context, req *provider.Request) (*provider.Response, error) {
	start := time.Now()
	resp, err := c.do(ctx, req, whole)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	resp.Body.Close()
	if err != nil {
		return nil, provider.TransportError(ctx, c.name, fmt.Errorf("read response body: %w", err))
	}
	out, err := c.decodeCompletion(resp, body)
	if err != nil {
		return nil, err
	}
	out.Latency = time.Since(start)
	out.TTFT = out.Latency
	return out, nil
}

// stream sends req with stream: true and returns once the response headers
// have arrived. A non-2xx status is returned here as a *provider.Error; errors
// after that surface through the stream's Err.
func (c *Client) stream(ctx context.Context, req *provider.Request) (provider.Stream, error) {
	start := time.Now()
	resp, err := c.do(ctx, req, streamed)
	if err != nil {
		return nil, err
	}
	if provider.IsJSON(resp.Header) {
		// Some compatible servers ignore stream:true (or report an error
		// with a 200) and answer with one JSON document; treat it as a
		// stream of one delta rather than as a truncated SSE stream.
		return c.jsonStream(ctx, resp, start), nil
	}
	st := &streamState{c: c, rd: sse.NewReader(resp.Body), requestID: resp.Header.Get("X-Request-Id")}
	return provider.NewChunkStream(ctx, c.name, resp.Body, start, st.next), nil
}

// mode says whether a call asks for the answer whole or streamed.
type mode int

const (
	whole mode = iota
	streamed
)

// do sends the request, once more without a sampling setting the model
// turns out to reject (see sampling.go). On a non-2xx status it consumes the
// body and returns the classified error; otherwise the caller owns resp.Body.
func (c *Client) do(ctx context.Context, req *provider.Request, m mode) (*http.Response, error) {
	for {
		resp, err := c.send(ctx, req, m)
		var pe *provider.Error
		if err == nil || !errors.As(err, &pe) || !c.rejected.learn(req, pe) {
			return resp, err
		}
	}
}

// send builds and sends the request once.
func (c *Client) send(ctx context.Context, req *provider.Request, m mode) (*http.Response, error) {
	if req == nil {
		return nil, &provider.Error{Provider: c.name, Class: provider.ClassInvalidRequest, Message: "nil request"}
	}
	payload, err := json.Marshal(c.wireRequest(req, m))
	if err != nil {
		return nil, &provider.Error{Provider: c.name, Class: provider.ClassInvalidRequest, Err: fmt.Errorf("encode request: %w", err)}
	}
	// OpenAI needs no API-version header: the version is the /v1 in the URL.
	resp, err := c.http.Post(ctx, c.endpoint, payload, func(h http.Header) {
		if m == streamed {
			h.Set("Accept", "text/event-stream")
		} else {
			h.Set("Accept", "application/json")
		}
		if c.apiKey != "" {
			h.Set("Authorization", "Bearer "+c.apiKey)
		}
		if c.org != "" {
			h.Set("OpenAI-Organization", c.org)
		}
	})
	if err != nil {
		return nil, err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, c.statusError(resp)
	}
	return resp, nil
}

// decodeCompletion turns a 2xx non-streaming body into a Response.
func (c *Client) decodeCompletion(resp *http.Response, body []byte) (*provider.Response, error) {
	var w wireCompletion
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, provider.MalformedError(c.name, resp.StatusCode, fmt.Errorf("decode completion: %w", err))
	}
	if w.Error != nil {
		return nil, c.bodyError(resp.StatusCode, resp.Header, w.Error)
	}
	out, err := w.response()
	if err != nil {
		return nil, provider.MalformedError(c.name, resp.StatusCode, err)
	}
	out.RequestID = requestID(resp.Header, w.ID)
	if err := provider.CheckUsage(c.name, resp.StatusCode, out.Usage); err != nil {
		return nil, err
	}
	return out, nil
}

// jsonStream serves a whole JSON answer to a streaming call as one text
// delta and one delta per tool call.
func (c *Client) jsonStream(ctx context.Context, resp *http.Response, start time.Time) provider.Stream {
	var pending []provider.Chunk
	read := false
	return provider.NewChunkStream(ctx, c.name, resp.Body, start, func(meta *provider.Response) (provider.Chunk, error) {
		if !read {
			read = true
			body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
			if err != nil {
				return provider.Chunk{}, fmt.Errorf("read response body: %w", err)
			}
			out, err := c.decodeCompletion(resp, body)
			if err != nil {
				return provider.Chunk{}, err
			}
			pending = append(pending, provider.Chunk{Text: out.Text})
			for i, tc := range out.ToolCalls {
				pending = append(pending, provider.Chunk{ToolCall: &provider.ToolCallDelta{Index: i, ID: tc.ID, Name: tc.Name, Arguments: string(tc.Arguments)}})
			}
			out.Text, out.ToolCalls = "", nil
			*meta = *out
		}
		if len(pending) == 0 {
			return provider.Chunk{}, io.EOF
		}
		ch := pending[0]
		pending = pending[1:]
		return ch, nil
	})
}

// requestID prefers OpenAI's x-request-id header, then the body's id (which
// compatible servers without the header do send), then any other id header.
func requestID(h http.Header, bodyID string) string {
	if id := h.Get("X-Request-Id"); id != "" {
		return id
	}
	if bodyID != "" {
		return bodyID
	}
	return provider.RequestIDFrom(h)
}

// streamState is the per-stream state of the SSE step function.
type streamState struct {
	c         *Client
	rd        *sse.Reader
	requestID string
	finished  bool // a finish_reason has arrived
	refused   bool // a refusal delta has arrived
	chunk     wireChunk
	dec       chunkDecoder
	// calls are tool-call deltas decoded but not yet delivered.
	calls []provider.Chunk
	slots callSlots
}

// next is the stream's ChunkStepFunc: the text of an event first, then its
// tool-call deltas one at a time.
func (s *streamState) next(meta *provider.Response) (provider.Chunk, error) {
	if len(s.calls) > 0 {
		ch := s.calls[0]
		s.calls = s.calls[1:]
		return ch, nil
	}
	text, err := s.step(meta)
	if err != nil || text != "" {
		return provider.Chunk{Text: text}, err
	}
	if len(s.calls) == 0 {
		return provider.Chunk{}, nil
	}
	ch := s.calls[0]
	s.calls = s.calls[1:]
	return ch, nil
}

// errTruncated marks a stream that ended before the model said it was done.
var errTruncated = errors.New("stream ended before a finish reason")

// step reads SSE events until one carries text or the stream ends.
func (s *streamState) step(meta *provider.Response) (string, error) {
	for {
		ev, err := s.rd.Next()
		if errors.Is(err, io.EOF) {
			// OpenAI ends with data: [DONE], but compatible servers may
			// just close the stream; that is a clean end only once the
			// model has finished.
			if s.finished {
				return "", io.EOF
			}
			return "", fmt.Errorf("%w: %w", errTruncated, io.ErrUnexpectedEOF)
		}
		if err != nil {
			return "", err
		}
		data := bytes.TrimSpace(ev.Data)
		if string(data) == "[DONE]" {
			s.rd.Stop()
			return "", io.EOF
		}
		if len(data) == 0 {
			continue
		}
		delta, err := s.apply(meta, ev.Type, data)
		if err != nil || delta != "" || len(s.calls) > 0 {
			return delta, err
		}
	}
}

// apply decodes one chunk into meta and returns its text delta.
func (s *streamState) apply(meta *provider.Response, eventType string, data []byte) (string, error) {
	decodeErr := s.dec.decode(data, &s.chunk)
	ch := &s.chunk
	if meta.RequestID == "" {
		meta.RequestID = s.requestID
		if meta.RequestID == "" {
			meta.RequestID = ch.ID
		}
	}
	if ch.Error != nil || eventType == "error" {
		// OpenAI sends {"error":{...}} as a plain data event; some
		// compatible servers use an "error" event whose data may not
		// even be JSON.
		we := ch.Error
		if we == nil {
			we = &wireError{Message: bodySnippet(data, 0, s.c.secrets)}
		}
		e := s.c.streamError(we)
		e.RequestID = meta.RequestID
		return "", e
	}
	if decodeErr != nil {
		return "", provider.MalformedEvent(s.c.name, 0, fmt.Errorf("decode stream chunk: %w", decodeErr))
	}
	if ch.Model != "" {
		meta.Model = ch.Model
	}
	if ch.Usage != nil {
		ch.Usage.mergeInto(&meta.Usage)
	}
	choice := ch.first()
	if choice == nil {
		return "", nil
	}
	if choice.Delta.Refusal != "" {
		// The refusal text is not delivered as output: a stream that has
		// produced no text can still fall back to another model.
		s.refused = true
		meta.FinishReason = provider.FinishContentFilter
	}
	for i := range choice.Delta.ToolCalls {
		s.calls = append(s.calls, provider.Chunk{ToolCall: s.slots.delta(&choice.Delta.ToolCalls[i])})
	}
	if choice.FinishReason != "" {
		s.finished = true
		if !s.refused {
			meta.FinishReason = finishReason(choice.FinishReason)
		}
	}
	return choice.Delta.Content, nil
}
