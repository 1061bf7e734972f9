package anthropic

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/llmfall/llmfall/internal/modroot"
)

// fake is an httptest server that answers with scripted handlers, in order,
// records what it was sent, and fails the test when a scripted reply went
// unused or a response body was left open by the client.
type fake struct {
	t       *testing.T
	srv     *httptest.Server
	tr      *trackingTransport
	mu      sync.Mutex
	replies []http.HandlerFunc
	reqs    []recorded
	once    sync.Once
}

type recorded struct {
	method string
	path   string
	header http.Header
	body   []byte
}

func newFake(t *testing.T, replies ...http.HandlerFunc) *fake {
	t.Helper()
	f := &fake{t: t, replies: replies}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	f.tr = &trackingTransport{base: f.srv.Client().Transport}
	t.Cleanup(func() {
		f.close()
		f.mu.Lock()
		defer f.mu.Unlock()
		if n := len(f.replies); n > 0 {
			t.Errorf("%d scripted responses went unused", n)
		}
		if n := f.tr.open.Load(); n != 0 {
			t.Errorf("%d response bodies left open; want 0", n)
		}
	})
	return f
}

// close shuts the server down and drops idle connections, so that a leak
// check sees only what the code under test left behind.
func (f *fake) close() {
	f.once.Do(func() {
		f.srv.Close()
		f.tr.base.(*http.Transport).CloseIdleConnections()
	})
}

func (f *fake) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.reqs = append(f.reqs, recorded{r.Method, r.URL.Path, r.Header.Clone(), body})
	if len(f.replies) == 0 {
		f.mu.Unlock()
		f.t.Errorf("unexpected request %s %s", r.Method, r.URL.Path)
		http.Error(w, "no reply scripted", http.StatusTeapot)
		return
	}
	h := f.replies[0]
	f.replies = f.replies[1:]
	f.mu.Unlock()
	h(w, r)
}

// client returns a Client for this server, with cfg's other settings.
func (f *fake) client(cfg Config) *Client {
	if cfg.BaseURL == "" {
		cfg.BaseURL = f.srv.URL
	}
	cfg.HTTPClient = &http.Client{Transport: f.tr}
	return New(cfg)
}

func (f *fake) requests() []recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]recorded(nil), f.reqs...)
}

// trackingTransport counts response bodies not yet closed and lets a test
// know when the client is reading a body.
type trackingTransport struct {
	base   http.RoundTripper
	open   atomic.Int64
	onRead atomic.Pointer[func()]
}

func (tr *trackingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := tr.base.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	tr.open.Add(1)
	resp.Body = &trackedBody{ReadCloser: resp.Body, tr: tr}
	return resp, nil
}

type trackedBody struct {
	io.ReadCloser
	tr     *trackingTransport
	closed atomic.Bool
}

func (b *trackedBody) Read(p []byte) (int, error) {
	if f := b.tr.onRead.Load(); f != nil {
		(*f)()
	}
	return b.ReadCloser.Read(p)
}

func (b *trackedBody) Close() error {
	if b.closed.CompareAndSwap(false, true) {
		b.tr.open.Add(-1)
	}
	return b.ReadCloser.Close()
}

// respond answers with status, headers and body. A JSON content type is
// set unless header names one.
func respond(status int, header map[string]string, body []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		for k, v := range header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(status)
		w.Write(body)
	}
}

// respondSSE streams body as an event stream, flushing after every event as
// the real API does.
func respondSSE(header map[string]string, body []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		for k, v := range header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(http.StatusOK)
		for _, ev := range bytes.SplitAfter(body, []byte("\n\n")) {
			w.Write(ev)
			w.(http.Flusher).Flush()
		}
	}
}

// cutAfter sends a 200 event-stream response header and prefix as one HTTP
// chunk, then closes the connection without the terminating chunk: a
// connection cut mid-stream.
func cutAfter(prefix []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		defer conn.Close()
		buf.WriteString("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n")
		buf.WriteString(strconv.FormatInt(int64(len(prefix)), 16) + "\r\n")
		buf.Write(prefix)
		buf.WriteString("\r\n")
		buf.Flush()
	}
}

// readTestdata reads a recording from testdata/wire/anthropic at the module
// root, which the command's end-to-end tests share.
func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(modroot.Testdata(t, "wire/anthropic/"+name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
