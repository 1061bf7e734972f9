package openai

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/llmfall/llmfall/provider"
	"github.com/llmfall/llmfall/provider/wiretest"
)

// These tests pin the decisions of tools.go and wire.go one at a time,
// each against the fake server that refuses what api.openai.com refuses.

// sentBody sends req through Complete and returns the body the server got.
func sentBody(t *testing.T, req *provider.Request) map[string]any {
	t.Helper()
	srv := wiretest.NewServer(t, wiretest.OpenAI, wiretest.JSON(wiretest.ToolFixture(t, "completion_structured.json")))
	if _, err := toolClient(srv).Complete(context.Background(), req); err != nil {
		t.Fatalf("Complete() error = %v", err)
	}
	return srv.Body(t, 0)
}

// message is the i-th message of a decoded request body.
func message(t *testing.T, body map[string]any, i int) map[string]any {
	t.Helper()
	msgs, _ := body["messages"].([]any)
	if i >= len(msgs) {
		t.Fatalf("body has %d messages; want at least %d", len(msgs), i+1)
	}
	m, _ := msgs[i].(map[string]any)
	return m
}

func TestToolChoiceOnTheWire(t *testing.T) {
	named := map[string]any{"type": "function", "function": map[string]any{"name": "get_weather"}}
	tests := []struct {
		name   string
		choice provider.ToolChoice
		tools  bool
		want   any // nil: no tool_choice field
	}{
		{"auto", provider.ToolChoice{Mode: provider.ToolChoiceAuto}, true, "auto"},
		{"none", provider.ToolChoice{Mode: provider.ToolChoiceNone}, true, "none"},
		{"required", provider.ToolChoice{Mode: provider.ToolChoiceRequired}, true, "required"},
		{"named tool", provider.ToolChoice{Mode: provider.ToolChoiceTool, Name: "get_weather"}, true, named},
		{"default", provider.ToolChoice{}, true, nil},
		// The API answers tool_choice without tools with a 400.
		{"required without tools", provider.ToolChoice{Mode: provider.ToolChoiceRequired}, false, nil},
		{"named tool without tools", provider.ToolChoice{Mode: provider.ToolChoiceTool, Name: "get_weather"}, false, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := &provider.Request{Model: "gpt-4.1-mini", Messages: []provider.Message{{Role: provider.RoleUser, Content: "Paris?"}},
				ToolChoice: tc.choice}
			if tc.tools {
				req.Tools = []provider.Tool{wiretest.WeatherTool}
			}
			body := sentBody(t, req)
			got, ok := body["tool_choice"]
			if diff := cmp.Diff(tc.want, got); diff != "" || ok != (tc.want != nil) {
				t.Errorf("tool_choice = %v (present %v) mismatch (-want +got):\n%s", got, ok, diff)
			}
			if _, ok := body["tools"]; ok != tc.tools {
				t.Errorf("tools present = %v; want %v", ok, tc.tools)
			}
		})
	}
}

// OpenAI takes tool_call_ids of 1 to 40 characters: one of exactly 40 goes
// as the history has it, one of 41 is replaced in the call and in its
// result alike.
func TestToolCallIDLength(t *testing.T) {
	id40, id41 := "toolu_"+strings.Repeat("a", 34), "toolu_"+strings.Repeat("b", 35)
	req := wiretest.ToolConversation(id40, id41)
	req.Model = "gpt-4.1-mini"
	body := sentBody(t, req)
	calls, _ := message(t, body, 2)["tool_calls"].([]any)
	if len(calls) != 2 {
		t.Fatalf("assistant message has %d calls; want 2", len(calls))
	}
	first, _ := calls[0].(map[string]any)["id"].(string)
	second, _ := calls[1].(map[string]any)["id"].(string)
	if first != id40 {
		t.Errorf("40-character id sent as %q; want it unchanged", first)
	}
	if second == id41 || second == "" || len(second) > maxIDLen {
		t.Errorf("41-character id sent as %q; want a new id of at most %d characters", second, maxIDLen)
	}
	if got := message(t, body, 3)["tool_call_id"]; got != first {
		t.Errorf("first result answers %v; want %q", got, first)
	}
	if got := message(t, body, 4)["tool_call_id"]; got != second {
		t.Errorf("second result answers %v; want the renamed %q", got, second)
	}
}

// Arguments travel as JSON text in a string. A model's unparsable
// arguments come back as a JSON string (provider.ArgumentsJSON) and go to
// the next request as the text the model wrote, not as a quoted string;
// a call without arguments goes as "{}".
func TestToolArgumentsOnTheWire(t *testing.T) {
	tests := []struct {
		name string
		args json.RawMessage
		want string
	}{
		{"object", json.RawMessage(`{"city":"Paris"}`), `{"city":"Paris"}`},
		{"none", nil, "{}"},
		{"model's unparsable text", provider.ArgumentsJSON(`{"city": "Par`), `{"city": "Par`},
		{"a string holding quotes", json.RawMessage(`"say \"hi\""`), `say "hi"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := wiretest.ToolConversation("call_1", "call_2")
			req.Model = "gpt-4.1-mini"
			req.Messages[1].ToolCalls[0].Arguments = tc.args
			calls, _ := message(t, sentBody(t, req), 2)["tool_calls"].([]any)
			fn, _ := calls[0].(map[string]any)["function"].(map[string]any)
			if got := fn["arguments"]; got != tc.want {
				t.Errorf("arguments = %#v; want %#v", got, tc.want)
			}
		})
	}
}

// An assistant turn that only calls tools has content null, as OpenAI
// writes it, not an empty string; a user turn that is only an image (and a
// text part that rendered to nothing) is one image part: the API refuses a
// text part without text.
func TestMessageContentShapes(t *testing.T) {
	req := wiretest.ToolConversation("call_1", "call_2")
	req.Model = "gpt-4.1-mini"
	req.Messages[0] = provider.Message{Role: provider.RoleUser,
		Parts: []provider.Part{{Image: &provider.Image{URL: "https://example.com/sky.jpg"}}, {Text: ""}}}
	req.Messages[1].Content = ""
	body := sentBody(t, req)

	want := []any{map[string]any{"type": "image_url", "image_url": map[string]any{"url": "https://example.com/sky.jpg"}}}
	if diff := cmp.Diff(want, message(t, body, 1)["content"]); diff != "" {
		t.Errorf("image-only user content mismatch (-want +got):\n%s", diff)
	}
	if c, ok := message(t, body, 2)["content"]; !ok || c != nil {
		t.Errorf("calls-only assistant content = %#v (present %v); want null", c, ok)
	}
}

// Parallel calls as compatible servers stream them. OpenAI gives each call
// its index and names it (id and name) in its first delta only; others
// interleave the calls' fragments by index; Gemini's OpenAI endpoint and
// Ollama before 0.4.7 leave the index out, later Ollama sends index 0 for
// every call (ollama/ollama#15457). Each way, two calls stay two.
func TestStreamedParallelCalls(t *testing.T) {
	const head = `data: {"id":"chatcmpl-P","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":`
	tests := []struct {
		name   string
		events []string
		want   []provider.Chunk
	}{
		{"whole, without index", []string{
			`{"role":"assistant","tool_calls":[` +
				`{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}},` +
				`{"id":"call_2","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Rome\",\"units\":\"celsius\"}"}}]},"finish_reason":null}]}`,
		}, []provider.Chunk{
			{ToolCall: &provider.ToolCallDelta{Index: 0, ID: "call_1", Name: "get_weather", Arguments: `{"city":"Paris"}`}},
			{ToolCall: &provider.ToolCallDelta{Index: 1, ID: "call_2", Name: "get_weather", Arguments: `{"city":"Rome","units":"celsius"}`}},
		}},
		{"whole, one a chunk, without index", []string{
			`{"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},"finish_reason":null}]}`,
			`{"tool_calls":[{"id":"call_2","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Rome\",\"units\":\"celsius\"}"}}]},"finish_reason":null}]}`,
		}, []provider.Chunk{
			{ToolCall: &provider.ToolCallDelta{Index: 0, ID: "call_1", Name: "get_weather", Arguments: `{"city":"Paris"}`}},
			{ToolCall: &provider.ToolCallDelta{Index: 1, ID: "call_2", Name: "get_weather", Arguments: `{"city":"Rome","units":"celsius"}`}},
		}},
		{"fragments without index", []string{
			`{"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":""}}]},"finish_reason":null}]}`,
			`{"tool_calls":[{"function":{"arguments":"{\"city\":\"Paris\"}"}}]},"finish_reason":null}]}`,
			`{"tool_calls":[{"id":"call_2","type":"function","function":{"name":"get_weather","arguments":"{\"city\":"}}]},"finish_reason":null}]}`,
			`{"tool_calls":[{"function":{"arguments":"\"Rome\",\"units\":\"celsius\"}"}}]},"finish_reason":null}]}`,
		}, []provider.Chunk{
			{ToolCall: &provider.ToolCallDelta{Index: 0, ID: "call_1", Name: "get_weather"}},
			{ToolCall: &provider.ToolCallDelta{Index: 0, Arguments: `{"city":"Paris"}`}},
			{ToolCall: &provider.ToolCallDelta{Index: 1, ID: "call_2", Name: "get_weather", Arguments: `{"city":`}},
			{ToolCall: &provider.ToolCallDelta{Index: 1, Arguments: `"Rome","units":"celsius"}`}},
		}},
		{"whole, without id or index", []string{
			`{"tool_calls":[{"type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}},` +
				`{"type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Rome\",\"units\":\"celsius\"}"}}]},"finish_reason":null}]}`,
		}, []provider.Chunk{
			{ToolCall: &provider.ToolCallDelta{Index: 0, Name: "get_weather", Arguments: `{"city":"Paris"}`}},
			{ToolCall: &provider.ToolCallDelta{Index: 1, Name: "get_weather", Arguments: `{"city":"Rome","units":"celsius"}`}},
		}},
		{"every fragment with its call's id, without index", []string{
			`{"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":"}}]},"finish_reason":null}]}`,
			`{"tool_calls":[{"id":"call_1","function":{"arguments":"\"Paris\"}"}}]},"finish_reason":null}]}`,
			`{"tool_calls":[{"id":"call_2","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Rome\",\"units\":\"celsius\"}"}}]},"finish_reason":null}]}`,
		}, []provider.Chunk{
			{ToolCall: &provider.ToolCallDelta{Index: 0, ID: "call_1", Name: "get_weather", Arguments: `{"city":`}},
			{ToolCall: &provider.ToolCallDelta{Index: 0, ID: "call_1", Arguments: `"Paris"}`}},
			{ToolCall: &provider.ToolCallDelta{Index: 1, ID: "call_2", Name: "get_weather", Arguments: `{"city":"Rome","units":"celsius"}`}},
		}},
		{"index on each call's first delta only", []string{
			`{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"get_weather","arguments":""}}]},"finish_reason":null}]}`,
			`{"tool_calls":[{"function":{"arguments":"{\"city\":\"Paris\"}"}}]},"finish_reason":null}]}`,
			`{"tool_calls":[{"index":1,"id":"call_2","type":"function","function":{"name":"get_weather","arguments":""}}]},"finish_reason":null}]}`,
			`{"tool_calls":[{"function":{"arguments":"{\"city\":\"Rome\",\"units\":\"celsius\"}"}}]},"finish_reason":null}]}`,
		}, []provider.Chunk{
			{ToolCall: &provider.ToolCallDelta{Index: 0, ID: "call_1", Name: "get_weather"}},
			{ToolCall: &provider.ToolCallDelta{Index: 0, Arguments: `{"city":"Paris"}`}},
			{ToolCall: &provider.ToolCallDelta{Index: 1, ID: "call_2", Name: "get_weather"}},
			{ToolCall: &provider.ToolCallDelta{Index: 1, Arguments: `{"city":"Rome","units":"celsius"}`}},
		}},
		{"every call at index 0", []string{
			`{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":"}}]},"finish_reason":null}]}`,
			`{"tool_calls":[{"index":0,"function":{"arguments":"\"Paris\"}"}}]},"finish_reason":null}]}`,
			`{"tool_calls":[{"index":0,"id":"call_2","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Rome\",\"units\":\"celsius\"}"}}]},"finish_reason":null}]}`,
		}, []provider.Chunk{
			{ToolCall: &provider.ToolCallDelta{Index: 0, ID: "call_1", Name: "get_weather", Arguments: `{"city":`}},
			{ToolCall: &provider.ToolCallDelta{Index: 0, Arguments: `"Paris"}`}},
			{ToolCall: &provider.ToolCallDelta{Index: 1, ID: "call_2", Name: "get_weather", Arguments: `{"city":"Rome","units":"celsius"}`}},
		}},
		{"interleaved by index", []string{
			`{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"get_weather","arguments":""}}]},"finish_reason":null}]}`,
			`{"tool_calls":[{"index":1,"id":"call_2","type":"function","function":{"name":"get_weather","arguments":"{\"city\":"}}]},"finish_reason":null}]}`,
			`{"tool_calls":[{"index":0,"function":{"arguments":"{\"city\":\"Paris\"}"}},{"index":1,"function":{"arguments":"\"Rome\",\"units\":\"celsius\"}"}}]},"finish_reason":null}]}`,
		}, []provider.Chunk{
			{ToolCall: &provider.ToolCallDelta{Index: 0, ID: "call_1", Name: "get_weather"}},
			{ToolCall: &provider.ToolCallDelta{Index: 1, ID: "call_2", Name: "get_weather", Arguments: `{"city":`}},
			{ToolCall: &provider.ToolCallDelta{Index: 0, Arguments: `{"city":"Paris"}`}},
			{ToolCall: &provider.ToolCallDelta{Index: 1, Arguments: `"Rome","units":"celsius"}`}},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var sse strings.Builder
			for _, e := range tc.events {
				sse.WriteString(head + e + "\n\n")
			}
			sse.WriteString(head + `{},"finish_reason":"tool_calls"}]}` + "\n\ndata: [DONE]\n\n")
			srv := wiretest.NewServer(t, wiretest.OpenAI, wiretest.SSE(sse.String()))
			req := wiretest.ToolConversation("call_a", "call_b")
			req.Model = "m"
			got, r := wiretest.Stream(t, toolClient(srv), req)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("chunks mismatch (-want +got):\n%s", diff)
			}
			var ids [2]string // each call's id, as its deltas gave it
			for _, c := range tc.want {
				if ids[c.ToolCall.Index] == "" {
					ids[c.ToolCall.Index] = c.ToolCall.ID
				}
			}
			if diff := cmp.Diff(wiretest.WeatherCalls(ids[0], ids[1]), r.ToolCalls); diff != "" {
				t.Errorf("Response().ToolCalls mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFinishReasons(t *testing.T) {
	tests := []struct {
		wire string // the finish_reason field as JSON
		want provider.FinishReason
	}{
		{`"stop"`, provider.FinishStop},
		{`"length"`, provider.FinishLength},
		{`"content_filter"`, provider.FinishContentFilter},
		{`"tool_calls"`, provider.FinishToolCalls},
		{`"function_call"`, provider.FinishToolCalls}, // the deprecated functions API
		{`"pause_turn"`, provider.FinishOther},        // newer than this code
		{`null`, ""},                                  // not reported
		{`""`, ""},
	}
	for _, tc := range tests {
		t.Run(tc.wire, func(t *testing.T) {
			srv := wiretest.NewServer(t, wiretest.OpenAI, wiretest.JSON(
				`{"id":"c","model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":`+tc.wire+`}]}`))
			resp, err := toolClient(srv).Complete(context.Background(), &provider.Request{Model: "m",
				Messages: []provider.Message{{Role: provider.RoleUser, Content: "hi"}}})
			if err != nil {
				t.Fatalf("Complete() error = %v", err)
			}
			if resp.FinishReason != tc.want {
				t.Errorf("FinishReason = %q; want %q", resp.FinishReason, tc.want)
			}
		})
	}
}

// llmfall never sends n, but a server may list choices out of order or
// answer with another choice only: the answer is choice 0's, or none.
func TestChoiceZeroIsTheAnswer(t *testing.T) {
	req := &provider.Request{Model: "m", Messages: []provider.Message{{Role: provider.RoleUser, Content: "hi"}}}
	t.Run("complete", func(t *testing.T) {
		srv := wiretest.NewServer(t, wiretest.OpenAI,
			wiretest.JSON(`{"choices":[{"index":1,"message":{"content":"second"},"finish_reason":"stop"},{"index":0,"message":{"content":"first"},"finish_reason":"length"}]}`),
			wiretest.JSON(`{"choices":[{"index":1,"message":{"content":"second"},"finish_reason":"stop"}]}`))
		resp, err := toolClient(srv).Complete(context.Background(), req)
		if err != nil {
			t.Fatalf("Complete() error = %v", err)
		}
		if resp.Text != "first" || resp.FinishReason != provider.FinishLength {
			t.Errorf("Text, FinishReason = %q, %q; want choice 0's", resp.Text, resp.FinishReason)
		}
		if resp, err := toolClient(srv).Complete(context.Background(), req); err == nil {
			t.Errorf("Complete() of choice 1 only = %q, nil; want an error", resp.Text)
		}
	})
	t.Run("stream", func(t *testing.T) {
		srv := wiretest.NewServer(t, wiretest.OpenAI, wiretest.SSE(
			`data: {"choices":[{"index":1,"delta":{"content":"second"}},{"index":0,"delta":{"content":"first"}}]}`+"\n\n"+
				`data: {"choices":[{"index":1,"delta":{"content":" again"},"finish_reason":"stop"}]}`+"\n\n"+
				`data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}`+"\n\ndata: [DONE]\n\n"))
		got, r := wiretest.Stream(t, toolClient(srv), req)
		if diff := cmp.Diff([]provider.Chunk{{Text: "first"}}, got); diff != "" {
			t.Errorf("chunks mismatch (-want +got):\n%s", diff)
		}
		if r.FinishReason != provider.FinishStop {
			t.Errorf("FinishReason = %q; want stop", r.FinishReason)
		}
	})
}

// vLLM's continuous usage stats send running totals on every chunk, and a
// server may leave a count at 0 in a later report: the latest non-zero
// count of each kind is the answer's.
func TestStreamUsageReportedMoreThanOnce(t *testing.T) {
	const chunk = `data: {"choices":[{"index":0,"delta":{"content":"a"}}],"usage":`
	for _, last := range []string{`{"prompt_tokens":0,"completion_tokens":3}`, `{"prompt_tokens":12,"completion_tokens":0}`} {
		srv := wiretest.NewServer(t, wiretest.OpenAI, wiretest.SSE(
			chunk+`{"prompt_tokens":10,"completion_tokens":1}}`+"\n\n"+
				chunk+`{"prompt_tokens":12,"completion_tokens":3}}`+"\n\n"+
				`data: {"choices":[],"usage":`+last+`}`+"\n\ndata: [DONE]\n\n"))
		_, r := wiretest.Stream(t, toolClient(srv), &provider.Request{Model: "m",
			Messages: []provider.Message{{Role: provider.RoleUser, Content: "hi"}}})
		if want := (provider.Usage{InputTokens: 12, OutputTokens: 3}); r.Usage != want {
			t.Errorf("last report %s: Usage = %+v; want %+v", last, r.Usage, want)
		}
	}
}

// A base URL with /chat/completions in it (copied from a curl example)
// would get the path appended twice: the config check refuses it.
func TestTypeChecksBaseURL(t *testing.T) {
	wiretest.CheckBaseURLs(t, Type(), map[string]bool{
		"https://api.openai.com/v1":                     true,
		"http://localhost:11434/v1/":                    true,
		"https://openrouter.ai/api/v1":                  true,
		"https://api.openai.com/v1/chat/completions":    false,
		"https://api.openai.com/v1/chat/completions/":   false,
		"http://localhost:8000/v1/chat/completions//":   false,
		"https://gateway.example.com/chat/completions2": true,
	})
}
