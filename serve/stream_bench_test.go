package serve_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/llmfall/llmfall/fallback"
	"github.com/llmfall/llmfall/provider"
	"github.com/llmfall/llmfall/serve"
)

// BenchmarkStreamHandler is the gateway's own work on a stream of ten
// deltas, without sockets: the engine over an in-memory link, the handler
// writing into a ResponseWriter that discards (and counts its flushes).
// It shows the per-chunk encoding and writing cost and its allocations:
//
//	go test ./serve -run XXX -bench StreamHandler -benchmem
func BenchmarkStreamHandler(b *testing.B) {
	eng, err := fallback.New(fallback.Config{
		Categories: []fallback.Category{{Name: "fast", Models: map[string]string{"mem": "mem-1"}}},
	}, map[string]provider.Provider{"mem": memProvider{}})
	if err != nil {
		b.Fatal(err)
	}
	srv, err := serve.New(serve.Config{Engine: eng, Keys: []string{clientKey}})
	if err != nil {
		b.Fatal(err)
	}
	h := srv.Handler()
	body := `{"model":"fast","stream":true,"messages":[{"role":"user","content":"Say hello"}]}`
	w := &discard{header: http.Header{}}
	for b.Loop() {
		req := httptest.NewRequest("POST", "/v1/chat/completions", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+clientKey)
		clear(w.header)
		w.code = 0
		h.ServeHTTP(w, req)
		if w.code != 200 {
			b.Fatalf("status %d", w.code)
		}
	}
	b.ReportMetric(float64(w.flushes)/float64(b.N), "flushes/op")
	b.ReportMetric(float64(w.writes)/float64(b.N), "writes/op")
}

// memProvider streams its words (ten when none are given) from memory.
type memProvider struct{ words []string }

func (memProvider) Complete(context.Context, *provider.Request) (*provider.Response, error) {
	return &provider.Response{Text: "word0 word1", FinishReason: provider.FinishStop}, nil
}

func (p memProvider) Stream(context.Context, *provider.Request) (provider.Stream, error) {
	if p.words == nil {
		return &memStream{words: memWords[:]}, nil
	}
	return &memStream{words: p.words}, nil
}

var memWords = [...]string{"word0 ", "word1 ", "word2 ", "word3 ", "word4 ", "word5 ", "word6 ", "word7 ", "word8 ", "word9 "}

type memStream struct {
	words []string
	i     int
	resp  provider.Response
}

func (s *memStream) Next() bool {
	if s.i == len(s.words) {
		s.resp.FinishReason = provider.FinishStop
		return false
	}
	s.i++
	return true
}

func (s *memStream) Current() provider.Chunk      { return provider.Chunk{Text: s.words[s.i-1]} }
func (s *memStream) Err() error                   { return nil }
func (s *memStream) Response() *provider.Response { return &s.resp }
func (s *memStream) Close() error                 { return nil }

// discard is a ResponseWriter that keeps nothing but counts, and, when
// keep is set, what was written since the last flush.
type discard struct {
	header          http.Header
	code            int
	writes, flushes int
	keep            bool
	unflushed       []byte
}

func (d *discard) Header() http.Header { return d.header }
func (d *discard) WriteHeader(code int) {
	if d.code == 0 {
		d.code = code
	}
}
func (d *discard) Write(p []byte) (int, error) {
	if d.code == 0 {
		d.code = 200
	}
	d.writes++
	if d.keep {
		d.unflushed = append(d.unflushed, p...)
	}
	return len(p), nil
}
func (d *discard) Flush() { d.flushes++; d.unflushed = d.unflushed[:0] }
