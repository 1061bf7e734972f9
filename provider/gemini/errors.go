package gemini

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/llmfall/llmfall/provider"
)

// apiError is Google's error document: {"error": {code, message, status,
// details}}. Details are kept raw and decoded one by one, so that one odd
// detail cannot cost us the code and message.
type apiError struct {
	Code    int               `json:"code"`
	Message string            `json:"message"`
	Status  string            `json:"status"`
	Details []json.RawMessage `json:"details"`
}

// errorDetail holds the fields of the two detail types we act on:
// google.rpc.ErrorInfo (reason) and google.rpc.RetryInfo (retryDelay).
type errorDetail struct {
	Type       string `json:"@type"`
	Reason     string `json:"reason"`
	RetryDelay string `json:"retryDelay"`
}

type errorBody struct {
	Error *apiError `json:"error"`
}

// errorFromResponse turns a non-2xx response into a *provider.Error and
// closes its body.
func (c *Client) errorFromResponse(resp *http.Response) *provider.Error {
	body := provider.ReadErrorBody(resp)
	e := &provider.Error{
		Provider:   c.name,
		Status:     resp.StatusCode,
		Class:      provider.ClassForStatus(resp.StatusCode),
		RetryAfter: provider.ParseRetryAfter(resp.Header, time.Now()),
		RequestID:  provider.RequestIDFrom(resp.Header),
	}
	apiErr := decodeErrorBody(body)
	if apiErr == nil {
		// Not Google's document (an HTML page from a proxy, an empty body):
		// the status alone decides, and a short excerpt helps diagnosis.
		e.Message = provider.Excerpt(body, c.secrets...)
		return e
	}
	c.fill(e, apiErr)
	return e
}

// chunkError reports an error document or a blocked prompt found in a 200
// response or stream chunk; nil when r carries an answer.
func (c *Client) chunkError(status int, r *generateContentResponse) *provider.Error {
	if r.Error != nil {
		// The HTTP status said 200; the code inside says what went wrong,
		// so it stands in for the status.
		st := r.Error.Code
		if st == 0 {
			st = status
		}
		e := &provider.Error{Provider: c.name, Status: st, Class: provider.ClassForStatus(st)}
		if st < 400 {
			e.Class = provider.ClassUnknown
		}
		c.fill(e, r.Error)
		return e
	}
	if len(r.Candidates) == 0 && r.PromptFeedback != nil && r.PromptFeedback.BlockReason != "" {
		reason := r.PromptFeedback.BlockReason
		return &provider.Error{Provider: c.name, Status: status, Class: provider.ClassContentFilter,
			Code: reason, Message: "prompt blocked (" + reason + ")"}
	}
	return nil
}

// fill refines e, whose class so far comes from the HTTP status, with what
// Google's error document says.
func (c *Client) fill(e *provider.Error, a *apiError) {
	e.Code = a.Status
	e.Message = a.Message
	if class, ok := statusClass[a.Status]; ok {
		e.Class = class
	}
	var reasons []string
	for _, raw := range a.Details {
		var d errorDetail
		if json.Unmarshal(raw, &d) != nil {
			continue
		}
		if d.Reason != "" {
			reasons = append(reasons, d.Reason)
		}
		if e.RetryAfter == 0 && strings.HasSuffix(d.Type, "google.rpc.RetryInfo") {
			// A protobuf Duration in JSON: "26s", "17.5s".
			if wait, err := time.ParseDuration(d.RetryDelay); err == nil && wait > 0 {
				e.RetryAfter = wait
			}
		}
	}
	switch {
	case isContextLength(a.Message):
		e.Class = provider.ClassContextLength
	case isBadKey(reasons, a.Message):
		// A bad or expired key is a 400 INVALID_ARGUMENT here, not a 401.
		e.Class = provider.ClassAuth
	}
}

// statusClass maps google.rpc.Code names to classes. The name is more
// precise than the HTTP status: FAILED_PRECONDITION is a 400 but means the
// account cannot use the API (billing, region), which no retry fixes.
var statusClass = map[string]provider.Class{
	"INVALID_ARGUMENT":    provider.ClassInvalidRequest,
	"OUT_OF_RANGE":        provider.ClassInvalidRequest,
	"FAILED_PRECONDITION": provider.ClassAuth,
	"UNAUTHENTICATED":     provider.ClassAuth,
	"PERMISSION_DENIED":   provider.ClassAuth,
	"NOT_FOUND":           provider.ClassNotFound,
	"RESOURCE_EXHAUSTED":  provider.ClassRateLimited,
	"UNAVAILABLE":         provider.ClassOverloaded,
	"INTERNAL":            provider.ClassServer,
	"UNKNOWN":             provider.ClassServer,
	"DATA_LOSS":           provider.ClassServer,
	"DEADLINE_EXCEEDED":   provider.ClassTimeout,
}

func isBadKey(reasons []string, msg string) bool {
	for _, r := range reasons {
		if r == "API_KEY_INVALID" || r == "API_KEY_EXPIRED" {
			return true
		}
	}
	m := strings.ToLower(msg)
	return strings.Contains(m, "api key not valid") || strings.Contains(m, "api key expired")
}

// isContextLength recognises "The input token count (1200000) exceeds the
// maximum number of tokens allowed (1048576)." and the payload-size variant,
// the only ways Gemini says a request is too big for the model.
func isContextLength(msg string) bool {
	m := strings.ToLower(msg)
	return strings.Contains(m, "exceeds the maximum number of tokens") ||
		(strings.Contains(m, "token count") && strings.Contains(m, "exceeds")) ||
		strings.Contains(m, "request payload size exceeds")
}

// decodeErrorBody reads Google's error document, also in the array form the
// streaming endpoint uses without alt=sse. It returns nil for anything else.
func decodeErrorBody(body []byte) *apiError {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return nil
	}
	if body[0] == '[' {
		var arr []errorBody
		if json.Unmarshal(body, &arr) != nil || len(arr) == 0 {
			return nil
		}
		return arr[0].Error
	}
	var eb errorBody
	if json.Unmarshal(body, &eb) != nil {
		return nil
	}
	return eb.Error
}
