package anthropic

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"go.uber.org/goleak"

	"github.com/llmfall/llmfall/provider"
)

// drain reads s to its end and returns the chunks it produced.
func drain(t *testing.T, s provider.Stream) []string {
	t.Helper()
	var chunks []string
	for s.Next() {
		c := s.Current().Text
		if s.Current().ToolCall != nil {
			continue // checked through Response().ToolCalls
		}
		if c == "" {
			t.Error("Current().Text is empty after Next() = true")
		}
		chunks = append(chunks, c)
	}
	return chunks
}

func TestStream(t *testing.T) {
	f := newFake(t, respondSSE(map[string]string{"Request-Id": "req_011CWbQ3rS4tU5vW6xY7zA8B"}, readTestdata(t, "stream_text.sse")))
	s, err := f.client(Config{APIKey: "k"}).Stream(context.Background(), &provider.Request{Model: "claude-3-5-haiku-latest"})
	if err != nil {
		t.Fatalf("Stream() error = %v", err)
	}
	defer s.Close()

	got := drain(t, s)
	// The empty text_delta and the thinking and signature deltas are not
	// chunks; the tool's input_json_delta is a tool-call delta.
	want := []string{"Refund", " approved for", " order 1182."}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("chunks mismatch (-want +got):\n%s", diff)
	}
	if err := s.Err(); err != nil {
		t.Fatalf("Err() = %v; want nil", err)
	}
	resp := s.Response()
	wantResp := provider.Response{
		Text:         "Refund approved for order 1182.",
		ToolCalls:    []provider.ToolCall{{ID: "toolu_01Hq2", Name: "issue_refund", Arguments: json.RawMessage(`{"order":1182}`)}},
		FinishReason: provider.FinishLength,
		Usage:        provider.Usage{InputTokens: 24 + 100, OutputTokens: 9},
		Model:        "claude-3-5-haiku-20241022",
		RequestID:    "req_011CWbQ3rS4tU5vW6xY7zA8B",
	}
	if diff := cmp.Diff(wantResp, *resp, cmpopts.IgnoreFields(provider.Response{}, "Latency", "TTFT")); diff != "" {
		t.Errorf("Response() mismatch (-want +got):\n%s", diff)
	}
	if resp.TTFT <= 0 || resp.Latency < resp.TTFT {
		t.Errorf("TTFT, Latency = %v, %v; want 0 < TTFT <= Latency", resp.TTFT, resp.Latency)
	}
}

// TestStreamSkipsMalformedEvent: an event that does not decode, after the
// first token, costs its text but not the answer; the Response counts it.
func TestStreamSkipsMalformedEvent(t *testing.T) {
	body := strings.Replace(string(readTestdata(t, "stream_text.sse")), "event: ping\n",
		"event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"text_delta\",\"text\":\" ok\n\nevent: ping\n", 1)
	f := newFake(t, respondSSE(nil, []byte(body)))
	s, err := f.client(Config{APIKey: "k"}).Stream(context.Background(), &provider.Request{Model: "claude-3-5-haiku-latest"})
	if err != nil {
		t.Fatalf("Stream() error = %v", err)
	}
	defer s.Close()
	if diff := cmp.Diff([]string{"Refund", " approved for", " order 1182."}, drain(t, s)); diff != "" {
		t.Errorf("chunks mismatch (-want +got):\n%s", diff)
	}
	if err := s.Err(); err != nil {
		t.Fatalf("Err() = %v; want nil", err)
	}
	if r := s.Response(); r.MalformedEvents != 1 || r.FinishReason != provider.FinishLength {
		t.Errorf("Response() = %d malformed events, finish %q; want 1, length", r.MalformedEvents, r.FinishReason)
	}
}

// TestStreamFailures covers every way a stream can end badly after its 200.
func TestStreamFailures(t *testing.T) {
	truncated := readTestdata(t, "stream_truncated.sse")
	tests := []struct {
		name       string
		reply      http.HandlerFunc
		wantChunks []string
		wantClass  provider.Class
		wantCode   string
		wantReqID  string
	}{
		{
			name:      "error event after message_start",
			reply:     respondSSE(nil, readTestdata(t, "stream_error_midstream.sse")),
			wantClass: provider.ClassOverloaded,
			wantCode:  "overloaded_error",
			wantReqID: "req_011CVm3Fq8eYh2TzLpN4sWxR",
		},
		{
			name: "error event after text",
			reply: respondSSE(map[string]string{"Request-Id": "req_hdr"}, append(truncated[:len(truncated):len(truncated)],
				"event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"api_error\",\"message\":\"Internal server error\"}}\n\n"...)),
			wantChunks: []string{"Partial"},
			wantClass:  provider.ClassServer,
			wantCode:   "api_error",
			wantReqID:  "req_hdr",
		},
		{
			name:      "error event of a new type",
			reply:     respondSSE(nil, []byte("event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"brand_new_error\",\"message\":\"?\"}}\n\n")),
			wantClass: provider.ClassServer,
			wantCode:  "brand_new_error",
		},
		{
			name:       "clean EOF before message_stop",
			reply:      respondSSE(nil, truncated),
			wantChunks: []string{"Partial"},
			wantClass:  provider.ClassNetwork,
		},
		{
			name:       "connection cut",
			reply:      cutAfter(truncated),
			wantChunks: []string{"Partial"},
			wantClass:  provider.ClassNetwork,
		},
		{
			name: "four malformed events after text",
			reply: respondSSE(nil, append(truncated[:len(truncated):len(truncated)],
				strings.Repeat("event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\" or\n\n", 4)...)),
			wantChunks: []string{"Partial"},
			wantClass:  provider.ClassMalformed,
		},
		{
			name:      "malformed event",
			reply:     respondSSE(nil, []byte("event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"model\":\n\n")),
			wantClass: provider.ClassMalformed,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t, tc.reply)
			s, err := f.client(Config{}).Stream(context.Background(), &provider.Request{Model: "m"})
			if err != nil {
				t.Fatalf("Stream() error = %v; want the failure from Err", err)
			}
			defer s.Close()
			if diff := cmp.Diff(tc.wantChunks, drain(t, s)); diff != "" {
				t.Errorf("chunks mismatch (-want +got):\n%s", diff)
			}
			err = s.Err()
			var pe *provider.Error
			if !errors.As(err, &pe) {
				t.Fatalf("Err() = %v (%T); want *provider.Error", err, err)
			}
			if pe.Class != tc.wantClass || pe.Code != tc.wantCode || pe.Provider != "anthropic" {
				t.Errorf("Err() = %v: Class, Code, Provider = %q, %q, %q; want %q, %q, anthropic", err, pe.Class, pe.Code, pe.Provider, tc.wantClass, tc.wantCode)
			}
			if tc.wantReqID != "" && pe.RequestID != tc.wantReqID {
				t.Errorf("RequestID = %q; want %q", pe.RequestID, tc.wantReqID)
			}
			if got := s.Response().Text; got != "" && tc.wantChunks == nil {
				t.Errorf("Response().Text = %q; want empty", got)
			}
		})
	}
}

func TestStreamJSONInsteadOfEvents(t *testing.T) {
	f := newFake(t, respond(200, nil, readTestdata(t, "errors/529_overloaded.json")),
		respond(200, nil, readTestdata(t, "message_text.json")))
	c := f.client(Config{})
	for _, want := range []provider.Class{provider.ClassOverloaded, provider.ClassMalformed} {
		s, err := c.Stream(context.Background(), &provider.Request{Model: "m"})
		if s != nil {
			s.Close()
		}
		if got := provider.ClassOf(err); got != want {
			t.Errorf("Stream() error = %v, class %q; want class %q", err, got, want)
		}
	}
}

// TestStreamCloseEarly checks that a caller abandoning a stream releases the
// connection (the fake fails the test if a body is left open).
func TestStreamCloseEarly(t *testing.T) {
	f := newFake(t, respondSSE(nil, readTestdata(t, "stream_text.sse")))
	s, err := f.client(Config{}).Stream(context.Background(), &provider.Request{Model: "m"})
	if err != nil {
		t.Fatalf("Stream() error = %v", err)
	}
	if !s.Next() {
		t.Fatalf("Next() = false, Err() = %v; want a first chunk", s.Err())
	}
	if err := s.Close(); err != nil {
		t.Errorf("Close() = %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close() = %v; want nil", err)
	}
}

// stall sends the start of a stream, then holds the connection open without
// sending anything until the client goes away.
func stall(prefix string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		w.Write([]byte(prefix))
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}
}

const startEvents = "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"model\":\"claude-3-5-haiku-20241022\",\"id\":\"msg_1\",\"usage\":{\"input_tokens\":3,\"output_tokens\":1}}}\n\n"

// expirable is a context whose deadline passes when the test says so, which
// makes "the deadline passed while Next was blocked" deterministic.
type expirable struct {
	context.Context
	done chan struct{}
	once sync.Once
}

func newExpirable() *expirable {
	return &expirable{Context: context.Background(), done: make(chan struct{})}
}

func (c *expirable) Deadline() (time.Time, bool) { return time.Time{}, false }
func (c *expirable) Done() <-chan struct{}       { return c.done }
func (c *expirable) expire()                     { c.once.Do(func() { close(c.done) }) }

func (c *expirable) Err() error {
	select {
	case <-c.done:
		return context.DeadlineExceeded
	default:
		return nil
	}
}

// TestStreamAbandoned ends the context while Next is blocked on a stalled
// stream: Next must return false with the right class, keep the text so far,
// and no goroutine may outlive the stream.
func TestStreamAbandoned(t *testing.T) {
	tests := []struct {
		name string
		ctx  func() (context.Context, func())
		want provider.Class
	}{
		{"caller cancels", func() (context.Context, func()) { return context.WithCancel(context.Background()) }, provider.ClassCancelled},
		{"deadline passes", func() (context.Context, func()) { c := newExpirable(); return c, c.expire }, provider.ClassTimeout},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			defer goleak.VerifyNone(t, goleak.IgnoreCurrent())

			f := newFake(t, stall(startEvents+
				"event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hel\"}}\n\n"))
			ctx, stop := tc.ctx()
			defer stop()
			s, err := f.client(Config{}).Stream(ctx, &provider.Request{Model: "m"})
			if err != nil {
				t.Fatalf("Stream() error = %v", err)
			}
			if !s.Next() {
				t.Fatalf("Next() = false, Err() = %v; want the first chunk", s.Err())
			}
			// The server sends nothing more, so the next read of the
			// body blocks: end the context as soon as Next starts it.
			// Buffered: the signal must not be lost if the goroutine below
			// is not yet waiting when Next reads.
			reading := make(chan struct{}, 1)
			onRead := func() {
				select {
				case reading <- struct{}{}:
				default:
				}
			}
			f.tr.onRead.Store(&onRead)
			go func() {
				<-reading
				stop()
			}()
			if s.Next() {
				t.Fatalf("Next() = true (%q) after the context ended; want false", s.Current().Text)
			}
			if got := provider.ClassOf(s.Err()); got != tc.want {
				t.Errorf("Err() = %v, class %q; want %q", s.Err(), got, tc.want)
			}
			if got := s.Response().Text; got != "Hel" {
				t.Errorf("Response().Text = %q; want %q", got, "Hel")
			}
			s.Close()
			f.close()
		})
	}
}
