package serve_test

import (
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/llmfall/llmfall/fallback"
	"github.com/llmfall/llmfall/provider"
	"github.com/llmfall/llmfall/provider/openai"
	"github.com/llmfall/llmfall/serve"
)

// BenchmarkGatewayOverhead measures what the gateway adds to a call: each
// case posts the same Chat Completions request either straight to a mock
// upstream or through the gateway (engine, OpenAI adapter, metrics) to that
// upstream, one request at a time, and reports the median and p99 latency
// and the process's CPU time per request (client, gateway and upstream
// together: the machine's load moves it far less than the latencies)
// beside ns/op. What the gateway adds is gateway minus direct.
//
//	go test ./serve/ -run '^$' -bench GatewayOverhead -benchtime 3000x
func BenchmarkGatewayOverhead(b *testing.B) {
	upstream, gateway := overheadServers(b)
	for _, stream := range []bool{false, true} {
		body := fmt.Sprintf(`{"model":"fast","stream":%t,"messages":[{"role":"user","content":"Say hello"}]}`, stream)
		b.Run(fmt.Sprintf("stream=%t/direct", stream), func(b *testing.B) { measureCalls(b, upstream, body) })
		b.Run(fmt.Sprintf("stream=%t/gateway", stream), func(b *testing.B) { measureCalls(b, gateway, body) })
	}
}

// BenchmarkGatewayImage is BenchmarkGatewayOverhead for a vision call: one
// inline image of 768 KB (1 MB of base64) in a non-streaming request, which
// the gateway reads, decodes, and encodes again for the upstream:
//
//	go test ./serve/ -run '^$' -bench GatewayImage -benchtime 100x
func BenchmarkGatewayImage(b *testing.B) {
	upstream, gateway := overheadServers(b)
	img := make([]byte, 768<<10)
	for i := range img {
		img[i] = byte(i * 7)
	}
	body := `{"model":"fast","messages":[{"role":"user","content":[{"type":"text","text":"Describe it"},` +
		`{"type":"image_url","image_url":{"url":"data:image/png;base64,` + base64.StdEncoding.EncodeToString(img) + `"}}]}]}`
	b.Run("direct", func(b *testing.B) { measureCalls(b, upstream, body) })
	b.Run("gateway", func(b *testing.B) { measureCalls(b, gateway, body) })
}

// overheadServers starts a mock upstream and a gateway (engine, OpenAI
// adapter, metrics) in front of it, and returns their /v1 URLs.
func overheadServers(b *testing.B) (upstream, gateway string) {
	up := httptest.NewServer(http.HandlerFunc(mockUpstream))
	b.Cleanup(up.Close)
	m := serve.NewMetrics()
	eng, err := fallback.New(fallback.Config{
		Categories: []fallback.Category{{Name: "fast", Models: map[string]string{"openai": "gpt-4.1-mini"}}},
		OnAttempt:  m.OnAttempt,
	}, map[string]provider.Provider{"openai": openai.New(openai.Config{BaseURL: up.URL + "/v1", APIKey: "sk-upstream"})})
	if err != nil {
		b.Fatal(err)
	}
	srv, err := serve.New(serve.Config{Engine: eng, Keys: []string{clientKey}, Metrics: m})
	if err != nil {
		b.Fatal(err)
	}
	gw := httptest.NewServer(srv.Handler())
	b.Cleanup(gw.Close)
	return up.URL + "/v1", gw.URL + "/v1"
}

// measureCalls posts body to url b.N times, one at a time, and reports the
// median and p99 latency, the process's CPU time and its read and write
// system calls per request.
func measureCalls(b *testing.B, url, body string) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	defer client.CloseIdleConnections()
	took := make([]time.Duration, 0, b.N)
	cpu := cpuTime()
	reads, writes := syscalls()
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		req, _ := http.NewRequest("POST", url+"/chat/completions", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+clientKey)
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || n == 0 {
			b.Fatalf("status %d, %d bytes", resp.StatusCode, n)
		}
		took = append(took, time.Since(start))
	}
	b.StopTimer()
	b.ReportMetric(float64((cpuTime()-cpu).Microseconds())/float64(b.N), "cpu-µs/op")
	r, w := syscalls()
	b.ReportMetric(float64(r-reads)/float64(b.N), "reads/op")
	b.ReportMetric(float64(w-writes)/float64(b.N), "writes/op")
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(took[len(took)*99/100].Microseconds()), "p99-µs")
}

// mockUpstream answers like OpenAI at once: a completion, or a stream of
// ten deltas.
func mockUpstream(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	mockAnswer(w, body)
}

// mockAnswer writes mockUpstream's answer to a request whose body is body.
func mockAnswer(w http.ResponseWriter, body []byte) {
	if !strings.Contains(string(body), `"stream":true`) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"id":"chatcmpl-b","object":"chat.completion","model":"gpt-4.1-mini","choices":[{"index":0,"message":{"role":"assistant","content":"Hello! How can I help you today?"},"finish_reason":"stop"}],"usage":{"prompt_tokens":9,"completion_tokens":9}}`)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	fl := w.(http.Flusher)
	for i := range 10 {
		fmt.Fprintf(w, `data: {"id":"chatcmpl-b","model":"gpt-4.1-mini","choices":[{"index":0,"delta":{"content":"word%d "},"finish_reason":null}]}`+"\n\n", i)
		fl.Flush()
	}
	io.WriteString(w, `data: {"id":"chatcmpl-b","model":"gpt-4.1-mini","choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":{"prompt_tokens":9,"completion_tokens":10}}`+"\n\ndata: [DONE]\n\n")
}
