package anthropic

import (
	"encoding/base64"
	"encoding/json"
	"slices"

	"github.com/llmfall/llmfall/provider"
)

// This file maps messages with images, tool calls and tool results, tool
// definitions, tool choice and JSON-schema output onto the Messages API,
// and tool_use blocks back.

// block is one content block of a request message.
type block struct {
	Type   string       `json:"type"` // text, image, tool_use, tool_result
	Text   string       `json:"text,omitempty"`
	Source *imageSource `json:"source,omitempty"`
	// tool_use
	ID    string          `json:"id,omitempty"`
	Name  string          `json:"name,omitempty"`
	Input json.RawMessage `json:"input,omitempty"`
	// tool_result
	ToolUseID string `json:"tool_use_id,omitempty"`
	Content   string `json:"content,omitempty"`
	IsError   bool   `json:"is_error,omitempty"`
}

type imageSource struct {
	Type      string `json:"type"` // base64, url
	MediaType string `json:"media_type,omitempty"`
	Data      string `json:"data,omitempty"`
	URL       string `json:"url,omitempty"`
}

type wireTool struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	InputSchema json.RawMessage `json:"input_schema"`
}

type toolChoice struct {
	Type string `json:"type"` // auto, any, none, tool
	Name string `json:"name,omitempty"`
}

// validID is Anthropic's rule for tool_use ids: ^[a-zA-Z0-9_-]+$.
func validID(id string) bool { return provider.IDAlphabet(id, 0) }

// wireMessages maps the normalised history onto alternating user and
// assistant turns: tool results become tool_result blocks of a user turn,
// first in it; consecutive turns of one role are merged (the API rejects
// them); empty text is left out (the API rejects an empty text block) and a
// turn left with nothing goes.
func wireMessages(msgs []provider.Message) []wireMessage {
	msgs = provider.NormalizeHistory(msgs, validID)
	n := 0
	for i := range msgs {
		n += 1 + len(msgs[i].Parts) + len(msgs[i].ToolCalls)
	}
	// One backing array for every turn's blocks: a turn's blocks are always
	// the tail of buf, so merging a message into the last turn extends it.
	buf := make([]block, 0, n)
	out := make([]wireMessage, 0, len(msgs))
	for i := range msgs {
		start := len(buf)
		var role string
		role, buf = appendBlocks(buf, &msgs[i])
		if len(buf) == start {
			continue
		}
		if k := len(out); k > 0 && out[k-1].Role == role {
			out[k-1].blocks = buf[start-len(out[k-1].blocks) : len(buf) : len(buf)]
			continue
		}
		out = append(out, wireMessage{Role: role, blocks: buf[start:len(buf):len(buf)]})
	}
	if len(out) > 0 && out[0].Role == "assistant" {
		// The API wants the user first; a history that opens with the
		// model's turn (a greeting, or a window cut from a longer
		// conversation) gets a minimal user turn before it, as other
		// gateways do.
		out = append([]wireMessage{{Role: "user", blocks: []block{{Type: "text", Text: "."}}}}, out...)
	}
	for i := range out {
		// A lone text block goes as a plain string, the shape every
		// Anthropic-compatible server understands.
		if b := out[i].blocks; len(b) == 1 && b[0].Type == "text" {
			out[i].Content = b[0].Text
		} else {
			out[i].Content = b
		}
	}
	return out
}

// appendBlocks appends a message's content blocks and returns its role on
// the wire.
func appendBlocks(buf []block, m *provider.Message) (string, []block) {
	switch m.Role {
	case provider.RoleTool:
		return "user", append(buf, block{Type: "tool_result", ToolUseID: m.ToolCallID, Content: m.Text(), IsError: m.IsError})
	case provider.RoleAssistant:
		if t := m.Text(); t != "" {
			buf = append(buf, block{Type: "text", Text: t})
		}
		for _, c := range m.ToolCalls {
			buf = append(buf, block{Type: "tool_use", ID: c.ID, Name: c.Name, Input: provider.ArgumentsObject(c.Arguments)})
		}
		return "assistant", buf
	}
	if m.Content != "" {
		buf = append(buf, block{Type: "text", Text: m.Content})
	}
	for _, p := range m.Parts {
		switch {
		case p.Image != nil:
			buf = append(buf, block{Type: "image", Source: source(p.Image)})
		case p.Text != "":
			buf = append(buf, block{Type: "text", Text: p.Text})
		}
	}
	return string(m.Role), buf
}

func source(img *provider.Image) *imageSource {
	if img.URL != "" {
		return &imageSource{Type: "url", URL: img.URL}
	}
	return &imageSource{Type: "base64", MediaType: img.MediaType, Data: base64.StdEncoding.EncodeToString(img.Data)}
}

// emptyObject is the schema of a tool without parameters; the API requires
// one.
var emptyObject = json.RawMessage(`{"type":"object","properties":{}}`)

// setTools maps tools and tool choice onto m, and a JSON-schema response
// format onto a forced tool (see outputTool).
func setTools(m *messageRequest, req *provider.Request, out *outputTool) {
	tc := req.ToolChoice
	if tc.Mode != provider.ToolChoiceNone || out == nil {
		for _, t := range req.Tools {
			schema := t.Parameters
			if len(schema) == 0 {
				schema = emptyObject
			}
			m.Tools = append(m.Tools, wireTool{Name: t.Name, Description: t.Description, InputSchema: schema})
		}
	}
	if len(m.Tools) > 0 {
		switch tc.Mode {
		case provider.ToolChoiceAuto, provider.ToolChoiceNone:
			m.ToolChoice = &toolChoice{Type: string(tc.Mode)}
		case provider.ToolChoiceRequired:
			m.ToolChoice = &toolChoice{Type: "any"}
		case provider.ToolChoiceTool:
			m.ToolChoice = &toolChoice{Type: "tool", Name: tc.Name}
		}
	}
	if out == nil {
		return
	}
	userTools := len(m.Tools) > 0
	m.Tools = append(m.Tools, wireTool{Name: out.name, Description: outputToolDescription, InputSchema: out.schema})
	switch {
	case !userTools:
		m.ToolChoice = &toolChoice{Type: "tool", Name: out.name}
	case tc.Mode == "" || tc.Mode == provider.ToolChoiceAuto:
		// The model may call the caller's tools or answer, but must do
		// one of them through a tool.
		m.ToolChoice = &toolChoice{Type: "any"}
	}
}

const outputToolDescription = "Give your final answer by calling this tool: its input is the answer, in the required format."

// outputTool is the tool that carries a JSON-schema answer. Anthropic's
// native structured outputs (output_config.format) exist on recent models
// only, and a chain's request must work on every Claude model it names, so
// the answer is asked for as the input of a forced tool, which every model
// supports; the adapter hands its input back as the answer text.
type outputTool struct {
	name   string
	schema json.RawMessage
	// wrapped: the schema is not an object schema, and the answer travels
	// as the "value" property of one (input_schema must be an object).
	wrapped bool
}

// newOutputTool is the output tool for req, or nil when req asks for no
// JSON schema.
func newOutputTool(req *provider.Request) *outputTool {
	f := req.Format()
	if f == nil || f.Type != provider.FormatJSONSchema || len(f.Schema) == 0 {
		return nil
	}
	name := f.Name
	if name == "" || !validID(name) || slices.ContainsFunc(req.Tools, func(t provider.Tool) bool { return t.Name == name }) {
		name = "structured_output"
	}
	o := &outputTool{name: name, schema: f.Schema}
	var probe struct {
		Type any `json:"type"`
	}
	if json.Unmarshal(f.Schema, &probe) != nil || probe.Type != "object" {
		o.wrapped = true
		o.schema = append(append(json.RawMessage(`{"type":"object","properties":{"value":`), f.Schema...), `},"required":["value"]}`...)
	}
	return o
}

// answer is the answer text carried by the output tool's input.
func (o *outputTool) answer(input json.RawMessage) string {
	if !o.wrapped {
		return string(provider.ArgumentsJSON(string(input)))
	}
	var w struct {
		Value json.RawMessage `json:"value"`
	}
	if json.Unmarshal(input, &w) != nil || w.Value == nil {
		return string(input)
	}
	return string(w.Value)
}

// is reports whether a tool_use block named name is the output tool.
func (o *outputTool) is(name string) bool { return o != nil && o.name == name }
