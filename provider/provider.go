// Package provider defines what every LLM backend offers llmfall: one
// non-streaming call, one streaming call, and errors classified so that the
// fallback engine can decide what to do next. It knows nothing of chains,
// categories or evals; adapters live in the sub-packages.
package provider

import (
	"context"
	"time"
)

// Provider is one configured backend (an OpenAI account, a local Ollama, a sim).
// Implementations are safe for concurrent use.
type Provider interface {
	// Complete sends req and waits for the whole answer.
	Complete(ctx context.Context, req *Request) (*Response, error)
	// Stream sends req and returns as soon as the response headers say the
	// call was accepted. Errors the provider reports before that (a 429, a
	// 401) are returned here; errors after it surface through Stream.Err.
	// The caller must always Close the stream.
	Stream(ctx context.Context, req *Request) (Stream, error)
}

// Stream is a scanner-shaped token stream:
//
//	s, err := p.Stream(ctx, req)
//	if err != nil { ... }
//	defer s.Close()
//	for s.Next() {
//		fmt.Print(s.Current().Text)
//	}
//	if err := s.Err(); err != nil { ... }
//	resp := s.Response()
//
// Next blocks until the next non-empty text delta, the end of the stream, an
// error, or the cancellation of the context the stream was opened with.
// Cancelling that context is how a caller abandons a stalled stream: Next then
// returns false and Err reports the cancellation.
type Stream interface {
	Next() bool
	// Current is the chunk Next just produced; its Text is never empty.
	Current() Chunk
	// Err is the error that ended the stream, or nil after a clean end.
	Err() error
	// Response summarises the stream so far: the text delivered, the finish
	// reason, usage, model and request id once the provider sent them, and
	// the time to first token. It is complete once Next has returned false.
	Response() *Response
	// Close releases the connection. It is safe to call more than once and
	// after the stream has ended.
	Close() error
}

// Role is who said a message.
type Role string

// Roles of a conversation; the system prompt travels in Request.System.
const (
	RoleUser      Role = "user"
	RoleAssistant Role = "assistant"
)

// Message is one turn of the conversation.
type Message struct {
	Role    Role   `json:"role"`
	Content string `json:"content"`
}

// Request is a provider-neutral chat request. Pointer fields are optional:
// nil leaves the provider's default in place.
type Request struct {
	Model    string    `json:"model"`
	System   string    `json:"system,omitempty"`
	Messages []Message `json:"messages"`
	// MaxTokens caps the output; 0 means the adapter's default (Anthropic
	// requires a value and gets DefaultMaxTokens).
	MaxTokens   int      `json:"max_tokens,omitempty"`
	Temperature *float64 `json:"temperature,omitempty"`
	TopP        *float64 `json:"top_p,omitempty"`
	Stop        []string `json:"stop,omitempty"`
	// JSON asks for a JSON object as output, through the provider's JSON
	// mode where it has one.
	JSON bool   `json:"json,omitempty"`
	Seed *int64 `json:"seed,omitempty"`
}

// DefaultMaxTokens is used where a provider insists on a max_tokens value and
// the request has none.
const DefaultMaxTokens = 4096

// FinishReason is why the model stopped, normalised across providers.
type FinishReason string

// Normalised finish reasons. Values a provider adds later map to
// FinishOther rather than failing the call.
const (
	FinishStop          FinishReason = "stop"
	FinishLength        FinishReason = "length"
	FinishContentFilter FinishReason = "content_filter"
	FinishToolCalls     FinishReason = "tool_calls"
	FinishOther         FinishReason = "other"
)

// Usage counts tokens as the provider reported them.
type Usage struct {
	InputTokens  int `json:"input_tokens"`
	OutputTokens int `json:"output_tokens"`
}

// Response is a finished (or, from Stream.Response, partly finished) answer.
type Response struct {
	Text         string
	FinishReason FinishReason
	Usage        Usage
	// Model is the model the provider says answered, which may be a dated
	// snapshot of the requested alias.
	Model     string
	RequestID string
	// Latency is from sending the request to the end of the answer.
	Latency time.Duration
	// TTFT is the time to the first non-empty text delta (streams only; for
	// Complete it equals Latency).
	TTFT time.Duration
	// MalformedEvents counts the stream events that did not decode and were
	// skipped after the first token (see MaxMalformedEvents).
	MalformedEvents int
}

// Empty reports an answer that finished as if complete but carries nothing:
// no text and no tool calls, with a stop (or unnamed) finish. No caller can
// use it, so the fallback engine treats it as malformed. A refusal, a
// length cut and a tool-call finish are answers of their own, not empty.
func (r *Response) Empty() bool {
	if r == nil {
		return true
	}
	switch r.FinishReason {
	case FinishStop, FinishOther, "":
		return r.Text == ""
	}
	return false
}

// Chunk is one text delta of a stream.
type Chunk struct {
	Text string
}
