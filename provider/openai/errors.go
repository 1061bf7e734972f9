package openai

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/llmfall/llmfall/provider"
)

// wireError is the error object: {"message","type","param","code"}.
// Compatible servers stretch it: OpenRouter sends a numeric code, Ollama a
// bare string in place of the object, vLLM the fields at the top level.
type wireError struct {
	Message string
	Type    string
	Code    string
	// Status is a numeric code when the server put an HTTP status there.
	Status int
}

func (e *wireError) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		return json.Unmarshal(b, &e.Message)
	}
	var raw struct {
		Message json.RawMessage `json:"message"`
		Type    json.RawMessage `json:"type"`
		Code    json.RawMessage `json:"code"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	e.Message = scalar(raw.Message)
	e.Type = scalar(raw.Type)
	e.Code = scalar(raw.Code)
	if n, err := strconv.Atoi(e.Code); err == nil && n >= 100 && n <= 599 {
		e.Status, e.Code = n, ""
	}
	return nil
}

// scalar renders a JSON string, number or bool as text, and anything else
// (null, objects) as "".
func scalar(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return ""
	}
	switch raw[0] {
	case '"':
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s
		}
		return ""
	case '{', '[', 'n':
		return ""
	}
	return string(raw)
}

// errorBody is every shape an error document comes in.
type errorBody struct {
	Error *wireError `json:"error"`
	// Top-level fields, as vLLM sends them ({"object":"error","message":...}).
	Message json.RawMessage `json:"message"`
	Type    json.RawMessage `json:"type"`
	Code    json.RawMessage `json:"code"`
}

// statusError reads a non-2xx response (closing its body) into a *provider.Error.
func (c *Client) statusError(resp *http.Response) *provider.Error {
	body := provider.ReadErrorBody(resp)
	var eb errorBody
	var we *wireError
	if json.Unmarshal(body, &eb) == nil {
		we = eb.Error
		if we == nil && len(eb.Message) > 0 {
			we = &wireError{}
			top, _ := json.Marshal(map[string]json.RawMessage{"message": eb.Message, "type": eb.Type, "code": eb.Code})
			if we.UnmarshalJSON(top) != nil {
				we = nil
			}
		}
	}
	if we == nil {
		// Not an OpenAI error document: an HTML page from a proxy, or
		// plain text. The status alone decides the class.
		we = &wireError{Message: bodySnippet(body, resp.StatusCode, c.secrets)}
	}
	return c.bodyError(resp.StatusCode, resp.Header, we)
}

// bodyError builds the error for a decoded error object.
func (c *Client) bodyError(status int, h http.Header, we *wireError) *provider.Error {
	code := we.Code
	if code == "" {
		code = we.Type
	}
	return &provider.Error{
		Provider:   c.name,
		Status:     status,
		Class:      classify(status, we),
		Code:       code,
		Message:    we.Message,
		RetryAfter: provider.ParseRetryAfter(h, time.Now()),
		RequestID:  provider.RequestIDFrom(h),
	}
}

// streamError builds the error for an error object inside a 200 stream. No
// HTTP status is claimed: the 200 said nothing about this failure.
func (c *Client) streamError(we *wireError) *provider.Error {
	e := c.bodyError(0, http.Header{}, we)
	if we.Status != 0 {
		e.Class = classify(we.Status, we)
	}
	return e
}

// classify starts from the status and refines it from the provider's own
// code and type, which tell apart what one status lumps together (a 429 for
// a rate limit or for an empty account; a 400 for a bad argument or a prompt
// that is too long).
func classify(status int, we *wireError) provider.Class {
	if status == 0 {
		status = we.Status
	}
	class := provider.ClassForStatus(status)
	if status < 400 {
		// An error inside a 2xx answer: the provider failed mid-way.
		class = provider.ClassServer
	}
	for _, id := range []string{we.Code, we.Type} {
		if c, ok := codeClass[strings.ToLower(id)]; ok {
			return c
		}
	}
	msg := strings.ToLower(we.Message)
	// Compatible servers rarely send OpenAI's codes; their messages are
	// all there is. vLLM and OpenRouter both say "maximum context length".
	switch {
	case strings.Contains(msg, "maximum context length") || strings.Contains(msg, "context length exceeded") ||
		strings.Contains(msg, "context_length_exceeded"):
		return provider.ClassContextLength
	case status >= 500 && strings.Contains(msg, "overloaded"):
		return provider.ClassOverloaded
	}
	return class
}

// codeClass maps OpenAI error codes and types to classes. Codes take
// precedence over the status because OpenAI reuses statuses: 429 carries
// both rate_limit_exceeded and insufficient_quota.
var codeClass = map[string]provider.Class{
	// No money on the key: retrying this link is pointless, another
	// provider is the right move, as for a bad key.
	"insufficient_quota":         provider.ClassAuth,
	"billing_hard_limit_reached": provider.ClassAuth,
	"invalid_api_key":            provider.ClassAuth,
	"authentication_error":       provider.ClassAuth,
	"permission_denied":          provider.ClassAuth,
	"rate_limit_exceeded":        provider.ClassRateLimited,
	"context_length_exceeded":    provider.ClassContextLength,
	"string_above_max_length":    provider.ClassContextLength,
	"model_not_found":            provider.ClassNotFound,
	"overloaded":                 provider.ClassOverloaded,
	"engine_overloaded":          provider.ClassOverloaded,
	"content_filter":             provider.ClassContentFilter,
	"content_policy_violation":   provider.ClassContentFilter,
}

// bodySnippet gives a message for an error body that is not an error
// document. An HTML page says nothing a person wants in a one-line error,
// so it is replaced by the status text.
func bodySnippet(body []byte, status int, secrets []string) string {
	s := strings.TrimSpace(string(body))
	if s == "" || s[0] == '<' || !utf8.ValidString(s) {
		return http.StatusText(status)
	}
	return provider.Excerpt(body, secrets...)
}
