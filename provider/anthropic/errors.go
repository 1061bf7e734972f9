package anthropic

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/llmfall/llmfall/provider"
)

// errorBody is Anthropic's error document, both as an HTTP error body and as
// the data of an "event: error" in a stream:
//
//	{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"},"request_id":"req_…"}
type errorBody struct {
	Type      string       `json:"type"`
	Error     *errorDetail `json:"error"`
	RequestID string       `json:"request_id"`
}

type errorDetail struct {
	Type    string `json:"type"`
	Message string `json:"message"`
}

// newError builds the error for a response that reported a failure: an
// error status, or a JSON error document where a message was expected. The
// class starts from the status and is refined by the body's error type.
func (c *Client) newError(status int, h http.Header, body []byte) *provider.Error {
	e := &provider.Error{
		Provider:   c.name,
		Status:     status,
		Class:      provider.ClassForStatus(status),
		RetryAfter: provider.ParseRetryAfter(h, time.Now()),
		RequestID:  h.Get("Request-Id"),
	}
	var eb errorBody
	if err := json.Unmarshal(body, &eb); err != nil || eb.Error == nil {
		// Not Anthropic speaking (an HTML 502 from a proxy, an empty
		// body): the status is all we know, the text helps a human.
		e.Message = provider.Excerpt(body, c.secrets...)
		e.RequestID = firstNonEmpty(e.RequestID, provider.RequestIDFrom(h))
		return e
	}
	e.Code = eb.Error.Type
	e.Message = eb.Error.Message
	e.Class = classify(e.Class, eb.Error.Type, eb.Error.Message)
	e.RequestID = firstNonEmpty(e.RequestID, eb.RequestID, provider.RequestIDFrom(h))
	return e
}

// classify refines the class the status gave (ClassUnknown for an error that
// arrived inside a 200 stream) with Anthropic's error type and message.
func classify(byStatus provider.Class, typ, msg string) provider.Class {
	switch typ {
	case "invalid_request_error":
		if isContextLength(msg) {
			return provider.ClassContextLength
		}
		return provider.ClassInvalidRequest
	case "authentication_error", "permission_error", "billing_error":
		return provider.ClassAuth
	case "not_found_error":
		return provider.ClassNotFound
	case "request_too_large":
		return provider.ClassContextLength
	case "rate_limit_error":
		return provider.ClassRateLimited
	case "api_error":
		return provider.ClassServer
	case "overloaded_error":
		return provider.ClassOverloaded
	case "timeout_error":
		return provider.ClassTimeout
	}
	if byStatus == provider.ClassInvalidRequest && isContextLength(msg) {
		return provider.ClassContextLength
	}
	if byStatus == provider.ClassUnknown {
		// An error type newer than this adapter, with no status to go
		// by: the provider failed to serve, which is what server means.
		return provider.ClassServer
	}
	return byStatus
}

// isContextLength reports whether an invalid-request message is about the
// prompt not fitting the model. Anthropic gives this case no type of its
// own, so the message is all there is to go by; the phrases are the ones its
// API uses ("prompt is too long: 215344 tokens > 200000 maximum", "input
// length and `max_tokens` exceed context limit: …").
func isContextLength(msg string) bool {
	m := strings.ToLower(msg)
	for _, p := range []string{"prompt is too long", "context window", "context length", "context limit"} {
		if strings.Contains(m, p) {
			return true
		}
	}
	return false
}
