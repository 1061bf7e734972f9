package openai

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
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
		// data: URLs llmfall cannot send on as an image: not base64, no
		// comma, no media type (each with data that would decode).
		{`{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png,AAEC"}}]}]}`, "messages[0].content[0].image_url.url"},
		{`{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png;base64"}}]}]}`, "messages[0].content[0].image_url.url"},
		{`{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:;base64,AAEC"}}]}]}`, "messages[0].content[0].image_url.url"},
		{`{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"a"},{"type":"input_audio"}]}]}`, "messages[0].content[1].type"},
		{`{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":""}}]}]}`, "messages[0].content[0].image_url.url"},
		{`{"model":"m","messages":[{"role":"tool","content":"x"}]}`, "messages[0].tool_call_id"},
		{`{"model":"m","messages":[{"role":"system","content":"only"}]}`, "messages"},
		{`{"model":"m","messages":[{"role":"user","content":"x"}],"stop":3}`, "stop"},
		// Content is a string or an array of parts, nothing else.
		{`{"model":"m","messages":[{"role":"user","content":3}]}`, "messages[0].content"},
		{`{"model":"m","messages":[{"role":"user","content":{"type":"text","text":"a"}}]}`, "messages[0].content"},
		{`{"model":"m","messages":[{"role":"user","content":true}]}`, "messages[0].content"},
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

// BenchmarkDecodeRequestImage decodes a request carrying one inline image
// of 768 KB (1 MB of base64), the shape of a vision call through the
// gateway:
//
//	go test ./provider/openai -run XXX -bench DecodeRequestImage -benchmem
func BenchmarkDecodeRequestImage(b *testing.B) {
	img := make([]byte, 768<<10)
	for i := range img {
		img[i] = byte(i * 7)
	}
	body := []byte(`{"model":"fast","messages":[{"role":"user","content":[{"type":"text","text":"Describe it"},` +
		`{"type":"image_url","image_url":{"url":"data:image/png;base64,` + base64.StdEncoding.EncodeToString(img) + `"}}]}]}`)
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		in, err := DecodeRequest(body)
		if err != nil || len(in.Request.Messages[0].Parts) != 2 {
			b.Fatalf("%v, %+v", err, in)
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

// marshalledChunk is a text chunk as json.Marshal writes it: what
// AppendChunk's fast path must write byte for byte.
func marshalledChunk(t *testing.T, a *Answer, text string, first bool) string {
	t.Helper()
	d := &outMessage{Content: &text}
	if first {
		d.Role = "assistant"
	}
	b, err := json.Marshal(&outCompletion{ID: a.ID, Object: "chat.completion.chunk", Created: a.Created, Model: a.Model,
		Choices: []outChoice{{Delta: d}}})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestAppendChunkWritesWhatMarshalWrites(t *testing.T) {
	texts := []string{"", "Hello", `quote " backslash \ slash /`, "tab\tnewline\nreturn\rbell\bfeed\f\x00\x1f\x7f",
		"<b>&amp;</b>", "naïve café 日本語 🙂", "line\u2028para\u2029", "replacement \ufffd itself", "bad \xff\xfe utf8 \xe2\x82", "\xed\xa0\x80 surrogate"}
	a := &Answer{ID: "chatcmpl-<&>\"x", Created: 1700000000, Model: "claude-3-5-haiku-20241022"}
	for _, text := range texts {
		for _, first := range []bool{true, false} {
			got, err := a.AppendChunk([]byte("data: "), provider.Chunk{Text: text}, first)
			if err != nil {
				t.Fatal(err)
			}
			if want := "data: " + marshalledChunk(t, a, text, first); string(got) != want {
				t.Errorf("AppendChunk(%q, first=%t)\n got %s\nwant %s", text, first, got, want)
			}
		}
	}
}

func FuzzAppendChunk(f *testing.F) {
	f.Add("Hello", "chatcmpl-1", "gpt-4.1-mini", true)
	f.Add("<\u2028\xff\"\\\n", "id\x01", "m&m", false)
	f.Fuzz(func(t *testing.T, text, id, model string, first bool) {
		a := &Answer{ID: id, Created: 1700000000, Model: model}
		got, err := a.AppendChunk(nil, provider.Chunk{Text: text}, first)
		if err != nil {
			t.Fatal(err)
		}
		if want := marshalledChunk(t, a, text, first); string(got) != want {
			t.Errorf("AppendChunk(%q)\n got %s\nwant %s", text, got, want)
		}
	})
}

// TestDecodeRequestToolChoiceAndN: a client's tool_choice reaches the
// request in each of its forms, and n is refused unless it is 1, since a
// client asking for two choices would otherwise get one and not know.
func TestDecodeRequestToolChoiceAndN(t *testing.T) {
	const msgs = `"model":"m","messages":[{"role":"user","content":"x"}]`
	ok := []struct {
		extra string
		want  provider.ToolChoice
	}{
		{``, provider.ToolChoice{}},
		{`,"tool_choice":null`, provider.ToolChoice{}},
		{`,"tool_choice":"auto"`, provider.ToolChoice{Mode: provider.ToolChoiceAuto}},
		{`,"tool_choice":"none"`, provider.ToolChoice{Mode: provider.ToolChoiceNone}},
		{`,"tool_choice":"required"`, provider.ToolChoice{Mode: provider.ToolChoiceRequired}},
		{`,"tool_choice":{"type":"function","function":{"name":"get_weather"}}`, provider.ToolChoice{Mode: provider.ToolChoiceTool, Name: "get_weather"}},
		{`,"n":1`, provider.ToolChoice{}},
	}
	for _, tc := range ok {
		in, err := DecodeRequest([]byte(`{` + msgs + tc.extra + `}`))
		if err != nil {
			t.Errorf("%s: %v", tc.extra, err)
			continue
		}
		if in.Request.ToolChoice != tc.want {
			t.Errorf("%s: tool choice %+v, want %+v", tc.extra, in.Request.ToolChoice, tc.want)
		}
	}
	bad := []struct{ extra, param string }{
		{`,"n":2`, "n"},
		{`,"n":0`, "n"},
		{`,"tool_choice":"any"`, "tool_choice"},
		{`,"tool_choice":{"type":"function","function":{}}`, "tool_choice"},
		{`,"tool_choice":{"type":"function","function":{"name":""}}`, "tool_choice"},
		{`,"tool_choice":3`, "tool_choice"},
		{`,"tool_choice":[]`, "tool_choice"},
	}
	for _, tc := range bad {
		_, err := DecodeRequest([]byte(`{` + msgs + tc.extra + `}`))
		var ie *InboundError
		if !errors.As(err, &ie) || ie.Param != tc.param {
			t.Errorf("%s: err = %v; want an InboundError on %s", tc.extra, err, tc.param)
		}
	}
}

// TestInboundErrorText: the text a client reads names the field before
// the problem, and a body that is not JSON has no field to name.
func TestInboundErrorText(t *testing.T) {
	_, err := DecodeRequest([]byte(`{"messages":[{"role":"user","content":"x"}]}`))
	if err == nil || err.Error() != "model: required" {
		t.Errorf("without a model: err = %v; want model: required", err)
	}
	_, err = DecodeRequest([]byte(`{"model":`))
	if err == nil || !strings.HasPrefix(err.Error(), "the body is not a valid Chat Completions request: ") {
		t.Errorf("a cut body: err = %v; want the body is not a valid Chat Completions request: ...", err)
	}
}

// TestAnswerObjects: the objects a gateway client reads, byte for byte as
// OpenAI writes them: content null beside tool calls and only there, a
// missing finish reason as "stop", total tokens the sum, a tool call's type
// on its first delta only, and an empty param or code as null.
func TestAnswerObjects(t *testing.T) {
	a := &Answer{ID: "chatcmpl-1", Created: 1700000000, Model: "m"}
	const head = `{"id":"chatcmpl-1","object":"chat.completion","created":1700000000,"model":"m","choices":[{"index":0,"message":`
	const chunk = `{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1700000000,"model":"m","choices":`
	call := provider.ToolCall{ID: "c1", Name: "f", Arguments: json.RawMessage(`{"a":1}`)}
	tests := []struct {
		name string
		got  func() ([]byte, error)
		want string
	}{
		{"text", func() ([]byte, error) {
			return a.Completion(&provider.Response{Text: "hi", Usage: provider.Usage{InputTokens: 3, OutputTokens: 2}})
		}, head + `{"role":"assistant","content":"hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}}`},
		{"empty text", func() ([]byte, error) {
			return a.Completion(&provider.Response{FinishReason: provider.FinishLength})
		}, head + `{"role":"assistant","content":""},"finish_reason":"length"}],"usage":{"prompt_tokens":0,"completion_tokens":0,"total_tokens":0}}`},
		{"tool calls only", func() ([]byte, error) {
			return a.Completion(&provider.Response{ToolCalls: []provider.ToolCall{call}, FinishReason: provider.FinishToolCalls})
		}, head + `{"role":"assistant","tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{\"a\":1}"}}]},"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":0,"completion_tokens":0,"total_tokens":0}}`},
		{"text and tool calls", func() ([]byte, error) {
			return a.Completion(&provider.Response{Text: "t", ToolCalls: []provider.ToolCall{call}, FinishReason: provider.FinishToolCalls})
		}, head + `{"role":"assistant","content":"t","tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{\"a\":1}"}}]},"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":0,"completion_tokens":0,"total_tokens":0}}`},
		{"first tool-call delta", func() ([]byte, error) {
			return a.Chunk(provider.Chunk{ToolCall: &provider.ToolCallDelta{Index: 1, ID: "c2", Name: "g", Arguments: `{"b"`}}, true)
		}, chunk + `[{"index":0,"delta":{"role":"assistant","tool_calls":[{"index":1,"id":"c2","type":"function","function":{"name":"g","arguments":"{\"b\""}}]},"finish_reason":null}]}`},
		{"later tool-call delta", func() ([]byte, error) {
			return a.Chunk(provider.Chunk{ToolCall: &provider.ToolCallDelta{Index: 1, Arguments: `:2}`}}, false)
		}, chunk + `[{"index":0,"delta":{"tool_calls":[{"index":1,"function":{"arguments":":2}"}}]},"finish_reason":null}]}`},
		{"finish", func() ([]byte, error) { return a.Finish("") },
			chunk + `[{"index":0,"delta":{},"finish_reason":"stop"}]}`},
		{"usage", func() ([]byte, error) { return a.Usage(provider.Usage{InputTokens: 7, OutputTokens: 4}) },
			chunk + `[],"usage":{"prompt_tokens":7,"completion_tokens":4,"total_tokens":11}}`},
		{"error without param or code", func() ([]byte, error) { return ErrorBody("bad", "invalid_request_error", "", ""), nil },
			`{"error":{"message":"bad","type":"invalid_request_error","param":null,"code":null}}`},
		{"error with both", func() ([]byte, error) { return ErrorBody("no", "invalid_request_error", "n", "unsupported"), nil },
			`{"error":{"message":"no","type":"invalid_request_error","param":"n","code":"unsupported"}}`},
	}
	for _, tc := range tests {
		got, err := tc.got()
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if string(got) != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, got, tc.want)
		}
	}
}
