package gemini

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

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
	Name     string       `json:"name"`
	Response resultObject `json:"response"`
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
// demands, and empty text is left out. Parts point into msgs rather than
// copy them.
func contents(msgs []provider.Message) ([]content, error) {
	msgs = provider.NormalizeHistory(msgs, nil)
	n := 0
	for i := range msgs {
		n += 1 + len(msgs[i].Parts) + len(msgs[i].ToolCalls)
	}
	// One backing array for every turn's parts: a turn's parts are always
	// the tail of buf, so merging a message into the last turn extends it.
	buf := make([]part, 0, n)
	out := make([]content, 0, len(msgs))
	// calls are those of the last assistant message: normalised, every
	// result answers one of them.
	var calls []provider.ToolCall
	for i := range msgs {
		m := &msgs[i]
		role, err := wireRole(m.Role)
		if err != nil {
			return nil, fmt.Errorf("message %d: %w", i, err)
		}
		if m.Role == provider.RoleAssistant {
			calls = m.ToolCalls
		}
		start := len(buf)
		buf = appendParts(buf, calls, m)
		if len(buf) == start {
			continue
		}
		if k := len(out); k > 0 && out[k-1].Role == role {
			out[k-1].Parts = buf[start-len(out[k-1].Parts) : len(buf) : len(buf)]
			continue
		}
		out = append(out, content{Role: role, Parts: buf[start:len(buf):len(buf)]})
	}
	if len(out) > 0 && out[0].Role == "model" {
		// A function call turn must follow a user turn; a history that
		// opens with the model's turn gets a minimal one before it.
		dot := "."
		out = append([]content{{Role: "user", Parts: []part{{Text: &dot}}}}, out...)
	}
	return out, nil
}

func appendParts(buf []part, calls []provider.ToolCall, m *provider.Message) []part {
	if m.Role == provider.RoleTool {
		name := ""
		for _, c := range calls {
			if c.ID == m.ToolCallID {
				name = c.Name
				break
			}
		}
		return append(buf, part{FunctionResponse: &functionResponse{Name: name, Response: responseObject(m)}})
	}
	start := len(buf)
	if m.Content != "" {
		buf = append(buf, part{Text: &m.Content})
	}
	for i := range m.Parts {
		p := &m.Parts[i]
		switch {
		case p.Image != nil && p.Image.URL != "":
			buf = append(buf, part{FileData: &fileData{MimeType: p.Image.MediaType, FileURI: p.Image.URL}})
		case p.Image != nil:
			buf = append(buf, part{InlineData: &blob{MimeType: p.Image.MediaType, Data: base64.StdEncoding.EncodeToString(p.Image.Data)}})
		case p.Text != "":
			buf = append(buf, part{Text: &p.Text})
		}
	}
	if len(m.ToolCalls) > 0 {
		calls := make([]functionCall, len(m.ToolCalls))
		sigs := signatures(m.ToolCalls)
		for i, c := range m.ToolCalls {
			calls[i] = functionCall{Name: c.Name, Args: provider.ArgumentsObject(c.Arguments)}
			buf = append(buf, part{FunctionCall: &calls[i], ThoughtSignature: sigs[i]})
		}
	}
	if len(buf) == start && m.Role == provider.RoleUser && len(m.Parts) == 0 {
		// A plain message with empty text keeps its turn.
		buf = append(buf, part{Text: &m.Content})
	}
	return buf
}

// resultObject is a tool result as functionResponse.response, which must
// be an object: {"content": text}, or {"error": text} for a failed call.
// The text goes as a string even when it holds JSON: the model reads it
// either way, and nothing a caller's tool printed can make the request
// invalid.
type resultObject struct {
	Content string `json:"content,omitempty"`
	Error   string `json:"error,omitempty"`
}

func responseObject(m *provider.Message) resultObject {
	if m.IsError {
		return resultObject{Error: m.Text()}
	}
	return resultObject{Content: m.Text()}
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
		out = append(out, provider.ToolCall{ID: id, Name: p.FunctionCall.Name, Arguments: provider.ArgumentsJSON(string(p.FunctionCall.Args)), Signature: p.ThoughtSignature})
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

// skipSignature is the thoughtSignature Google documents for a function call
// no Gemini model made (history from another provider, or calls a caller
// wrote): Gemini 3 models refuse a function call step of the current turn
// whose first call has no signature (400 "Function call is missing a
// thought_signature"), and skip the check for this value.
const skipSignature = "skip_thought_signature_validator"

// signatures are the thoughtSignatures that go with one assistant message's
// calls. A step Gemini made keeps its signatures as they came (only its
// first call of parallel calls carries one); a step no Gemini made (no
// call has a signature Gemini could have written: none, or one that is not
// base64, which the API refuses as bytes) gets skipSignature on every call.
//
// A step another Gemini model made (the chain fell back from one Gemini
// link to another) keeps its signatures too. Google documents that a
// signature works only with the model family and tier that wrote it, and
// that a request carrying one from an incompatible model still succeeds:
// the service leaves that thought out of the model's context and keeps the
// text and calls. Replacing it with skipSignature would gain nothing there
// and would throw the thought away where the models are compatible (the
// same model behind another key or region), which the adapter cannot tell
// from the opaque bytes.
func signatures(calls []provider.ToolCall) []string {
	out := make([]string, len(calls))
	signed := false
	for i, c := range calls {
		if c.Signature != "" && isBase64(c.Signature) {
			out[i], signed = c.Signature, true
		}
	}
	if !signed {
		for i := range out {
			out[i] = skipSignature
		}
	}
	return out
}

// isBase64 reports whether s is base64 as the API reads a bytes field: the
// standard or the URL-safe alphabet, padded or not.
func isBase64(s string) bool {
	s = strings.TrimRight(s, "=")
	if _, err := base64.RawStdEncoding.DecodeString(s); err == nil {
		return true
	}
	_, err := base64.RawURLEncoding.DecodeString(s)
	return err == nil
}
