package anthropic

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"testing"

	"github.com/llmfall/llmfall/provider"
)

// roundTripFunc answers requests in memory, so that the benchmark measures
// parsing rather than the loopback network.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// BenchmarkStream parses a 100-chunk stream shaped like the real one (pings
// between deltas, Anthropic's padded JSON).
func BenchmarkStream(b *testing.B) {
	var payload bytes.Buffer
	payload.WriteString(startEvents)
	payload.WriteString("event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n")
	for i := range 100 {
		fmt.Fprintf(&payload, "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\" token%03d\"}}   \n\n", i)
		if i%10 == 9 {
			payload.WriteString("event: ping\ndata: {\"type\": \"ping\"}\n\n")
		}
	}
	payload.WriteString("event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n")
	payload.WriteString("event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":100}}\n\n")
	payload.WriteString("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n")
	data := payload.Bytes()

	c := New(Config{APIKey: "k", HTTPClient: &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		return &http.Response{
			StatusCode: http.StatusOK,
			Header:     http.Header{"Content-Type": {"text/event-stream"}},
			Body:       io.NopCloser(bytes.NewReader(data)),
			Request:    r,
		}, nil
	})}})
	req := &provider.Request{Model: "m", Messages: []provider.Message{{Role: provider.RoleUser, Content: "hi"}}}
	ctx := context.Background()

	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		s, err := c.Stream(ctx, req)
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for s.Next() {
			n++
		}
		if err := s.Err(); err != nil || n != 100 {
			b.Fatalf("got %d chunks, Err() = %v; want 100, nil", n, err)
		}
		s.Close()
	}
}
