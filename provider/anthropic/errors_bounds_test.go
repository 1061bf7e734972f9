package anthropic

import (
	"context"
	"errors"
	"testing"

	"github.com/llmfall/llmfall/provider"
)

// Error bodies that are JSON but not Anthropic's document (a gateway's, a
// proxy's) leave the status to decide, and one whose error type is newer
// than this adapter still reads its message: a 400 about the context is a
// context-length error, which falls back to a model with a longer one.
func TestErrorBodiesOtherThanAnthropics(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		body   string
		want   provider.Class
	}{
		{"gateway JSON without error", 502, `{"message": "upstream connect error"}`, provider.ClassServer},
		{"error type unknown here", 400, `{"type": "error", "error": {"type": "input_error", "message": "prompt is too long: 215344 tokens > 200000 maximum"}}`, provider.ClassContextLength},
		{"unknown type, other message", 400, `{"type": "error", "error": {"type": "input_error", "message": "bad input"}}`, provider.ClassInvalidRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t, respond(tc.status, map[string]string{"Content-Type": "application/json"}, []byte(tc.body)))
			_, err := f.client(Config{APIKey: "k"}).Complete(context.Background(), &provider.Request{Model: "m"})
			var pe *provider.Error
			if !errors.As(err, &pe) || pe.Class != tc.want || pe.Status != tc.status {
				t.Errorf("Complete() error = %v; want a %s error with HTTP %d", err, tc.want, tc.status)
			}
		})
	}
}

// An error event inside a 200 stream of a type this adapter does not know
// is the provider failing to serve: a server error, which falls back.
func TestStreamErrorOfUnknownType(t *testing.T) {
	stream := "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"m\",\"content\":[],\"usage\":{\"input_tokens\":5,\"output_tokens\":1}}}\n\n" +
		"event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"brand_new_error\",\"message\":\"something new\"}}\n\n"
	f := newFake(t, respondSSE(nil, []byte(stream)))
	s, err := f.client(Config{APIKey: "k"}).Stream(context.Background(), &provider.Request{Model: "m"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for s.Next() {
	}
	if err := s.Err(); provider.ClassOf(err) != provider.ClassServer {
		t.Errorf("stream error = %v; want a server error", err)
	}
}
