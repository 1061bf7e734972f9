package openai

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
	return New(Config{BaseURL: srv.URL + "/v1", APIKey: "k", HTTPClient: srv.Client()})
}

var wantCalls = wiretest.WeatherCalls("call_Pa1s9xQ", "call_R0me7kT")

func TestToolRequestAndCalls(t *testing.T) {
	req := wiretest.ToolConversation("call_Pa1s9xQ", "call_R0me7kT")
	req.Model = "gpt-4.1-mini"
	req.ToolChoice = provider.ToolChoice{Mode: provider.ToolChoiceTool, Name: "get_weather"}

	t.Run("complete", func(t *testing.T) {
		srv := wiretest.NewServer(t, wiretest.OpenAI, wiretest.JSON(wiretest.ToolFixture(t, "completion_tool_calls.json")))
		resp, err := toolClient(srv).Complete(context.Background(), req)
		if err != nil {
			t.Fatalf("Complete() error = %v", err)
		}
		wiretest.ToolGolden(t, "request_tools.golden.json", srv.Bodies()[0], *update)
		if diff := cmp.Diff(wantCalls, resp.ToolCalls); diff != "" {
			t.Errorf("ToolCalls mismatch (-want +got):\n%s", diff)
		}
		if resp.FinishReason != provider.FinishToolCalls || resp.Text != "" {
			t.Errorf("FinishReason, Text = %q, %q; want tool_calls and no text", resp.FinishReason, resp.Text)
		}
	})
	t.Run("stream", func(t *testing.T) {
		srv := wiretest.NewServer(t, wiretest.OpenAI, wiretest.SSE(wiretest.ToolFixture(t, "stream_tool_calls.sse")))
		got, r := wiretest.Stream(t, toolClient(srv), req)
		if body := srv.Body(t, 0); body["stream"] != true {
			t.Errorf("stream = %v; want true", body["stream"])
		}
		// One delta per event that carried a call fragment, and no text:
		// the first of each call names it, the rest carry its arguments,
		// by index.
		want := []provider.Chunk{
			{ToolCall: &provider.ToolCallDelta{Index: 0, ID: "call_Pa1s9xQ", Name: "get_weather"}},
			{ToolCall: &provider.ToolCallDelta{Index: 0, Arguments: `{"ci`}},
			{ToolCall: &provider.ToolCallDelta{Index: 0, Arguments: `ty": "Paris"}`}},
			{ToolCall: &provider.ToolCallDelta{Index: 1, ID: "call_R0me7kT", Name: "get_weather"}},
			{ToolCall: &provider.ToolCallDelta{Index: 1, Arguments: `{"city": "Rome", `}},
			{ToolCall: &provider.ToolCallDelta{Index: 1, Arguments: `"units": "celsius"}`}},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("chunks mismatch (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(wantCalls, r.ToolCalls); diff != "" {
			t.Errorf("Response().ToolCalls mismatch (-want +got):\n%s", diff)
		}
		if r.FinishReason != provider.FinishToolCalls || r.TTFT <= 0 {
			t.Errorf("FinishReason, TTFT = %q, %v; want tool_calls and the first delta's time", r.FinishReason, r.TTFT)
		}
	})
}

// A history begun on another provider continues here: Anthropic's toolu_
// ids pass, Gemini's missing ids and ids too long for OpenAI are replaced,
// and the server accepts every tool message as answering a call.
func TestToolHistoryFromOtherProviders(t *testing.T) {
	long := "toolu_" + strings.Repeat("x", 40)
	for _, ids := range [][2]string{{"toolu_01A09q90qw90lq917835lq9", "toolu_01B"}, {"", ""}, {long, long}} {
		srv := wiretest.NewServer(t, wiretest.OpenAI, wiretest.JSON(wiretest.ToolFixture(t, "completion_structured.json")))
		req := wiretest.ToolConversation(ids[0], ids[1])
		req.Model = "gpt-4.1-mini"
		if _, err := toolClient(srv).Complete(context.Background(), req); err != nil {
			t.Errorf("ids %q: Complete() error = %v", ids, err)
		}
	}
}

func TestStructuredOutput(t *testing.T) {
	schema := json.RawMessage(`{"type":"object","properties":{"city":{"type":"string"},"temp_c":{"type":"number"}},"required":["city","temp_c"],"additionalProperties":false}`)
	tests := []struct {
		name   string
		format *provider.ResponseFormat
		json   bool
		want   string
	}{
		{"json schema", &provider.ResponseFormat{Type: provider.FormatJSONSchema, Name: "weather_report", Schema: schema, Strict: true},
			false, `{"type":"json_schema","json_schema":{"name":"weather_report","schema":` + string(schema) + `,"strict":true}}`},
		{"unnamed schema", &provider.ResponseFormat{Type: provider.FormatJSONSchema, Schema: schema},
			false, `{"type":"json_schema","json_schema":{"name":"response","schema":` + string(schema) + `}}`},
		{"json object", &provider.ResponseFormat{Type: provider.FormatJSONObject}, false, `{"type":"json_object"}`},
		{"legacy JSON flag", nil, true, `{"type":"json_object"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := wiretest.NewServer(t, wiretest.OpenAI, wiretest.JSON(wiretest.ToolFixture(t, "completion_structured.json")))
			req := &provider.Request{Model: "gpt-4.1-mini", Messages: []provider.Message{{Role: provider.RoleUser, Content: "Paris weather"}},
				ResponseFormat: tc.format, JSON: tc.json}
			resp, err := toolClient(srv).Complete(context.Background(), req)
			if err != nil {
				t.Fatalf("Complete() error = %v", err)
			}
			var body struct {
				ResponseFormat json.RawMessage `json:"response_format"`
			}
			json.Unmarshal(srv.Bodies()[0], &body)
			if got := string(body.ResponseFormat); got != tc.want {
				t.Errorf("response_format = %s; want %s", got, tc.want)
			}
			if resp.Text != `{"city":"Paris","temp_c":18}` {
				t.Errorf("Text = %q", resp.Text)
			}
		})
	}
}
