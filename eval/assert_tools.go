package eval

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"

	"github.com/llmfall/llmfall/provider"
)

// The tool-call checks: tool-call (a call of the named tool, its arguments
// matching a partial object or a schema), is-valid-tool-call (every call
// names a declared tool and its arguments validate against that tool's
// parameters) and no-tool-call.

// Tool-call assertion types.
const (
	TypeToolCall      = "tool-call"
	TypeValidToolCall = "is-valid-tool-call"
	TypeNoToolCall    = "no-tool-call"
)

var (
	toolCallType      = assertionType{keys: []string{"value", "arguments", "schema"}, parse: parseToolCall, check: checkToolCall}
	validToolCallType = assertionType{parse: parseValidToolCall, check: checkValidToolCall}
	noToolCallType    = assertionType{check: func(_ *Assertion, out Output) (bool, string) {
		if len(out.ToolCalls) == 0 {
			return true, "the model called no tool"
		}
		return false, "the model called " + callNames(out.ToolCalls)
	}}
)

// parseToolCall reads the tool's name (value, optional: any tool), the
// arguments the call must include (a mapping whose strings are rendered
// with the test's vars) and a schema they must validate against.
func parseToolCall(l *fileLoader, a *Assertion, kv *fields, vars map[string]any) {
	if n, ok := kv.get("value"); ok {
		a.Value = l.renderValue(n, vars)
	}
	if n, ok := kv.get("arguments"); ok {
		a.args, a.argsSource = l.arguments(n, vars)
	}
	if n, ok := kv.get("schema"); ok {
		a.schema = l.schema(a, n)
	}
}

// arguments reads expected arguments: a mapping, its string values
// rendered as templates.
func (l *fileLoader) arguments(n node, vars map[string]any) (any, string) {
	if n.Kind != yaml.MappingNode {
		l.errorf(n.file, n.Line, "arguments must be a mapping of the arguments the call must include")
		return nil, ""
	}
	var v any
	if err := n.Decode(&v); err != nil {
		l.errorf(n.file, n.Line, "arguments: %v", err)
		return nil, ""
	}
	b, err := json.Marshal(l.renderStrings(n, v, vars))
	if err != nil {
		l.errorf(n.file, n.Line, "arguments: %v", err)
		return nil, ""
	}
	// Decoded from JSON, so that numbers compare as the call's do.
	var args any
	_ = json.Unmarshal(b, &args)
	return args, string(b)
}

// renderStrings renders every string in v that holds a template.
func (l *fileLoader) renderStrings(n node, v any, vars map[string]any) any {
	switch x := v.(type) {
	case string:
		if !strings.Contains(x, "{{") {
			return x
		}
		s := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: x, Line: n.Line}
		return l.renderValue(node{s, n.file}, vars)
	case map[string]any:
		for k, e := range x {
			x[k] = l.renderStrings(n, e, vars)
		}
	case []any:
		for i, e := range x {
			x[i] = l.renderStrings(n, e, vars)
		}
	}
	return v
}

func parseValidToolCall(l *fileLoader, a *Assertion, _ *fields, _ map[string]any) {
	if !l.toolsKey {
		l.errorf(a.File, a.Line, "is-valid-tool-call checks calls against the prompt's tools, and the prompt file declares none")
		return
	}
	a.tools = l.toolSchemas
}

func checkToolCall(a *Assertion, out Output) (bool, string) {
	if len(out.ToolCalls) == 0 {
		return false, "the model called no tool"
	}
	var tried []string
	for _, c := range out.ToolCalls {
		if a.Value != "" && c.Name != a.Value {
			continue
		}
		args := provider.ArgumentsObject(c.Arguments)
		why := a.argumentsMismatch(args)
		if why == "" {
			return true, fmt.Sprintf("the model called %s with %s", c.Name, args)
		}
		tried = append(tried, fmt.Sprintf("%s with %s: %s", c.Name, args, why))
	}
	if len(tried) == 0 {
		return false, fmt.Sprintf("the model called no %s (it called %s)", a.Value, callNames(out.ToolCalls))
	}
	return false, "the model called " + strings.Join(tried, "; ")
}

// argumentsMismatch says how args fail the assertion's arguments and
// schema; "" when they pass both.
func (a *Assertion) argumentsMismatch(args json.RawMessage) string {
	var v any
	if err := json.Unmarshal(args, &v); err != nil {
		return "arguments are not JSON"
	}
	if a.args != nil {
		if why := partialMatch(a.args, v, ""); why != "" {
			return why
		}
	}
	if a.schema != nil {
		sv, err := jsonschema.UnmarshalJSON(bytes.NewReader(args))
		if err != nil {
			return "arguments are not JSON"
		}
		if err := a.schema.Validate(sv); err != nil {
			return "arguments do not match the schema: " + schemaError(err)
		}
	}
	return ""
}

// partialMatch says where got differs from want: objects need want's keys
// only (recursively), arrays and scalars must be equal. "" when they match.
func partialMatch(want, got any, at string) string {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return fmt.Sprintf("at %s: want an object, got %s", loc(at), jsonText(got))
		}
		for _, k := range slices.Sorted(maps.Keys(w)) {
			gv, ok := g[k]
			if !ok {
				return fmt.Sprintf("at %s: missing %q", loc(at), k)
			}
			if why := partialMatch(w[k], gv, at+"/"+k); why != "" {
				return why
			}
		}
		return ""
	default:
		if !reflect.DeepEqual(want, got) {
			return fmt.Sprintf("at %s: want %s, got %s", loc(at), jsonText(want), jsonText(got))
		}
		return ""
	}
}

func loc(at string) string {
	if at == "" {
		return "/"
	}
	return at
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func checkValidToolCall(a *Assertion, out Output) (bool, string) {
	if len(out.ToolCalls) == 0 {
		return false, "the model called no tool"
	}
	for _, c := range out.ToolCalls {
		s, declared := a.tools[c.Name]
		if !declared {
			return false, fmt.Sprintf("the model called %s, which is not among the prompt's tools", c.Name)
		}
		var v any
		if err := json.Unmarshal(c.Arguments, &v); err != nil {
			return false, fmt.Sprintf("%s's arguments are not JSON", c.Name)
		}
		obj, isObject := v.(map[string]any)
		switch {
		case !isObject:
			return false, fmt.Sprintf("%s's arguments %s are not a JSON object", c.Name, c.Arguments)
		case s == nil && len(obj) > 0:
			return false, fmt.Sprintf("%s takes no arguments, and got %s", c.Name, c.Arguments)
		case s == nil:
			continue
		}
		sv, err := jsonschema.UnmarshalJSON(bytes.NewReader(c.Arguments))
		if err == nil {
			err = s.Validate(sv)
		}
		if err != nil {
			return false, fmt.Sprintf("%s's arguments %s do not match its parameters: %s", c.Name, c.Arguments, schemaError(err))
		}
	}
	return true, fmt.Sprintf("every call (%s) matches its tool's parameters", callNames(out.ToolCalls))
}

// judgedText is an answer as the judge reads it (a judge assertion, and a
// consistent one comparing a fallback with its primary): its text, then a
// line per tool call, so that an answer that is a call is not judged empty.
func judgedText(resp *provider.Response) string {
	if len(resp.ToolCalls) == 0 {
		return resp.Text
	}
	var b strings.Builder
	b.WriteString(resp.Text)
	for _, c := range resp.ToolCalls {
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		fmt.Fprintf(&b, "[tool call] %s %s", c.Name, provider.ArgumentsObject(c.Arguments))
	}
	return b.String()
}

// callNames lists the tools called, in order.
func callNames(calls []provider.ToolCall) string {
	names := make([]string, len(calls))
	for i, c := range calls {
		names[i] = c.Name
	}
	return strings.Join(names, ", ")
}
