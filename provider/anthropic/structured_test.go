package anthropic

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/llmfall/llmfall/provider"
	"github.com/llmfall/llmfall/provider/wiretest"
)

// The tools and tool_choice a request sends decide whether the model can
// answer in the required format at all: the output tool must be the one the
// model is made to call (or one of the tools it must call), under a name
// the API accepts, and a tool choice goes only with tools, which the API
// demands.
func TestToolsAndChoiceSent(t *testing.T) {
	object := json.RawMessage(`{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}`)
	format := func(name string) *provider.ResponseFormat {
		return &provider.ResponseFormat{Type: provider.FormatJSONSchema, Name: name, Schema: object}
	}
	tests := []struct {
		name       string
		tools      bool
		choice     provider.ToolChoiceMode
		format     *provider.ResponseFormat
		wantTools  []string
		wantChoice string // "" for none sent
	}{
		{"no calls allowed: only the output tool, forced", true, provider.ToolChoiceNone, format("weather_report"),
			[]string{"weather_report"}, `{"name":"weather_report","type":"tool"}`},
		{"auto: the model must call a tool, the output tool or another", true, provider.ToolChoiceAuto, format("weather_report"),
			[]string{"get_weather", "weather_report"}, `{"type":"any"}`},
		{"a format name the API refuses as a tool name", false, "", format("weather report"),
			[]string{"structured_output"}, `{"name":"structured_output","type":"tool"}`},
		{"a format name taken by a tool", true, "", format("get_weather"),
			[]string{"get_weather", "structured_output"}, `{"type":"any"}`},
		{"a JSON-schema format without its schema is asked for as a JSON object", false, "",
			&provider.ResponseFormat{Type: provider.FormatJSONSchema, Name: "weather_report"}, nil, ""},
		{"a tool choice without tools is not sent", false, provider.ToolChoiceAuto, nil, nil, ""},
		{"nor is a required one", false, provider.ToolChoiceRequired, nil, nil, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := wiretest.NewServer(t, wiretest.Anthropic, wiretest.JSON(wiretest.ToolFixture(t, "message_structured.json")))
			req := &provider.Request{Model: "claude-3-5-haiku-latest", Messages: []provider.Message{{Role: provider.RoleUser, Content: "Paris weather"}},
				ToolChoice: provider.ToolChoice{Mode: tc.choice}, ResponseFormat: tc.format}
			if tc.tools {
				req.Tools = []provider.Tool{wiretest.WeatherTool}
			}
			if _, err := toolClient(srv).Complete(context.Background(), req); err != nil {
				t.Fatalf("Complete() error = %v", err)
			}
			var body struct {
				Tools []struct {
					Name string `json:"name"`
				} `json:"tools"`
				ToolChoice json.RawMessage `json:"tool_choice"`
			}
			if err := json.Unmarshal(srv.Bodies()[0], &body); err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, tl := range body.Tools {
				names = append(names, tl.Name)
			}
			if diff := cmp.Diff(tc.wantTools, names); diff != "" {
				t.Errorf("tools sent (-want +got):\n%s", diff)
			}
			var choice string
			if body.ToolChoice != nil {
				var v map[string]any
				json.Unmarshal(body.ToolChoice, &v)
				b, _ := json.Marshal(v)
				choice = string(b)
			}
			if choice != tc.wantChoice {
				t.Errorf("tool_choice = %s; want %q", choice, tc.wantChoice)
			}
		})
	}
}

// A model that answers a format whose schema travels wrapped (not an
// object) without the wrapper still has its answer passed on, as it gave
// it, rather than an empty one.
func TestWrappedAnswerWithoutItsWrapper(t *testing.T) {
	srv := wiretest.NewServer(t, wiretest.Anthropic, wiretest.JSON(`{"id":"msg_01W","type":"message","role":"assistant","model":"claude-3-5-haiku-20241022",`+
		`"content":[{"type":"tool_use","id":"toolu_01W","name":"cities","input":{"cities":["Paris","Rome"]}}],`+
		`"stop_reason":"tool_use","usage":{"input_tokens":30,"output_tokens":12}}`))
	req := &provider.Request{Model: "claude-3-5-haiku-latest", Messages: []provider.Message{{Role: provider.RoleUser, Content: "Two cities?"}},
		ResponseFormat: &provider.ResponseFormat{Type: provider.FormatJSONSchema, Name: "cities", Schema: json.RawMessage(`{"type":"array","items":{"type":"string"}}`)}}
	resp, err := toolClient(srv).Complete(context.Background(), req)
	if err != nil {
		t.Fatalf("Complete() error = %v", err)
	}
	if resp.Text != `{"cities":["Paris","Rome"]}` || resp.FinishReason != provider.FinishStop {
		t.Errorf("Text, FinishReason = %q, %q; want the tool input as it came, stop", resp.Text, resp.FinishReason)
	}
}

// An answer given through the output tool in the same message as a call of
// the caller's tool ends in tool_calls, so that the caller runs the tool.
func TestAnswerAndToolCallInOneMessage(t *testing.T) {
	srv := wiretest.NewServer(t, wiretest.Anthropic, wiretest.JSON(`{"id":"msg_01B","type":"message","role":"assistant","model":"claude-3-5-haiku-20241022",`+
		`"content":[{"type":"tool_use","id":"toolu_01Out","name":"weather_report","input":{"city":"Paris"}},`+
		`{"type":"tool_use","id":"toolu_01R0me","name":"get_weather","input":{"city":"Rome"}}],`+
		`"stop_reason":"tool_use","usage":{"input_tokens":30,"output_tokens":25}}`))
	req := &provider.Request{Model: "claude-3-5-haiku-latest", Messages: []provider.Message{{Role: provider.RoleUser, Content: "Paris and Rome weather"}},
		Tools: []provider.Tool{wiretest.WeatherTool},
		ResponseFormat: &provider.ResponseFormat{Type: provider.FormatJSONSchema, Name: "weather_report",
			Schema: json.RawMessage(`{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}`)}}
	resp, err := toolClient(srv).Complete(context.Background(), req)
	if err != nil {
		t.Fatalf("Complete() error = %v", err)
	}
	want := []provider.ToolCall{{ID: "toolu_01R0me", Name: "get_weather", Arguments: json.RawMessage(`{"city":"Rome"}`)}}
	if resp.FinishReason != provider.FinishToolCalls || resp.Text != `{"city":"Paris"}` || !cmp.Equal(want, resp.ToolCalls) {
		t.Errorf("FinishReason, Text, ToolCalls = %q, %q, %v; want tool_calls, the answer, the get_weather call", resp.FinishReason, resp.Text, resp.ToolCalls)
	}
}
