package openai

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/llmfall/llmfall/provider"
)

// This file is the server side of Chat Completions, for a gateway that
// speaks OpenAI's API to its own clients (llmfall serve): a client's request
// decoded into a provider.Request, and answers encoded as OpenAI sends them.
// It reuses the adapter's wire types, so OpenAI's shapes are declared once.

// Inbound is a Chat Completions request as a client sent it.
type Inbound struct {
	// Model is the request's model field, which the gateway resolves.
	Model string
	// Stream asks for server-sent events; IncludeUsage for a last chunk
	// with the token counts (stream_options.include_usage).
	Stream       bool
	IncludeUsage bool
	// Request is the rest, provider-neutral; its Model is left empty.
	Request provider.Request
}

// InboundError is a request the gateway cannot take; Param names the
// offending field, as OpenAI's error object does.
type InboundError struct {
	Param   string
	Message string
}

func (e *InboundError) Error() string {
	if e.Param == "" {
		return e.Message
	}
	return e.Param + ": " + e.Message
}

// inboundRequest is wireRequest as a client writes it: the fields that
// take more than one shape (content, stop, tool_choice) are decoded by hand.
// The outer fields shadow the embedded ones of the same JSON name.
type inboundRequest struct {
	wireRequest
	Messages   []inboundMessage `json:"messages"`
	Stop       json.RawMessage  `json:"stop"`
	ToolChoice json.RawMessage  `json:"tool_choice"`
	N          *int             `json:"n"`
}

type inboundMessage struct {
	Role       string          `json:"role"`
	Content    json.RawMessage `json:"content"`
	ToolCalls  []wireToolCall  `json:"tool_calls"`
	ToolCallID string          `json:"tool_call_id"`
}

// DecodeRequest decodes a Chat Completions request body. Fields llmfall
// does not use (user, logprobs, penalties) are ignored, as compatible
// servers do; what it cannot honour (n > 1, audio parts) is an
// *InboundError.
func DecodeRequest(body []byte) (*Inbound, error) {
	var w inboundRequest
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, &InboundError{Message: "the body is not a valid Chat Completions request: " + err.Error()}
	}
	if w.Model == "" {
		return nil, &InboundError{Param: "model", Message: "required"}
	}
	if len(w.Messages) == 0 {
		return nil, &InboundError{Param: "messages", Message: "at least one message is required"}
	}
	if w.N != nil && *w.N != 1 {
		return nil, &InboundError{Param: "n", Message: "only n=1 is supported"}
	}
	in := &Inbound{Model: w.Model, Stream: w.Stream}
	in.IncludeUsage = w.StreamOptions != nil && w.StreamOptions.IncludeUsage
	r := &in.Request
	r.MaxTokens = w.MaxCompletionTokens
	if r.MaxTokens == 0 {
		r.MaxTokens = w.MaxTokens
	}
	r.Temperature, r.TopP, r.Seed = w.Temperature, w.TopP, w.Seed
	var err error
	if r.Stop, err = stopOf(w.Stop); err != nil {
		return nil, err
	}
	if err := inboundMessages(r, w.Messages); err != nil {
		return nil, err
	}
	for _, t := range w.Tools {
		r.Tools = append(r.Tools, provider.Tool{Name: t.Function.Name, Description: t.Function.Description, Parameters: t.Function.Parameters})
	}
	if r.ToolChoice, err = toolChoiceOf(w.ToolChoice); err != nil {
		return nil, err
	}
	if f := w.ResponseFormat; f != nil {
		switch f.Type {
		case "text", "":
		case "json_object":
			r.ResponseFormat = &provider.ResponseFormat{Type: provider.FormatJSONObject}
		case "json_schema":
			if f.JSONSchema == nil {
				return nil, &InboundError{Param: "response_format.json_schema", Message: "required with type json_schema"}
			}
			r.ResponseFormat = &provider.ResponseFormat{Type: provider.FormatJSONSchema, Name: f.JSONSchema.Name,
				Schema: f.JSONSchema.Schema, Strict: f.JSONSchema.Strict}
		default:
			return nil, &InboundError{Param: "response_format.type", Message: fmt.Sprintf("unknown type %q (text, json_object, json_schema)", f.Type)}
		}
	}
	return in, nil
}

func stopOf(raw json.RawMessage) ([]string, error) {
	if isNull(raw) {
		return nil, nil
	}
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return []string{one}, nil
	}
	var many []string
	if err := json.Unmarshal(raw, &many); err != nil {
		return nil, &InboundError{Param: "stop", Message: "must be a string or an array of strings"}
	}
	return many, nil
}

func toolChoiceOf(raw json.RawMessage) (provider.ToolChoice, error) {
	if isNull(raw) {
		return provider.ToolChoice{}, nil
	}
	var mode string
	if json.Unmarshal(raw, &mode) == nil {
		switch m := provider.ToolChoiceMode(mode); m {
		case provider.ToolChoiceAuto, provider.ToolChoiceNone, provider.ToolChoiceRequired:
			return provider.ToolChoice{Mode: m}, nil
		}
		return provider.ToolChoice{}, &InboundError{Param: "tool_choice", Message: fmt.Sprintf("unknown value %q (auto, none, required, or a function)", mode)}
	}
	var named wireNamedChoice
	if err := json.Unmarshal(raw, &named); err != nil || named.Function.Name == "" {
		return provider.ToolChoice{}, &InboundError{Param: "tool_choice", Message: `must be "auto", "none", "required" or {"type":"function","function":{"name":...}}`}
	}
	return provider.ToolChoice{Mode: provider.ToolChoiceTool, Name: named.Function.Name}, nil
}

// inboundMessages maps the messages: system and developer messages become
// the system prompt (joined by blank lines), the others the history.
func inboundMessages(r *provider.Request, msgs []inboundMessage) error {
	var system []string
	for i, m := range msgs {
		where := fmt.Sprintf("messages[%d]", i)
		parts, err := contentOf(where+".content", m.Content)
		if err != nil {
			return err
		}
		switch m.Role {
		case "system", "developer":
			for _, p := range parts {
				if p.Image != nil {
					return &InboundError{Param: where + ".content", Message: "a system message takes text only"}
				}
				system = append(system, p.Text)
			}
			continue
		case "user", "assistant", "tool":
		default:
			return &InboundError{Param: where + ".role", Message: fmt.Sprintf("unknown role %q (system, developer, user, assistant, tool)", m.Role)}
		}
		msg := provider.Message{Role: provider.Role(m.Role), ToolCallID: m.ToolCallID}
		if len(parts) == 1 && parts[0].Image == nil {
			msg.Content = parts[0].Text
		} else {
			msg.Parts = parts
		}
		for _, c := range m.ToolCalls {
			msg.ToolCalls = append(msg.ToolCalls, provider.ToolCall{ID: c.ID, Name: c.Function.Name,
				Arguments: provider.ArgumentsJSON(c.Function.Arguments)})
		}
		if m.Role == "tool" && m.ToolCallID == "" {
			return &InboundError{Param: where + ".tool_call_id", Message: "required in a tool message"}
		}
		r.Messages = append(r.Messages, msg)
	}
	r.System = strings.Join(system, "\n\n")
	if len(r.Messages) == 0 {
		return &InboundError{Param: "messages", Message: "at least one message besides the system prompt is required"}
	}
	return nil
}

// contentOf decodes a message's content: null, a string, or an array of
// text and image_url parts.
//
// Its first byte says which: trying a string first would scan the whole
// array once more, and an array carrying an inline image is megabytes.
func contentOf(where string, raw json.RawMessage) ([]provider.Part, error) {
	if isNull(raw) {
		return nil, nil
	}
	if raw = bytes.TrimSpace(raw); raw[0] == '"' {
		var text string
		if err := json.Unmarshal(raw, &text); err != nil {
			return nil, &InboundError{Param: where, Message: "must be a string or an array of content parts"}
		}
		return []provider.Part{{Text: text}}, nil
	}
	var wps []wirePart
	if err := json.Unmarshal(raw, &wps); err != nil {
		return nil, &InboundError{Param: where, Message: "must be a string or an array of content parts"}
	}
	parts := make([]provider.Part, 0, len(wps))
	for j, p := range wps {
		switch {
		case p.Type == "text":
			parts = append(parts, provider.Part{Text: p.Text})
		case p.Type == "image_url" && (p.ImageURL == nil || p.ImageURL.URL == ""):
			return nil, &InboundError{Param: fmt.Sprintf("%s[%d].image_url.url", where, j), Message: "required in an image_url part"}
		case p.Type == "image_url":
			img, err := imageOf(p.ImageURL.URL)
			if err != nil {
				return nil, &InboundError{Param: fmt.Sprintf("%s[%d].image_url.url", where, j), Message: err.Error()}
			}
			parts = append(parts, provider.Part{Image: img})
		default:
			return nil, &InboundError{Param: fmt.Sprintf("%s[%d].type", where, j), Message: fmt.Sprintf("unsupported content part %q (text, image_url)", p.Type)}
		}
	}
	return parts, nil
}

// imageOf is the image of an image_url: a data: URL's bytes, or the URL.
func imageOf(u string) (*provider.Image, error) {
	rest, ok := strings.CutPrefix(u, "data:")
	if !ok {
		return &provider.Image{URL: u}, nil
	}
	meta, data, ok := strings.Cut(rest, ",")
	mediaType, isBase64 := strings.CutSuffix(meta, ";base64")
	if !ok || !isBase64 || mediaType == "" {
		return nil, fmt.Errorf("a data URL must be data:<media type>;base64,<data>")
	}
	b, err := base64.StdEncoding.DecodeString(data)
	if err != nil {
		return nil, fmt.Errorf("a data URL's data is not valid base64: %v", err)
	}
	return &provider.Image{Data: b, MediaType: mediaType}, nil
}

func isNull(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return len(t) == 0 || string(t) == "null"
}

// outCompletion is a chat.completion or chat.completion.chunk as OpenAI
// sends them.
type outCompletion struct {
	ID      string      `json:"id"`
	Object  string      `json:"object"`
	Created int64       `json:"created"`
	Model   string      `json:"model"`
	Choices []outChoice `json:"choices"`
	Usage   *outUsage   `json:"usage,omitempty"`
}

type outChoice struct {
	Index   int         `json:"index"`
	Message *outMessage `json:"message,omitempty"`
	Delta   *outMessage `json:"delta,omitempty"`
	// FinishReason is null in a chunk until the last one.
	FinishReason *string `json:"finish_reason"`
}

type outMessage struct {
	Role      string         `json:"role,omitempty"`
	Content   *string        `json:"content,omitempty"`
	ToolCalls []wireToolCall `json:"tool_calls,omitempty"`
}

type outUsage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
}

// Answer names what a gateway's answer is: its id, creation time (Unix
// seconds) and the model that answered, written into every object. Its
// fields must not change once it has encoded a chunk, and an Answer is not
// safe for concurrent use: it keeps the chunks' common head.
type Answer struct {
	ID      string
	Created int64
	Model   string

	// head is every chunk's opening up to its delta's fields, encoded
	// once: a stream's chunks differ only in the delta.
	head []byte
}

// Completion encodes resp as a chat.completion.
func (a *Answer) Completion(resp *provider.Response) ([]byte, error) {
	msg := &outMessage{Role: "assistant"}
	if resp.Text != "" || len(resp.ToolCalls) == 0 {
		msg.Content = &resp.Text
	}
	for _, c := range resp.ToolCalls {
		msg.ToolCalls = append(msg.ToolCalls, wireToolCall{ID: c.ID, Type: "function",
			Function: wireFunctionCall{Name: c.Name, Arguments: argumentsText(c.Arguments)}})
	}
	fr := finishText(resp.FinishReason)
	return json.Marshal(&outCompletion{ID: a.ID, Object: "chat.completion", Created: a.Created, Model: a.Model,
		Choices: []outChoice{{Message: msg, FinishReason: &fr}}, Usage: usageOf(resp.Usage)})
}

// Chunk encodes one delta as a chat.completion.chunk; first adds the
// assistant role, as OpenAI's first delta carries it.
func (a *Answer) Chunk(ch provider.Chunk, first bool) ([]byte, error) {
	return a.AppendChunk(nil, ch, first)
}

// AppendChunk is Chunk appending to dst. A text delta, a stream's usual
// chunk, is written straight from the answer's head and the text, without
// reflection or allocation once dst has room: the same bytes json.Marshal
// writes, at a fraction of the cost per token.
func (a *Answer) AppendChunk(dst []byte, ch provider.Chunk, first bool) ([]byte, error) {
	tc := ch.ToolCall
	if tc == nil {
		if a.head == nil {
			a.head = a.appendHead(nil)
		}
		dst = append(dst, a.head...)
		if first {
			dst = append(dst, `"role":"assistant",`...)
		}
		dst = append(dst, `"content":`...)
		dst = appendJSONString(dst, ch.Text)
		return append(dst, `},"finish_reason":null}]}`...), nil
	}
	d := &outMessage{}
	if first {
		d.Role = "assistant"
	}
	idx := tc.Index
	w := wireToolCall{Index: &idx, ID: tc.ID, Function: wireFunctionCall{Name: tc.Name, Arguments: tc.Arguments}}
	if tc.ID != "" {
		w.Type = "function"
	}
	d.ToolCalls = []wireToolCall{w}
	b, err := a.chunk(outChoice{Delta: d})
	return append(dst, b...), err
}

// appendHead appends what json.Marshal writes of a chunk before its
// delta's fields.
func (a *Answer) appendHead(dst []byte) []byte {
	dst = append(dst, `{"id":`...)
	dst = appendJSONString(dst, a.ID)
	dst = append(dst, `,"object":"chat.completion.chunk","created":`...)
	dst = strconv.AppendInt(dst, a.Created, 10)
	dst = append(dst, `,"model":`...)
	dst = appendJSONString(dst, a.Model)
	return append(dst, `,"choices":[{"index":0,"delta":{`...)
}

// appendJSONString appends s as encoding/json writes a string, escapes
// included (HTML characters, U+2028 and U+2029, invalid UTF-8 as U+FFFD),
// so that the fast path and json.Marshal never differ by a byte.
func appendJSONString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' && b != '<' && b != '>' && b != '&' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[b>>4], hex[b&0xF])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case c == utf8.RuneError && size == 1:
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
		case c == '\u2028' || c == '\u2029':
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[c&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// Finish encodes the chunk that ends the choice with its finish reason.
func (a *Answer) Finish(reason provider.FinishReason) ([]byte, error) {
	fr := finishText(reason)
	return a.chunk(outChoice{Delta: &outMessage{}, FinishReason: &fr})
}

// Usage encodes the last chunk of a stream that asked for usage: no
// choices, the token counts.
func (a *Answer) Usage(u provider.Usage) ([]byte, error) {
	return json.Marshal(&outCompletion{ID: a.ID, Object: "chat.completion.chunk", Created: a.Created, Model: a.Model,
		Choices: []outChoice{}, Usage: usageOf(u)})
}

func (a *Answer) chunk(c outChoice) ([]byte, error) {
	return json.Marshal(&outCompletion{ID: a.ID, Object: "chat.completion.chunk", Created: a.Created, Model: a.Model,
		Choices: []outChoice{c}})
}

func usageOf(u provider.Usage) *outUsage {
	return &outUsage{PromptTokens: u.InputTokens, CompletionTokens: u.OutputTokens, TotalTokens: u.InputTokens + u.OutputTokens}
}

// finishText is a finish reason as OpenAI writes it; an answer whose
// provider reported none ended normally.
func finishText(r provider.FinishReason) string {
	if r == "" {
		return string(provider.FinishStop)
	}
	return string(r)
}

// outError is OpenAI's error body.
type outError struct {
	Error struct {
		Message string  `json:"message"`
		Type    string  `json:"type"`
		Param   *string `json:"param"`
		Code    *string `json:"code"`
	} `json:"error"`
}

// ErrorBody encodes an error as OpenAI's {"error":{message,type,param,code}};
// an empty param or code is null.
func ErrorBody(message, typ, param, code string) []byte {
	var e outError
	e.Error.Message, e.Error.Type = message, typ
	if param != "" {
		e.Error.Param = &param
	}
	if code != "" {
		e.Error.Code = &code
	}
	b, _ := json.Marshal(&e) // strings only: cannot fail
	return b
}
