package openai

import (
	"encoding/base64"
	"encoding/json"

	"github.com/llmfall/llmfall/provider"
)

// This file maps messages with images, tool calls and tool results, tool
// definitions, tool choice and response formats onto Chat Completions, and
// tool calls back.

// wireMessage is one message of a request. Content is a string for text
// (what every compatible server understands), an array of parts when the
// message has images, and null for an assistant message that only calls
// tools.
type wireMessage struct {
	Role       string         `json:"role"`
	Content    any            `json:"content"`
	ToolCalls  []wireToolCall `json:"tool_calls,omitempty"`
	ToolCallID string         `json:"tool_call_id,omitempty"`
}

type wirePart struct {
	Type     string        `json:"type"` // text, image_url
	Text     string        `json:"text,omitempty"`
	ImageURL *wireImageURL `json:"image_url,omitempty"`
}

type wireImageURL struct {
	URL string `json:"url"`
}

// wireToolCall is a call in a request's assistant message, a response
// message, or (with Index, partly filled) a stream delta.
type wireToolCall struct {
	Index    *int             `json:"index,omitempty"`
	ID       string           `json:"id,omitempty"`
	Type     string           `json:"type,omitempty"`
	Function wireFunctionCall `json:"function"`
}

type wireFunctionCall struct {
	Name string `json:"name,omitempty"`
	// Arguments is a string holding JSON, not a JSON object.
	Arguments string `json:"arguments"`
}

type wireTool struct {
	Type     string       `json:"type"`
	Function wireFunction `json:"function"`
}

type wireFunction struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	Parameters  json.RawMessage `json:"parameters,omitempty"`
}

// wireToolChoice is "none", "auto", "required", or a named function.
type wireNamedChoice struct {
	Type     string `json:"type"`
	Function struct {
		Name string `json:"name"`
	} `json:"function"`
}

type responseFormat struct {
	Type       string          `json:"type"`
	JSONSchema *wireJSONSchema `json:"json_schema,omitempty"`
}

type wireJSONSchema struct {
	Name   string          `json:"name"`
	Schema json.RawMessage `json:"schema,omitempty"`
	Strict bool            `json:"strict,omitempty"`
}

// maxIDLen is the longest tool_call_id OpenAI accepts; longer ids from
// other providers are renamed by NormalizeHistory.
const maxIDLen = 40

func validID(id string) bool { return id != "" && len(id) <= maxIDLen }

// wireMessages maps the system prompt and the normalised history.
func wireMessages(req *provider.Request) []wireMessage {
	msgs := provider.NormalizeHistory(req.Messages, validID)
	out := make([]wireMessage, 0, len(msgs)+1)
	if req.System != "" {
		out = append(out, wireMessage{Role: "system", Content: req.System})
	}
	for i := range msgs {
		out = append(out, wireMessageOf(&msgs[i]))
	}
	return out
}

func wireMessageOf(m *provider.Message) wireMessage {
	w := wireMessage{Role: string(m.Role)}
	switch {
	case m.Role == provider.RoleTool:
		w.ToolCallID = m.ToolCallID
		w.Content = m.Text()
		if m.IsError {
			// Chat Completions has no error flag for a tool result: the
			// model learns of the failure from the text.
			w.Content = "Error: " + m.Text()
		}
	case len(m.ToolCalls) > 0:
		w.ToolCalls = make([]wireToolCall, len(m.ToolCalls))
		for i, c := range m.ToolCalls {
			w.ToolCalls[i] = wireToolCall{ID: c.ID, Type: "function",
				Function: wireFunctionCall{Name: c.Name, Arguments: argumentsText(c.Arguments)}}
		}
		if text := m.Text(); text != "" {
			w.Content = text
		}
	case hasImage(m.Parts):
		parts := m.AllParts()
		wp := make([]wirePart, 0, len(parts))
		for _, p := range parts {
			switch {
			case p.Image != nil:
				wp = append(wp, wirePart{Type: "image_url", ImageURL: &wireImageURL{URL: imageURL(p.Image)}})
			case p.Text != "":
				wp = append(wp, wirePart{Type: "text", Text: p.Text})
			}
		}
		w.Content = wp
	default:
		w.Content = m.Text()
	}
	return w
}

func hasImage(parts []provider.Part) bool {
	for _, p := range parts {
		if p.Image != nil {
			return true
		}
	}
	return false
}

// imageURL is the image's URL, or its bytes as a data: URL.
func imageURL(img *provider.Image) string {
	if img.URL != "" {
		return img.URL
	}
	return "data:" + img.MediaType + ";base64," + base64.StdEncoding.EncodeToString(img.Data)
}

// argumentsText is a call's arguments as OpenAI carries them: JSON in a
// string. A JSON string value (a model's unparsable arguments) goes back as
// the raw text it holds.
func argumentsText(args json.RawMessage) string {
	if len(args) == 0 {
		return "{}"
	}
	if args[0] == '"' {
		var s string
		if json.Unmarshal(args, &s) == nil {
			return s
		}
	}
	return string(args)
}

// setTools maps tools, tool choice and the response format onto w.
func setTools(w *wireRequest, req *provider.Request) {
	if len(req.Tools) > 0 {
		w.Tools = make([]wireTool, len(req.Tools))
		for i, t := range req.Tools {
			w.Tools[i] = wireTool{Type: "function", Function: wireFunction{Name: t.Name, Description: t.Description, Parameters: t.Parameters}}
		}
		// tool_choice without tools is a 400, so it is only sent with them.
		switch tc := req.ToolChoice; tc.Mode {
		case provider.ToolChoiceAuto, provider.ToolChoiceNone, provider.ToolChoiceRequired:
			w.ToolChoice = string(tc.Mode)
		case provider.ToolChoiceTool:
			var n wireNamedChoice
			n.Type, n.Function.Name = "function", tc.Name
			w.ToolChoice = n
		}
	}
	switch f := req.Format(); {
	case f == nil:
	case f.Type == provider.FormatJSONSchema:
		name := f.Name
		if name == "" {
			name = "response"
		}
		w.ResponseFormat = &responseFormat{Type: "json_schema", JSONSchema: &wireJSONSchema{Name: name, Schema: f.Schema, Strict: f.Strict}}
	default:
		// json_object is the JSON mode every compatible server copies.
		w.ResponseFormat = &responseFormat{Type: "json_object"}
	}
}

// toolCalls converts a response message's calls.
func toolCalls(in []wireToolCall) []provider.ToolCall {
	if len(in) == 0 {
		return nil
	}
	out := make([]provider.ToolCall, len(in))
	for i, c := range in {
		out[i] = provider.ToolCall{ID: c.ID, Name: c.Function.Name, Arguments: provider.ArgumentsJSON(c.Function.Arguments)}
	}
	return out
}

// callSlots numbers a stream's tool calls. OpenAI gives each parallel call
// an index and names it (id and name) in its first delta only. Compatible
// servers do not all follow: Gemini's OpenAI endpoint and Ollama before
// 0.4.7 leave the index out, later Ollama sends index 0 for every call
// (ollama/ollama#15457). Taken by index alone, their calls would merge into
// one, with the arguments run together. So a delta whose id differs from
// the call at its index starts a new call, and without an index a delta
// that names a call (other than the last) starts one and any other
// continues the last.
type callSlots struct {
	ids  []string    // each call's id, by the stream's index
	at   map[int]int // the wire's index → the stream's
	last int         // the call of the previous delta
}

// delta converts one streamed call fragment.
func (cs *callSlots) delta(c *wireToolCall) *provider.ToolCallDelta {
	return &provider.ToolCallDelta{Index: cs.slot(c), ID: c.ID, Name: c.Function.Name, Arguments: c.Function.Arguments}
}

func (cs *callSlots) slot(c *wireToolCall) int {
	if c.Index == nil {
		names := c.ID != "" || c.Function.Name != ""
		if len(cs.ids) == 0 || names && (c.ID == "" || c.ID != cs.ids[cs.last]) {
			cs.last = cs.add(c.ID)
		}
		return cs.last
	}
	s, ok := cs.at[*c.Index]
	switch {
	case !ok || c.ID != "" && cs.ids[s] != "" && c.ID != cs.ids[s]:
		s = cs.add(c.ID)
		if cs.at == nil {
			cs.at = make(map[int]int, 2)
		}
		cs.at[*c.Index] = s
	case c.ID != "":
		cs.ids[s] = c.ID
	}
	cs.last = s
	return s
}

func (cs *callSlots) add(id string) int {
	cs.ids = append(cs.ids, id)
	return len(cs.ids) - 1
}
