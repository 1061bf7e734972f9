package gemini

import (
	"context"
	"errors"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/llmfall/llmfall/internal/shared"
	"github.com/llmfall/llmfall/provider"
)

// TestRealResponses feeds responses recorded from the real API (kept outside
// the project, see shared/fixtures/SOURCES.md) through the adapter.
func TestRealResponses(t *testing.T) {
	tests := []struct {
		file       string
		stream     bool
		textPrefix string
		textSuffix string
		finish     provider.FinishReason
		usage      provider.Usage
		model      string
		requestID  string
	}{
		{file: "generate_content_text_cached.json", textPrefix: "This is a transcript of the air-to-ground",
			textSuffix: "made this historic mission possible. \n", finish: provider.FinishStop,
			usage: provider.Usage{InputTokens: 323388, OutputTokens: 397}, model: "gemini-2.5-flash"},
		// Function calls only: no text, but a clean stop.
		// Gemini says STOP after calls; the adapter says tool_calls.
		{file: "generate_content_function_call.json", finish: provider.FinishToolCalls,
			usage: provider.Usage{InputTokens: 71, OutputTokens: 19}, model: "gemini-2.0-flash", requestID: "D786aP7RFa-R1PIPn56f8QM"},
		{file: "third_party/generate_content_malformed_function_call_no_content.json", finish: provider.FinishOther,
			usage: provider.Usage{InputTokens: 61}, model: "gemini-2.5-flash", requestID: "CdDHapDnNJiyqtsP38a-uQc"},
		// Every chunk says STOP, none has usage, and Jupyter rewrote the
		// line endings to a mix of "\r\n" and "\n".
		{file: "stream_text_2024.as_printed.sse", stream: true, textPrefix: "In the quaint, sunlit cottage nestled amidst a lush meadow, resided two feline companions",
			textSuffix: "their love for each other and for adventure stronger than ever.", finish: provider.FinishStop, model: "gemini-2.5-flash"},
		// The thought part is not answer text; thinking counts as output.
		{file: "third_party/stream_thought_then_max_tokens.sse", stream: true, textPrefix: "We", textSuffix: "We",
			finish: provider.FinishLength, usage: provider.Usage{InputTokens: 29, OutputTokens: 59},
			model: "gemini-2.5-flash", requestID: "EdDHavuSDILGjMcPvefFoQg"},
		{file: "third_party/stream_malformed_function_call_no_content.sse", stream: true, finish: provider.FinishOther,
			usage: provider.Usage{InputTokens: 61}, model: "gemini-2.5-flash"},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			body, err := os.ReadFile(shared.Path(t, "fixtures/gemini/"+tc.file))
			if err != nil {
				t.Fatal(err)
			}
			c := serve(t, func(w http.ResponseWriter, r *http.Request) {
				if tc.stream {
					w.Header().Set("Content-Type", "text/event-stream")
				} else {
					w.Header().Set("Content-Type", "application/json; charset=UTF-8")
				}
				w.Write(body)
			})
			var got *provider.Response
			if tc.stream {
				s, err := c.Stream(context.Background(), &provider.Request{Model: "gemini-2.5-flash"})
				if err != nil {
					t.Fatalf("Stream() error = %v", err)
				}
				defer s.Close()
				var chunks int
				for s.Next() {
					chunks++
				}
				if err := s.Err(); err != nil {
					t.Fatalf("Err() = %v", err)
				}
				got = s.Response()
				if tc.textPrefix != "" && (chunks == 0 || got.TTFT <= 0) {
					t.Errorf("chunks = %d, TTFT = %v; want text chunks and a TTFT", chunks, got.TTFT)
				}
			} else {
				got, err = c.Complete(context.Background(), &provider.Request{Model: "gemini-2.5-flash"})
				if err != nil {
					t.Fatalf("Complete() error = %v", err)
				}
			}
			if !strings.HasPrefix(got.Text, tc.textPrefix) || !strings.HasSuffix(got.Text, tc.textSuffix) {
				t.Errorf("Text = %q; want %q … %q", got.Text, tc.textPrefix, tc.textSuffix)
			}
			if tc.textPrefix == "" && got.Text != "" {
				t.Errorf("Text = %q; want none", got.Text)
			}
			if got.FinishReason != tc.finish || got.Usage != tc.usage || got.Model != tc.model || got.RequestID != tc.requestID {
				t.Errorf("finish, usage, model, id = %q, %+v, %q, %q; want %q, %+v, %q, %q",
					got.FinishReason, got.Usage, got.Model, got.RequestID, tc.finish, tc.usage, tc.model, tc.requestID)
			}
		})
	}
}

func TestRealErrors(t *testing.T) {
	tests := []struct {
		file   string
		status int
		class  provider.Class
		retry  time.Duration
	}{
		{"error_400_api_key_invalid.json", 400, provider.ClassAuth, 0},
		{"error_429_resource_exhausted.json", 429, provider.ClassRateLimited, 26 * time.Second},
		{"error_429_resource_exhausted_minimal.json", 429, provider.ClassRateLimited, 0},
		{"error_500_internal.json", 500, provider.ClassServer, 0},
		{"error_503_unavailable.json", 503, provider.ClassOverloaded, 0},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			body, err := os.ReadFile(shared.Path(t, "fixtures/gemini/"+tc.file))
			if err != nil {
				t.Fatal(err)
			}
			c := serve(t, respond(tc.status, body))
			_, err = c.Complete(context.Background(), fullRequest())
			var pe *provider.Error
			if !errors.As(err, &pe) {
				t.Fatalf("Complete() error = %v; want a *provider.Error", err)
			}
			if pe.Class != tc.class || pe.RetryAfter != tc.retry || pe.Message == "" {
				t.Errorf("class, retry, message = %q, %v, %q; want %q, %v, a message", pe.Class, pe.RetryAfter, pe.Message, tc.class, tc.retry)
			}
		})
	}
}
