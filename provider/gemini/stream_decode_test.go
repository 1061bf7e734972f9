package gemini

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/llmfall/llmfall/provider"
	"github.com/llmfall/llmfall/provider/wiretest"
)

// A chunk whose parts are text and function calls together (the model says
// what it will do and calls the tools in one go) gives the text first, then
// each call: neither is dropped.
func TestStreamTextAndCallsInOneChunk(t *testing.T) {
	const body = `data: {"candidates": [{"content": {"parts": [{"text": "Checking both cities."},{"functionCall": {"name": "get_weather","args": {"city": "Paris"}}},{"functionCall": {"name": "get_weather","args": {"city": "Rome","units": "celsius"}}}],"role": "model"},"finishReason": "STOP","index": 0}],"usageMetadata": {"promptTokenCount": 88,"candidatesTokenCount": 30,"totalTokenCount": 118},"modelVersion": "gemini-2.5-flash","responseId": "Gm7oaPQ2A8mN1e8Q"}` + "\r\n\r\n"
	srv := wiretest.NewServer(t, wiretest.Gemini, wiretest.SSE(body))
	req := &provider.Request{Model: "gemini-2.5-flash", Messages: []provider.Message{{Role: provider.RoleUser, Content: "Weather in Paris and Rome?"}},
		Tools: []provider.Tool{wiretest.WeatherTool}}
	got, r := wiretest.Stream(t, toolClient(srv), req)
	want := wiretest.WholeCallChunks("Checking both cities.", "call_Gm7oaPQ2A8mN1e8Q_0", "call_Gm7oaPQ2A8mN1e8Q_1")
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("chunks mismatch (-want +got):\n%s", diff)
	}
	if r.Text != "Checking both cities." || len(r.ToolCalls) != 2 || r.FinishReason != provider.FinishToolCalls {
		t.Errorf("Response() = %q, %d calls, %q; want the text, 2 calls, tool_calls", r.Text, len(r.ToolCalls), r.FinishReason)
	}
}

// Chunks that name no modelVersion or responseId (a proxy's, an older API
// version's) leave the Response the model asked for and the request id
// from the headers.
func TestStreamWithoutModelVersion(t *testing.T) {
	const body = `data: {"candidates": [{"content": {"parts": [{"text": "Order 1182"}],"role": "model"},"index": 0}]}` + "\r\n\r\n" +
		`data: {"candidates": [{"content": {"parts": [{"text": " is refunded."}],"role": "model"},"finishReason": "STOP","index": 0}],"usageMetadata": {"promptTokenCount": 42,"candidatesTokenCount": 5,"totalTokenCount": 47}}` + "\r\n\r\n"
	c := serve(t, func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/event-stream")
		w.Header().Set("X-Goog-Request-Id", "goog-req-7")
		io.WriteString(w, body)
	})
	s, err := c.Stream(context.Background(), fullRequest())
	if err != nil {
		t.Fatalf("Stream() error = %v", err)
	}
	defer s.Close()
	if got := strings.Join(drain(s), ""); got != "Order 1182 is refunded." {
		t.Errorf("text = %q", got)
	}
	if err := s.Err(); err != nil {
		t.Fatalf("Err() = %v", err)
	}
	if r := s.Response(); r.Model != "gemini-2.5-flash" || r.RequestID != "goog-req-7" {
		t.Errorf("Model, RequestID = %q, %q; want gemini-2.5-flash (the request's, without models/), goog-req-7", r.Model, r.RequestID)
	}
}

// streamBody streams body (events separated by blank lines) from a fake
// Gemini server and returns the text, the Response and the stream's error.
func streamBody(t *testing.T, body string) (string, *provider.Response, error) {
	t.Helper()
	c := serve(t, respond(http.StatusOK, []byte(body)))
	s, err := c.Stream(context.Background(), fullRequest())
	if err != nil {
		t.Fatalf("Stream() error = %v", err)
	}
	defer s.Close()
	text := strings.Join(drain(s), "")
	return text, s.Response(), s.Err()
}

// A chunk whose answer comes in several text parts gives all of them, in
// order.
func TestStreamChunkOfSeveralTextParts(t *testing.T) {
	const body = `data: {"candidates": [{"content": {"parts": [{"text": "Order 1182"},{"text": " is refunded."}],"role": "model"},"finishReason": "STOP","index": 0}],"modelVersion": "gemini-2.5-flash"}` + "\r\n\r\n"
	text, resp, err := streamBody(t, body)
	if err != nil {
		t.Fatalf("Err() = %v", err)
	}
	if text != "Order 1182 is refunded." || resp.Text != text {
		t.Errorf("text, Response().Text = %q, %q; want both parts", text, resp.Text)
	}
}

// Tokens of the prompt Gemini wrote for a tool (toolUsePromptTokenCount)
// are billed as input, and a last chunk with usage but no candidate (as a
// proxy may send it) updates the counts without ending the stream in error.
func TestStreamToolUsePromptTokensAndUsageOnlyChunk(t *testing.T) {
	const body = `data: {"candidates": [{"content": {"parts": [{"text": "Order 1182 is refunded."}],"role": "model"},"finishReason": "STOP","index": 0}],"usageMetadata": {"promptTokenCount": 42,"toolUsePromptTokenCount": 8,"candidatesTokenCount": 5,"totalTokenCount": 55},"modelVersion": "gemini-2.5-flash"}` + "\r\n\r\n" +
		`data: {"usageMetadata": {"promptTokenCount": 42,"toolUsePromptTokenCount": 8,"candidatesTokenCount": 6,"totalTokenCount": 56},"modelVersion": "gemini-2.5-flash"}` + "\r\n\r\n"
	text, resp, err := streamBody(t, body)
	if err != nil {
		t.Fatalf("Err() = %v", err)
	}
	if want := (provider.Usage{InputTokens: 42 + 8, OutputTokens: 6}); text != "Order 1182 is refunded." || resp.Usage != want || resp.FinishReason != provider.FinishStop {
		t.Errorf("text, Usage, FinishReason = %q, %+v, %q; want the answer, %+v, stop", text, resp.Usage, resp.FinishReason, want)
	}
}
