package gemini

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Gemini's Schema (function parameters, responseSchema) is a subset of
// OpenAPI 3.0, and the API rejects any field it does not know ("Invalid JSON
// payload received. Unknown name"). geminiSchema translates a JSON Schema:
// keywords with an equivalent are converted, keywords that only constrain
// further (additionalProperties, exclusiveMinimum, …) or only annotate are
// dropped, since the caller still validates what comes back, and the
// keywords whose meaning cannot be kept are an error naming them.

// schemaKeep are the keywords Gemini's Schema has under the same name.
var schemaKeep = []string{"description", "title", "nullable", "required", "minItems", "maxItems",
	"minLength", "maxLength", "minimum", "maximum", "pattern", "default", "example",
	"minProperties", "maxProperties", "propertyOrdering"}

// schemaDrop are loosened away or ignored.
var schemaDrop = []string{"$schema", "$id", "$comment", "$defs", "definitions", "additionalProperties",
	"unevaluatedProperties", "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "uniqueItems",
	"readOnly", "writeOnly", "deprecated", "contentMediaType", "contentEncoding", "minContains",
	"maxContains", "dependentRequired", "$anchor", "strict"}

// formats Gemini accepts, per type; others are dropped.
var schemaFormats = map[string][]string{
	"STRING":  {"enum", "date-time"},
	"NUMBER":  {"float", "double"},
	"INTEGER": {"int32", "int64"},
}

// SchemaError is a JSON Schema Gemini cannot express.
type SchemaError struct {
	// Path is where in the schema, like "properties.address.not".
	Path    string
	Keyword string
	Reason  string
}

func (e *SchemaError) Error() string {
	where := e.Path
	if where == "" {
		where = "the root"
	}
	return fmt.Sprintf("JSON Schema keyword %q at %s has no Gemini equivalent: %s", e.Keyword, where, e.Reason)
}

// geminiSchema translates a JSON Schema document.
func geminiSchema(raw json.RawMessage) (map[string]any, error) {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var root map[string]any
	if err := d.Decode(&root); err != nil {
		return nil, fmt.Errorf("schema is not a JSON object: %w", err)
	}
	c := schemaConv{defs: map[string]any{}}
	for _, k := range []string{"definitions", "$defs"} {
		if m, ok := root[k].(map[string]any); ok {
			for name, s := range m {
				c.defs["#/"+k+"/"+name] = s
			}
		}
	}
	return c.conv(root, "")
}

type schemaConv struct {
	defs map[string]any
	refs []string // $refs being inlined, to catch recursion
}

func join(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}

func (c *schemaConv) conv(v any, path string) (map[string]any, error) {
	s, ok := v.(map[string]any)
	if !ok {
		if b, isBool := v.(bool); isBool && b {
			return map[string]any{}, nil // true: anything
		}
		return nil, &SchemaError{Path: path, Keyword: fmt.Sprint(v), Reason: "a schema must be an object"}
	}
	if ref, ok := s["$ref"].(string); ok {
		return c.ref(s, ref, path)
	}
	out := make(map[string]any, len(s))
	for _, k := range keysOf(s) {
		val := s[k]
		p := join(path, k)
		switch {
		case slices.Contains(schemaKeep, k):
			out[k] = val
		case slices.Contains(schemaDrop, k):
		case k == "type":
			if err := setType(out, val, p); err != nil {
				return nil, err
			}
		case k == "format":
			// Checked once the type is known, below.
		case k == "properties":
			props, ok := val.(map[string]any)
			if !ok {
				return nil, &SchemaError{Path: path, Keyword: k, Reason: "must be an object"}
			}
			conv := make(map[string]any, len(props))
			for name, ps := range props {
				cs, err := c.conv(ps, join(p, name))
				if err != nil {
					return nil, err
				}
				conv[name] = cs
			}
			out[k] = conv
		case k == "items":
			if _, isList := val.([]any); isList {
				return nil, &SchemaError{Path: path, Keyword: k, Reason: "tuple items (an array of schemas) are not supported"}
			}
			cs, err := c.conv(val, p)
			if err != nil {
				return nil, err
			}
			out[k] = cs
		case k == "anyOf" || k == "oneOf":
			// oneOf becomes anyOf: every value one schema accepts is
			// still accepted, only exclusivity is lost.
			list, err := c.list(val, p)
			if err != nil {
				return nil, err
			}
			out["anyOf"] = append(asList(out["anyOf"]), list...)
		case k == "allOf":
			list, ok := val.([]any)
			if !ok || len(list) != 1 {
				return nil, &SchemaError{Path: path, Keyword: k, Reason: "only an allOf of one schema can be inlined"}
			}
			cs, err := c.conv(list[0], join(p, "0"))
			if err != nil {
				return nil, err
			}
			for ck, cv := range cs {
				if _, set := out[ck]; !set {
					out[ck] = cv
				}
			}
		case k == "const":
			str, ok := val.(string)
			if !ok {
				return nil, &SchemaError{Path: path, Keyword: k, Reason: "Gemini enums hold strings only"}
			}
			out["enum"] = []any{str}
		case k == "enum":
			list, _ := val.([]any)
			for _, e := range list {
				if _, ok := e.(string); !ok {
					return nil, &SchemaError{Path: path, Keyword: k, Reason: fmt.Sprintf("Gemini enums hold strings only, got %v", e)}
				}
			}
			out[k] = val
		case k == "examples":
			if list, ok := val.([]any); ok && len(list) > 0 {
				out["example"] = list[0]
			}
		default:
			return nil, &SchemaError{Path: path, Keyword: k, Reason: "the keyword is not supported"}
		}
	}
	if f, ok := s["format"].(string); ok {
		t, _ := out["type"].(string)
		if slices.Contains(schemaFormats[t], f) {
			out["format"] = f
		}
	}
	if _, ok := out["enum"]; ok && out["type"] == nil {
		out["type"] = "STRING"
	}
	return out, nil
}

func (c *schemaConv) list(v any, path string) ([]any, error) {
	list, ok := v.([]any)
	if !ok {
		return nil, &SchemaError{Path: path, Keyword: path[strings.LastIndex(path, ".")+1:], Reason: "must be an array"}
	}
	out := make([]any, len(list))
	for i, s := range list {
		cs, err := c.conv(s, fmt.Sprintf("%s.%d", path, i))
		if err != nil {
			return nil, err
		}
		out[i] = cs
	}
	return out, nil
}

// ref inlines a local $ref; a description beside it wins over the target's.
func (c *schemaConv) ref(s map[string]any, ref, path string) (map[string]any, error) {
	target, ok := c.defs[ref]
	if !ok {
		return nil, &SchemaError{Path: path, Keyword: "$ref", Reason: fmt.Sprintf("only references into $defs or definitions can be inlined, got %q", ref)}
	}
	if slices.Contains(c.refs, ref) {
		return nil, &SchemaError{Path: path, Keyword: "$ref", Reason: fmt.Sprintf("%q is recursive", ref)}
	}
	c.refs = append(c.refs, ref)
	out, err := c.conv(target, path)
	c.refs = c.refs[:len(c.refs)-1]
	if err != nil {
		return nil, err
	}
	if d, ok := s["description"]; ok {
		out["description"] = d
	}
	return out, nil
}

// setType maps "type": a name, or a list of names with "null" (nullable).
func setType(out map[string]any, v any, path string) error {
	var names []string
	switch t := v.(type) {
	case string:
		names = []string{t}
	case []any:
		for _, x := range t {
			s, _ := x.(string)
			names = append(names, s)
		}
	}
	var kept []string
	for _, n := range names {
		up := strings.ToUpper(n)
		switch up {
		case "NULL":
			out["nullable"] = true
		case "STRING", "NUMBER", "INTEGER", "BOOLEAN", "ARRAY", "OBJECT":
			kept = append(kept, up)
		default:
			return &SchemaError{Path: path, Keyword: "type", Reason: fmt.Sprintf("unknown type %v", v)}
		}
	}
	switch len(kept) {
	case 0:
		if out["nullable"] == true {
			out["type"] = "NULL"
		}
	case 1:
		out["type"] = kept[0]
	default:
		anyOf := make([]any, len(kept))
		for i, t := range kept {
			anyOf[i] = map[string]any{"type": t}
		}
		out["anyOf"] = append(asList(out["anyOf"]), anyOf...)
	}
	return nil
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

func keysOf(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
