package openai

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"testing"
)

// memTransport answers every request with the same in-memory SSE body, so
// the benchmark measures the adapter, not the network.
type memTransport struct{ body []byte }

func (m memTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	return &http.Response{
		StatusCode: 200,
		Header:     http.Header{"Content-Type": {"text/event-stream"}, "X-Request-Id": {"req_bench"}},
		Body:       io.NopCloser(bytes.NewReader(m.body)),
		Request:    req,
	}, nil
}

// benchStream builds a realistic stream of n content chunks, then the
// finish chunk, the usage chunk and [DONE].
func benchStream(n int) []byte {
	var b bytes.Buffer
	const head = `data: {"id":"chatcmpl-Bench","object":"chat.completion.chunk","created":1764073000,"model":"gpt-4.1-mini-2025-04-14","service_tier":"default","system_fingerprint":"fp_6b68a8204b","choices":[{"index":0,"delta":`
	b.WriteString(head + `{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}],"usage":null}` + "\n\n")
	for i := range n {
		fmt.Fprintf(&b, head+`{"content":" token%d"},"logprobs":null,"finish_reason":null}],"usage":null,"obfuscation":"aB3"}`+"\n\n", i)
	}
	b.WriteString(head + `{},"logprobs":null,"finish_reason":"stop"}],"usage":null}` + "\n\n")
	b.WriteString(`data: {"id":"chatcmpl-Bench","object":"chat.completion.chunk","created":1764073000,"model":"gpt-4.1-mini-2025-04-14","choices":[],"usage":{"prompt_tokens":50,"completion_tokens":100,"total_tokens":150}}` + "\n\n")
	b.WriteString("data: [DONE]\n\n")
	return b.Bytes()
}

func BenchmarkStream(b *testing.B) {
	body := benchStream(100)
	c := New(Config{APIKey: "sk-bench", HTTPClient: &http.Client{Transport: memTransport{body: body}}})
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
