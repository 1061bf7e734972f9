// Package provider defines what every LLM backend offers llmfall: one
// non-streaming call, one streaming call, and errors classified so that the
// fallback engine can decide what to do next. It knows nothing of chains,
// categories or evals; adapters live in the sub-packages.
package provider

import (
	"context"
	"encoding/json"
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
// Next blocks until the next non-empty text delta or tool-call delta, the end
// of the stream, an error, or the cancellation of the context the stream was
// opened with.
// Cancelling that context is how a caller abandons a stalled stream: Next then
// returns false and Err reports the cancellation.
type Stream interface {
	Next() bool
	// Current is the chunk Next just produced: either its Text is not
	// empty or its ToolCall is set.
	Current() Chunk
	// Err is the error that ended the stream, or nil after a clean end.
	Err() error
	// Response summarises the stream so far: the text and tool calls
	// delivered (each call's arguments as far as they arrived), the finish
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
	// RoleTool carries the result of one tool call, answering the
	// assistant message before it (Message.ToolCallID says which call).
	RoleTool Role = "tool"
)

// Message is one turn of the conversation. The plain text turn that most
// callers need is Message{Role: RoleUser, Content: "..."}; the other fields
// are for images, tool calls and tool results:
//
//   - Content is the text shorthand. When Parts is set too, Content comes
//     first, as if it were a text part before them (Message.AllParts).
//   - Parts hold text and images, in order (user messages; tool results
//     carry text parts only).
//   - ToolCalls are the calls an assistant message made; it may carry text
//     as well, or nothing else.
//   - ToolCallID and IsError belong to a RoleTool message: the id of the
//     call it answers and whether the tool failed.
//
// Adapters map tool-call ids onto each provider's rules (see
// NormalizeHistory), so a history produced on one provider continues on any
// other.
type Message struct {
	Role       Role       `json:"role"`
	Content    string     `json:"content"`
	Parts      []Part     `json:"parts,omitempty"`
	ToolCalls  []ToolCall `json:"tool_calls,omitempty"`
	ToolCallID string     `json:"tool_call_id,omitempty"`
	IsError    bool       `json:"is_error,omitempty"`
}

// AllParts is the message's content as parts: Content (when not empty) as a
// text part, then Parts.
func (m *Message) AllParts() []Part {
	if m.Content == "" {
		return m.Parts
	}
	if len(m.Parts) == 0 {
		return []Part{{Text: m.Content}}
	}
	out := make([]Part, 0, len(m.Parts)+1)
	out = append(out, Part{Text: m.Content})
	return append(out, m.Parts...)
}

// Text is the message's text: Content and its text parts, joined without
// separators; images are left out.
func (m *Message) Text() string {
	if len(m.Parts) == 0 {
		return m.Content
	}
	n := len(m.Content)
	for _, p := range m.Parts {
		n += len(p.Text)
	}
	b := make([]byte, 0, n)
	b = append(b, m.Content...)
	for _, p := range m.Parts {
		if p.Image == nil {
			b = append(b, p.Text...)
		}
	}
	return string(b)
}

// Part is one piece of a message's content: text, or an image when Image is
// set (Text is then ignored).
type Part struct {
	Text  string `json:"text,omitempty"`
	Image *Image `json:"image,omitempty"`
}

// Image is an image given by URL or inline. Exactly one of URL and Data is
// set; MediaType ("image/png", "image/jpeg", "image/gif", "image/webp") is
// required with Data and optional with URL.
type Image struct {
	URL       string `json:"url,omitempty"`
	Data      []byte `json:"data,omitempty"`
	MediaType string `json:"media_type,omitempty"`
}

// ToolCall is one call of a tool by the model.
type ToolCall struct {
	// ID identifies the call; the RoleTool message answering it carries
	// it as ToolCallID. Gemini gives none, and its adapter makes one up.
	ID   string `json:"id"`
	Name string `json:"name"`
	// Arguments is a JSON value, an object when the model behaved. A
	// model's arguments that are not valid JSON arrive as a JSON string
	// holding the raw text. A caller building a call must give valid JSON.
	Arguments json.RawMessage `json:"arguments"`
	// Signature is opaque data a provider attached to the call (Gemini's
	// thoughtSignature, which its thinking models want back with the call
	// in the next turn); other providers ignore it.
	Signature string `json:"signature,omitempty"`
}

// Tool is a function the model may call.
type Tool struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// Parameters is the JSON Schema of the arguments, an object schema;
	// nil means the tool takes no arguments.
	Parameters json.RawMessage `json:"parameters,omitempty"`
}

// ToolChoiceMode says whether and which tools the model must call.
type ToolChoiceMode string

// Tool choice modes. The zero value leaves the provider's default (auto
// when tools are offered).
const (
	ToolChoiceAuto     ToolChoiceMode = "auto"     // the model decides
	ToolChoiceNone     ToolChoiceMode = "none"     // no tool calls
	ToolChoiceRequired ToolChoiceMode = "required" // at least one call, of any tool
	ToolChoiceTool     ToolChoiceMode = "tool"     // a call of ToolChoice.Name
)

// ToolChoice constrains the model's tool calls.
type ToolChoice struct {
	Mode ToolChoiceMode `json:"mode,omitempty"`
	// Name is the tool to call, with ToolChoiceTool.
	Name string `json:"name,omitempty"`
}

// FormatType is the kind of output a request asks for.
type FormatType string

// Response formats.
const (
	FormatText       FormatType = "text"
	FormatJSONObject FormatType = "json_object" // any JSON object
	FormatJSONSchema FormatType = "json_schema" // a JSON value matching Schema
)

// ResponseFormat asks for structured output.
type ResponseFormat struct {
	Type FormatType `json:"type"`
	// Name names the schema (OpenAI requires one: ^[a-zA-Z0-9_-]{1,64}$);
	// "" means "response".
	Name string `json:"name,omitempty"`
	// Schema is the JSON Schema of the output, with FormatJSONSchema.
	Schema json.RawMessage `json:"schema,omitempty"`
	// Strict asks the provider to enforce the schema exactly where it
	// can (OpenAI's strict mode).
	Strict bool `json:"strict,omitempty"`
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
	// mode where it has one. It is shorthand for a ResponseFormat of type
	// FormatJSONObject, which wins when set.
	JSON bool   `json:"json,omitempty"`
	Seed *int64 `json:"seed,omitempty"`
	// Tools are the functions the model may call.
	Tools []Tool `json:"tools,omitempty"`
	// ToolChoice constrains the calls; the zero value is the provider's
	// default.
	ToolChoice ToolChoice `json:"tool_choice,omitzero"`
	// ResponseFormat asks for structured output; nil means free text
	// (or JSON, with JSON set).
	ResponseFormat *ResponseFormat `json:"response_format,omitempty"`
}

// Format is the output format the request asks for: ResponseFormat, or a
// JSON object for JSON, or nil for free text.
func (r *Request) Format() *ResponseFormat {
	if r.ResponseFormat != nil && r.ResponseFormat.Type != "" && r.ResponseFormat.Type != FormatText {
		return r.ResponseFormat
	}
	if r.JSON && r.ResponseFormat == nil {
		return &ResponseFormat{Type: FormatJSONObject}
	}
	return nil
}

// HasImages reports whether any message carries an image, which a
// text-only model cannot take.
func (r *Request) HasImages() bool {
	for i := range r.Messages {
		for _, p := range r.Messages[i].Parts {
			if p.Image != nil {
				return true
			}
		}
	}
	return false
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
	Text string
	// ToolCalls are the calls the model made, in order; FinishReason is
	// then usually FinishToolCalls.
	ToolCalls    []ToolCall
	FinishReason FinishReason
	Usage        Usage
	// Model is the model the provider says answered, which may be a dated
	// snapshot of the requested alias.
	Model     string
	RequestID string
	// Latency is from sending the request to the end of the answer.
	Latency time.Duration
	// TTFT is the time to the first non-empty text or tool-call delta
	// (streams only; for Complete it equals Latency).
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
		return r.Text == "" && len(r.ToolCalls) == 0
	}
	return false
}

// Chunk is one delta of a stream: text, or a piece of a tool call.
type Chunk struct {
	Text string
	// ToolCall is set on a tool-call delta (Text is then empty).
	ToolCall *ToolCallDelta
}

// ToolCallDelta is a piece of one tool call. A call's first delta carries
// its ID and Name; the following ones (same Index) carry further fragments
// of its Arguments, whose concatenation is the call's JSON arguments.
type ToolCallDelta struct {
	// Index numbers the calls of one answer from 0.
	Index     int
	ID        string
	Name      string
	Arguments string
	// Signature is ToolCall.Signature, on the delta that carries it.
	Signature string
}
