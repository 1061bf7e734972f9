package gemini

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/llmfall/llmfall/provider"
)

// This file maps messages with images, tool calls and tool results, tool
// definitions, tool choice and JSON-schema output onto generateContent, and
// functionCall parts back.

type blob struct {
	MimeType string `json:"mimeType"`
	Data     string `json:"data"`
}

type fileData struct {
	MimeType string `json:"mimeType,omitempty"`
	FileURI  string `json:"fileUri"`
}

type functionCall struct {
	// ID is set by some models; calls are matched by name and order
	// otherwise, and ids are never sent.
	ID   string          `json:"id,omitempty"`
	Name string          `json:"name"`
	Args json.RawMessage `json:"args,omitempty"`
}

type functionResponse struct {
	Name     string          `json:"name"`
	Response json.RawMessage `json:"response"`
}

type wireTool struct {
	FunctionDeclarations []functionDeclaration `json:"functionDeclarations"`
}

type functionDeclaration struct {
	Name        string         `json:"name"`
	Description string         `json:"description,omitempty"`
	Parameters  map[string]any `json:"parameters,omitempty"`
}

type toolConfig struct {
	FunctionCallingConfig functionCallingConfig `json:"functionCallingConfig"`
}

type functionCallingConfig struct {
	Mode                 string   `json:"mode"` // AUTO, ANY, NONE
	AllowedFunctionNames []string `json:"allowedFunctionNames,omitempty"`
}

// contents maps the normalised history: tool results become functionResponse
// parts of a user turn (named after the call they answer, since Gemini
// matches by name and order), consecutive turns of one role are merged, so
// that all the responses to one call turn arrive together as the API
// demands, and empty text is left out.
func contents(msgs []provider.Message) ([]content, error) {
	msgs = provider.NormalizeHistory(msgs, nil)
	out := make([]content, 0, len(msgs))
	for i := range msgs {
		m := &msgs[i]
		role, err := wireRole(m.Role)
		if err != nil {
			return nil, fmt.Errorf("message %d: %w", i, err)
		}
		parts := partsOf(msgs[:i], m)
		if len(parts) == 0 {
			continue
		}
		if n := len(out); n > 0 && out[n-1].Role == role {
			out[n-1].Parts = append(out[n-1].Parts, parts...)
			continue
		}
		out = append(out, content{Role: role, Parts: parts})
	}
	return out, nil
}

func partsOf(before []provider.Message, m *provider.Message) []part {
	if m.Role == provider.RoleTool {
		return []part{{FunctionResponse: &functionResponse{
			Name:     provider.ToolName(before, m.ToolCallID),
			Response: responseObject(m),
		}}}
	}
	all := m.AllParts()
	out := make([]part, 0, len(all)+len(m.ToolCalls))
	for _, p := range all {
		switch {
		case p.Image != nil && p.Image.URL != "":
			out = append(out, part{FileData: &fileData{MimeType: p.Image.MediaType, FileURI: p.Image.URL}})
		case p.Image != nil:
			out = append(out, part{InlineData: &blob{MimeType: p.Image.MediaType, Data: base64.StdEncoding.EncodeToString(p.Image.Data)}})
		case p.Text != "":
			out = append(out, part{Text: p.Text})
		}
	}
	for _, c := range m.ToolCalls {
		out = append(out, part{FunctionCall: &functionCall{Name: c.Name, Args: provider.ArgumentsObject(c.Arguments)}})
	}
	if len(out) == 0 && m.Role == provider.RoleUser && len(m.Parts) == 0 {
		// A plain message with empty text keeps its turn.
		out = append(out, part{Text: ""})
	}
	return out
}

// responseObject is a tool result as functionResponse.response, which must
// be an object: the result itself when it is a JSON object, else
// {"content": text}, or {"error": text} for a failed call.
func responseObject(m *provider.Message) json.RawMessage {
	text := m.Text()
	if !m.IsError {
		if obj := provider.ArgumentsObject(json.RawMessage(text)); len(text) > 0 && text[0] == '{' && string(obj) != "{}" || text == "{}" {
			return obj
		}
	}
	key := "content"
	if m.IsError {
		key = "error"
	}
	b, _ := json.Marshal(map[string]string{key: text})
	return b
}

// setTools maps tools, tool choice and the response format onto out.
func setTools(out *generateContentRequest, gc *generationConfig, req *provider.Request) error {
	if len(req.Tools) > 0 {
		decls := make([]functionDeclaration, len(req.Tools))
		for i, t := range req.Tools {
			decls[i] = functionDeclaration{Name: t.Name, Description: t.Description}
			if len(t.Parameters) == 0 {
				continue
			}
			s, err := geminiSchema(t.Parameters)
			if err != nil {
				return fmt.Errorf("tool %s: parameters: %w", t.Name, err)
			}
			decls[i].Parameters = s
		}
		out.Tools = []wireTool{{FunctionDeclarations: decls}}
		switch tc := req.ToolChoice; tc.Mode {
		case provider.ToolChoiceAuto:
			out.ToolConfig = &toolConfig{functionCallingConfig{Mode: "AUTO"}}
		case provider.ToolChoiceNone:
			out.ToolConfig = &toolConfig{functionCallingConfig{Mode: "NONE"}}
		case provider.ToolChoiceRequired:
			out.ToolConfig = &toolConfig{functionCallingConfig{Mode: "ANY"}}
		case provider.ToolChoiceTool:
			out.ToolConfig = &toolConfig{functionCallingConfig{Mode: "ANY", AllowedFunctionNames: []string{tc.Name}}}
		}
	}
	f := req.Format()
	if f == nil {
		return nil
	}
	gc.ResponseMimeType = "application/json"
	if f.Type == provider.FormatJSONSchema && len(f.Schema) > 0 {
		s, err := geminiSchema(f.Schema)
		if err != nil {
			return fmt.Errorf("response format: %w", err)
		}
		gc.ResponseSchema = s
	}
	return nil
}

// toolCalls are the function calls among parts. Gemini gives calls no id
// (or, on some models, one): the adapter names each call_<response>_<n>,
// unique across a conversation as long as response ids are.
func toolCalls(parts []responsePart, responseID string, first int) []provider.ToolCall {
	var out []provider.ToolCall
	for _, p := range parts {
		if p.FunctionCall == nil {
			continue
		}
		id := p.FunctionCall.ID
		if id == "" {
			id = callID(responseID, first+len(out))
		}
		out = append(out, provider.ToolCall{ID: id, Name: p.FunctionCall.Name, Arguments: provider.ArgumentsJSON(string(p.FunctionCall.Args))})
	}
	return out
}

func callID(responseID string, n int) string {
	prefix := "call_"
	if provider.IDAlphabet(responseID, 24) {
		prefix += responseID + "_"
	}
	return prefix + strconv.Itoa(n)
}

// calls are the function calls of a response's first candidate.
func (r *generateContentResponse) calls(first int) []provider.ToolCall {
	if len(r.Candidates) == 0 || r.Candidates[0].Content == nil {
		return nil
	}
	return toolCalls(r.Candidates[0].Content.Parts, r.ResponseID, first)
}

// callFinish is the finish reason of an answer that called tools: Gemini
// says STOP, the other providers and the caller say tool_calls.
func callFinish(f provider.FinishReason, calls int) provider.FinishReason {
	if calls > 0 && f == provider.FinishStop {
		return provider.FinishToolCalls
	}
	return f
}
