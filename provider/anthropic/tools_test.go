package anthropic

import (
	"context"
	"encoding/json"
	"flag"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/llmfall/llmfall/provider"
	"github.com/llmfall/llmfall/provider/wiretest"
)

var update = flag.Bool("update", false, "rewrite the golden request bodies in testdata/tools")

func toolClient(srv *wiretest.Server) *Client {
	return New(Config{BaseURL: srv.URL, APIKey: "k", HTTPClient: srv.Client()})
}

var wantCalls = wiretest.WeatherCalls("toolu_01Pa1s", "toolu_01R0me")

func TestToolRequestAndCalls(t *testing.T) {
	req := wiretest.ToolConversation("toolu_01Pa1s", "toolu_01R0me")
	req.Model = "claude-3-5-haiku-latest"
	req.ToolChoice = provider.ToolChoice{Mode: provider.ToolChoiceRequired}

	t.Run("complete", func(t *testing.T) {
		srv := wiretest.NewServer(t, wiretest.Anthropic, wiretest.JSON(wiretest.ToolFixture(t, "message_tool_use.json")))
		resp, err := toolClient(srv).Complete(context.Background(), req)
		if err != nil {
			t.Fatalf("Complete() error = %v", err)
		}
		wiretest.ToolGolden(t, "request_tools.golden.json", srv.Bodies()[0], *update)
		if diff := cmp.Diff(wantCalls, resp.ToolCalls); diff != "" {
			t.Errorf("ToolCalls mismatch (-want +got):\n%s", diff)
		}
		if resp.FinishReason != provider.FinishToolCalls || resp.Text != "I'll check both cities." {
			t.Errorf("FinishReason, Text = %q, %q", resp.FinishReason, resp.Text)
		}
	})
	t.Run("stream", func(t *testing.T) {
		srv := wiretest.NewServer(t, wiretest.Anthropic, wiretest.SSE(wiretest.ToolFixture(t, "stream_tool_use.sse")))
		got, r := wiretest.Stream(t, toolClient(srv), req)
		// content_block_start names a call; each non-empty
		// input_json_delta continues it.
		want := []provider.Chunk{
			{Text: "I'll check both cities."},
			{ToolCall: &provider.ToolCallDelta{Index: 0, ID: "toolu_01Pa1s", Name: "get_weather"}},
			{ToolCall: &provider.ToolCallDelta{Index: 0, Arguments: `{"city": "Pa`}},
			{ToolCall: &provider.ToolCallDelta{Index: 0, Arguments: `ris"}`}},
			{ToolCall: &provider.ToolCallDelta{Index: 1, ID: "toolu_01R0me", Name: "get_weather"}},
			{ToolCall: &provider.ToolCallDelta{Index: 1, Arguments: `{"city": "Rome", "units": "celsius"}`}},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("chunks mismatch (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(wantCalls, r.ToolCalls); diff != "" {
			t.Errorf("Response().ToolCalls mismatch (-want +got):\n%s", diff)
		}
		if r.FinishReason != provider.FinishToolCalls {
			t.Errorf("FinishReason = %q; want tool_calls", r.FinishReason)
		}
	})
}

// A history begun on another provider continues here: ids outside
// Anthropic's alphabet and Gemini's missing ids are replaced, the two
// results go first in one user turn, the next question after them, and
// orphans and empty text never reach the server.
func TestToolHistoryFromOtherProviders(t *testing.T) {
	for _, ids := range [][2]string{{"call_Pa1s9xQ", "call_R0me7kT"}, {"", ""}, {"fc.1/a", "fc.1/b"}, {"dup", "dup"}} {
		srv := wiretest.NewServer(t, wiretest.Anthropic, wiretest.JSON(wiretest.ToolFixture(t, "message_tool_use.json")))
		req := wiretest.ToolConversation(ids[0], ids[1])
		req.Model = "claude-3-5-haiku-latest"
		// An orphan result and an empty assistant turn, which the API
		// would reject as sent.
		req.Messages = append(req.Messages[:len(req.Messages):len(req.Messages)],
			provider.Message{Role: provider.RoleAssistant, Content: ""},
			provider.Message{Role: provider.RoleTool, ToolCallID: "stale", Content: "old"},
			provider.Message{Role: provider.RoleUser, Content: "Thanks."})
		if _, err := toolClient(srv).Complete(context.Background(), req); err != nil {
			t.Errorf("ids %q: Complete() error = %v", ids, err)
		}
	}
}

func TestStructuredOutputThroughForcedTool(t *testing.T) {
	object := json.RawMessage(`{"type":"object","properties":{"city":{"type":"string"},"temp_c":{"type":"number"}},"required":["city","temp_c"]}`)
	list := json.RawMessage(`{"type":"array","items":{"type":"string"}}`)
	tests := []struct {
		name       string
		format     provider.ResponseFormat
		tools      bool
		fixture    string
		wantChoice string
		wantText   string
	}{
		{"object schema", provider.ResponseFormat{Type: provider.FormatJSONSchema, Name: "weather_report", Schema: object},
			false, "stream_structured.sse", `{"type":"tool","name":"weather_report"}`, `{"city": "Paris", "temp_c": 18}`},
		{"array schema travels wrapped", provider.ResponseFormat{Type: provider.FormatJSONSchema, Name: "cities", Schema: list},
			false, "stream_structured_wrapped.sse", `{"type":"tool","name":"cities"}`, `["Paris", "Rome"]`},
		{"with the caller's tools the model must call one or answer", provider.ResponseFormat{Type: provider.FormatJSONSchema, Name: "weather_report", Schema: object},
			true, "stream_structured.sse", `{"type":"any"}`, `{"city": "Paris", "temp_c": 18}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := &provider.Request{Model: "claude-3-5-haiku-latest", Messages: []provider.Message{{Role: provider.RoleUser, Content: "Paris weather"}},
				ResponseFormat: &tc.format}
			if tc.tools {
				req.Tools = []provider.Tool{wiretest.WeatherTool}
			}
			srv := wiretest.NewServer(t, wiretest.Anthropic, wiretest.SSE(wiretest.ToolFixture(t, tc.fixture)))
			s, err := toolClient(srv).Stream(context.Background(), req)
			if err != nil {
				t.Fatalf("Stream() error = %v", err)
			}
			defer s.Close()
			var text strings.Builder
			for s.Next() {
				if s.Current().ToolCall != nil {
					t.Fatalf("tool-call delta %+v; the output tool's input is the answer text", s.Current().ToolCall)
				}
				text.WriteString(s.Current().Text)
			}
			if err := s.Err(); err != nil {
				t.Fatalf("Err() = %v", err)
			}
			if got := text.String(); got != tc.wantText {
				t.Errorf("text = %q; want %q", got, tc.wantText)
			}
			if r := s.Response(); r.FinishReason != provider.FinishStop || len(r.ToolCalls) != 0 {
				t.Errorf("FinishReason, ToolCalls = %q, %v; want stop and none", r.FinishReason, r.ToolCalls)
			}
			var body struct {
				ToolChoice json.RawMessage `json:"tool_choice"`
				System     string          `json:"system"`
			}
			json.Unmarshal(srv.Bodies()[0], &body)
			if string(body.ToolChoice) != tc.wantChoice {
				t.Errorf("tool_choice = %s; want %s", body.ToolChoice, tc.wantChoice)
			}
		})
	}
	t.Run("complete", func(t *testing.T) {
		srv := wiretest.NewServer(t, wiretest.Anthropic, wiretest.JSON(wiretest.ToolFixture(t, "message_structured.json")))
		req := &provider.Request{Model: "claude-3-5-haiku-latest", Messages: []provider.Message{{Role: provider.RoleUser, Content: "Paris weather"}},
			ResponseFormat: &provider.ResponseFormat{Type: provider.FormatJSONSchema, Name: "weather_report", Schema: object}}
		resp, err := toolClient(srv).Complete(context.Background(), req)
		if err != nil {
			t.Fatalf("Complete() error = %v", err)
		}
		if resp.Text != `{"city":"Paris","temp_c":18}` || resp.FinishReason != provider.FinishStop || resp.ToolCalls != nil {
			t.Errorf("Text, FinishReason, ToolCalls = %q, %q, %v; want the tool input as text, stop, none", resp.Text, resp.FinishReason, resp.ToolCalls)
		}
		wiretest.ToolGolden(t, "request_structured.golden.json", srv.Bodies()[0], *update)
	})
}
