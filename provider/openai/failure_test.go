package openai

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/llmfall/llmfall/provider"
)

// errorChain renders every layer of err, so that a key hidden in a wrapped
// error is found too.
func errorChain(err error) string {
	var b strings.Builder
	for e := err; e != nil; e = errors.Unwrap(e) {
		fmt.Fprintf(&b, "%v | %+v\n", e, e)
	}
	return b.String()
}

func TestNoKeyInErrors(t *testing.T) {
	keys := []string{testKey, "local-gateway-secret-7781"}
	// Each handler echoes the key it was sent, the way a careless gateway
	// or OpenAI's own 401 does.
	echo := func(format, contentType string, status int) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			key := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
			w.Header().Set("Content-Type", contentType)
			w.WriteHeader(status)
			fmt.Fprintf(w, format, key, key)
		}
	}
	tests := []struct {
		name    string
		handler http.HandlerFunc
	}{
		{"json message and code", echo(`{"error":{"message":"Incorrect API key provided: %s.","type":"invalid_request_error","code":"bad key %s"}}`, "application/json", 401)},
		{"ollama string", echo(`{"error":"key %s rejected (%s)"}`, "application/json", 403)},
		{"vllm top level", echo(`{"object":"error","message":"key %s","type":"%s","code":401}`, "application/json", 401)},
		{"plain text", echo("forbidden for %s / %s", "text/plain", 403)},
		{"in-stream error", echo("data: {\"error\":{\"message\":\"key %s expired\",\"type\":\"%s\"}}\n\n", "text/event-stream", 200)},
		{"in-stream error event", echo("event: error\ndata: key %s expired %s\n\n", "text/event-stream", 200)},
		{"json error with 200", echo(`{"error":{"message":"key %s","type":"%s"}}`, "application/json", 200)},
	}
	for _, key := range keys {
		for _, tc := range tests {
			t.Run(tc.name+"/"+key[:5], func(t *testing.T) {
				srv := httptest.NewServer(tc.handler)
				defer srv.Close()
				c := New(Config{BaseURL: srv.URL + "/v1", APIKey: key, HTTPClient: srv.Client()})
				for _, err := range streamAndComplete(c) {
					if err == nil {
						t.Fatal("got no error; want one")
					}
					if s := errorChain(err); strings.Contains(s, key) {
						t.Errorf("error leaks the key: %s", s)
					}
					asProviderError(t, err)
				}
			})
		}
	}
}

// streamAndComplete makes one Complete and one Stream call and returns the
// error each ended with.
func streamAndComplete(c *Client) []error {
	_, cerr := c.Complete(context.Background(), fullRequest())
	s, serr := c.Stream(context.Background(), fullRequest())
	if serr == nil {
		drain(s)
		serr = s.Err()
		s.Close()
	}
	return []error{cerr, serr}
}

// cut answers with a 200 and a partial body, then drops the connection.
func cut(head, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			panic(err)
		}
		defer conn.Close()
		buf.WriteString("HTTP/1.1 200 OK\r\n" + head + "\r\n")
		buf.WriteString(body)
		buf.Flush()
	}
}

const sseEvent = `data: {"id":"chatcmpl-C1","object":"chat.completion.chunk","model":"gpt-4.1-mini","choices":[{"index":0,"delta":{"content":"Order"},"finish_reason":null}]}` + "\n\n"

func TestConnectionCut(t *testing.T) {
	tests := []struct {
		name    string
		stream  bool
		handler http.HandlerFunc
	}{
		{"stream content-length short", true, cut("Content-Type: text/event-stream\r\nContent-Length: 100000\r\n", sseEvent+`data: {"id":"chatcmpl-C1","obj`)},
		{"stream chunked unterminated", true, cut("Content-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n",
			fmt.Sprintf("%x\r\n%s\r\n", len(sseEvent), sseEvent))},
		{"complete content-length short", false, cut("Content-Type: application/json\r\nContent-Length: 5000\r\n", `{"id":"chatcmpl-C2","choices":[{"index":0,"mess`)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(tc.handler)
			defer srv.Close()
			c := New(Config{BaseURL: srv.URL + "/v1", APIKey: testKey, HTTPClient: srv.Client()})
			var err error
			if tc.stream {
				s, serr := c.Stream(context.Background(), fullRequest())
				if serr != nil {
					t.Fatalf("Stream() error = %v; want the cut reported by Err", serr)
				}
				if got := drain(s); len(got) != 1 || got[0] != "Order" {
					t.Errorf("chunks = %q; want [Order] before the cut", got)
				}
				err = s.Err()
				s.Close()
			} else {
				_, err = c.Complete(context.Background(), fullRequest())
			}
			if pe := asProviderError(t, err); pe.Class != provider.ClassNetwork {
				t.Errorf("class = %q (%v); want network", pe.Class, err)
			}
		})
	}
}

// stallingServer sends the headers and one delta, then holds the stream open
// until the client goes away or the test ends.
func stallingServer(t *testing.T) (*httptest.Server, chan struct{}) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.Write([]byte(sseEvent))
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	return srv, release
}

// nextWithin runs s.Next in the background and fails the test if it has not
// returned within a bound far beyond any scheduling delay.
func nextWithin(t *testing.T, s provider.Stream) bool {
	t.Helper()
	done := make(chan bool, 1)
	go func() { done <- s.Next() }()
	select {
	case ok := <-done:
		return ok
	case <-time.After(30 * time.Second):
		t.Fatal("Next() still blocked 30s after the context ended")
		return false
	}
}

func TestCancelBlockedNext(t *testing.T) {
	leaks := goleak.IgnoreCurrent()
	srv, release := stallingServer(t)
	tr := newTracker(srv.Client().Transport)
	c := New(Config{BaseURL: srv.URL + "/v1", APIKey: testKey, HTTPClient: &http.Client{Transport: tr}})

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s, err := c.Stream(ctx, fullRequest())
	if err != nil {
		t.Fatalf("Stream() error = %v", err)
	}
	if !s.Next() || s.Current().Text != "Order" {
		t.Fatalf("first Next() = false or %q; want Order", s.Current().Text)
	}
	// Cancel once Next has started the read that blocks on the stalled
	// server, so that cancellation interrupts a blocked read.
	select {
	case <-tr.reads:
	default:
	}
	go func() {
		<-tr.reads
		cancel()
	}()
	if nextWithin(t, s) {
		t.Fatal("Next() = true after cancel; want false")
	}
	if pe := asProviderError(t, s.Err()); pe.Class != provider.ClassCancelled {
		t.Errorf("class = %q; want cancelled", pe.Class)
	}
	if got := s.Response().Text; got != "Order" {
		t.Errorf("Response().Text = %q; want the text before the cancel", got)
	}
	if n := tr.unclosed(); n != 0 {
		t.Errorf("%d bodies left open after the stream ended", n)
	}
	s.Close()
	close(release)
	srv.Close()
	goleak.VerifyNone(t, leaks)
}

func TestDeadlineBlockedNext(t *testing.T) {
	srv, release := stallingServer(t)
	defer srv.Close()
	defer close(release)
	c := New(Config{BaseURL: srv.URL + "/v1", APIKey: testKey, HTTPClient: srv.Client()})

	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	s, err := c.Stream(ctx, fullRequest())
	if err != nil {
		// A very slow machine may pass the deadline before the headers.
		if pe := asProviderError(t, err); pe.Class != provider.ClassTimeout {
			t.Errorf("Stream() class = %q; want timeout", pe.Class)
		}
		return
	}
	defer s.Close()
	for nextWithin(t, s) {
	}
	if pe := asProviderError(t, s.Err()); pe.Class != provider.ClassTimeout {
		t.Errorf("class = %q; want timeout", pe.Class)
	}
}

func TestBodiesClosed(t *testing.T) {
	tests := []struct {
		fixture string
		stream  bool
		early   bool // the caller stops after the first chunk
	}{
		{"completion.http", false, false},
		{"malformed.http", false, false},
		{"error_429_rate_limit.http", false, false},
		{"error_502_html.http", false, false},
		{"error_429_rate_limit.http", true, false},
		{"stream.http", true, false},
		{"stream.http", true, true},
		{"stream_no_done.http", true, false},
		{"stream_truncated.http", true, false},
		{"stream_error.http", true, false},
		{"stream_malformed.http", true, false},
		{"stream_malformed_run.http", true, false},
		{"stream_as_json.http", true, false},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s/stream=%v/early=%v", tc.fixture, tc.stream, tc.early), func(t *testing.T) {
			srv := newServer(t, loadResponse(t, tc.fixture))
			tr := newTracker(srv.Client().Transport)
			c := New(Config{BaseURL: srv.URL + "/v1", APIKey: testKey, HTTPClient: &http.Client{Transport: tr}})
			if !tc.stream {
				c.Complete(context.Background(), fullRequest())
			} else if s, err := c.Stream(context.Background(), fullRequest()); err == nil {
				if tc.early {
					s.Next()
				} else {
					drain(s)
					// The stream must release the connection when it
					// ends, before the caller's Close.
					if n := tr.unclosed(); n != 0 {
						t.Errorf("%d bodies open after the stream ended", n)
					}
				}
				s.Close()
				s.Close() // a second Close is harmless
			}
			if n := tr.unclosed(); n != 0 {
				t.Errorf("%d bodies left open", n)
			}
		})
	}
}
