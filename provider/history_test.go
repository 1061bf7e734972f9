package provider

import (
	"reflect"
	"testing"
)

func anthropicID(id string) bool { return IDAlphabet(id, 0) }

func TestNormalizeHistory(t *testing.T) {
	user := Message{Role: RoleUser, Content: "weather in Paris and Rome?"}
	call := func(id, name string) ToolCall { return ToolCall{ID: id, Name: name, Arguments: []byte(`{}`)} }
	result := func(id, text string) Message { return Message{Role: RoleTool, ToolCallID: id, Content: text} }
	tests := []struct {
		name    string
		in      []Message
		validID func(string) bool
		want    []Message
	}{
		{
			name: "plain text untouched",
			in:   []Message{user},
			want: []Message{user},
		},
		{
			name:    "openai ids kept where valid",
			in:      []Message{user, {Role: RoleAssistant, ToolCalls: []ToolCall{call("call_ab12", "w")}}, result("call_ab12", "sunny")},
			validID: anthropicID,
			want:    []Message{user, {Role: RoleAssistant, ToolCalls: []ToolCall{call("call_ab12", "w")}}, result("call_ab12", "sunny")},
		},
		{
			name:    "foreign alphabet remapped, result follows",
			in:      []Message{user, {Role: RoleAssistant, ToolCalls: []ToolCall{call("fc.1/x", "w")}}, result("fc.1/x", "sunny")},
			validID: anthropicID,
			want:    []Message{user, {Role: RoleAssistant, ToolCalls: []ToolCall{call("call_1", "w")}}, result("call_1", "sunny")},
		},
		{
			name: "gemini history without ids matched by order, results in call order",
			in: []Message{user, {Role: RoleAssistant, ToolCalls: []ToolCall{call("", "w"), call("", "w")}},
				result("", "Paris: sunny"), result("", "Rome: rain")},
			want: []Message{user, {Role: RoleAssistant, ToolCalls: []ToolCall{call("call_1", "w"), call("call_2", "w")}},
				result("call_1", "Paris: sunny"), result("call_2", "Rome: rain")},
		},
		{
			name: "results out of order put in call order",
			in: []Message{user, {Role: RoleAssistant, ToolCalls: []ToolCall{call("a", "w"), call("b", "w")}},
				result("b", "Rome: rain"), result("a", "Paris: sunny")},
			want: []Message{user, {Role: RoleAssistant, ToolCalls: []ToolCall{call("a", "w"), call("b", "w")}},
				result("a", "Paris: sunny"), result("b", "Rome: rain")},
		},
		{
			name: "duplicate ids across turns made unique",
			in: []Message{user, {Role: RoleAssistant, ToolCalls: []ToolCall{call("c0", "w")}}, result("c0", "1"),
				{Role: RoleAssistant, ToolCalls: []ToolCall{call("c0", "w")}}, result("c0", "2")},
			want: []Message{user, {Role: RoleAssistant, ToolCalls: []ToolCall{call("c0", "w")}}, result("c0", "1"),
				{Role: RoleAssistant, ToolCalls: []ToolCall{call("call_1", "w")}}, result("call_1", "2")},
		},
		{
			name: "orphan result becomes user text, unanswered call dropped",
			in: []Message{user, {Role: RoleAssistant, Content: "Checking.", ToolCalls: []ToolCall{call("a", "w")}},
				result("zzz", "stale"), {Role: RoleTool, ToolCallID: "q", IsError: true, Content: "boom"}},
			want: []Message{user, {Role: RoleAssistant, Content: "Checking.", ToolCalls: []ToolCall{}},
				{Role: RoleUser, Content: "Tool result for call zzz: stale"}, {Role: RoleUser, Content: "Tool error for call q: boom"}},
		},
		{
			name: "unanswered call before an answered one",
			in: []Message{user, {Role: RoleAssistant, ToolCalls: []ToolCall{call("a", "w"), call("b", "w")}},
				result("b", "Rome: rain")},
			want: []Message{user, {Role: RoleAssistant, ToolCalls: []ToolCall{call("b", "w")}}, result("b", "Rome: rain")},
		},
		{
			name: "assistant left empty is dropped",
			in:   []Message{user, {Role: RoleAssistant, ToolCalls: []ToolCall{call("a", "w")}}, {Role: RoleUser, Content: "never mind"}},
			want: []Message{user, {Role: RoleUser, Content: "never mind"}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := NormalizeHistory(tc.in, tc.validID)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("NormalizeHistory() =\n%+v\nwant\n%+v", got, tc.want)
			}
		})
	}
}

func TestIDAlphabet(t *testing.T) {
	for id, want := range map[string]bool{"toolu_01A-b": true, "call_x": true, "": false, "a.b": false, "é": false} {
		if got := IDAlphabet(id, 0); got != want {
			t.Errorf("IDAlphabet(%q) = %v; want %v", id, got, want)
		}
	}
	if IDAlphabet("abcdef", 5) {
		t.Error("IDAlphabet over max = true; want false")
	}
}
