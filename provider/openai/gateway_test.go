package openai

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/llmfall/llmfall/provider"
)

func TestDecodeRequest(t *testing.T) {
	in, err := DecodeRequest([]byte(`{"model":"fast","stream":true,"stream_options":{"include_usage":true},"max_tokens":50,"seed":7,
		"stop":["a","b"],"response_format":{"type":"json_object"},
		"messages":[{"role":"system","content":"S1"},{"role":"developer","content":[{"type":"text","text":"S2"}]},
		  {"role":"user","content":[{"type":"text","text":"look"},{"type":"image_url","image_url":{"url":"data:image/png;base64,AAEC"}},{"type":"image_url","image_url":{"url":"https://x/y.jpg"}}]},
		  {"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{\"a\": 1}"}}]},
		  {"role":"tool","tool_call_id":"c1","content":"ok"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	seed := int64(7)
	want := &Inbound{Model: "fast", Stream: true, IncludeUsage: true, Request: provider.Request{
		System: "S1\n\nS2", MaxTokens: 50, Seed: &seed, Stop: []string{"a", "b"},
		ResponseFormat: &provider.ResponseFormat{Type: provider.FormatJSONObject},
		Messages: []provider.Message{
			{Role: provider.RoleUser, Parts: []provider.Part{{Text: "look"}, {Image: &provider.Image{Data: []byte{0, 1, 2}, MediaType: "image/png"}}, {Image: &provider.Image{URL: "https://x/y.jpg"}}}},
			{Role: provider.RoleAssistant, ToolCalls: []provider.ToolCall{{ID: "c1", Name: "f", Arguments: json.RawMessage(`{"a":1}`)}}},
			{Role: provider.RoleTool, ToolCallID: "c1", Content: "ok"},
		}}}
	if diff := cmp.Diff(want, in); diff != "" {
		t.Errorf("DecodeRequest mismatch (-want +got):\n%s", diff)
	}
}

func TestDecodeRequestErrors(t *testing.T) {
	tests := []struct{ body, param string }{
		{`{"model":"m","messages":[{"role":"user","content":[{"type":"image_url"}]}]}`, "messages[0].content[0].image_url.url"},
		{`{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png,AAA"}}]}]}`, "messages[0].content[0].image_url.url"},
		{`{"model":"m","messages":[{"role":"tool","content":"x"}]}`, "messages[0].tool_call_id"},
		{`{"model":"m","messages":[{"role":"system","content":"only"}]}`, "messages"},
		{`{"model":"m","messages":[{"role":"user","content":"x"}],"stop":3}`, "stop"},
		{`{"model":"m","messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_schema"}}`, "response_format.json_schema"},
	}
	for _, tc := range tests {
		_, err := DecodeRequest([]byte(tc.body))
		var ie *InboundError
		if !errors.As(err, &ie) || ie.Param != tc.param {
			t.Errorf("%s: err = %v; want an InboundError on %s", tc.body, err, tc.param)
		}
	}
}

func FuzzDecodeRequest(f *testing.F) {
	f.Add([]byte(`{"model":"m","messages":[{"role":"user","content":"x"}],"tool_choice":{"type":"function","function":{"name":"f"}}}`))
	f.Add([]byte(`{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"a"}]}],"stop":"s"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		in, err := DecodeRequest(body)
		if err == nil && (in.Model == "" || len(in.Request.Messages) == 0) {
			t.Errorf("accepted a request without model or messages: %s", body)
		}
	})
}
