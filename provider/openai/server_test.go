package openai

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/llmfall/llmfall/internal/modroot"
)

// testKey looks like a real project key so that Redact's shape matching is
// exercised as well as the exact match.
const testKey = "sk-proj-T3stK3yLlmfall0123456789abcdefghijklmnopqrstuvwxyzABCD"

// fakeResponse is one scripted answer of the fake server.
type fakeResponse struct {
	status int
	header http.Header
	body   []byte
}

// loadResponse reads a raw HTTP response (status line, headers, blank line,
// body) as our recordings and curl -D captures store them. A relative path
// names a recording in the module's testdata/wire/openai, the one copy that
// cmd's end-to-end tests read too.
func loadResponse(t testing.TB, path string) fakeResponse {
	t.Helper()
	if !filepath.IsAbs(path) {
		path = modroot.Testdata(t, "wire/openai/"+path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read fixture: %v", err)
	}
	// net/http parses only HTTP/1.x status lines; curl writes "HTTP/2 200".
	if rest, ok := bytes.CutPrefix(data, []byte("HTTP/2 ")); ok {
		data = append([]byte("HTTP/1.1 "), rest...)
	}
	resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(data)), nil)
	if err != nil {
		t.Fatalf("parse fixture %s: %v", path, err)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read fixture body %s: %v", path, err)
	}
	return fakeResponse{status: resp.StatusCode, header: resp.Header, body: body}
}

// recorded is a request the fake server received.
type recorded struct {
	method, path string
	header       http.Header
	body         []byte
}

// fakeServer answers requests with scripted responses in order, the way the
// API does on the wire: SSE bodies are written one event at a time with a
// flush after each. It fails the test if a scripted response goes unused or
// an unscripted request arrives.
type fakeServer struct {
	*httptest.Server
	t      testing.TB
	mu     sync.Mutex
	script []fakeResponse
	next   int
	reqs   []recorded
}

func newServer(t testing.TB, script ...fakeResponse) *fakeServer {
	t.Helper()
	fs := &fakeServer{t: t, script: script}
	fs.Server = httptest.NewServer(http.HandlerFunc(fs.serve))
	t.Cleanup(func() {
		fs.Close()
		fs.mu.Lock()
		defer fs.mu.Unlock()
		if fs.next < len(fs.script) {
			t.Errorf("fake server: %d scripted responses unused", len(fs.script)-fs.next)
		}
	})
	return fs
}

func (fs *fakeServer) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	fs.mu.Lock()
	fs.reqs = append(fs.reqs, recorded{method: r.Method, path: r.URL.Path, header: r.Header.Clone(), body: body})
	if fs.next >= len(fs.script) {
		fs.mu.Unlock()
		fs.t.Errorf("fake server: unscripted request %d", len(fs.reqs))
		http.Error(w, "no scripted response", http.StatusTeapot)
		return
	}
	resp := fs.script[fs.next]
	fs.next++
	fs.mu.Unlock()
	writeResponse(w, resp)
}

func writeResponse(w http.ResponseWriter, resp fakeResponse) {
	for k, vs := range resp.header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	if !strings.HasPrefix(resp.header.Get("Content-Type"), "text/event-stream") {
		w.WriteHeader(resp.status)
		w.Write(resp.body)
		return
	}
	w.WriteHeader(resp.status)
	flusher := w.(http.Flusher)
	for ev := range bytes.SplitAfterSeq(resp.body, []byte("\n\n")) {
		w.Write(ev)
		flusher.Flush()
	}
}

// request returns the i-th request the server received.
func (fs *fakeServer) request(t testing.TB, i int) recorded {
	t.Helper()
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if i >= len(fs.reqs) {
		t.Fatalf("fake server got %d requests; want at least %d", len(fs.reqs), i+1)
	}
	return fs.reqs[i]
}

// client returns a Client pointed at the fake server.
func (fs *fakeServer) client(key string) *Client {
	return New(Config{BaseURL: fs.URL + "/v1", APIKey: key, HTTPClient: fs.Client()})
}

// redirect sends every request to target whatever its URL says, so that a
// Client configured for api.openai.com can be tested against a fake.
type redirect struct {
	target *url.URL
	base   http.RoundTripper
}

func (r redirect) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.URL.Scheme, req.URL.Host = r.target.Scheme, r.target.Host
	req.Host = ""
	return r.base.RoundTrip(req)
}

// tracker wraps a transport to check that every response body is closed
// and to report each Read call, which tells a test that a reader is about to
// block on the network.
type tracker struct {
	base  http.RoundTripper
	reads chan struct{}
	mu    sync.Mutex
	open  []*trackedBody
}

func newTracker(base http.RoundTripper) *tracker {
	return &tracker{base: base, reads: make(chan struct{}, 1)}
}

func (tr *tracker) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := tr.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	tb := &trackedBody{ReadCloser: resp.Body, tr: tr}
	resp.Body = tb
	tr.mu.Lock()
	tr.open = append(tr.open, tb)
	tr.mu.Unlock()
	return resp, nil
}

// unclosed counts the bodies not yet closed.
func (tr *tracker) unclosed() int {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	n := 0
	for _, b := range tr.open {
		if !b.isClosed() {
			n++
		}
	}
	return n
}

type trackedBody struct {
	io.ReadCloser
	tr     *tracker
	mu     sync.Mutex
	closed bool
}

func (b *trackedBody) Read(p []byte) (int, error) {
	select {
	case b.tr.reads <- struct{}{}:
	default:
	}
	return b.ReadCloser.Read(p)
}

func (b *trackedBody) Close() error {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	return b.ReadCloser.Close()
}

func (b *trackedBody) isClosed() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.closed
}
