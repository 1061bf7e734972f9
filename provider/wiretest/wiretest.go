// Package wiretest holds fake provider servers for tests: each validates
// request bodies the way the real API does (checks learnt from the OpenAPI
// specs and from the 400s the APIs send), so that an adapter that would send
// something the API rejects fails its test, and answers with scripted
// responses. It is imported by tests only.
package wiretest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/llmfall/llmfall/provider"
)

// Validator checks one request body and returns the API's complaint, nil
// when the API would accept it.
type Validator func(body []byte) error

// Response is one scripted answer.
type Response struct {
	Status      int // 0 means 200
	ContentType string
	Body        string
}

// JSON is a 200 answer with a JSON body.
func JSON(body string) Response {
	return Response{ContentType: "application/json", Body: body}
}

// SSE is a 200 answer with an event-stream body, written one event at a
// time.
func SSE(body string) Response {
	return Response{ContentType: "text/event-stream", Body: body}
}

// Server is a fake provider: it validates each request body, answers a
// rejected one with 400 and the validator's message, and an accepted one
// with the next scripted response. The test fails if a request is rejected
// or a scripted response goes unused.
type Server struct {
	*httptest.Server
	t        testing.TB
	validate Validator
	mu       sync.Mutex
	script   []Response
	bodies   [][]byte
	paths    []string
	// AllowRejects lets a test expect rejections instead of failing.
	AllowRejects bool
	rejects      []string
}

// NewServer starts a Server that checks bodies with validate.
func NewServer(t testing.TB, validate Validator, script ...Response) *Server {
	t.Helper()
	s := &Server{t: t, validate: validate, script: script}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(func() {
		s.Close()
		s.mu.Lock()
		defer s.mu.Unlock()
		if len(s.script) > 0 {
			t.Errorf("fake server: %d scripted responses unused", len(s.script))
		}
	})
	return s
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	s.bodies = append(s.bodies, body)
	s.paths = append(s.paths, r.URL.Path)
	if err := s.validate(body); err != nil {
		s.rejects = append(s.rejects, err.Error())
		s.mu.Unlock()
		if !s.AllowRejects {
			s.t.Errorf("fake server rejected request: %v\nbody: %s", err, body)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		msg, _ := json.Marshal(err.Error())
		fmt.Fprintf(w, `{"error":{"type":"invalid_request_error","message":%s}}`, msg)
		return
	}
	if len(s.script) == 0 {
		s.mu.Unlock()
		s.t.Errorf("fake server: unscripted request %d", len(s.bodies))
		http.Error(w, "no scripted response", http.StatusTeapot)
		return
	}
	resp := s.script[0]
	s.script = s.script[1:]
	s.mu.Unlock()
	w.Header().Set("Content-Type", resp.ContentType)
	if resp.Status == 0 {
		resp.Status = http.StatusOK
	}
	w.WriteHeader(resp.Status)
	if resp.ContentType != "text/event-stream" {
		io.WriteString(w, resp.Body)
		return
	}
	fl, _ := w.(http.Flusher)
	for ev := range strings.SplitAfterSeq(resp.Body, "\n\n") {
		io.WriteString(w, ev)
		if fl != nil {
			fl.Flush()
		}
	}
}

// Bodies are the request bodies received so far.
func (s *Server) Bodies() [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([][]byte(nil), s.bodies...)
}

// Body is the i-th request body, decoded.
func (s *Server) Body(t testing.TB, i int) map[string]any {
	t.Helper()
	b := s.Bodies()
	if i >= len(b) {
		t.Fatalf("fake server got %d requests; want at least %d", len(b), i+1)
	}
	m, err := decode(b[i])
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// Paths are the URL paths of the requests received so far.
func (s *Server) Paths() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.paths...)
}

// Rejects are the complaints of the validator so far.
func (s *Server) Rejects() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.rejects...)
}

func decode(body []byte) (map[string]any, error) {
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		return nil, fmt.Errorf("body is not a JSON object: %w", err)
	}
	return m, nil
}

// helpers over decoded JSON

func str(v any) (string, bool) { s, ok := v.(string); return s, ok }

func obj(v any) (map[string]any, bool) { m, ok := v.(map[string]any); return m, ok }

func arr(v any) ([]any, bool) { a, ok := v.([]any); return a, ok }

// onlyKeys reports the first key of m not in allowed.
func onlyKeys(where string, m map[string]any, allowed ...string) error {
	for k := range m {
		ok := false
		for _, a := range allowed {
			if k == a {
				ok = true
				break
			}
		}
		if !ok {
			return fmt.Errorf("%s: unknown field %q", where, k)
		}
	}
	return nil
}

// nameRE is the tool-name rule OpenAI and Anthropic share:
// ^[a-zA-Z0-9_-]{1,64}$.
func validName(s string, max int, extra string) bool {
	if s == "" || len(s) > max {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' || strings.ContainsRune(extra, r)) {
			return false
		}
	}
	return true
}

// objectSchema checks that a tool's parameter schema is an object schema.
func objectSchema(where string, v any) error {
	m, ok := obj(v)
	if !ok {
		return fmt.Errorf("%s: must be an object", where)
	}
	if t, ok := m["type"]; ok && t != "object" {
		return fmt.Errorf("%s.type: must be \"object\", got %v", where, t)
	}
	return nil
}

// Golden compares body, a JSON request, indented, with the file at path,
// after rewriting the file when update is set.
func Golden(t testing.TB, path string, body []byte, update bool) {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Indent(&buf, body, "", "  "); err != nil {
		t.Fatal(err)
	}
	buf.WriteByte('\n')
	if update {
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got := buf.String(); got != string(want) {
		t.Errorf("request body differs from %s:\ngot:\n%s", path, got)
	}
}

// Fixture reads a file of the calling test's package.
func Fixture(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Chunks reads s to its end and returns every chunk it yielded (each
// tool-call delta copied, since a stream may reuse it), failing the test if
// the stream ends with an error.
func Chunks(t testing.TB, s provider.Stream) []provider.Chunk {
	t.Helper()
	var got []provider.Chunk
	for s.Next() {
		c := s.Current()
		if c.ToolCall != nil {
			d := *c.ToolCall
			c.ToolCall = &d
		}
		got = append(got, c)
	}
	if err := s.Err(); err != nil {
		t.Fatalf("Err() = %v", err)
	}
	return got
}
