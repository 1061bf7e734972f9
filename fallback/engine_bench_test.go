package fallback

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/llmfall/llmfall/provider"
)

// benchProvider answers at once from memory, so that what a benchmark
// measures is the engine, not the provider.
type benchProvider struct {
	name   string
	fail   error
	resp   provider.Response
	chunks []string
	// decode makes each chunk cost what an adapter's does: one SSE data
	// line decoded from JSON.
	decode bool
}

var _ provider.Provider = (*benchProvider)(nil)

func (p *benchProvider) Complete(ctx context.Context, req *provider.Request) (*provider.Response, error) {
	if p.fail != nil {
		return nil, p.fail
	}
	return &p.resp, nil
}

func (p *benchProvider) Stream(ctx context.Context, req *provider.Request) (provider.Stream, error) {
	if p.fail != nil {
		return nil, p.fail
	}
	return &benchStream{chunks: p.chunks, i: -1, decode: p.decode}, nil
}

type benchStream struct {
	chunks []string
	i      int
	resp   provider.Response
	decode bool
}

var sseLine = []byte(`{"id":"chatcmpl-1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"token "},"finish_reason":null}]}`)

func (s *benchStream) Next() bool {
	s.i++
	if s.decode && s.i < len(s.chunks) {
		var ev struct {
			Choices []struct {
				Delta struct {
					Content string `json:"content"`
				} `json:"delta"`
			} `json:"choices"`
		}
		if err := json.Unmarshal(sseLine, &ev); err != nil {
			panic(err)
		}
	}
	return s.i < len(s.chunks)
}
func (s *benchStream) Current() provider.Chunk      { return provider.Chunk{Text: s.chunks[s.i]} }
func (s *benchStream) Err() error                   { return nil }
func (s *benchStream) Response() *provider.Response { return &s.resp }
func (s *benchStream) Close() error                 { return nil }

func benchEngine(b *testing.B, cfg Config, ps ...*benchProvider) *Engine {
	b.Helper()
	m := map[string]provider.Provider{}
	for _, p := range ps {
		m[p.name] = p
	}
	e, err := New(cfg, m)
	if err != nil {
		b.Fatal(err)
	}
	return e
}

func withTimeouts(cfg Config) Config {
	cfg.Timeouts = Timeouts{Attempt: 60e9, FirstToken: 15e9, Idle: 30e9, Total: 120e9}
	return cfg
}

func BenchmarkComplete(b *testing.B) {
	p := &benchProvider{name: "a", resp: provider.Response{Text: "ok"}}
	req := userRequest("fast")
	b.Run("direct", func(b *testing.B) {
		b.ReportAllocs()
		ctx := context.Background()
		for b.Loop() {
			r := req.Request
			r.Model = "a-mini"
			if _, err := p.Complete(ctx, &r); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, bc := range []struct {
		name string
		cfg  Config
	}{
		{"engine", testConfig()},
		{"engine+timeouts", withTimeouts(testConfig())},
	} {
		b.Run(bc.name, func(b *testing.B) {
			e := benchEngine(b, bc.cfg, p, &benchProvider{name: "b"}, &benchProvider{name: "c"})
			b.ReportAllocs()
			ctx := context.Background()
			for b.Loop() {
				if _, err := e.Complete(ctx, req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkFailover: the first link fails at once, the second answers. The
// breakers are off, or the dead link would be skipped after a few calls.
func BenchmarkFailover(b *testing.B) {
	cfg := testConfig()
	cfg.BreakerFailures = -1
	dead := &benchProvider{name: "a", fail: &provider.Error{Provider: "a", Status: 503, Class: provider.ClassOverloaded}}
	ok := &benchProvider{name: "b", resp: provider.Response{Text: "ok"}}
	e := benchEngine(b, cfg, dead, ok, &benchProvider{name: "c"})
	req := userRequest("fast")
	b.ReportAllocs()
	for b.Loop() {
		res, err := e.Complete(context.Background(), req)
		if err != nil || res.Target.Provider != "b" {
			b.Fatalf("Complete() = %v, %v; want b", res, err)
		}
	}
}

func BenchmarkStream(b *testing.B) {
	chunks := make([]string, 100)
	for i := range chunks {
		chunks[i] = "token "
	}
	for _, decode := range []bool{false, true} {
		p := &benchProvider{name: "a", chunks: chunks, decode: decode}
		prefix := "memory/"
		if decode {
			prefix = "decoding/"
		}
		benchStreams(b, prefix, p)
	}
}

// benchStreams compares reading p's 100-chunk stream directly and through
// the engine.
func benchStreams(b *testing.B, prefix string, p *benchProvider) {
	req := userRequest("fast")
	b.Run(prefix+"direct", func(b *testing.B) {
		b.ReportAllocs()
		ctx := context.Background()
		for b.Loop() {
			r := req.Request
			r.Model = "a-mini"
			s, err := p.Stream(ctx, &r)
			if err != nil {
				b.Fatal(err)
			}
			n := 0
			for s.Next() {
				n += len(s.Current().Text)
			}
			s.Close()
			if n != 600 {
				b.Fatalf("read %d bytes; want 600", n)
			}
		}
	})
	for _, bc := range []struct {
		name string
		cfg  Config
	}{
		{"engine", testConfig()},
		{"engine+timeouts", withTimeouts(testConfig())},
	} {
		b.Run(prefix+bc.name, func(b *testing.B) {
			e := benchEngine(b, bc.cfg, p, &benchProvider{name: "b"}, &benchProvider{name: "c"})
			b.ReportAllocs()
			ctx := context.Background()
			for b.Loop() {
				s, err := e.Stream(ctx, req)
				if err != nil {
					b.Fatal(err)
				}
				n := 0
				for s.Next() {
					n += len(s.Current().Text)
				}
				s.Close()
				if s.Err() != nil || n != 600 {
					b.Fatalf("read %d bytes, err %v; want 600", n, s.Err())
				}
			}
		})
	}
}
