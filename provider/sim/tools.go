package sim

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	"github.com/llmfall/llmfall/provider"
)

// The sim calls a tool when the request offers tools and the turn is the
// model's to act: the tool choice requires a call, or it is auto (or unset)
// and the last message is the user's rather than a tool result, so that a
// conversation ends once results came back. It calls the named tool, else
// the tool whose name and description share the most words with the last
// user message (the first on a tie). The arguments fill the tool's
// parameter schema from the message's key terms: a string takes the kind of
// term its property's name asks for, as in JSON templates (an id, number or
// code key takes a token with a digit like ORD-77, an email key an email, a
// name key a name, a reply or summary key a sentence), else names, words
// and emails, names first; an enum
// takes the option the message mentions, else its first; numbers for
// numbers, true for booleans; every property is filled.

// answer is the sim's whole answer to req: text, or a tool call.
func answer(req *provider.Request) (string, []provider.ToolCall, provider.FinishReason) {
	g := newGen(req.Model, req)
	if t := toolFor(req); t != nil {
		return "", []provider.ToolCall{g.toolCall(t)}, provider.FinishToolCalls
	}
	text, finish := clip(g.text(), req)
	return text, nil, finish
}

// toolFor is the tool the sim calls for req, or nil when it answers in text.
func toolFor(req *provider.Request) *provider.Tool {
	tc := req.ToolChoice
	if len(req.Tools) == 0 || tc.Mode == provider.ToolChoiceNone {
		return nil
	}
	last := req.Messages[len(req.Messages)-1]
	if (tc.Mode == "" || tc.Mode == provider.ToolChoiceAuto) && last.Role != provider.RoleUser {
		return nil
	}
	if tc.Mode == provider.ToolChoiceTool {
		for i := range req.Tools {
			if req.Tools[i].Name == tc.Name {
				return &req.Tools[i]
			}
		}
	}
	user := strings.ToLower(lastUser(req.Messages))
	best, score := 0, -1
	for i, t := range req.Tools {
		n := 0
		for _, w := range strings.FieldsFunc(strings.ToLower(t.Name+" "+t.Description), notAlnum) {
			if len(w) >= 3 && wordIndex(user, w) >= 0 {
				n++
			}
		}
		if n > score {
			best, score = i, n
		}
	}
	return &req.Tools[best]
}

func notAlnum(r rune) bool {
	return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9')
}

// toolCall is the sim's call of t, with an id derived from the prompt.
func (g *gen) toolCall(t *provider.Tool) provider.ToolCall {
	args := g.schemaValue(t.Parameters)
	if len(args) == 0 || args[0] != '{' {
		args = json.RawMessage("{}")
	}
	return provider.ToolCall{ID: "call_sim_" + strconv.FormatUint(g.seed&0xffffffffff, 36), Name: t.Name, Arguments: args}
}

// schemaValue is a JSON value matching schema, filled from the content's
// terms; nil for a schema it cannot read.
func (g *gen) schemaValue(schema json.RawMessage) json.RawMessage {
	var s any
	if len(schema) == 0 || json.Unmarshal(schema, &s) != nil {
		return nil
	}
	f := filler{g: g}
	var b bytes.Buffer
	f.value(&b, s, 0)
	return b.Bytes()
}

type filler struct {
	g    *gen
	used []bool // terms handed out, by index
	key  string // the property being filled, "" at the top
}

func (f *filler) value(b *bytes.Buffer, v any, depth int) {
	s, _ := v.(map[string]any)
	if depth > 8 || s == nil {
		b.WriteString("null")
		return
	}
	if alts, ok := s["anyOf"].([]any); ok && len(alts) > 0 {
		f.value(b, alts[0], depth+1)
		return
	}
	if alts, ok := s["oneOf"].([]any); ok && len(alts) > 0 {
		f.value(b, alts[0], depth+1)
		return
	}
	if e, ok := s["enum"].([]any); ok && len(e) > 0 {
		pick := e[0]
		for _, o := range e {
			if str, ok := o.(string); ok && wordIndex(f.g.content, strings.ToLower(str)) >= 0 {
				pick = o
				break
			}
		}
		writeJSON(b, pick)
		return
	}
	if c, ok := s["const"]; ok {
		writeJSON(b, c)
		return
	}
	typ, _ := s["type"].(string)
	if list, ok := s["type"].([]any); ok && len(list) > 0 {
		typ, _ = list[0].(string)
	}
	switch typ {
	case "object", "":
		props, _ := s["properties"].(map[string]any)
		keys := make([]string, 0, len(props))
		for k := range props {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSON(b, k)
			b.WriteByte(':')
			f.key = k
			f.value(b, props[k], depth+1)
		}
		b.WriteByte('}')
	case "array":
		b.WriteByte('[')
		f.value(b, s["items"], depth+1)
		b.WriteByte(']')
	case "string":
		if hasAny(keyWords(f.key), textKeys) {
			writeJSON(b, f.g.prose(false))
			return
		}
		writeJSON(b, f.term(stringKinds(f.key)...))
	case "integer", "number":
		n := f.term(kindNumber)
		if _, err := strconv.ParseFloat(n, 64); err != nil || (typ == "integer" && strings.Contains(n, ".")) {
			n = "1"
		}
		b.WriteString(n)
	case "boolean":
		b.WriteString("true")
	default:
		b.WriteString("null")
	}
}

// stringKinds are the kinds of term a string property called key takes, in
// order of preference: the key vocabularies of JSON templates decide.
func stringKinds(key string) []kind {
	toks := keyWords(key)
	switch {
	case hasAny(toks, emailKeys):
		return []kind{kindEmail, kindName, kindWord, kindConcept}
	case hasAny(toks, idKeys):
		return []kind{kindNumber, kindName, kindWord, kindEmail, kindConcept}
	}
	return []kind{kindName, kindWord, kindEmail, kindConcept}
}

// term is the first unused term of the first of kinds that has one (so a
// string takes a name before an ordinary word), or "sim" (or "1" for a
// number) when none is left.
func (f *filler) term(kinds ...kind) string {
	if f.used == nil {
		f.used = make([]bool, len(f.g.terms))
	}
	for _, k := range kinds {
		for i, t := range f.g.terms {
			if t.kind == k && !f.used[i] {
				f.used[i] = true
				return t.text
			}
		}
	}
	if slices.Contains(kinds, kindNumber) {
		return "1"
	}
	return "sim"
}

func writeJSON(b *bytes.Buffer, v any) {
	out, _ := json.Marshal(v)
	b.Write(out)
}
