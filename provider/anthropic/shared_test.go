package anthropic

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/llmfall/llmfall/internal/shared"
	"github.com/llmfall/llmfall/provider"
)

// This file replays real recorded Anthropic traffic from ../shared (read in
// place, never copied) through the adapter. Each test skips when the
// recording is absent.

func readShared(t *testing.T, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(shared.Path(t, rel))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// recordedHeaders parses a "*.headers.txt" capture: a status line, then
// "Name: value" lines.
func recordedHeaders(t *testing.T, rel string) map[string]string {
	t.Helper()
	h := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(readShared(t, rel)))
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), ": ")
		if ok && !strings.HasPrefix(name, "HTTP/") {
			h[name] = value
		}
	}
	return h
}

func TestRecordedMessages(t *testing.T) {
	tests := []struct {
		name string
		want provider.Response
	}{
		{"message_text", provider.Response{
			Text:         "The current temperature in San Francisco is 68 degrees Fahrenheit.",
			FinishReason: provider.FinishStop,
			Usage:        provider.Usage{InputTokens: 514, OutputTokens: 19},
			Model:        "claude-3-7-sonnet-20250219",
			RequestID:    "req_011CUdgeLbdAHJifhfifciof",
		}},
		{"message_tool_use", provider.Response{
			Text: "I'll get the current weather in San Francisco for you in Fahrenheit.",
			ToolCalls: []provider.ToolCall{{ID: "toolu_01TZR6ZrLHdpAWdmhVPuDfjQ", Name: "get_weather",
				Arguments: json.RawMessage(`{"city":"San Francisco","units":"fahrenheit"}`)}},
			FinishReason: provider.FinishToolCalls,
			Usage:        provider.Usage{InputTokens: 402, OutputTokens: 89},
			Model:        "claude-3-7-sonnet-20250219",
			RequestID:    "req_011CUdgeEZVNjY7M6qwNV9k6",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := "fixtures/anthropic/" + tc.name
			f := newFake(t, respond(200, recordedHeaders(t, dir+".headers.txt"), readShared(t, dir+".json")))
			got, err := f.client(Config{APIKey: "k"}).Complete(context.Background(), &provider.Request{Model: "claude-3-7-sonnet-latest"})
			if err != nil {
				t.Fatalf("Complete() error = %v", err)
			}
			if diff := cmp.Diff(tc.want, *got, cmpopts.IgnoreFields(provider.Response{}, "Latency", "TTFT")); diff != "" {
				t.Errorf("Complete() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRecordedStreams(t *testing.T) {
	tests := []struct {
		name      string
		headers   string // "" when none were recorded
		want      provider.Response
		wantClass provider.Class
	}{
		{name: "stream_text_after_tool_result", headers: "stream_text_after_tool_result.headers.txt", want: provider.Response{
			Text:         "The current weather in San Francisco is 68 degrees Fahrenheit.",
			FinishReason: provider.FinishStop,
			Usage:        provider.Usage{InputTokens: 509, OutputTokens: 19},
			Model:        "claude-3-7-sonnet-20250219",
			RequestID:    "req_011CUdgeLebtjP3oqrQZ6wp1",
		}},
		{name: "stream_tool_use", headers: "stream_tool_use.headers.txt", want: provider.Response{
			Text: "I'll get the current weather in San Francisco for you in Fahrenheit.",
			ToolCalls: []provider.ToolCall{{ID: "toolu_01RaX2WYWRWCbaeFHssmGJXG", Name: "get_weather",
				Arguments: json.RawMessage(`{"city":"San Francisco","units":"fahrenheit"}`)}},
			FinishReason: provider.FinishToolCalls,
			Usage:        provider.Usage{InputTokens: 397, OutputTokens: 89},
			Model:        "claude-3-7-sonnet-20250219",
			RequestID:    "req_011CUdgeEaEXcfa9PDdxrNMk",
		}},
		{name: "stream_error_overloaded", wantClass: provider.ClassOverloaded},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var h map[string]string
			if tc.headers != "" {
				h = recordedHeaders(t, "fixtures/anthropic/"+tc.headers)
			}
			f := newFake(t, respondSSE(h, readShared(t, "fixtures/anthropic/"+tc.name+".sse")))
			s, err := f.client(Config{APIKey: "k"}).Stream(context.Background(), &provider.Request{Model: "claude-3-7-sonnet-latest"})
			if err != nil {
				t.Fatalf("Stream() error = %v", err)
			}
			defer s.Close()
			drain(t, s)
			if got := provider.ClassOf(s.Err()); got != tc.wantClass {
				t.Fatalf("Err() = %v, class %q; want class %q", s.Err(), got, tc.wantClass)
			}
			if tc.wantClass != "" {
				return
			}
			if diff := cmp.Diff(tc.want, *s.Response(), cmpopts.IgnoreFields(provider.Response{}, "Latency", "TTFT")); diff != "" {
				t.Errorf("Response() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRecordedErrors(t *testing.T) {
	tests := []struct {
		file      string
		status    int
		want      provider.Class
		wantReqID string
	}{
		{"error_400_invalid_request.json", 400, provider.ClassInvalidRequest, ""},
		{"error_401_authentication.json", 401, provider.ClassAuth, ""},
		{"error_429_rate_limit.json", 429, provider.ClassRateLimited, ""},
		{"error_500_api_error.json", 500, provider.ClassServer, "req_011CYVB4LnZmcupS55mD1Jje"},
		{"error_529_overloaded.json", 529, provider.ClassOverloaded, ""},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			f := newFake(t, respond(tc.status, nil, readShared(t, "fixtures/anthropic/"+tc.file)))
			_, err := f.client(Config{}).Complete(context.Background(), &provider.Request{Model: "m"})
			if got := provider.ClassOf(err); got != tc.want {
				t.Errorf("Complete() error = %v, class %q; want %q", err, got, tc.want)
			}
			var pe *provider.Error
			if !errors.As(err, &pe) || pe.Code == "" || pe.Message == "" {
				t.Fatalf("Complete() error = %#v; want a *provider.Error with the body's type and message", err)
			}
			if pe.RequestID != tc.wantReqID {
				t.Errorf("RequestID = %q; want %q", pe.RequestID, tc.wantReqID)
			}
		})
	}
}
