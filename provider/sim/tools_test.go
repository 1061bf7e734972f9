package sim

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/llmfall/llmfall/provider"
)

var weather = provider.Tool{Name: "get_weather", Description: "Current weather in a city",
	Parameters: json.RawMessage(`{"type":"object","properties":{"city":{"type":"string"},"units":{"type":"string","enum":["celsius","fahrenheit"]},"days":{"type":"integer"}},"required":["city"]}`)}

var refund = provider.Tool{Name: "issue_refund", Description: "Refund an order",
	Parameters: json.RawMessage(`{"type":"object","properties":{"order":{"type":"integer"}}}`)}

func TestToolCalls(t *testing.T) {
	user := provider.Message{Role: provider.RoleUser, Content: "What is the weather in Lisbon for 3 days, in fahrenheit?"}
	call := provider.ToolCall{ID: "call_sim_x", Name: "get_weather", Arguments: json.RawMessage(`{"city":"Lisbon"}`)}
	tests := []struct {
		name     string
		msgs     []provider.Message
		choice   provider.ToolChoice
		wantTool string
		wantArgs string
	}{
		{"auto picks the tool the message is about", []provider.Message{user}, provider.ToolChoice{}, "get_weather", `{"city":"Lisbon","days":3,"units":"fahrenheit"}`},
		{"named", []provider.Message{user}, provider.ToolChoice{Mode: provider.ToolChoiceTool, Name: "issue_refund"}, "issue_refund", `{"order":3}`},
		{"none answers in text", []provider.Message{user}, provider.ToolChoice{Mode: provider.ToolChoiceNone}, "", ""},
		{"after the results, text", []provider.Message{user, {Role: provider.RoleAssistant, ToolCalls: []provider.ToolCall{call}},
			{Role: provider.RoleTool, ToolCallID: "call_sim_x", Content: "21C"}}, provider.ToolChoice{}, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := New(Config{Name: "sim"})
			req := &provider.Request{Model: "gpt-4.1-mini", Messages: tc.msgs, Tools: []provider.Tool{refund, weather}, ToolChoice: tc.choice}
			resp, err := c.Complete(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			if tc.wantTool == "" {
				if len(resp.ToolCalls) != 0 || resp.Text == "" || resp.FinishReason == provider.FinishToolCalls {
					t.Errorf("Complete() = %+v; want text and no calls", resp)
				}
				return
			}
			if len(resp.ToolCalls) != 1 || resp.FinishReason != provider.FinishToolCalls || resp.Text != "" {
				t.Fatalf("Complete() = %+v; want one call", resp)
			}
			if got := resp.ToolCalls[0]; got.Name != tc.wantTool || string(got.Arguments) != tc.wantArgs {
				t.Errorf("call = %s(%s); want %s(%s)", got.Name, got.Arguments, tc.wantTool, tc.wantArgs)
			}
			// The stream gives the same call, in deltas.
			s, err := c.Stream(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			n := 0
			for s.Next() {
				if s.Current().ToolCall == nil {
					t.Fatalf("text chunk %q in a tool-call answer", s.Current().Text)
				}
				n++
			}
			if diff := cmp.Diff(resp.ToolCalls, s.Response().ToolCalls); diff != "" || n < 2 {
				t.Errorf("stream: %d deltas; calls mismatch (-complete +stream):\n%s", n, diff)
			}
		})
	}
}

// A string property takes the term its name asks for: an id key the token
// with digits, an email key the email, others a name first.
func TestToolArgumentsFollowPropertyNames(t *testing.T) {
	lookup := provider.Tool{Name: "lookup_order", Parameters: json.RawMessage(
		`{"type":"object","properties":{"order_id":{"type":"string"},"contact_email":{"type":"string"},"customer":{"type":"string"}}}`)}
	req := &provider.Request{Model: "gpt-4.1-mini", Tools: []provider.Tool{lookup}, Messages: []provider.Message{{Role: provider.RoleUser,
		Content: "Maria Lopez (maria@example.com) asks where order ORD-90412 is."}}}
	resp, err := New(Config{}).Complete(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"contact_email":"maria@example.com","customer":"Maria Lopez","order_id":"ORD-90412"}`
	if len(resp.ToolCalls) != 1 || string(resp.ToolCalls[0].Arguments) != want {
		t.Errorf("calls = %+v; want arguments %s", resp.ToolCalls, want)
	}
}

// After a tool call, the answer draws on the tool's result: an enum takes
// the status the result names, a reply key a sentence.
func TestAnswerDrawsOnToolResults(t *testing.T) {
	call := provider.ToolCall{ID: "c1", Name: "lookup_order", Arguments: json.RawMessage(`{"order_id":"ORD-1"}`)}
	req := &provider.Request{Model: "gpt-4.1-mini", Tools: []provider.Tool{{Name: "lookup_order"}},
		Messages: []provider.Message{
			{Role: provider.RoleUser, Content: "Where is my order ORD-1?"},
			{Role: provider.RoleAssistant, ToolCalls: []provider.ToolCall{call}},
			{Role: provider.RoleTool, ToolCallID: "c1", Content: `{"status": "delayed", "eta": "unknown"}`},
		},
		ResponseFormat: &provider.ResponseFormat{Type: provider.FormatJSONSchema, Schema: json.RawMessage(
			`{"type":"object","properties":{"status":{"enum":["shipped","delayed","unknown"]},"reply":{"type":"string"}}}`)}}
	resp, err := New(Config{}).Complete(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	var got struct{ Status, Reply string }
	if err := json.Unmarshal([]byte(resp.Text), &got); err != nil || got.Status != "delayed" || len(got.Reply) < 20 || len(resp.ToolCalls) != 0 {
		t.Errorf("answer %s, calls %v; want status delayed, a sentence of a reply, no calls", resp.Text, resp.ToolCalls)
	}
}

func TestJSONSchemaAnswer(t *testing.T) {
	c := New(Config{Name: "sim"})
	req := &provider.Request{Model: "gpt-4.1-mini", Messages: []provider.Message{{Role: provider.RoleUser, Content: "Order 1182 from Maria Lopez arrived broken."}},
		ResponseFormat: &provider.ResponseFormat{Type: provider.FormatJSONSchema, Schema: json.RawMessage(
			`{"type":"object","properties":{"customer":{"type":"string"},"order":{"type":"integer"},"urgent":{"type":"boolean"},"tags":{"type":"array","items":{"type":"string"}}}}`)}}
	resp, err := c.Complete(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"customer":"Maria Lopez","order":1182,"tags":["order"],"urgent":true}`; resp.Text != want {
		t.Errorf("Text = %s; want %s", resp.Text, want)
	}
}
