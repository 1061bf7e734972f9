package provider

import (
	"bytes"
	"encoding/json"
)

// ArgumentsJSON turns a model's argument text into ToolCall.Arguments: the
// text itself when it is valid JSON, "{}" when it is empty (a call without
// arguments), else the text as a JSON string, so that a truncated or
// garbled call still travels as valid JSON.
func ArgumentsJSON(s string) json.RawMessage {
	t := bytes.TrimSpace([]byte(s))
	if len(t) == 0 {
		return json.RawMessage("{}")
	}
	var c bytes.Buffer
	if json.Compact(&c, t) == nil {
		return c.Bytes()
	}
	q, _ := json.Marshal(s)
	return q
}

// ArgumentsObject is args as a JSON object, for the providers whose calls
// carry an object (Anthropic's input, Gemini's args): args itself when it is
// one, "{}" for nothing or null, else {"arguments": args}, so that nothing a
// model produced is lost on the way. args is valid JSON, as ToolCall
// documents; it is not checked again here, since the request's encoder
// checks every raw value it writes.
func ArgumentsObject(args json.RawMessage) json.RawMessage {
	t := bytes.TrimSpace(args)
	switch {
	case len(t) == 0 || string(t) == "null":
		return json.RawMessage("{}")
	case t[0] == '{':
		return t
	}
	out := make(json.RawMessage, 0, len(t)+14)
	return append(append(append(out, `{"arguments":`...), t...), '}')
}
