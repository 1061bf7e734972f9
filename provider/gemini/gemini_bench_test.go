package gemini

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
)

// memTransport answers every request with the same in-memory body, so the
// benchmark measures parsing rather than the loopback network.
type memTransport struct{ body string }

func (m memTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	return &http.Response{
		StatusCode: http.StatusOK,
		Header:     http.Header{"Content-Type": {"text/event-stream"}},
		Body:       io.NopCloser(strings.NewReader(m.body)),
		Request:    r,
	}, nil
}

// BenchmarkStream parses a 100-chunk stream shaped like gemini-2.5-flash's.
func BenchmarkStream(b *testing.B) {
	var sb strings.Builder
	for i := range 100 {
		finish := ""
		if i == 99 {
			finish = `"finishReason": "STOP",`
		}
		fmt.Fprintf(&sb, `data: {"candidates": [{"content": {"parts": [{"text": " word%d"}],"role": "model"},%s"index": 0}],`+
			`"usageMetadata": {"promptTokenCount": 42,"candidatesTokenCount": %d,"totalTokenCount": %d,"serviceTier": "standard"},`+
			`"modelVersion": "gemini-2.5-flash","responseId": "kR3xZt9aBq-Wz7IPh4mT2Ag"}`+"\r\n\r\n", i, finish, i+1, 43+i)
	}
	body := sb.String()
	c := New(Config{BaseURL: "http://gemini.invalid", APIKey: testKey, HTTPClient: &http.Client{Transport: memTransport{body}}})
	req := fullRequest()
	ctx := context.Background()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
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
			b.Fatalf("chunks = %d, Err() = %v; want 100, nil", n, err)
		}
		s.Close()
	}
}
