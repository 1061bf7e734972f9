package serve_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/llmfall/llmfall/fallback"
	"github.com/llmfall/llmfall/internal/redistest"
	"github.com/llmfall/llmfall/provider"
	"github.com/llmfall/llmfall/provider/openai"
	"github.com/llmfall/llmfall/serve"
	"github.com/llmfall/llmfall/serve/shared"
)

// BenchmarkSharedStateOverhead is a gateway request's latency with no
// shared state, with a Redis that answers and with one that does not: the
// three should not differ, since nothing on a request's path talks to Redis.
//
//	go test ./serve/ -run '^$' -bench SharedStateOverhead -benchtime 3000x
func BenchmarkSharedStateOverhead(b *testing.B) {
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"id":"chatcmpl-b","object":"chat.completion","model":"gpt-4.1-mini","choices":[{"index":0,"message":{"role":"assistant","content":"Hello!"},"finish_reason":"stop"}],"usage":{"prompt_tokens":9,"completion_tokens":2}}`)
	}))
	defer upstream.Close()
	for _, tc := range []struct{ name, url string }{
		{"none", ""},
		{"redis-up", redistest.URL(b)},
		{"redis-down", "redis://127.0.0.1:1/0"}, // nothing listens on port 1
	} {
		b.Run("state="+tc.name, func(b *testing.B) {
			m := serve.NewMetrics()
			cfg := fallback.Config{
				Categories: []fallback.Category{{Name: "fast", Models: map[string]string{"openai": "gpt-4.1-mini"}}},
				OnAttempt:  m.OnAttempt,
			}
			var store *shared.Store
			if tc.url != "" {
				var err error
				if store, err = shared.New(shared.Config{URL: tc.url, Prefix: redistest.Prefix()}); err != nil {
					b.Fatal(err)
				}
				cfg.Shared = store
			}
			eng, err := fallback.New(cfg, map[string]provider.Provider{"openai": openai.New(openai.Config{BaseURL: upstream.URL + "/v1", APIKey: "sk-upstream"})})
			if err != nil {
				b.Fatal(err)
			}
			if store != nil {
				ctx, cancel := context.WithCancel(context.Background())
				done := make(chan struct{})
				go func() { defer close(done); store.Run(ctx, eng) }()
				defer func() { cancel(); <-done }()
			}
			srv, err := serve.New(serve.Config{Engine: eng, Metrics: m, Shared: store})
			if err != nil {
				b.Fatal(err)
			}
			gw := httptest.NewServer(srv.Handler())
			defer gw.Close()
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
			took := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for range b.N {
				start := time.Now()
				resp, err := client.Post(gw.URL+"/v1/chat/completions", "application/json",
					strings.NewReader(`{"model":"fast","messages":[{"role":"user","content":"Say hello"}]}`))
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					b.Fatalf("status %d", resp.StatusCode)
				}
				took = append(took, time.Since(start))
			}
			b.StopTimer()
			slices.Sort(took)
			b.ReportMetric(float64(took[len(took)/2].Microseconds()), "p50-µs")
			b.ReportMetric(float64(took[len(took)*99/100].Microseconds()), "p99-µs")
		})
	}
}
