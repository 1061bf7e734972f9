package anthropic

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/llmfall/llmfall/provider"
	"github.com/llmfall/llmfall/provider/wiretest"
)

// streamOf streams body from a fake Anthropic server and returns the text
// chunks, the Response and the stream's error.
func streamOf(t *testing.T, body string) ([]string, *provider.Response, error) {
	t.Helper()
	f := newFake(t, respondSSE(map[string]string{"Request-Id": "req_1"}, []byte(body)))
	s, err := f.client(Config{APIKey: "k"}).Stream(context.Background(), &provider.Request{Model: "claude-3-5-haiku-latest"})
	if err != nil {
		t.Fatalf("Stream() error = %v", err)
	}
	defer s.Close()
	chunks := drain(t, s)
	return chunks, s.Response(), s.Err()
}

// A gateway that forwards only the data lines of the event stream (no
// "event:" field, so every event is a "message") still gives the whole
// answer: each event's JSON names its own type.
func TestStreamWithoutEventLines(t *testing.T) {
	recorded := string(readTestdata(t, "stream_text.sse"))
	dataOnly := regexp.MustCompile(`(?m)^event: .*\n`).ReplaceAllString(recorded, "")
	if strings.Contains(dataOnly, "event:") {
		t.Fatal("the recording still has event lines")
	}

	wantChunks, wantResp, err := streamOf(t, recorded)
	if err != nil {
		t.Fatalf("recorded stream: Err() = %v", err)
	}
	gotChunks, gotResp, err := streamOf(t, dataOnly)
	if err != nil {
		t.Fatalf("data-only stream: Err() = %v; want nil", err)
	}
	if diff := cmp.Diff(wantChunks, gotChunks); diff != "" {
		t.Errorf("data-only stream's chunks differ from the recording's (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantResp, gotResp, cmpopts.IgnoreFields(provider.Response{}, "Latency", "TTFT")); diff != "" {
		t.Errorf("data-only stream's Response differs from the recording's (-want +got):\n%s", diff)
	}
}

// A content_block_delta without its "delta" object (a proxy's trimmed
// event, a newer API's variant) carries no text; the stream goes on to the
// rest of the answer.
func TestStreamDeltaEventWithoutDelta(t *testing.T) {
	recorded := string(readTestdata(t, "stream_text.sse"))
	const bare = "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":1}\n\n" +
		"event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":2}\n\n"
	body := strings.Replace(recorded, "event: ping\n", bare+"event: ping\n", 1)
	if body == recorded {
		t.Fatal("the recording has no ping to insert before")
	}
	chunks, resp, err := streamOf(t, body)
	if err != nil {
		t.Fatalf("Err() = %v; want nil", err)
	}
	if want := []string{"Refund", " approved for", " order 1182."}; !cmp.Equal(want, chunks) {
		t.Errorf("chunks = %q; want %q", chunks, want)
	}
	if resp.Text != "Refund approved for order 1182." || resp.FinishReason != provider.FinishLength {
		t.Errorf("Response() = %q, %q; want the whole answer, stopped at max_tokens", resp.Text, resp.FinishReason)
	}
}

// The input tokens message_start reports, cache writes and reads included,
// are the prompt's cost: they stand in the Response of a stream cut before
// its message_delta, and of one whose message_delta has no usage.
func TestStreamInputTokensFromMessageStart(t *testing.T) {
	const start = "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"model\":\"claude-3-5-haiku-20241022\",\"id\":\"msg_01Cc\",\"type\":\"message\",\"role\":\"assistant\",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":24,\"cache_creation_input_tokens\":10,\"cache_read_input_tokens\":100,\"output_tokens\":1}}}\n\n" +
		"event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n" +
		"event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Partial\"}}\n\n"
	const stop = "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n"
	const messageStop = "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"
	for _, tc := range []struct {
		name       string
		body       string
		wantErr    provider.Class
		wantOutput int
	}{
		{"cut before message_delta", start, provider.ClassNetwork, 1},
		{"message_delta without usage", start + stop +
			"event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null}}\n\n" +
			messageStop, "", 1},
		{"message_delta with output tokens only", start + stop +
			"event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":9}}\n\n" +
			messageStop, "", 9},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, resp, err := streamOf(t, tc.body)
			if got := provider.ClassOf(err); got != tc.wantErr {
				t.Fatalf("Err() = %v (class %q); want class %q", err, got, tc.wantErr)
			}
			if want := (provider.Usage{InputTokens: 24 + 10 + 100, OutputTokens: tc.wantOutput}); resp.Usage != want {
				t.Errorf("Usage = %+v; want %+v", resp.Usage, want)
			}
		})
	}
}

// A message_delta that carries only usage (no "delta" object) updates the
// counts and leaves the stop reason an earlier one gave.
func TestStreamMessageDeltaWithoutDelta(t *testing.T) {
	recorded := string(readTestdata(t, "stream_text.sse"))
	const usageOnly = "event: message_delta\ndata: {\"type\":\"message_delta\",\"usage\":{\"output_tokens\":12}}\n\n"
	body := strings.Replace(recorded, "event: message_stop\n", usageOnly+"event: message_stop\n", 1)
	if body == recorded {
		t.Fatal("the recording has no message_stop")
	}
	_, resp, err := streamOf(t, body)
	if err != nil {
		t.Fatalf("Err() = %v; want nil", err)
	}
	if resp.FinishReason != provider.FinishLength || resp.Usage.OutputTokens != 12 {
		t.Errorf("FinishReason, OutputTokens = %q, %d; want length (the first message_delta's), 12", resp.FinishReason, resp.Usage.OutputTokens)
	}
}

// With the caller's tools and a JSON-schema answer, a model that calls one
// of the tools in the same turn as it gives the answer has asked for a
// call: the stream ends in tool_calls, with the call, so the caller runs
// the tool instead of taking the answer as final.
func TestStreamAnswerAndToolCallInOneTurn(t *testing.T) {
	const body = "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_01Both\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-3-5-haiku-20241022\",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":402,\"output_tokens\":2}}}\n\n" +
		"event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"tool_use\",\"id\":\"toolu_01Pa1s\",\"name\":\"get_weather\",\"input\":{}}}\n\n" +
		"event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"city\\\": \\\"Paris\\\"}\"}}\n\n" +
		"event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n" +
		"event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"tool_use\",\"id\":\"toolu_01Out\",\"name\":\"weather_report\",\"input\":{}}}\n\n" +
		"event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"city\\\": \\\"Paris\\\", \\\"temp_c\\\": 18}\"}}\n\n" +
		"event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":1}\n\n" +
		"event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":60}}\n\n" +
		"event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"
	object := json.RawMessage(`{"type":"object","properties":{"city":{"type":"string"},"temp_c":{"type":"number"}},"required":["city","temp_c"]}`)
	req := &provider.Request{Model: "claude-3-5-haiku-latest", Messages: []provider.Message{{Role: provider.RoleUser, Content: "Paris weather"}},
		Tools:          []provider.Tool{wiretest.WeatherTool},
		ResponseFormat: &provider.ResponseFormat{Type: provider.FormatJSONSchema, Name: "weather_report", Schema: object}}
	srv := wiretest.NewServer(t, wiretest.Anthropic, wiretest.SSE(body))
	s, err := toolClient(srv).Stream(context.Background(), req)
	if err != nil {
		t.Fatalf("Stream() error = %v", err)
	}
	defer s.Close()
	for s.Next() {
	}
	if err := s.Err(); err != nil {
		t.Fatalf("Err() = %v", err)
	}
	r := s.Response()
	wantCalls := []provider.ToolCall{{ID: "toolu_01Pa1s", Name: "get_weather", Arguments: json.RawMessage(`{"city":"Paris"}`)}}
	if r.FinishReason != provider.FinishToolCalls || !cmp.Equal(wantCalls, r.ToolCalls) {
		t.Errorf("FinishReason, ToolCalls = %q, %s; want tool_calls, the get_weather call", r.FinishReason, r.ToolCalls)
	}
}
