package wiretest

import (
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Gemini validates a generateContent request body as the Gemini API does:
// roles user and model; a function call turn comes right after a user turn
// or a function response turn; the function response turn right after it
// answers each call, with the same names, in the same number; schemas use
// only the OpenAPI subset Gemini knows; inline data is base64.
func Gemini(body []byte) error {
	m, err := decode(body)
	if err != nil {
		return err
	}
	if err := onlyKeys("request", m, "contents", "systemInstruction", "generationConfig", "tools", "toolConfig", "safetySettings"); err != nil {
		return err
	}
	decls, err := geminiTools(m)
	if err != nil {
		return err
	}
	if err := geminiToolConfig(m, decls); err != nil {
		return err
	}
	if err := geminiGeneration(m); err != nil {
		return err
	}
	contents, ok := arr(m["contents"])
	if !ok || len(contents) == 0 {
		return errors.New("contents: must not be empty")
	}
	var calls []string // names of the previous turn's function calls
	prevKind := ""     // "user", "model", "calls", "responses"
	for i, v := range contents {
		where := fmt.Sprintf("contents[%d]", i)
		c, _ := obj(v)
		if err := onlyKeys(where, c, "role", "parts"); err != nil {
			return err
		}
		role, _ := str(c["role"])
		if role != "user" && role != "model" {
			return fmt.Errorf("%s.role: must be 'user' or 'model', got %q", where, role)
		}
		parts, ok := arr(c["parts"])
		if !ok || len(parts) == 0 {
			return fmt.Errorf("%s.parts: must not be empty", where)
		}
		var gotCalls, gotResponses []string
		for j, p := range parts {
			pw := fmt.Sprintf("%s.parts[%d]", where, j)
			pm, _ := obj(p)
			kind, err := geminiPart(pw, pm, role)
			if err != nil {
				return err
			}
			switch kind {
			case "functionCall":
				fc, _ := obj(pm["functionCall"])
				n, _ := str(fc["name"])
				gotCalls = append(gotCalls, n)
			case "functionResponse":
				fr, _ := obj(pm["functionResponse"])
				n, _ := str(fr["name"])
				gotResponses = append(gotResponses, n)
			}
		}
		if len(gotCalls) > 0 && prevKind != "user" && prevKind != "responses" {
			return fmt.Errorf("%s: please ensure that function call turn comes immediately after a user turn or after a function response turn", where)
		}
		if len(calls) > 0 {
			if len(gotResponses) != len(calls) {
				return fmt.Errorf("%s: please ensure that the number of function response parts is equal to the number of function call parts of the function call turn", where)
			}
			a, b := slices.Clone(calls), slices.Clone(gotResponses)
			slices.Sort(a)
			slices.Sort(b)
			if !slices.Equal(a, b) {
				return fmt.Errorf("%s: function response names %v do not match the function calls %v", where, gotResponses, calls)
			}
		} else if len(gotResponses) > 0 {
			return fmt.Errorf("%s: function response turn must come immediately after a function call turn", where)
		}
		calls = gotCalls
		switch {
		case len(gotCalls) > 0:
			prevKind = "calls"
		case len(gotResponses) > 0:
			prevKind = "responses"
		default:
			prevKind = role
		}
	}
	return nil
}

// Gemini3 validates a request as Gemini does and, as Gemini 3 models do,
// refuses a function call step of the current turn (the model turns after
// the last user turn that is not function responses) whose first
// functionCall part carries no thoughtSignature: "Function call is missing
// a thought_signature in functionCall parts". A signature another Gemini
// model wrote is accepted, as Google documents: the request succeeds and
// the thought it carries is left out of the model's context.
func Gemini3(body []byte) error {
	if err := Gemini(body); err != nil {
		return err
	}
	m, _ := decode(body)
	contents, _ := arr(m["contents"])
	start := 0
	for i, v := range contents {
		c, _ := obj(v)
		if role, _ := str(c["role"]); role != "user" {
			continue
		}
		parts, _ := arr(c["parts"])
		if slices.ContainsFunc(parts, func(p any) bool { pm, _ := obj(p); _, fr := pm["functionResponse"]; return !fr }) {
			start = i
		}
	}
	for i := start; i < len(contents); i++ {
		c, _ := obj(contents[i])
		parts, _ := arr(c["parts"])
		for _, p := range parts {
			pm, _ := obj(p)
			fc, ok := obj(pm["functionCall"])
			if !ok {
				continue
			}
			if sig, _ := str(pm["thoughtSignature"]); sig == "" {
				name, _ := str(fc["name"])
				return fmt.Errorf("function call is missing a thought_signature in functionCall parts; function call `%s`, position %d", name, i+1)
			}
			break // only a step's first call carries its signature
		}
	}
	return nil
}

// geminiPart checks one part and returns which kind it is.
func geminiPart(where string, p map[string]any, role string) (string, error) {
	var kinds []string
	for k := range p {
		switch k {
		case "thought":
			continue
		case "thoughtSignature":
			// A bytes field: base64, standard or URL-safe, as proto3 JSON
			// reads it.
			sig, ok := str(p[k])
			if !ok || !isBase64(sig) {
				return "", fmt.Errorf("invalid value at '%s.thought_signature' (TYPE_BYTES), Base64 decoding failed for %q", where, p[k])
			}
			continue
		case "text", "inlineData", "fileData", "functionCall", "functionResponse":
			kinds = append(kinds, k)
		default:
			return "", fmt.Errorf("%s: unknown name %q", where, k)
		}
	}
	if len(kinds) != 1 {
		return "", fmt.Errorf("%s: a part must have exactly one of text, inlineData, fileData, functionCall, functionResponse; got %v", where, kinds)
	}
	switch k := kinds[0]; k {
	case "text":
		if _, ok := str(p["text"]); !ok {
			return "", fmt.Errorf("%s.text: must be a string", where)
		}
	case "inlineData":
		b, _ := obj(p[k])
		mt, _ := str(b["mimeType"])
		d, _ := str(b["data"])
		if mt == "" {
			return "", fmt.Errorf("%s.inlineData.mimeType: required", where)
		}
		if _, err := base64.StdEncoding.DecodeString(d); err != nil || d == "" {
			return "", fmt.Errorf("%s.inlineData.data: invalid base64", where)
		}
	case "fileData":
		b, _ := obj(p[k])
		if u, _ := str(b["fileUri"]); u == "" {
			return "", fmt.Errorf("%s.fileData.fileUri: required", where)
		}
	case "functionCall":
		if role != "model" {
			return "", fmt.Errorf("%s: functionCall is only allowed in a model turn", where)
		}
		fc, _ := obj(p[k])
		if err := onlyKeys(where+".functionCall", fc, "name", "args", "id"); err != nil {
			return "", err
		}
		if n, _ := str(fc["name"]); n == "" {
			return "", fmt.Errorf("%s.functionCall.name: required", where)
		}
		if a, ok := fc["args"]; ok {
			if _, ok := obj(a); !ok {
				return "", fmt.Errorf("%s.functionCall.args: must be an object", where)
			}
		}
	case "functionResponse":
		if role != "user" {
			return "", fmt.Errorf("%s: functionResponse is only allowed in a user turn", where)
		}
		fr, _ := obj(p[k])
		if err := onlyKeys(where+".functionResponse", fr, "name", "response", "id"); err != nil {
			return "", err
		}
		if n, _ := str(fr["name"]); n == "" {
			return "", fmt.Errorf("%s.functionResponse.name: required", where)
		}
		if _, ok := obj(fr["response"]); !ok {
			return "", fmt.Errorf("%s.functionResponse.response: must be an object", where)
		}
	}
	return kinds[0], nil
}

func geminiTools(m map[string]any) (map[string]bool, error) {
	v, ok := m["tools"]
	if !ok {
		return nil, nil
	}
	list, _ := arr(v)
	names := make(map[string]bool)
	for i, t := range list {
		tm, _ := obj(t)
		if err := onlyKeys(fmt.Sprintf("tools[%d]", i), tm, "functionDeclarations"); err != nil {
			return nil, err
		}
		decls, _ := arr(tm["functionDeclarations"])
		for j, d := range decls {
			where := fmt.Sprintf("tools[%d].functionDeclarations[%d]", i, j)
			dm, _ := obj(d)
			if err := onlyKeys(where, dm, "name", "description", "parameters"); err != nil {
				return nil, err
			}
			name, _ := str(dm["name"])
			if !validName(name, 64, ".:") {
				return nil, fmt.Errorf("%s.name: invalid function name %q", where, name)
			}
			names[name] = true
			if p, ok := dm["parameters"]; ok {
				if err := GeminiSchema(where+".parameters", p); err != nil {
					return nil, err
				}
			}
		}
	}
	return names, nil
}

func geminiToolConfig(m map[string]any, decls map[string]bool) error {
	v, ok := m["toolConfig"]
	if !ok {
		return nil
	}
	tc, _ := obj(v)
	fc, _ := obj(tc["functionCallingConfig"])
	mode, _ := str(fc["mode"])
	switch mode {
	case "AUTO", "ANY", "NONE", "VALIDATED":
	default:
		return fmt.Errorf("toolConfig.functionCallingConfig.mode: invalid value %q", mode)
	}
	if names, ok := arr(fc["allowedFunctionNames"]); ok {
		if mode != "ANY" && mode != "VALIDATED" {
			return errors.New("toolConfig.functionCallingConfig.allowedFunctionNames: only allowed with mode ANY")
		}
		for _, n := range names {
			if s, _ := str(n); !decls[s] {
				return fmt.Errorf("toolConfig.functionCallingConfig.allowedFunctionNames: %v is not a declared function", n)
			}
		}
	}
	return nil
}

func geminiGeneration(m map[string]any) error {
	v, ok := m["generationConfig"]
	if !ok {
		return nil
	}
	g, _ := obj(v)
	if err := onlyKeys("generationConfig", g, "maxOutputTokens", "temperature", "topP", "topK", "stopSequences", "seed",
		"responseMimeType", "responseSchema", "candidateCount"); err != nil {
		return err
	}
	if s, ok := g["responseSchema"]; ok {
		if g["responseMimeType"] != "application/json" {
			return errors.New("generationConfig.responseSchema: requires responseMimeType application/json")
		}
		return GeminiSchema("generationConfig.responseSchema", s)
	}
	return nil
}

// geminiSchemaKeys are the fields of the API's Schema message.
var geminiSchemaKeys = []string{"anyOf", "default", "description", "enum", "example", "format", "items", "maximum",
	"maxItems", "maxLength", "maxProperties", "minimum", "minItems", "minLength", "minProperties", "nullable",
	"pattern", "properties", "propertyOrdering", "required", "title", "type"}

var geminiTypes = []string{"STRING", "NUMBER", "INTEGER", "BOOLEAN", "ARRAY", "OBJECT", "NULL"}

// GeminiSchema checks a Schema as the API does: unknown fields (JSON Schema
// keywords it does not know, such as additionalProperties or $ref) are
// "Invalid JSON payload received. Unknown name".
func GeminiSchema(where string, v any) error {
	s, ok := obj(v)
	if !ok {
		return fmt.Errorf("%s: must be an object", where)
	}
	for k := range s {
		if !slices.Contains(geminiSchemaKeys, k) {
			return fmt.Errorf("invalid JSON payload received. Unknown name %q at '%s'", k, where)
		}
	}
	if t, ok := s["type"]; ok {
		ts, _ := str(t)
		if !slices.Contains(geminiTypes, ts) {
			return fmt.Errorf("%s.type: invalid value %v", where, t)
		}
	}
	if e, ok := arr(s["enum"]); ok {
		for _, x := range e {
			if _, ok := str(x); !ok {
				return fmt.Errorf("%s.enum: values must be strings, got %v", where, x)
			}
		}
	}
	if props, ok := obj(s["properties"]); ok {
		for k, p := range props {
			if err := GeminiSchema(where+".properties."+k, p); err != nil {
				return err
			}
		}
	}
	if it, ok := s["items"]; ok {
		if err := GeminiSchema(where+".items", it); err != nil {
			return err
		}
	}
	if any, ok := arr(s["anyOf"]); ok {
		for i, a := range any {
			if err := GeminiSchema(fmt.Sprintf("%s.anyOf[%d]", where, i), a); err != nil {
				return err
			}
		}
	}
	return nil
}

// isBase64 reports whether s decodes as base64 as proto3 JSON reads bytes:
// the standard or the URL-safe alphabet, padded or not.
func isBase64(s string) bool {
	s = strings.TrimRight(s, "=")
	for _, enc := range []*base64.Encoding{base64.RawStdEncoding, base64.RawURLEncoding} {
		if _, err := enc.DecodeString(s); err == nil {
			return true
		}
	}
	return false
}
