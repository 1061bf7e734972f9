// Package toolspec is how people write tools, tool choices and images for
// llmfall (run's --tools, --tool-choice and --image; a prompt file's tools,
// tool_choice and image vars) and how tool calls are written back in JSON
// documents (run --json, eval results), so that every place reads and prints
// them by the same rules. It reads and checks; it opens no files: callers
// read them, each through its own limits.
package toolspec

import (
	"encoding/json"
	"fmt"
	"net/http"
	"path"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/llmfall/llmfall/internal/yamlerr"
	"github.com/llmfall/llmfall/provider"
)

// Error is one problem in a tool list, at a line of the YAML or JSON it
// was read from (0 when the problem is the whole document).
type Error struct {
	Line int
	Msg  string
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
	}
	return e.Msg
}

func errorf(line int, format string, args ...any) *Error {
	return &Error{Line: line, Msg: fmt.Sprintf(format, args...)}
}

// ParseTools reads a JSON or YAML document holding a list of tools (JSON is
// YAML), as ReadTools does.
func ParseTools(data []byte) ([]provider.Tool, []*Error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		line, msg := yamlerr.Locate(data, err)
		return nil, []*Error{{Line: line, Msg: msg}}
	}
	if len(doc.Content) == 0 {
		return nil, []*Error{{Msg: "no tools in the list"}}
	}
	return ReadTools(doc.Content[0])
}

var (
	plainKeys    = []string{"name", "description", "parameters"}
	functionKeys = []string{"type", "function"}
)

// ReadTools reads a list of tools: each {name, description, parameters},
// or OpenAI's {"type": "function", "function": {name, description,
// parameters}}. Names follow the rule every provider accepts
// (^[a-zA-Z0-9_-]{1,64}$) and are unique; parameters, when given, is a JSON
// Schema of type object. Every problem is returned, with its line.
func ReadTools(n *yaml.Node) ([]provider.Tool, []*Error) {
	if n.Kind != yaml.SequenceNode {
		return nil, []*Error{errorf(n.Line, "tools must be a list of {name, description, parameters}")}
	}
	if len(n.Content) == 0 {
		return nil, []*Error{errorf(n.Line, "no tools in the list")}
	}
	var errs []*Error
	tools := make([]provider.Tool, 0, len(n.Content))
	seen := map[string]int{}
	for i, item := range n.Content {
		t, line, terrs := readTool(item, i+1)
		errs = append(errs, terrs...)
		if len(terrs) > 0 {
			continue
		}
		if first, dup := seen[t.Name]; dup {
			errs = append(errs, errorf(line, "tool name %q is already used at line %d", t.Name, first))
			continue
		}
		seen[t.Name] = line
		tools = append(tools, t)
	}
	return tools, errs
}

// readTool reads the i-th tool (from 1), in either form.
func readTool(n *yaml.Node, i int) (provider.Tool, int, []*Error) {
	kv, errs := mapping(n, fmt.Sprintf("tool %d", i), append(slices.Clone(plainKeys), functionKeys...))
	if kv == nil {
		return provider.Tool{}, n.Line, errs
	}
	if fn, ok := kv["function"]; ok {
		for _, k := range plainKeys {
			if v, ok := kv[k]; ok {
				errs = append(errs, errorf(v.Line, "tool %d: %q goes inside \"function\" in OpenAI's form", i, k))
			}
		}
		if typ, ok := kv["type"]; ok && typ.Value != "function" {
			errs = append(errs, errorf(typ.Line, "tool %d: type %q, want function", i, typ.Value))
		}
		var ferrs []*Error
		if kv, ferrs = mapping(fn, fmt.Sprintf("tool %d: function", i), plainKeys); kv == nil {
			return provider.Tool{}, fn.Line, append(errs, ferrs...)
		}
		errs = append(errs, ferrs...)
		n = fn
	} else if typ, ok := kv["type"]; ok {
		errs = append(errs, errorf(typ.Line, "tool %d: \"type\" comes with \"function\" (OpenAI's form); the plain form is {name, description, parameters}", i))
	}
	var t provider.Tool
	name, ok := kv["name"]
	switch {
	case !ok:
		errs = append(errs, errorf(n.Line, "tool %d has no name", i))
	case name.Kind != yaml.ScalarNode || !ValidName(name.Value):
		errs = append(errs, errorf(name.Line, "tool %d: name %q must be 1 to 64 letters, digits, '_' or '-'", i, name.Value))
	default:
		t.Name = name.Value
	}
	if d, ok := kv["description"]; ok {
		if d.Kind != yaml.ScalarNode {
			errs = append(errs, errorf(d.Line, "tool %d: description must be a string", i))
		}
		t.Description = d.Value
	}
	if p, ok := kv["parameters"]; ok {
		params, err := objectSchema(p)
		if err != nil {
			errs = append(errs, errorf(p.Line, "tool %d: parameters %v", i, err))
		}
		t.Parameters = params
	}
	return t, n.Line, errs
}

// objectSchema is a YAML mapping as JSON, checked to be an object schema:
// the one kind of parameters every provider takes.
func objectSchema(n *yaml.Node) (json.RawMessage, error) {
	if n.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("must be a JSON Schema object ({type: object, properties: ...})")
	}
	b, err := NodeJSON(n)
	if err != nil {
		return nil, err
	}
	var probe struct {
		Type any `json:"type"`
	}
	if json.Unmarshal(b, &probe) == nil && probe.Type != nil && probe.Type != "object" {
		return nil, fmt.Errorf("must be a schema of type object, not %v", probe.Type)
	}
	return b, nil
}

// NodeJSON is a YAML node's value as compact JSON.
func NodeJSON(n *yaml.Node) (json.RawMessage, error) {
	var v any
	if err := n.Decode(&v); err != nil {
		return nil, err
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("not representable as JSON: %w", err)
	}
	return b, nil
}

// mapping is n's values by key, with an error for each key not in allowed.
func mapping(n *yaml.Node, what string, allowed []string) (map[string]*yaml.Node, []*Error) {
	if n.Kind != yaml.MappingNode {
		return nil, []*Error{errorf(n.Line, "%s must be a mapping", what)}
	}
	var errs []*Error
	kv := make(map[string]*yaml.Node, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if !slices.Contains(allowed, k.Value) {
			errs = append(errs, errorf(k.Line, "unknown key %q in %s (want one of: %s)", k.Value, what, strings.Join(allowed, ", ")))
			continue
		}
		kv[k.Value] = n.Content[i+1]
	}
	return kv, errs
}

// ValidName is the rule for tool and schema names that every provider
// accepts: ^[a-zA-Z0-9_-]{1,64}$.
func ValidName(s string) bool {
	return len(s) <= 64 && provider.IDAlphabet(s, 0)
}

// SchemaName makes a valid schema name of s (a file's base name): other
// characters become '_', and it is cut at 64 bytes; "" gives "response".
func SchemaName(s string) string {
	s = strings.TrimSuffix(s, path.Ext(s))
	if s == "" {
		return "response"
	}
	s = strings.Map(func(r rune) rune {
		if provider.IDAlphabet(string(r), 0) {
			return r
		}
		return '_'
	}, s)
	if len(s) > 64 {
		s = s[:64]
	}
	return s
}

// Choice reads a tool choice: auto, none, required, or the name of one of
// tools. The caller checks that there are tools at all, to say so in its
// own terms.
func Choice(s string, tools []provider.Tool) (provider.ToolChoice, error) {
	switch m := provider.ToolChoiceMode(s); m {
	case provider.ToolChoiceAuto, provider.ToolChoiceNone, provider.ToolChoiceRequired:
		return provider.ToolChoice{Mode: m}, nil
	}
	names := make([]string, len(tools))
	for i, t := range tools {
		if t.Name == s {
			return provider.ToolChoice{Mode: provider.ToolChoiceTool, Name: s}, nil
		}
		names[i] = t.Name
	}
	return provider.ToolChoice{}, fmt.Errorf("tool choice %q names no tool (want auto, none, required or one of: %s)", s, strings.Join(names, ", "))
}

// MaxImageBytes is the largest image file llmfall sends: providers cap
// images at about 20 MB.
const MaxImageBytes = 20 << 20

// IsURL reports whether an image reference is an http(s) URL rather than
// a file.
func IsURL(s string) bool {
	return strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "http://")
}

var imageTypes = map[string]string{".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif", ".webp": "image/webp"}

// ImageURL is an image given by URL; its media type is guessed from the
// extension, and left empty when that says nothing.
func ImageURL(u string) *provider.Image {
	return &provider.Image{URL: u, MediaType: imageTypes[strings.ToLower(path.Ext(u))]}
}

// ImageData is an image given inline, its media type read from its bytes;
// name names it in the error when it is not a type providers take.
func ImageData(name string, data []byte) (*provider.Image, error) {
	mt := http.DetectContentType(data)
	switch mt {
	case "image/png", "image/jpeg", "image/gif", "image/webp":
		return &provider.Image{Data: data, MediaType: mt}, nil
	}
	return nil, fmt.Errorf("%s: %s is not an image type providers take (PNG, JPEG, GIF or WebP)", name, mt)
}

// Call is a tool call as JSON documents show it (run --json, eval
// results): the arguments as a JSON object.
type Call struct {
	ID        string          `json:"id"`
	Name      string          `json:"name"`
	Arguments json.RawMessage `json:"arguments"`
}

// Calls are calls as JSON documents show them; nil for none.
func Calls(calls []provider.ToolCall) []Call {
	if len(calls) == 0 {
		return nil
	}
	out := make([]Call, len(calls))
	for i, c := range calls {
		out[i] = Call{ID: c.ID, Name: c.Name, Arguments: provider.ArgumentsObject(c.Arguments)}
	}
	return out
}
