package eval

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"text/template"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"

	"github.com/llmfall/llmfall/provider"
	"github.com/llmfall/llmfall/provider/toolspec"
)

// This file reads a prompt file's tools, tool_choice, response_format and
// messages history: what a tool-using or structured-output prompt sends
// besides its text.

var (
	responseFormatKeys = []string{"json_schema"}
	jsonSchemaKeys     = []string{"name", "schema", "schema_file", "strict"}
	messageKeys        = []string{"role", "content", "tool_calls", "tool_call_id", "is_error"}
	toolCallKeys       = []string{"id", "name", "arguments"}
)

// tools reads the prompt's tools into p.Params and compiles their
// parameter schemas for is-valid-tool-call.
func (l *fileLoader) tools(n node, p *Prompt) {
	tools, errs := toolspec.ReadTools(n.Node)
	for _, e := range errs {
		l.errorf(n.file, e.Line, "tools: %s", e.Msg)
	}
	l.toolsKey = true
	if len(errs) > 0 {
		return
	}
	l.toolSchemas = make(map[string]*jsonschema.Schema, len(tools))
	for i, t := range tools {
		var s *jsonschema.Schema
		if t.Parameters != nil {
			var err error
			if s, err = compileWhole("tools/"+t.Name, t.Parameters); err != nil {
				l.errorf(n.file, n.Content[i].Line, "tools: %s: parameters: %v", t.Name, err)
				continue
			}
		}
		l.toolSchemas[t.Name] = s
	}
	p.Params.Tools = tools
}

// toolChoice reads tool_choice: auto, none, required or a tool's name.
func (l *fileLoader) toolChoice(n node, p *Prompt) {
	s := l.str(n, "tool_choice")
	if len(p.Params.Tools) == 0 {
		if !l.toolsKey { // else the tools were wrong, and said so
			l.errorf(n.file, n.Line, "tool_choice needs tools: declare the tools the model may call")
		}
		return
	}
	tc, err := toolspec.Choice(s, p.Params.Tools)
	if err != nil {
		l.errorf(n.file, n.Line, "%v", err)
		return
	}
	p.Params.ToolChoice = tc
}

// responseFormat reads response_format: text, json_object, or
// {json_schema: {name, schema | schema_file, strict}}.
func (l *fileLoader) responseFormat(n node, p *Prompt) {
	if n.Kind == yaml.ScalarNode {
		switch t := provider.FormatType(n.Value); t {
		case provider.FormatText, provider.FormatJSONObject:
			p.Params.ResponseFormat = &provider.ResponseFormat{Type: t}
		default:
			l.errorf(n.file, n.Line, "response_format %q: want text, json_object or {json_schema: {name, schema or schema_file, strict}}", n.Value)
		}
		return
	}
	kv := l.mapping(n, "response_format", responseFormatKeys)
	if kv == nil {
		return
	}
	js, ok := kv.get("json_schema")
	if !ok {
		l.errorf(n.file, n.Line, "response_format needs json_schema: {name, schema or schema_file, strict}")
		return
	}
	f := &provider.ResponseFormat{Type: provider.FormatJSONSchema}
	jkv := l.mapping(js, "json_schema", jsonSchemaKeys)
	if jkv == nil {
		return
	}
	var schema, file node
	var hasSchema, hasFile bool
	jkv.each(func(key string, v node) {
		switch key {
		case "name":
			if f.Name = l.str(v, key); !toolspec.ValidName(f.Name) {
				l.errorf(v.file, v.Line, "json_schema name %q must be 1 to 64 letters, digits, '_' or '-'", f.Name)
			}
		case "strict":
			f.Strict = l.boolean(v, key)
		case "schema":
			schema, hasSchema = v, true
		case "schema_file":
			file, hasFile = v, true
		}
	})
	switch {
	case hasSchema == hasFile:
		l.errorf(js.file, js.Line, "json_schema needs one of schema (inline) and schema_file (a path)")
		return
	case hasSchema:
		if schema.Kind != yaml.MappingNode {
			l.errorf(schema.file, schema.Line, "schema must be a mapping (or use schema_file for a path)")
			return
		}
		b, err := toolspec.NodeJSON(schema.Node)
		if err != nil {
			l.errorf(schema.file, schema.Line, "schema: %v", err)
			return
		}
		f.Schema = b
	case hasFile:
		nerr := len(l.errs)
		rel := l.str(file, "schema_file")
		if len(l.errs) > nerr {
			return
		}
		name, err := l.root.resolve(l.name, rel)
		if err != nil {
			l.fail(file.file, file.Line, fmt.Errorf("schema file %w", err))
			return
		}
		b, err := l.root.readFile(name)
		if err != nil {
			l.fail(file.file, file.Line, fmt.Errorf("schema file %q: %w", rel, err))
			return
		}
		var c bytes.Buffer
		if err := json.Compact(&c, b); err != nil || c.Len() == 0 || c.Bytes()[0] != '{' {
			l.errorf(file.file, file.Line, "schema file %q is not a JSON object", rel)
			return
		}
		f.Schema = c.Bytes()
		schema = file
		if f.Name == "" {
			f.Name = toolspec.SchemaName(filepath.Base(rel))
		}
	}
	if _, err := compileWhole("response_format", f.Schema); err != nil {
		l.errorf(schema.file, schema.Line, "json_schema: %v", err)
		return
	}
	if f.Name == "" {
		f.Name = "response"
	}
	p.Params.ResponseFormat = f
}

// compileWhole compiles a schema that is sent to a provider as it is: it
// must be whole, since the provider cannot follow a $ref to a file.
func compileWhole(name string, schema json.RawMessage) (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schema))
	if err != nil {
		return nil, err
	}
	url := "file:///llmfall/" + name + ".json"
	c := jsonschema.NewCompiler()
	c.UseLoader(refusingLoader{})
	if err := c.AddResource(url, doc); err != nil {
		return nil, err
	}
	s, err := c.Compile(url)
	if err != nil {
		return nil, fmt.Errorf("invalid schema: %w", err)
	}
	return s, nil
}

// refusingLoader loads nothing: see compileWhole.
type refusingLoader struct{}

func (refusingLoader) Load(ref string) (any, error) {
	return nil, fmt.Errorf("$ref %s: a schema sent to the provider must be whole (inline what it refers to, under $defs)", ref)
}

// rawMessage is a message of the prompt file's history, before rendering.
type rawMessage struct {
	role    provider.Role
	content *template.Template
	calls   []provider.ToolCall
	callID  string
	isError bool
	file    string
	line    int
}

// messages reads the prompt file's messages history and checks that it is
// a conversation every provider accepts: it starts with the user, every
// tool call is answered by a tool result right after the message making
// it, every result answers one, and the model has the next turn (or the
// prompt follows).
func (l *fileLoader) messages(n node, p *Prompt, hasPrompt bool) []rawMessage {
	var out []rawMessage
	nerr := len(l.errs)
	for i, item := range l.list(n, "messages") {
		kv := l.mapping(item, "message", messageKeys)
		if kv == nil {
			continue
		}
		m := rawMessage{file: item.file, line: item.Line}
		var has []string
		before := len(l.errs)
		kv.each(func(key string, v node) {
			has = append(has, key)
			switch key {
			case "role":
				m.role = provider.Role(l.str(v, key))
			case "content":
				m.content = l.template(v, fmt.Sprintf("message %d content", i+1))
			case "tool_calls":
				m.calls = l.toolCalls(v, p)
			case "tool_call_id":
				m.callID = l.str(v, key)
			case "is_error":
				m.isError = l.boolean(v, key)
			}
		})
		// A value already reported (tool_calls that are not a list, say)
		// would only be reported again as missing.
		valuesOK := len(l.errs) == before
		var allowed []string
		switch m.role {
		case provider.RoleUser:
			allowed = []string{"role", "content"}
		case provider.RoleAssistant:
			allowed = []string{"role", "content", "tool_calls"}
		case provider.RoleTool:
			allowed = []string{"role", "content", "tool_call_id", "is_error"}
		case "system":
			l.errorf(item.file, item.Line, "message %d: the system prompt goes in the prompt file's system key, not in messages", i+1)
			continue
		default:
			l.errorf(item.file, item.Line, "message %d: role %q: want user, assistant or tool", i+1, m.role)
			continue
		}
		for _, k := range has {
			if !slices.Contains(allowed, k) {
				l.errorf(item.file, item.Line, "message %d: %s message takes no %s (it takes: %s)", i+1, article(m.role), k, strings.Join(allowed[1:], ", "))
			}
		}
		switch {
		case !valuesOK:
		case m.role == provider.RoleUser && !slices.Contains(has, "content"):
			l.errorf(item.file, item.Line, "message %d: a user message needs content", i+1)
		case m.role == provider.RoleAssistant && !slices.Contains(has, "content") && len(m.calls) == 0:
			l.errorf(item.file, item.Line, "message %d: an assistant message needs content, tool_calls or both", i+1)
		case m.role == provider.RoleTool && m.callID == "":
			l.errorf(item.file, item.Line, "message %d: a tool message needs tool_call_id: the id of the call it answers", i+1)
		}
		out = append(out, m)
	}
	if len(l.errs) > nerr {
		return nil
	}
	l.checkTurns(n, out, hasPrompt)
	return out
}

// article is role with its indefinite article, for messages.
func article(role provider.Role) string {
	if role == provider.RoleAssistant {
		return "an " + string(role)
	}
	return "a " + string(role)
}

// checkTurns checks the order of the history's messages (see messages).
func (l *fileLoader) checkTurns(n node, msgs []rawMessage, hasPrompt bool) {
	if len(msgs) == 0 {
		l.errorf(n.file, n.Line, "messages is empty (leave it out, or list the conversation so far)")
		return
	}
	if msgs[0].role != provider.RoleUser {
		l.errorf(msgs[0].file, msgs[0].line, "the first message must be the user's")
	}
	pending := map[string]int{} // calls awaiting a result: id → line
	seen := map[string]bool{}
	unanswered := func() {
		for _, id := range slices.Sorted(maps.Keys(pending)) {
			l.errorf(n.file, pending[id], "tool call %q has no tool result after it (add a tool message with tool_call_id: %s)", id, id)
		}
		clear(pending)
	}
	for _, m := range msgs {
		if m.role == provider.RoleTool {
			if _, ok := pending[m.callID]; !ok {
				l.errorf(m.file, m.line, "tool result for %q answers no call of the assistant message before it", m.callID)
			}
			delete(pending, m.callID)
			continue
		}
		unanswered()
		for _, c := range m.calls {
			if seen[c.ID] {
				l.errorf(m.file, m.line, "tool call id %q is already used", c.ID)
			}
			seen[c.ID] = true
			pending[c.ID] = m.line
		}
	}
	last := msgs[len(msgs)-1]
	if hasPrompt {
		unanswered()
		return
	}
	if len(pending) > 0 {
		unanswered()
		return
	}
	if last.role == provider.RoleAssistant {
		l.errorf(last.file, last.line, "the conversation ends with the assistant: end messages with a user message or tool result, or add a prompt")
	}
}

// toolCalls reads an assistant message's tool_calls: {id, name, arguments}
// each, naming declared tools.
func (l *fileLoader) toolCalls(n node, p *Prompt) []provider.ToolCall {
	var out []provider.ToolCall
	for _, item := range l.list(n, "tool_calls") {
		var c provider.ToolCall
		l.mapping(item, "tool call", toolCallKeys).each(func(key string, v node) {
			switch key {
			case "id":
				c.ID = l.str(v, key)
			case "name":
				c.Name = l.str(v, key)
			case "arguments":
				if v.Kind != yaml.MappingNode {
					l.errorf(v.file, v.Line, "arguments must be a mapping")
					return
				}
				b, err := toolspec.NodeJSON(v.Node)
				if err != nil {
					l.errorf(v.file, v.Line, "arguments: %v", err)
				}
				c.Arguments = b
			}
		})
		switch {
		case c.ID == "":
			l.errorf(item.file, item.Line, "tool call needs an id, which its tool result names in tool_call_id")
		case c.Name == "":
			l.errorf(item.file, item.Line, "tool call needs the name of the tool")
		case !l.toolsKey:
			l.errorf(item.file, item.Line, "tool call of %q, but the prompt file declares no tools (providers refuse a history calling tools they were not given)", c.Name)
		case len(p.Params.Tools) > 0 && !hasTool(p.Params.Tools, c.Name):
			l.errorf(item.file, item.Line, "tool call of %q, which is not among the prompt's tools", c.Name)
		}
		if c.Arguments == nil {
			c.Arguments = json.RawMessage("{}")
		}
		out = append(out, c)
	}
	return out
}

func hasTool(tools []provider.Tool, name string) bool {
	return slices.ContainsFunc(tools, func(t provider.Tool) bool { return t.Name == name })
}
