package gemini

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"

	"github.com/llmfall/llmfall/provider"
)

// drain reads s to its end and returns the chunks it produced.
func drain(s provider.Stream) []string {
	var got []string
	for s.Next() {
		got = append(got, s.Current().Text)
	}
	return got
}

func TestStream(t *testing.T) {
	c := serve(t, respond(http.StatusOK, readTestdata(t, "stream.sse")))
	s, err := c.Stream(context.Background(), fullRequest())
	if err != nil {
		t.Fatalf("Stream() error = %v", err)
	}
	defer s.Close()
	got := drain(s)
	if err := s.Err(); err != nil {
		t.Fatalf("Err() = %v", err)
	}
	// The thought summary and the empty delta produce no chunk.
	want := []string{"Order 1182", " arrived with a cracked screen, and the customer", " is asking for a full refund."}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("chunks mismatch (-want +got):\n%s", diff)
	}
	r := s.Response()
	if r.TTFT <= 0 || r.Latency < r.TTFT {
		t.Errorf("TTFT = %v, Latency = %v; want 0 < TTFT <= Latency", r.TTFT, r.Latency)
	}
	r.TTFT, r.Latency = 0, 0
	wantResp := provider.Response{
		Text:         strings.Join(want, ""),
		FinishReason: provider.FinishStop,
		Usage:        provider.Usage{InputTokens: 42, OutputTokens: 43},
		Model:        "gemini-2.5-flash",
		RequestID:    "kR3xZt9aBq-Wz7IPh4mT2Ag",
	}
	if diff := cmp.Diff(wantResp, *r); diff != "" {
		t.Errorf("Response() mismatch (-want +got):\n%s", diff)
	}
}

// TestStreamSkipsMalformedChunk: a chunk that does not decode, after the
// first token, costs its text but not the answer; the Response counts it.
func TestStreamSkipsMalformedChunk(t *testing.T) {
	body := "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"Order\"}],\"role\": \"model\"}}]}\r\n\r\n" +
		"data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \" 11\r\n\r\n" +
		"data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \" 1182 was refunded.\"}],\"role\": \"model\"},\"finishReason\": \"STOP\"}]}\r\n\r\n"
	c := serve(t, respond(http.StatusOK, []byte(body)))
	s, err := c.Stream(context.Background(), fullRequest())
	if err != nil {
		t.Fatalf("Stream() error = %v", err)
	}
	defer s.Close()
	if diff := cmp.Diff([]string{"Order", " 1182 was refunded."}, drain(s)); diff != "" {
		t.Errorf("chunks mismatch (-want +got):\n%s", diff)
	}
	if err := s.Err(); err != nil {
		t.Errorf("Err() = %v; want nil", err)
	}
	if r := s.Response(); r.MalformedEvents != 1 || r.FinishReason != provider.FinishStop {
		t.Errorf("Response() = %d malformed events, finish %q; want 1, stop", r.MalformedEvents, r.FinishReason)
	}
}

func TestStreamFailures(t *testing.T) {
	tests := []struct {
		name       string
		h          http.HandlerFunc
		wantChunks []string
		wantClass  provider.Class
		wantCode   string
	}{
		{"error chunk after text", respond(http.StatusOK, readTestdata(t, "stream_error.sse")),
			[]string{"The customer"}, provider.ClassOverloaded, "UNAVAILABLE"},
		{"EOF before a finish reason", respond(http.StatusOK, readTestdata(t, "stream_no_finish.sse")),
			[]string{"The customer"}, provider.ClassNetwork, ""},
		{"EOF before any chunk", respond(http.StatusOK, nil), nil, provider.ClassNetwork, ""},
		{"prompt blocked", respond(http.StatusOK, readTestdata(t, "stream_prompt_blocked.sse")),
			nil, provider.ClassContentFilter, "SAFETY"},
		// One bad chunk is skipped (TestStreamSkipsMalformedChunk); four end the stream.
		{"four malformed chunks", respond(http.StatusOK, []byte("data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"A\"}]}}]}\r\n\r\n"+
			strings.Repeat("data: {\"candidates\": [\r\n\r\n", 4))),
			[]string{"A"}, provider.ClassMalformed, ""},
		{"connection cut mid-stream", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/event-stream")
			w.WriteHeader(http.StatusOK)
			io.WriteString(w, "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"Order\"}]}}]}\r\n\r\ndata: {\"candi")
			w.(http.Flusher).Flush()
			// Take the connection away mid-chunk: no terminating chunk of
			// the chunked encoding ever arrives.
			conn, _, err := w.(http.Hijacker).Hijack()
			if err != nil {
				t.Errorf("hijack: %v", err)
				return
			}
			conn.Close()
		}, []string{"Order"}, provider.ClassNetwork, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := serve(t, tc.h)
			s, err := c.Stream(context.Background(), fullRequest())
			if err != nil {
				t.Fatalf("Stream() error = %v; want it from Err()", err)
			}
			defer s.Close()
			got := drain(s)
			if diff := cmp.Diff(tc.wantChunks, got); diff != "" {
				t.Errorf("chunks mismatch (-want +got):\n%s", diff)
			}
			var pe *provider.Error
			if !errors.As(s.Err(), &pe) {
				t.Fatalf("Err() = %v; want a *provider.Error", s.Err())
			}
			if pe.Class != tc.wantClass || pe.Code != tc.wantCode || pe.Provider != "gem" {
				t.Errorf("Err() = %+v; want class %q code %q provider gem", pe, tc.wantClass, tc.wantCode)
			}
			if s.Next() {
				t.Error("Next() = true after the stream ended")
			}
		})
	}
}

func TestStreamErrorStatus(t *testing.T) {
	c := serve(t, func(w http.ResponseWriter, r *http.Request) {
		respond(http.StatusTooManyRequests, readTestdata(t, "errors/429_retry_info.json"))(w, r)
	})
	s, err := c.Stream(context.Background(), fullRequest())
	if s != nil {
		s.Close()
		t.Fatal("Stream() returned a stream for a 429")
	}
	var pe *provider.Error
	if !errors.As(err, &pe) || pe.Class != provider.ClassRateLimited || pe.RetryAfter != 17500*time.Millisecond {
		t.Errorf("Stream() error = %+v; want rate_limited, retry after 17.5s", err)
	}
}

// ctlContext is a context whose end the test triggers, with the error it
// chooses: it makes "the deadline passed while Next was blocked" exact,
// with no timer to race a loaded machine.
type ctlContext struct {
	context.Context
	done chan struct{}
	once sync.Once
	mu   sync.Mutex
	err  error
}

func newCtlContext() *ctlContext {
	return &ctlContext{Context: context.Background(), done: make(chan struct{})}
}

func (c *ctlContext) Done() <-chan struct{} { return c.done }

func (c *ctlContext) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

func (c *ctlContext) end(err error) {
	c.once.Do(func() {
		c.mu.Lock()
		c.err = err
		c.mu.Unlock()
		close(c.done)
	})
}

func TestStreamCancelWhileBlocked(t *testing.T) {
	tests := []struct {
		name      string
		err       error
		wantClass provider.Class
	}{
		{"caller cancels", context.Canceled, provider.ClassCancelled},
		{"deadline passes", context.DeadlineExceeded, provider.ClassTimeout},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// Registered first so it runs last, after the server and the
			// idle connections are closed.
			ignore := goleak.IgnoreCurrent()
			t.Cleanup(func() { goleak.VerifyNone(t, ignore) })
			serverGone := make(chan struct{})
			c := serve(t, func(w http.ResponseWriter, r *http.Request) {
				defer close(serverGone)
				w.Header().Set("Content-Type", "text/event-stream")
				io.WriteString(w, "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"Order\"}]}}]}\r\n\r\n")
				w.(http.Flusher).Flush()
				// A stalled provider: nothing more until the client leaves.
				<-r.Context().Done()
			})
			ctx := newCtlContext()
			defer ctx.end(context.Canceled)
			s, err := c.Stream(ctx, fullRequest())
			if err != nil {
				t.Fatalf("Stream() error = %v", err)
			}
			defer s.Close()
			if !s.Next() {
				t.Fatalf("first Next() = false (%v); want the first chunk", s.Err())
			}
			next := make(chan bool)
			go func() { next <- s.Next() }()
			ctx.end(tc.err)
			if <-next {
				t.Fatal("Next() = true after cancellation; want false")
			}
			if got := provider.ClassOf(s.Err()); got != tc.wantClass {
				t.Errorf("Err() class = %q (%v); want %q", got, s.Err(), tc.wantClass)
			}
			// The connection was released: the server saw the client go.
			<-serverGone
			if got := s.Response().Text; got != "Order" {
				t.Errorf("Response().Text = %q; want the text delivered before the cancel", got)
			}
		})
	}
}

// closeTracker is a RoundTripper that serves a canned response and records
// whether its body was closed, for the paths a fake server cannot observe.
type closeTracker struct {
	status int
	body   string
	closed chan struct{}
}

func (c *closeTracker) RoundTrip(r *http.Request) (*http.Response, error) {
	return &http.Response{
		StatusCode: c.status,
		Header:     http.Header{"Content-Type": {"text/event-stream"}},
		Body:       &trackedBody{Reader: strings.NewReader(c.body), closed: c.closed},
		Request:    r,
	}, nil
}

type trackedBody struct {
	io.Reader
	closed chan struct{}
	once   sync.Once
}

func (b *trackedBody) Close() error {
	b.once.Do(func() { close(b.closed) })
	return nil
}

func TestBodyClosedOnEveryPath(t *testing.T) {
	stream := string(readTestdata(t, "stream.sse"))
	tests := []struct {
		name   string
		status int
		body   string
		use    func(*Client) error
	}{
		{"complete ok", 200, string(readTestdata(t, "generate_content.json")), func(c *Client) error {
			_, err := c.Complete(context.Background(), fullRequest())
			return err
		}},
		{"complete malformed", 200, "{", func(c *Client) error {
			c.Complete(context.Background(), fullRequest())
			return nil
		}},
		{"error status", 500, string(readTestdata(t, "errors/500_internal.json")), func(c *Client) error {
			if _, err := c.Stream(context.Background(), fullRequest()); err == nil {
				return errors.New("no error for a 500")
			}
			return nil
		}},
		{"stream read to the end", 200, stream, func(c *Client) error {
			s, err := c.Stream(context.Background(), fullRequest())
			if err != nil {
				return err
			}
			drain(s) // no Close: the end of the stream releases the body
			return s.Err()
		}},
		{"stream closed early", 200, stream, func(c *Client) error {
			s, err := c.Stream(context.Background(), fullRequest())
			if err != nil {
				return err
			}
			s.Next()
			return s.Close()
		}},
		{"stream decode failure", 200, "data: {oops\r\n\r\n", func(c *Client) error {
			s, err := c.Stream(context.Background(), fullRequest())
			if err != nil {
				return err
			}
			drain(s)
			return nil
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rt := &closeTracker{status: tc.status, body: tc.body, closed: make(chan struct{})}
			c := New(Config{BaseURL: "http://gemini.invalid", APIKey: testKey, HTTPClient: &http.Client{Transport: rt}})
			if err := tc.use(c); err != nil {
				t.Fatal(err)
			}
			select {
			case <-rt.closed:
			default:
				t.Error("response body was not closed")
			}
		})
	}
}
