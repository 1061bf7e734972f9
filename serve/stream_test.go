package serve_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/llmfall/llmfall/clock"
	"github.com/llmfall/llmfall/fallback"
	"github.com/llmfall/llmfall/provider"
	"github.com/llmfall/llmfall/provider/wiretest"
	"github.com/llmfall/llmfall/serve"
	"github.com/llmfall/llmfall/setup"
)

// ticking is a clock that moves 1 ms each time it is read, so that time
// passes between the chunks a commit window sees without a real timer
// deciding anything; its timers never fire.
type ticking struct {
	*clock.Fake
	mu  sync.Mutex
	now time.Time
}

func (c *ticking) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(time.Millisecond)
	return c.now
}

// cutOpenAI is OpenAI's stream of n deltas ("w0 ", "w1 ", …) cut before any
// finish_reason: the connection closes, as when a proxy or the provider
// drops it.
func cutOpenAI(n int) wiretest.Response {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, `data: {"id":"chatcmpl-cut","object":"chat.completion.chunk","created":1700000000,"model":"gpt-4.1-mini","choices":[{"index":0,"delta":{"content":"w%d "},"finish_reason":null}]}`+"\n\n", i)
	}
	return wiretest.SSE(b.String())
}

// windowGateway is the gateway as `llmfall serve` builds it, with the
// category fast's stream_buffer set to window, on a ticking clock.
func windowGateway(t *testing.T, window, openaiURL, anthropicURL string) *gateway {
	t.Helper()
	yaml := fmt.Sprintf(`providers:
  openai:    { type: openai, base_url: %s/v1 }
  anthropic: { type: anthropic, base_url: %s }
categories:
  fast: { openai: gpt-4.1-mini, anthropic: claude-3-5-haiku-latest, stream_buffer: %s }
`, openaiURL, anthropicURL, window)
	clk := &ticking{Fake: clock.NewFake(time.Unix(1700000000, 0)), now: time.Unix(1700000000, 0)}
	return configGateway(t, yaml, clk)
}

// configGateway is the gateway as `llmfall serve` builds it: llmfall.yaml
// parsed by setup (defaults applied), the providers, the engine (counting
// attempts in the metrics) and the server from it. clk, if not nil, is the
// engine's and the server's clock; each of more changes the server's
// Config before it starts.
func configGateway(tb testing.TB, yaml string, clk clock.Clock, more ...func(*serve.Config)) *gateway {
	tb.Helper()
	env := map[string]string{"OPENAI_API_KEY": "sk-upstream", "ANTHROPIC_API_KEY": "sk-ant-upstream"}
	opts := setup.Options{Getenv: func(k string) string { return env[k] }}
	cfg, err := setup.Parse("llmfall.yaml", []byte(yaml), opts)
	if err != nil {
		tb.Fatal(err)
	}
	providers, err := setup.Providers(cfg, opts)
	if err != nil {
		tb.Fatal(err)
	}
	m := serve.NewMetrics()
	eng, err := setup.Engine(cfg, providers, func(c *fallback.Config) {
		c.OnAttempt = m.OnAttempt
		if clk != nil {
			c.Clock = clk
		}
	})
	if err != nil {
		tb.Fatal(err)
	}
	sc := serve.Config{Engine: eng, Keys: []string{clientKey}, Metrics: m, Clock: clk}
	for _, f := range more {
		f(&sc)
	}
	srv, err := serve.New(sc)
	if err != nil {
		tb.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	tb.Cleanup(hs.Close)
	return &gateway{Server: hs, eng: eng, metrics: m, srv: srv}
}

// TestCommitWindowPerCategory: the category's stream_buffer decides what a
// stream cut after its first token does. Inside the window the gateway
// falls back and the client sees only the second link's answer, as if the
// first had never been called; past the window the stream ends with an
// in-band error and no [DONE].
func TestCommitWindowPerCategory(t *testing.T) {
	for _, tc := range []struct {
		name, window string
		sent         int // deltas openai sends before the cut
		fallsBack    bool
	}{
		{"whole", "whole", 3, true},
		{"inside 4 chunks", "4", 3, true},
		{"past 2 chunks", "2", 3, false},
		// The clock moves 1 ms per reading: one reading per chunk held.
		{"inside 1h", "1h", 3, true},
		{"past 2.5ms", "2500us", 6, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			oa := wiretest.NewServer(t, wiretest.OpenAI, cutOpenAI(tc.sent))
			var script []wiretest.Response
			if tc.fallsBack {
				script = append(script, wiretest.TextAnswer(wiretest.KindAnthropic, true, "Hello from Claude"))
			}
			an := wiretest.NewServer(t, wiretest.Anthropic, script...) // called only inside the window
			g := windowGateway(t, tc.window, oa.URL, an.URL)

			resp := g.post(t, helloStream(""))
			if resp.StatusCode != 200 {
				t.Fatalf("status %d: %s", resp.StatusCode, readAll(t, resp.Body))
			}
			evs := readEvents(t, resp.Body)
			if tc.fallsBack {
				assertOnlySecondLink(t, resp.Header.Get, evs)
				return
			}
			assertCutInBand(t, resp.Header.Get, evs, tc.sent)
		})
	}
}

// assertOnlySecondLink checks a stream that fell back inside the window:
// Anthropic's answer alone, whole, named as Anthropic's.
func assertOnlySecondLink(t *testing.T, header func(string) string, evs []event) {
	t.Helper()
	if header("X-Llmfall-Provider") != "anthropic" || header("X-Llmfall-Attempts") != "2" {
		t.Errorf("x-llmfall-provider %q, x-llmfall-attempts %q; want anthropic after 2 attempts",
			header("X-Llmfall-Provider"), header("X-Llmfall-Attempts"))
	}
	if len(evs) == 0 || evs[len(evs)-1].data != "[DONE]" {
		t.Fatalf("events = %v; want a whole stream ending with [DONE]", evs)
	}
	var text strings.Builder
	for _, c := range decodeChunks(t, evs) {
		if c.Model != "claude-3-5-haiku-20241022" {
			t.Errorf("chunk model %q; want only Anthropic's", c.Model)
		}
		for _, ch := range c.Choices {
			text.WriteString(ch.Delta.Content)
		}
	}
	if got := text.String(); got != "Hello from Claude" {
		t.Errorf("client read %q; want only the second link's answer, no splice", got)
	}
	for _, ev := range evs {
		if ev.name != "" {
			t.Errorf("event %q in a stream that fell back inside the window", ev.name)
		}
	}
}

// assertCutInBand checks a stream cut past the window: openai's sent
// deltas, then an error event, and no [DONE].
func assertCutInBand(t *testing.T, header func(string) string, evs []event, sent int) {
	t.Helper()
	if header("X-Llmfall-Provider") != "openai" || header("X-Llmfall-Attempts") != "1" {
		t.Errorf("x-llmfall-provider %q, x-llmfall-attempts %q; want openai after 1 attempt",
			header("X-Llmfall-Provider"), header("X-Llmfall-Attempts"))
	}
	if len(evs) != sent+1 {
		t.Fatalf("events = %v; want %d deltas and an error", evs, sent)
	}
	var text strings.Builder
	for _, c := range decodeChunks(t, evs[:sent]) {
		text.WriteString(c.Choices[0].Delta.Content)
	}
	if want := "w0 w1 w2 w3 w4 w5 "[:3*sent]; text.String() != want {
		t.Errorf("client read %q; want %q", text.String(), want)
	}
	last := evs[sent]
	var e apiErr
	if last.name != "error" || json.Unmarshal([]byte(last.data), &e) != nil || !strings.Contains(e.Error.Message, "interrupted") {
		t.Errorf("last event = %+v; want an error event saying the stream was interrupted", last)
	}
	for _, ev := range evs {
		if ev.data == "[DONE]" {
			t.Error("a cut stream ends with [DONE], as if whole")
		}
	}
}

// TestCommitWindowOneLink: a link named as provider/model has nothing to
// fall back to, so a cut inside its category's window is an HTTP error
// before the first byte, not part of an answer that reads as whole.
func TestCommitWindowOneLink(t *testing.T) {
	oa := wiretest.NewServer(t, wiretest.OpenAI, cutOpenAI(2))
	an := wiretest.NewServer(t, wiretest.Anthropic) // not in a one-link chain
	g := windowGateway(t, "whole", oa.URL, an.URL)
	resp := g.post(t, `{"model":"openai/gpt-4.1-mini","stream":true,"messages":[{"role":"user","content":"Say hello"}]}`)
	if resp.StatusCode != 502 || resp.Header.Get("X-Llmfall-Attempts") != "1" {
		t.Fatalf("status %d, x-llmfall-attempts %q; want 502 after 1 attempt", resp.StatusCode, resp.Header.Get("X-Llmfall-Attempts"))
	}
	if e := decodeErr(t, resp); !strings.Contains(e.Error.Message, "before a finish reason") {
		t.Errorf("error = %+v; want the cut named", e.Error)
	}
}

// TestStreamDeliversEachChunkPromptly: the gateway writes a chunk as soon
// as it has it, each as its own event: the upstream sends its next delta
// only once the client has read the previous one, so a gateway that held a
// chunk back until the next came would never finish.
func TestStreamDeliversEachChunkPromptly(t *testing.T) {
	read := make(chan struct{})
	const deltas = 4
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/event-stream")
		for i := range deltas {
			fmt.Fprintf(w, `data: {"id":"c1","object":"chat.completion.chunk","model":"gpt-4.1-mini","choices":[{"index":0,"delta":{"content":"w%d "},"finish_reason":null}]}`+"\n\n", i)
			w.(http.Flusher).Flush()
			select {
			case <-read:
			case <-r.Context().Done():
				return
			}
		}
		io.WriteString(w, `data: {"id":"c1","object":"chat.completion.chunk","model":"gpt-4.1-mini","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}`+"\n\ndata: [DONE]\n\n")
	}))
	t.Cleanup(up.Close)
	g := newGateway(t, links{openai: up.URL})
	// Only a gateway that holds chunks back meets this deadline.
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "POST", g.URL+"/v1/chat/completions", strings.NewReader(helloStream("")))
	req.Header.Set("Authorization", "Bearer "+clientKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	events := bufio.NewReader(resp.Body)
	for i := range deltas {
		line, err := events.ReadString('\n')
		if err != nil {
			t.Fatalf("delta %d: %v", i, err)
		}
		if want := fmt.Sprintf(`"content":"w%d "`, i); !strings.HasPrefix(line, "data: ") || !strings.Contains(line, want) {
			t.Fatalf("event %d = %q; want the delta %s alone", i, line, want)
		}
		if blank, err := events.ReadString('\n'); blank != "\n" || err != nil {
			t.Fatalf("after delta %d: %q, %v; want the blank line that ends the event", i, blank, err)
		}
		read <- struct{}{}
	}
	rest := readEvents(t, events)
	if len(rest) != 2 || rest[1].data != "[DONE]" {
		t.Errorf("after the deltas: %v; want the finish chunk and [DONE]", rest)
	}
}

// TestStreamEndLeavesWithTheResponse: a stream's last events (the finish,
// [DONE]) are written but not flushed by the handler, so that net/http
// sends them with the response's own end in one write instead of two; the
// first token is flushed at once.
func TestStreamEndLeavesWithTheResponse(t *testing.T) {
	eng, err := fallback.New(fallback.Config{
		Categories: []fallback.Category{{Name: "fast", Models: map[string]string{"mem": "mem-1"}}},
	}, map[string]provider.Provider{"mem": memProvider{words: []string{"hello"}}})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := serve.New(serve.Config{Engine: eng, Keys: []string{clientKey}})
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest("POST", "/v1/chat/completions", strings.NewReader(helloStream("")))
	req.Header.Set("Authorization", "Bearer "+clientKey)
	w := &discard{header: http.Header{}, keep: true}
	srv.Handler().ServeHTTP(w, req)
	if w.code != http.StatusOK || w.flushes != 1 {
		t.Fatalf("status %d after %d flushes; want 200 and the first token's flush alone", w.code, w.flushes)
	}
	if end := string(w.unflushed); !strings.Contains(end, `"finish_reason":"stop"`) || !strings.HasSuffix(end, "data: [DONE]\n\n") {
		t.Errorf("written after the last flush: %q; want the finish chunk and [DONE]", end)
	}
}
