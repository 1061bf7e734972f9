package wiretest

import (
	"strings"
	"testing"
)

// The fake servers must reject what the real APIs reject, or the adapter
// tests that rely on them prove nothing.
func TestValidatorsReject(t *testing.T) {
	tests := []struct {
		name     string
		validate Validator
		body     string
		want     string
	}{
		{"openai ok", OpenAI, `{"model":"m","messages":[{"role":"user","content":"hi"},{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{}"}}]},{"role":"tool","tool_call_id":"c1","content":"r"}]}`, ""},
		{"openai orphan tool message", OpenAI, `{"model":"m","messages":[{"role":"user","content":"hi"},{"role":"tool","tool_call_id":"c1","content":"r"}]}`, "must be a response to a preceeding message with 'tool_calls'"},
		{"openai unanswered call", OpenAI, `{"model":"m","messages":[{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{}"}}]},{"role":"user","content":"hi"}]}`, "must be followed by tool messages"},
		{"openai arguments as object", OpenAI, `{"model":"m","messages":[{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":{}}}]},{"role":"tool","tool_call_id":"c1","content":"r"}]}`, "expected a string"},
		{"openai tool_choice without tools", OpenAI, `{"model":"m","messages":[{"role":"user","content":"hi"}],"tool_choice":"auto"}`, "only allowed when 'tools'"},
		{"anthropic ok", Anthropic, `{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":[{"type":"tool_use","id":"t1","name":"f","input":{}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":"r"},{"type":"text","text":"go on"}]}]}`, ""},
		{"anthropic orphan tool_result", Anthropic, `{"model":"m","max_tokens":5,"messages":[{"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":"r"}]}]}`, "unexpected `tool_use_id`"},
		{"anthropic consecutive user turns", Anthropic, `{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"a"},{"role":"user","content":"b"}]}`, "roles must alternate"},
		{"anthropic empty text block", Anthropic, `{"model":"m","max_tokens":5,"messages":[{"role":"user","content":[{"type":"text","text":""}]}]}`, "text content blocks must be non-empty"},
		{"anthropic id alphabet", Anthropic, `{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"a"},{"role":"assistant","content":[{"type":"tool_use","id":"fc.1","name":"f","input":{}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"fc.1"}]}]}`, "should match pattern"},
		{"anthropic result after text", Anthropic, `{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"a"},{"role":"assistant","content":[{"type":"tool_use","id":"t1","name":"f","input":{}}]},{"role":"user","content":[{"type":"text","text":"x"},{"type":"tool_result","tool_use_id":"t1"}]}]}`, "must come first"},
		{"anthropic unanswered tool_use", Anthropic, `{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"a"},{"role":"assistant","content":[{"type":"tool_use","id":"t1","name":"f","input":{}}]},{"role":"user","content":"b"}]}`, "without tool_result"},
		{"gemini ok", Gemini, `{"contents":[{"role":"user","parts":[{"text":"a"}]},{"role":"model","parts":[{"functionCall":{"name":"f","args":{}}}]},{"role":"user","parts":[{"functionResponse":{"name":"f","response":{}}}]}]}`, ""},
		{"gemini response name mismatch", Gemini, `{"contents":[{"role":"user","parts":[{"text":"a"}]},{"role":"model","parts":[{"functionCall":{"name":"f","args":{}}}]},{"role":"user","parts":[{"functionResponse":{"name":"g","response":{}}}]}]}`, "do not match"},
		{"gemini response count", Gemini, `{"contents":[{"role":"user","parts":[{"text":"a"}]},{"role":"model","parts":[{"functionCall":{"name":"f"}},{"functionCall":{"name":"f"}}]},{"role":"user","parts":[{"functionResponse":{"name":"f","response":{}}}]}]}`, "number of function response parts"},
		{"gemini unknown schema keyword", Gemini, `{"contents":[{"role":"user","parts":[{"text":"a"}]}],"tools":[{"functionDeclarations":[{"name":"f","parameters":{"type":"OBJECT","additionalProperties":false}}]}]}`, `Unknown name "additionalProperties"`},
		{"gemini tool role", Gemini, `{"contents":[{"role":"tool","parts":[{"text":"a"}]}]}`, "must be 'user' or 'model'"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.validate([]byte(tc.body))
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("rejected a valid body: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("error = %v; want one containing %q", err, tc.want)
			}
		})
	}
}
