package wiretest

import (
	"errors"
	"fmt"
)

// Anthropic validates a Messages API request body as api.anthropic.com
// does: roles alternate starting with user, no empty text, every tool_use
// answered by a tool_result (first in the next user message) and no
// tool_result without its tool_use, ids in ^[a-zA-Z0-9_-]+$.
func Anthropic(body []byte) error {
	m, err := decode(body)
	if err != nil {
		return err
	}
	if s, _ := str(m["model"]); s == "" {
		return errors.New("model: Field required")
	}
	if n, ok := m["max_tokens"]; !ok || fmt.Sprint(n) == "0" {
		return errors.New("max_tokens: Field required")
	}
	if v, ok := m["system"]; ok {
		if s, ok := str(v); !ok || s == "" {
			return errors.New("system: must be a non-empty string")
		}
	}
	tools, err := anthropicTools(m)
	if err != nil {
		return err
	}
	if err := anthropicChoice(m, tools); err != nil {
		return err
	}
	msgs, ok := arr(m["messages"])
	if !ok || len(msgs) == 0 {
		return errors.New("messages: at least one message is required")
	}
	prevRole := ""
	var pending map[string]bool // tool_use ids of the previous assistant turn
	used := make(map[string]bool)
	for i, v := range msgs {
		where := fmt.Sprintf("messages.%d", i)
		msg, _ := obj(v)
		if err := onlyKeys(where, msg, "role", "content"); err != nil {
			return err
		}
		role, _ := str(msg["role"])
		if role != "user" && role != "assistant" {
			return fmt.Errorf("%s.role: Input should be 'user' or 'assistant'", where)
		}
		if i == 0 && role != "user" {
			return errors.New("messages: first message must use the \"user\" role")
		}
		if role == prevRole {
			return fmt.Errorf("messages: roles must alternate between \"user\" and \"assistant\", but found multiple %q roles in a row", role)
		}
		prevRole = role
		blocks, err := anthropicBlocks(where, msg["content"], i == len(msgs)-1 && role == "assistant")
		if err != nil {
			return err
		}
		if role == "user" {
			if err := anthropicResults(where, blocks, pending); err != nil {
				return err
			}
			pending = nil
			continue
		}
		if len(pending) > 0 {
			return fmt.Errorf("%s: tool_use ids were found without tool_result blocks immediately after: %v", where, keys(pending))
		}
		pending = nil
		for j, b := range blocks {
			bw := fmt.Sprintf("%s.content.%d", where, j)
			switch b["type"] {
			case "text":
			case "tool_use":
				id, _ := str(b["id"])
				if !validName(id, 1<<10, "") {
					return fmt.Errorf("%s.id: String should match pattern '^[a-zA-Z0-9_-]+$', got %q", bw, id)
				}
				if used[id] {
					return fmt.Errorf("%s: tool_use ids must be unique, %q repeats", bw, id)
				}
				used[id] = true
				if n, _ := str(b["name"]); n == "" {
					return fmt.Errorf("%s.name: Field required", bw)
				}
				if _, ok := obj(b["input"]); !ok {
					return fmt.Errorf("%s.input: Input should be a valid dictionary", bw)
				}
				if pending == nil {
					pending = make(map[string]bool)
				}
				pending[id] = true
			default:
				return fmt.Errorf("%s.type: %v is not allowed in an assistant message", bw, b["type"])
			}
		}
	}
	if len(pending) > 0 {
		return fmt.Errorf("tool_use ids were found without tool_result blocks immediately after: %v", keys(pending))
	}
	return nil
}

// anthropicBlocks checks a message's content and returns it as blocks.
func anthropicBlocks(where string, v any, finalAssistant bool) ([]map[string]any, error) {
	if s, ok := str(v); ok {
		if s == "" && !finalAssistant {
			return nil, fmt.Errorf("%s: all messages must have non-empty content except for the optional final assistant message", where)
		}
		return []map[string]any{{"type": "text", "text": s}}, nil
	}
	list, ok := arr(v)
	if !ok || (len(list) == 0 && !finalAssistant) {
		return nil, fmt.Errorf("%s: all messages must have non-empty content except for the optional final assistant message", where)
	}
	out := make([]map[string]any, len(list))
	for j, b := range list {
		bw := fmt.Sprintf("%s.content.%d", where, j)
		bm, ok := obj(b)
		if !ok {
			return nil, fmt.Errorf("%s: must be an object", bw)
		}
		switch bm["type"] {
		case "text":
			if s, _ := str(bm["text"]); s == "" {
				return nil, fmt.Errorf("%s: text content blocks must be non-empty", bw)
			}
		case "image":
			if err := anthropicImage(bw, bm["source"]); err != nil {
				return nil, err
			}
		case "tool_use", "tool_result":
		default:
			return nil, fmt.Errorf("%s.type: unknown block type %v", bw, bm["type"])
		}
		out[j] = bm
	}
	return out, nil
}

func anthropicImage(where string, v any) error {
	src, _ := obj(v)
	switch src["type"] {
	case "base64":
		mt, _ := str(src["media_type"])
		switch mt {
		case "image/jpeg", "image/png", "image/gif", "image/webp":
		default:
			return fmt.Errorf("%s.source.media_type: Input should be 'image/jpeg', 'image/png', 'image/gif' or 'image/webp', got %q", where, mt)
		}
		if d, _ := str(src["data"]); d == "" {
			return fmt.Errorf("%s.source.data: Field required", where)
		}
	case "url":
		if u, _ := str(src["url"]); u == "" {
			return fmt.Errorf("%s.source.url: Field required", where)
		}
	default:
		return fmt.Errorf("%s.source.type: invalid %v", where, src["type"])
	}
	return nil
}

// anthropicResults checks a user turn against the tool_use ids of the turn
// before it.
func anthropicResults(where string, blocks []map[string]any, pending map[string]bool) error {
	seenOther := false
	for j, b := range blocks {
		bw := fmt.Sprintf("%s.content.%d", where, j)
		switch b["type"] {
		case "tool_use":
			return fmt.Errorf("%s: tool_use is not allowed in a user message", bw)
		case "tool_result":
			if seenOther {
				return fmt.Errorf("%s: tool_result blocks must come first in the user message, before any other content", bw)
			}
			id, _ := str(b["tool_use_id"])
			if !pending[id] {
				return fmt.Errorf("%s: unexpected `tool_use_id` found in `tool_result` blocks: %s. Each `tool_result` block must have a corresponding `tool_use` block in the previous message", bw, id)
			}
			delete(pending, id)
			if c, ok := b["content"]; ok {
				if _, isStr := str(c); !isStr {
					if _, err := anthropicBlocks(bw, c, false); err != nil {
						return err
					}
				}
			}
		default:
			seenOther = true
		}
	}
	if len(pending) > 0 {
		return fmt.Errorf("%s: tool_use ids were found without tool_result blocks immediately after: %v", where, keys(pending))
	}
	return nil
}

func anthropicTools(m map[string]any) (map[string]bool, error) {
	v, ok := m["tools"]
	if !ok {
		return nil, nil
	}
	list, ok := arr(v)
	if !ok {
		return nil, errors.New("tools: must be an array")
	}
	names := make(map[string]bool)
	for i, t := range list {
		where := fmt.Sprintf("tools.%d", i)
		tm, _ := obj(t)
		if err := onlyKeys(where, tm, "name", "description", "input_schema", "type", "cache_control", "strict"); err != nil {
			return nil, err
		}
		name, _ := str(tm["name"])
		if !validName(name, 128, "") {
			return nil, fmt.Errorf("%s.name: String should match pattern '^[a-zA-Z0-9_-]{1,128}$'", where)
		}
		if names[name] {
			return nil, fmt.Errorf("%s: tool names must be unique, %q repeats", where, name)
		}
		names[name] = true
		s, ok := tm["input_schema"]
		if !ok {
			return nil, fmt.Errorf("%s.input_schema: Field required", where)
		}
		sm, _ := obj(s)
		if sm["type"] != "object" {
			return nil, fmt.Errorf("%s.input_schema.type: Input should be 'object'", where)
		}
	}
	return names, nil
}

func anthropicChoice(m map[string]any, tools map[string]bool) error {
	v, ok := m["tool_choice"]
	if !ok {
		return nil
	}
	c, _ := obj(v)
	switch c["type"] {
	case "auto", "any", "none":
		if c["type"] != "none" && tools == nil {
			return errors.New("tool_choice: may only be specified while providing tools")
		}
	case "tool":
		name, _ := str(c["name"])
		if !tools[name] {
			return fmt.Errorf("tool_choice.name: tool %q not found in tools", name)
		}
	default:
		return fmt.Errorf("tool_choice.type: invalid %v", c["type"])
	}
	return nil
}
