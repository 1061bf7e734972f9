package fallback

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/llmfall/llmfall/provider"
	"github.com/llmfall/llmfall/provider/openai"
)

// openaiServer answers every chat completion with one scripted SSE body, as
// OpenAI streams it.
func openaiServer(t *testing.T, body string) provider.Provider {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, body)
	}))
	t.Cleanup(srv.Close)
	return openai.New(openai.Config{Name: "a", BaseURL: srv.URL + "/v1", APIKey: "sk-test-0123456789"})
}

func sseChunk(text, finish string) string {
	if finish == "" {
		finish = "null"
	} else {
		finish = `"` + finish + `"`
	}
	return fmt.Sprintf(`data: {"id":"chatcmpl-1","object":"chat.completion.chunk","model":"gpt-4.1-mini","choices":[{"index":0,"delta":{"content":%q},"finish_reason":%s}]}`+"\n\n", text, finish)
}

const garbage = `data: {"id":"chatcmpl-1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":" 11` + "\n\n"

// TestStreamFaultsOverTheWire runs the engine over the OpenAI adapter and a
// server speaking its wire format: a garbage event mid-stream costs a gap,
// not the answer, and shows in the attempt log; garbage before the first
// token, and an empty answer, fall back.
func TestStreamFaultsOverTheWire(t *testing.T) {
	tests := []struct {
		name      string
		body      string
		wantText  string
		want      []string
		wantBad   int
		wantError bool
	}{
		{
			name:     "garbage event mid-stream is skipped",
			body:     sseChunk("Order", "") + garbage + sseChunk(" 1182 was refunded.", "stop") + "data: [DONE]\n\n",
			wantText: "Order 1182 was refunded.", want: []string{"a:ok"}, wantBad: 1,
		},
		{
			name:     "four garbage events end it as malformed",
			body:     sseChunk("Order", "") + strings.Repeat(garbage, 4) + sseChunk(" 1182 was refunded.", "stop") + "data: [DONE]\n\n",
			wantText: "Order", want: []string{"a:error:malformed"}, wantBad: 4, wantError: true,
		},
		{
			name:     "garbage before the first token falls back",
			body:     garbage + sseChunk("Order 1182 was refunded.", "stop") + "data: [DONE]\n\n",
			wantText: "ok from b/b-haiku", want: []string{"a:error:malformed", "b:ok"},
		},
		{
			name:     "an empty answer falls back",
			body:     sseChunk("", "stop") + "data: [DONE]\n\n",
			wantText: "ok from b/b-haiku", want: []string{"a:error:malformed", "b:ok"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, err := New(testConfig(), map[string]provider.Provider{"a": openaiServer(t, tc.body), "b": newFake("b"), "c": newFake("c")})
			if err != nil {
				t.Fatal(err)
			}
			s, err := e.Stream(context.Background(), userRequest("fast"))
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if got := drain(s); got != tc.wantText {
				t.Errorf("text = %q; want %q", got, tc.wantText)
			}
			if (s.Err() != nil) != tc.wantError {
				t.Errorf("Err() = %v; want an error: %t", s.Err(), tc.wantError)
			}
			res := s.Result()
			if diff := cmp.Diff(tc.want, outcomes(res.Attempts)); diff != "" {
				t.Errorf("attempts (-want +got):\n%s", diff)
			}
			if got := res.Attempts[0].MalformedEvents; got != tc.wantBad {
				t.Errorf("Attempts[0].MalformedEvents = %d; want %d", got, tc.wantBad)
			}
		})
	}
}
