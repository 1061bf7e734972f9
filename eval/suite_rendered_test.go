package eval

import (
	"encoding/json"
	"testing"

	"github.com/llmfall/llmfall/provider"
)

// TestRenderedForTheJudge: what the judge is told the candidate was asked,
// for each shape of test: the system prompt only when there is one, no
// blank lines before the first message, images as [image], tool traffic
// named.
func TestRenderedForTheJudge(t *testing.T) {
	user := func(content string, parts ...provider.Part) provider.Message {
		return provider.Message{Role: provider.RoleUser, Content: content, Parts: parts}
	}
	img := provider.Part{Image: &provider.Image{URL: "https://example.com/a.png"}}
	tests := []struct {
		name string
		test Test
		want string
	}{
		{"user message", Test{User: "Hi"}, "Hi"},
		{"system and user", Test{System: "Be brief.", User: "Hi"}, "System: Be brief.\n\nUser: Hi"},
		{"messages without system", Test{Messages: []provider.Message{user("Hi"), {Role: provider.RoleAssistant, Content: "Hello"}}},
			"User: Hi\n\nAssistant: Hello"},
		{"messages with system", Test{System: "Be brief.", Messages: []provider.Message{user("Hi")}},
			"System: Be brief.\n\nUser: Hi"},
		{"an image between texts", Test{Messages: []provider.Message{user("Look: ", img, provider.Part{Text: " what is it?"})}},
			"User: Look: [image] what is it?"},
		{"tool traffic", Test{Messages: []provider.Message{
			{Role: provider.RoleAssistant, ToolCalls: []provider.ToolCall{{ID: "c1", Name: "lookup", Arguments: json.RawMessage(`{"id":1}`)}}},
			{Role: provider.RoleTool, ToolCallID: "c1", Content: "shipped"},
		}}, "Assistant: [calls lookup {\"id\":1} (id c1)]\n\nTool result for c1: shipped"},
	}
	for _, tc := range tests {
		if got := tc.test.Rendered(); got != tc.want {
			t.Errorf("%s: Rendered() = %q; want %q", tc.name, got, tc.want)
		}
	}
}
