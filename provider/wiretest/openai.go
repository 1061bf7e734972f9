package wiretest

import (
	"errors"
	"fmt"
	"strings"
)

// OpenAI validates a Chat Completions request body as api.openai.com does.
func OpenAI(body []byte) error {
	m, err := decode(body)
	if err != nil {
		return err
	}
	if s, _ := str(m["model"]); s == "" {
		return errors.New("model: required")
	}
	msgs, ok := arr(m["messages"])
	if !ok || len(msgs) == 0 {
		return errors.New("messages: must be a non-empty array")
	}
	tools, err := openAITools(m)
	if err != nil {
		return err
	}
	if err := openAIChoice(m, tools); err != nil {
		return err
	}
	if err := openAIFormat(m); err != nil {
		return err
	}
	// pending are the calls of the last assistant message not yet answered.
	var pending map[string]bool
	for i, v := range msgs {
		where := fmt.Sprintf("messages[%d]", i)
		msg, ok := obj(v)
		if !ok {
			return fmt.Errorf("%s: must be an object", where)
		}
		role, _ := str(msg["role"])
		if role != "tool" && len(pending) > 0 {
			return fmt.Errorf("%s: an assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'; missing %v", where, keys(pending))
		}
		switch role {
		case "system", "developer":
			if err := openAIText(where, msg["content"]); err != nil {
				return err
			}
		case "user":
			if err := openAIUserContent(where, msg["content"]); err != nil {
				return err
			}
		case "assistant":
			pending, err = openAIAssistant(where, msg)
			if err != nil {
				return err
			}
		case "tool":
			id, _ := str(msg["tool_call_id"])
			if !pending[id] {
				return fmt.Errorf("%s: messages with role 'tool' must be a response to a preceeding message with 'tool_calls' (tool_call_id %q)", where, id)
			}
			delete(pending, id)
			if err := openAIText(where, msg["content"]); err != nil {
				return err
			}
		default:
			return fmt.Errorf("%s.role: invalid value %q", where, role)
		}
	}
	if len(pending) > 0 {
		return fmt.Errorf("tool_call_ids without response messages: %v", keys(pending))
	}
	return nil
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// openAIText accepts a string or an array of text parts.
func openAIText(where string, v any) error {
	if _, ok := str(v); ok {
		return nil
	}
	parts, ok := arr(v)
	if !ok || len(parts) == 0 {
		return fmt.Errorf("%s.content: must be a string or a non-empty array of text parts", where)
	}
	for j, p := range parts {
		pm, _ := obj(p)
		if pm["type"] != "text" {
			return fmt.Errorf("%s.content[%d].type: only 'text' is supported here", where, j)
		}
	}
	return nil
}

func openAIUserContent(where string, v any) error {
	if _, ok := str(v); ok {
		return nil
	}
	parts, ok := arr(v)
	if !ok || len(parts) == 0 {
		return fmt.Errorf("%s.content: must be a string or a non-empty array", where)
	}
	for j, p := range parts {
		pm, _ := obj(p)
		pw := fmt.Sprintf("%s.content[%d]", where, j)
		switch pm["type"] {
		case "text":
			if _, ok := str(pm["text"]); !ok {
				return fmt.Errorf("%s.text: required", pw)
			}
		case "image_url":
			iu, _ := obj(pm["image_url"])
			u, _ := str(iu["url"])
			if !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "data:image/") {
				return fmt.Errorf("%s.image_url.url: invalid image URL %q", pw, u)
			}
		default:
			return fmt.Errorf("%s.type: invalid value %v", pw, pm["type"])
		}
	}
	return nil
}

func openAIAssistant(where string, msg map[string]any) (map[string]bool, error) {
	calls, hasCalls := arr(msg["tool_calls"])
	content := msg["content"]
	if content != nil {
		if err := openAIText(where, content); err != nil {
			return nil, err
		}
	} else if !hasCalls {
		return nil, fmt.Errorf("%s.content: required unless tool_calls is specified", where)
	}
	if !hasCalls {
		return nil, nil
	}
	if len(calls) == 0 {
		return nil, fmt.Errorf("%s.tool_calls: empty array; leave it out", where)
	}
	pending := make(map[string]bool, len(calls))
	for j, c := range calls {
		cw := fmt.Sprintf("%s.tool_calls[%d]", where, j)
		cm, _ := obj(c)
		id, _ := str(cm["id"])
		if id == "" || len(id) > 40 {
			return nil, fmt.Errorf("%s.id: must be 1 to 40 characters, got %q", cw, id)
		}
		if pending[id] {
			return nil, fmt.Errorf("%s.id: duplicate %q", cw, id)
		}
		pending[id] = true
		if cm["type"] != "function" {
			return nil, fmt.Errorf("%s.type: must be 'function'", cw)
		}
		fn, _ := obj(cm["function"])
		if n, _ := str(fn["name"]); n == "" {
			return nil, fmt.Errorf("%s.function.name: required", cw)
		}
		if _, ok := str(fn["arguments"]); !ok {
			return nil, fmt.Errorf("%s.function.arguments: expected a string, got %T", cw, fn["arguments"])
		}
	}
	return pending, nil
}

func openAITools(m map[string]any) (map[string]bool, error) {
	v, ok := m["tools"]
	if !ok {
		return nil, nil
	}
	tools, ok := arr(v)
	if !ok || len(tools) == 0 {
		return nil, errors.New("tools: must be a non-empty array")
	}
	names := make(map[string]bool)
	for i, t := range tools {
		where := fmt.Sprintf("tools[%d]", i)
		tm, _ := obj(t)
		if tm["type"] != "function" {
			return nil, fmt.Errorf("%s.type: must be 'function'", where)
		}
		fn, ok := obj(tm["function"])
		if !ok {
			return nil, fmt.Errorf("%s.function: required", where)
		}
		if err := onlyKeys(where+".function", fn, "name", "description", "parameters", "strict"); err != nil {
			return nil, err
		}
		name, _ := str(fn["name"])
		if !validName(name, 64, "") {
			return nil, fmt.Errorf("%s.function.name: must match ^[a-zA-Z0-9_-]{1,64}$, got %q", where, name)
		}
		names[name] = true
		if p, ok := fn["parameters"]; ok {
			if err := objectSchema(where+".function.parameters", p); err != nil {
				return nil, err
			}
		}
	}
	return names, nil
}

func openAIChoice(m map[string]any, tools map[string]bool) error {
	v, ok := m["tool_choice"]
	if !ok {
		return nil
	}
	if tools == nil {
		return errors.New("tool_choice: only allowed when 'tools' are specified")
	}
	if s, ok := str(v); ok {
		if s != "none" && s != "auto" && s != "required" {
			return fmt.Errorf("tool_choice: invalid value %q", s)
		}
		return nil
	}
	c, _ := obj(v)
	fn, _ := obj(c["function"])
	name, _ := str(fn["name"])
	if c["type"] != "function" || !tools[name] {
		return fmt.Errorf("tool_choice: names no declared function (%v)", v)
	}
	return nil
}

func openAIFormat(m map[string]any) error {
	v, ok := m["response_format"]
	if !ok {
		return nil
	}
	f, _ := obj(v)
	switch f["type"] {
	case "text", "json_object":
		return nil
	case "json_schema":
		js, ok := obj(f["json_schema"])
		if !ok {
			return errors.New("response_format.json_schema: required")
		}
		name, _ := str(js["name"])
		if !validName(name, 64, "") {
			return fmt.Errorf("response_format.json_schema.name: must match ^[a-zA-Z0-9_-]{1,64}$, got %q", name)
		}
		if s, ok := js["schema"]; ok {
			if _, ok := obj(s); !ok {
				return errors.New("response_format.json_schema.schema: must be an object")
			}
		}
		return nil
	}
	return fmt.Errorf("response_format.type: invalid value %v", f["type"])
}
