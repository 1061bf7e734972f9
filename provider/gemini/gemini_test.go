package gemini

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"

	"github.com/llmfall/llmfall/internal/modroot"
	"github.com/llmfall/llmfall/internal/shared"
	"github.com/llmfall/llmfall/provider"
)

// TestMain fails the package if any test leaves a goroutine behind: every
// stream must release its connection, on every path.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// testKey is shaped like no provider's key, so only exact redaction can
// remove it from a message.
const testKey = "test-key-7f3a9c1e5b"

// serve starts a fake Gemini API running h and returns a client pointed at
// it. The test fails if the scripted response was never requested.
func serve(t *testing.T, h http.HandlerFunc, opts ...func(*Config)) *Client {
	t.Helper()
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		// Read the request body up front, as the real API does: only then
		// does net/http watch the connection and end r.Context() when the
		// client goes away, which the stalled-stream handlers rely on.
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("fake server: read request: %v", err)
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		h(w, r)
	}))
	tr := &http.Transport{}
	t.Cleanup(func() {
		srv.Close()
		tr.CloseIdleConnections()
		if calls.Load() == 0 {
			t.Error("fake server: scripted response was never requested")
		}
	})
	cfg := Config{Name: "gem", BaseURL: srv.URL + "/", APIKey: testKey, HTTPClient: &http.Client{Transport: tr}}
	for _, o := range opts {
		o(&cfg)
	}
	return New(cfg)
}

// respond answers with status and body as the real API does: JSON documents
// as application/json, SSE streams one event per write.
func respond(status int, body []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		if r.URL.Query().Get("alt") == "sse" && status == http.StatusOK {
			w.Header().Set("Content-Type", "text/event-stream")
			w.WriteHeader(status)
			for _, ev := range strings.SplitAfter(string(body), "\r\n\r\n") {
				io.WriteString(w, ev)
				w.(http.Flusher).Flush()
			}
			return
		}
		w.Header().Set("Content-Type", "application/json; charset=UTF-8")
		w.WriteHeader(status)
		w.Write(body)
	}
}

// readTestdata reads a recording from testdata/wire/gemini at the module
// root, which the command's end-to-end tests share.
func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(modroot.Testdata(t, "wire/gemini/"+name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func ptr[T any](v T) *T { return &v }

// fullRequest uses every field of provider.Request.
func fullRequest() *provider.Request {
	return &provider.Request{
		Model:  "models/gemini-2.5-flash",
		System: "You summarise support tickets.",
		Messages: []provider.Message{
			{Role: provider.RoleUser, Content: "Ticket: order 1182 arrived broken."},
			{Role: provider.RoleAssistant, Content: "Which item was broken?"},
			{Role: provider.RoleUser, Content: "The phone screen."},
		},
		MaxTokens:   200,
		Temperature: ptr(0.2),
		TopP:        ptr(0.9),
		Stop:        []string{"END"},
		JSON:        true,
		Seed:        ptr(int64(42)),
	}
}

func TestRequestContract(t *testing.T) {
	tests := []struct {
		name       string
		call       func(*Client, *provider.Request) error
		wantPath   string
		wantQuery  string
		wantBody   []byte
		wantAccept string
	}{
		{"complete", func(c *Client, r *provider.Request) error {
			_, err := c.Complete(context.Background(), r)
			return err
		}, "/v1beta/models/gemini-2.5-flash:generateContent", "", readTestdata(t, "generate_content.json"), ""},
		{"stream", func(c *Client, r *provider.Request) error {
			s, err := c.Stream(context.Background(), r)
			if err != nil {
				return err
			}
			defer s.Close()
			for s.Next() {
			}
			return s.Err()
		}, "/v1beta/models/gemini-2.5-flash:streamGenerateContent", "alt=sse", readTestdata(t, "stream.sse"), "text/event-stream"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got *http.Request
			var gotBody []byte
			c := serve(t, func(w http.ResponseWriter, r *http.Request) {
				got = r
				gotBody, _ = io.ReadAll(r.Body)
				respond(http.StatusOK, tc.wantBody)(w, r)
			}, func(cfg *Config) { cfg.Headers = map[string]string{"X-Team": "support"} })
			if err := tc.call(c, fullRequest()); err != nil {
				t.Fatalf("call: %v", err)
			}
			if got.Method != http.MethodPost {
				t.Errorf("method = %s; want POST", got.Method)
			}
			if got.URL.Path != tc.wantPath {
				t.Errorf("path = %s; want %s", got.URL.Path, tc.wantPath)
			}
			if got.URL.RawQuery != tc.wantQuery {
				t.Errorf("query = %q; want %q (never a key in the URL)", got.URL.RawQuery, tc.wantQuery)
			}
			for k, want := range map[string]string{
				"X-Goog-Api-Key": testKey,
				"Content-Type":   "application/json",
				"X-Team":         "support",
				"Authorization":  "",
				"Accept":         tc.wantAccept,
			} {
				if v := got.Header.Get(k); v != want {
					t.Errorf("header %s = %q; want %q", k, v, want)
				}
			}

			var body map[string]any
			if err := json.Unmarshal(gotBody, &body); err != nil {
				t.Fatalf("request body is not JSON: %v", err)
			}
			want := map[string]any{
				"contents": []any{
					map[string]any{"role": "user", "parts": []any{map[string]any{"text": "Ticket: order 1182 arrived broken."}}},
					map[string]any{"role": "model", "parts": []any{map[string]any{"text": "Which item was broken?"}}},
					map[string]any{"role": "user", "parts": []any{map[string]any{"text": "The phone screen."}}},
				},
				"systemInstruction": map[string]any{"parts": []any{map[string]any{"text": "You summarise support tickets."}}},
				"generationConfig": map[string]any{
					"maxOutputTokens":  200.0,
					"temperature":      0.2,
					"topP":             0.9,
					"stopSequences":    []any{"END"},
					"seed":             42.0,
					"responseMimeType": "application/json",
				},
			}
			if diff := cmp.Diff(want, body); diff != "" {
				t.Errorf("request body mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRequestMinimal(t *testing.T) {
	got, err := newGenerateContentRequest(&provider.Request{Model: "gemini-2.5-flash",
		Messages: []provider.Message{{Role: provider.RoleUser, Content: "hi"}}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(got)
	// No generationConfig or systemInstruction: nil leaves the API's defaults.
	if want := `{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}`; string(b) != want {
		t.Errorf("body = %s; want %s", b, want)
	}
}

func TestRequestRefusedLocally(t *testing.T) {
	c := New(Config{BaseURL: "http://127.0.0.1:1", APIKey: testKey})
	tests := []struct {
		name string
		req  *provider.Request
	}{
		{"no model", &provider.Request{Messages: []provider.Message{{Role: "user", Content: "hi"}}}},
		{"prefix only", &provider.Request{Model: "models/"}},
		{"unknown role", &provider.Request{Model: "gemini-2.5-flash", Messages: []provider.Message{{Role: "system", Content: "x"}}}},
		{"nil", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.Complete(context.Background(), tc.req)
			if got := provider.ClassOf(err); got != provider.ClassInvalidRequest {
				t.Errorf("Complete() class = %q (%v); want invalid_request", got, err)
			}
			_, err = c.Stream(context.Background(), tc.req)
			if got := provider.ClassOf(err); got != provider.ClassInvalidRequest {
				t.Errorf("Stream() class = %q (%v); want invalid_request", got, err)
			}
		})
	}
}

func TestNoKeyNoHeader(t *testing.T) {
	var got http.Header
	c := serve(t, func(w http.ResponseWriter, r *http.Request) {
		got = r.Header
		respond(http.StatusOK, readTestdata(t, "generate_content.json"))(w, r)
	}, func(cfg *Config) { cfg.APIKey = "" })
	if _, err := c.Complete(context.Background(), fullRequest()); err != nil {
		t.Fatal(err)
	}
	if v, ok := got["X-Goog-Api-Key"]; ok {
		t.Errorf("x-goog-api-key = %q; want no header without a key", v)
	}
}

func TestModelPathEscaped(t *testing.T) {
	var gotPath string
	c := serve(t, func(w http.ResponseWriter, r *http.Request) {
		gotPath = r.URL.EscapedPath()
		respond(http.StatusOK, readTestdata(t, "generate_content.json"))(w, r)
	})
	if _, err := c.Complete(context.Background(), &provider.Request{Model: "tuned/x y?"}); err != nil {
		t.Fatal(err)
	}
	if want := "/v1beta/models/tuned%2Fx%20y%3F:generateContent"; gotPath != want {
		t.Errorf("path = %s; want %s", gotPath, want)
	}
}

// TestRequestFieldsInSpec checks every field name the adapter sends against
// Google's own OpenAPI rendering of the API.
func TestRequestFieldsInSpec(t *testing.T) {
	raw, err := os.ReadFile(shared.Path(t, "specs/gemini/openapi3_0.original.json"))
	if err != nil {
		t.Fatal(err)
	}
	var spec struct {
		Components struct {
			Schemas map[string]struct {
				Properties map[string]json.RawMessage `json:"properties"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(raw, &spec); err != nil {
		t.Fatalf("spec: %v", err)
	}
	b, _ := json.Marshal(mustRequest(t, fullRequest()))
	var body map[string]any
	json.Unmarshal(b, &body)

	check := func(schema string, obj map[string]any) {
		props := spec.Components.Schemas[schema].Properties
		if len(props) == 0 {
			t.Fatalf("spec has no schema %s", schema)
		}
		for _, k := range sortedKeys(obj) {
			if _, ok := props[k]; !ok {
				t.Errorf("field %q is not in the spec's %s", k, schema)
			}
		}
	}
	check("GenerateContentRequest", body)
	check("GenerationConfig", body["generationConfig"].(map[string]any))
	check("Content", body["systemInstruction"].(map[string]any))
	for _, c := range body["contents"].([]any) {
		check("Content", c.(map[string]any))
		for _, p := range c.(map[string]any)["parts"].([]any) {
			check("Part", p.(map[string]any))
		}
	}
}

func mustRequest(t *testing.T, r *provider.Request) *generateContentRequest {
	t.Helper()
	w, err := newGenerateContentRequest(r)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func TestComplete(t *testing.T) {
	tests := []struct {
		file string
		want provider.Response
	}{
		{"generate_content.json", provider.Response{
			Text:         "Order 1182 arrived with a cracked screen, and the customer is asking for a full refund.",
			FinishReason: provider.FinishStop, Usage: provider.Usage{InputTokens: 42, OutputTokens: 43},
			Model: "gemini-2.5-flash", RequestID: "kR3xZt9aBq-Wz7IPh4mT2Ag"}},
		{"candidate_no_content.json", provider.Response{
			FinishReason: provider.FinishContentFilter, Usage: provider.Usage{InputTokens: 17},
			Model: "gemini-2.5-flash", RequestID: "p0Vq2cTnLuyWkdUPq8K1sQ4"}},
		{"malformed_function_call.json", provider.Response{
			FinishReason: provider.FinishOther, Usage: provider.Usage{InputTokens: 33},
			Model: "gemini-2.5-flash", RequestID: "Xb2LaQe3FvmOkdUPzp7c2Qk"}},
		{"unknown_finish.json", provider.Response{
			Text: "Partial answer", FinishReason: provider.FinishOther, Usage: provider.Usage{InputTokens: 5, OutputTokens: 2},
			Model: "gemini-2.5-flash-preview-09-2025", RequestID: "u1"}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			c := serve(t, respond(http.StatusOK, readTestdata(t, tc.file)))
			got, err := c.Complete(context.Background(), fullRequest())
			if err != nil {
				t.Fatalf("Complete() error = %v", err)
			}
			if got.Latency <= 0 || got.TTFT != got.Latency {
				t.Errorf("Latency = %v, TTFT = %v; want TTFT == Latency > 0", got.Latency, got.TTFT)
			}
			got.Latency, got.TTFT = 0, 0
			if diff := cmp.Diff(tc.want, *got); diff != "" {
				t.Errorf("Complete() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCompleteModelAndRequestIDFallbacks(t *testing.T) {
	c := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Goog-Request-Id", "hdr-123")
		respond(http.StatusOK, []byte(`{"candidates":[{"content":{"parts":[{"text":"ok"}]},"finishReason":"STOP"}]}`))(w, r)
	})
	got, err := c.Complete(context.Background(), fullRequest())
	if err != nil {
		t.Fatal(err)
	}
	if got.Model != "gemini-2.5-flash" || got.RequestID != "hdr-123" {
		t.Errorf("Model, RequestID = %q, %q; want the requested model and the header id", got.Model, got.RequestID)
	}
}

func TestCompleteFailures(t *testing.T) {
	tests := []struct {
		name      string
		h         http.HandlerFunc
		wantClass provider.Class
		wantCode  string
	}{
		{"malformed json", respond(http.StatusOK, []byte(`{"candidates": [{"content": {"parts": [{"text": "hel`)), provider.ClassMalformed, ""},
		{"not json at all", respond(http.StatusOK, []byte("<html>hello</html>")), provider.ClassMalformed, ""},
		{"wrong types", respond(http.StatusOK, []byte(`{"candidates": "many"}`)), provider.ClassMalformed, ""},
		{"no candidates", respond(http.StatusOK, []byte(`{"modelVersion": "gemini-2.5-flash"}`)), provider.ClassMalformed, ""},
		{"prompt blocked", respond(http.StatusOK, readTestdata(t, "prompt_blocked.json")), provider.ClassContentFilter, "PROHIBITED_CONTENT"},
		{"error document in a 200", respond(http.StatusOK, readTestdata(t, "errors/503_unavailable.json")), provider.ClassOverloaded, "UNAVAILABLE"},
		{"body cut short", func(w http.ResponseWriter, r *http.Request) {
			body := readTestdata(t, "generate_content.json")
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
			w.WriteHeader(http.StatusOK)
			w.Write(body[:len(body)/2])
			// Returning with fewer bytes than declared makes the server
			// close the connection: the client sees an unexpected EOF.
		}, provider.ClassNetwork, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := serve(t, tc.h)
			_, err := c.Complete(context.Background(), fullRequest())
			var pe *provider.Error
			if !errors.As(err, &pe) {
				t.Fatalf("Complete() error = %v; want a *provider.Error", err)
			}
			if pe.Class != tc.wantClass || pe.Code != tc.wantCode || pe.Provider != "gem" {
				t.Errorf("Complete() error = %+v; want class %q code %q provider gem", pe, tc.wantClass, tc.wantCode)
			}
		})
	}
}

func TestCompleteCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	c := serve(t, func(w http.ResponseWriter, r *http.Request) {
		cancel()
		<-r.Context().Done()
	})
	_, err := c.Complete(ctx, fullRequest())
	if got := provider.ClassOf(err); got != provider.ClassCancelled {
		t.Errorf("Complete() class = %q (%v); want cancelled", got, err)
	}
}

func TestDefaults(t *testing.T) {
	c := New(Config{})
	if c.name != "gemini" || c.base != DefaultBaseURL {
		t.Errorf("New(Config{}) = name %q base %q; want gemini, %s", c.name, c.base, DefaultBaseURL)
	}
}
