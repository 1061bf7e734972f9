package provider

import (
	"reflect"
	"testing"
)

// IDAlphabet accepts exactly ASCII letters, digits, '_' and '-', up to and
// including max bytes: the ends of each range are in, their neighbours out.
func TestIDAlphabetBounds(t *testing.T) {
	for id, want := range map[string]bool{
		"azAZ09_-": true, "a": true, "z": true, "A": true, "Z": true, "0": true, "9": true,
		"`": false, "{": false, "@": false, "[": false, "/": false, ":": false, "a b": false,
	} {
		if got := IDAlphabet(id, 0); got != want {
			t.Errorf("IDAlphabet(%q, 0) = %v; want %v", id, got, want)
		}
	}
	if !IDAlphabet("abcde", 5) {
		t.Error("IDAlphabet of exactly max bytes = false; want true")
	}
}

// A tool result with no call before it and no id of its own (a Gemini
// history cut at the start) becomes user text without a call id in it.
func TestNormalizeHistoryOrphanWithoutID(t *testing.T) {
	in := []Message{{Role: RoleTool, Content: "Paris: sunny"}, {Role: RoleUser, Content: "and Rome?"}}
	want := []Message{{Role: RoleUser, Content: "Tool result: Paris: sunny"}, {Role: RoleUser, Content: "and Rome?"}}
	if got := NormalizeHistory(in, nil); !reflect.DeepEqual(got, want) {
		t.Errorf("NormalizeHistory() =\n%+v\nwant\n%+v", got, want)
	}
}

// A generated id skips the call_N a caller's history already uses, so two
// calls of one conversation never share an id.
func TestNormalizeHistoryGeneratedIDsSkipUsedOnes(t *testing.T) {
	call := func(id string) ToolCall { return ToolCall{ID: id, Name: "w", Arguments: []byte(`{}`)} }
	in := []Message{
		{Role: RoleAssistant, ToolCalls: []ToolCall{call("call_1"), call("")}},
		{Role: RoleTool, ToolCallID: "call_1", Content: "1"},
		{Role: RoleTool, Content: "2"},
	}
	want := []Message{
		{Role: RoleAssistant, ToolCalls: []ToolCall{call("call_1"), call("call_2")}},
		{Role: RoleTool, ToolCallID: "call_1", Content: "1"},
		{Role: RoleTool, ToolCallID: "call_2", Content: "2"},
	}
	if got := NormalizeHistory(in, nil); !reflect.DeepEqual(got, want) {
		t.Errorf("NormalizeHistory() =\n%+v\nwant\n%+v", got, want)
	}
}

// Normalizing changes tool traffic only: assistant messages without calls,
// an empty one included (a model's empty answer, which each adapter handles
// in its own way), come out exactly as they went in.
func TestNormalizeHistoryLeavesMessagesWithoutCallsAlone(t *testing.T) {
	in := []Message{
		{Role: RoleUser, Content: "refund 1182?"},
		{Role: RoleAssistant, Content: "Let me check."},
		{Role: RoleAssistant},
		{Role: RoleAssistant, ToolCalls: []ToolCall{{ID: "a", Name: "refund", Arguments: []byte(`{}`)}}},
		{Role: RoleTool, ToolCallID: "a", Content: "done"},
		{Role: RoleAssistant, Content: "Refunded."},
	}
	got := NormalizeHistory(in, nil)
	if !reflect.DeepEqual(got, in) {
		t.Errorf("NormalizeHistory() =\n%#v\nwant it unchanged:\n%#v", got, in)
	}
}

// Histories made of tool traffic only are normalized too: a lone result
// becomes user text, a lone call that nothing answers is dropped.
func TestNormalizeHistoryOfToolTrafficOnly(t *testing.T) {
	checking := Message{Role: RoleAssistant, Content: "Checking.", ToolCalls: []ToolCall{{ID: "a", Name: "w", Arguments: []byte(`{}`)}}}
	for _, tc := range []struct {
		in, want []Message
	}{
		{[]Message{{Role: RoleTool, ToolCallID: "a", Content: "sunny"}}, []Message{{Role: RoleUser, Content: "Tool result for call a: sunny"}}},
		{[]Message{checking}, []Message{{Role: RoleAssistant, Content: "Checking.", ToolCalls: []ToolCall{}}}},
	} {
		if got := NormalizeHistory(tc.in, nil); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("NormalizeHistory(%+v) =\n%+v\nwant\n%+v", tc.in, got, tc.want)
		}
	}
}

// A turn of many parallel calls (more than fit the small buffer the
// matching starts with) keeps every call and its result, in call order.
func TestNormalizeHistoryManyParallelCalls(t *testing.T) {
	const n = 12
	var calls []ToolCall
	var results, want []Message
	for i := range n {
		id := "call_" + string(rune('a'+i))
		calls = append(calls, ToolCall{ID: id, Name: "w", Arguments: []byte(`{}`)})
		want = append(want, Message{Role: RoleTool, ToolCallID: id, Content: id})
	}
	for i := n - 1; i >= 0; i-- { // results in reverse order
		results = append(results, want[i])
	}
	in := append([]Message{{Role: RoleAssistant, ToolCalls: calls}}, results...)
	want = append([]Message{{Role: RoleAssistant, ToolCalls: calls}}, want...)
	if got := NormalizeHistory(in, nil); !reflect.DeepEqual(got, want) {
		t.Errorf("NormalizeHistory() =\n%+v\nwant\n%+v", got, want)
	}
}

// A history without tool traffic is returned as is, as documented: the
// same slice, not a copy (a long chat history costs nothing to send).
func TestNormalizeHistoryWithoutToolTrafficIsNotCopied(t *testing.T) {
	in := []Message{{Role: RoleUser, Content: "hi"}, {Role: RoleAssistant, Content: "Hello."}}
	if got := NormalizeHistory(in, nil); len(got) != len(in) || &got[0] != &in[0] {
		t.Errorf("NormalizeHistory() returned a copy of a history without tool traffic")
	}
}
