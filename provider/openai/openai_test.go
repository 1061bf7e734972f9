package openai

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"go.uber.org/goleak"

	"github.com/llmfall/llmfall/internal/shared"
	"github.com/llmfall/llmfall/provider"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func ptr[T any](v T) *T { return &v }

// fullRequest uses every field of provider.Request.
func fullRequest() *provider.Request {
	return &provider.Request{
		Model:  "gpt-4.1-mini",
		System: "You summarise support tickets for agents.",
		Messages: []provider.Message{
			{Role: provider.RoleUser, Content: "Order 1182 arrived broken."},
			{Role: provider.RoleAssistant, Content: "Sorry to hear that."},
			{Role: provider.RoleUser, Content: "Summarise as JSON."},
		},
		MaxTokens:   200,
		Temperature: ptr(0.0), // zero must still be sent: it is not the default
		TopP:        ptr(0.9),
		Stop:        []string{"\n\n", "END"},
		JSON:        true,
		Seed:        ptr(int64(42)),
	}
}

// wantBody is fullRequest on the wire, without the token cap field.
func wantBody() map[string]any {
	return map[string]any{
		"model": "gpt-4.1-mini",
		"messages": []any{
			map[string]any{"role": "system", "content": "You summarise support tickets for agents."},
			map[string]any{"role": "user", "content": "Order 1182 arrived broken."},
			map[string]any{"role": "assistant", "content": "Sorry to hear that."},
			map[string]any{"role": "user", "content": "Summarise as JSON."},
		},
		"temperature":     0.0,
		"top_p":           0.9,
		"stop":            []any{"\n\n", "END"},
		"response_format": map[string]any{"type": "json_object"},
		"seed":            42.0,
	}
}

func decodeBody(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("request body is not JSON: %v\n%s", err, b)
	}
	return m
}

func TestRequestContract(t *testing.T) {
	tests := []struct {
		name     string
		official bool // configured with the default base URL
		stream   bool
		tokenKey string
	}{
		{"openai complete", true, false, "max_completion_tokens"},
		{"openai stream", true, true, "max_completion_tokens"},
		{"compatible complete", false, false, "max_tokens"},
		{"compatible stream", false, true, "max_tokens"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fixture := "completion.http"
			if tc.stream {
				fixture = "stream.http"
			}
			srv := newServer(t, loadResponse(t, fixture))
			cfg := Config{
				APIKey:       testKey,
				Headers:      map[string]string{"X-Team": "evals", "Authorization": "Bearer not-this-one"},
				HTTPClient:   srv.Client(),
				Organization: "org-llmfall",
			}
			if tc.official {
				target, _ := url.Parse(srv.URL)
				cfg.HTTPClient.Transport = redirect{target: target, base: srv.Client().Transport}
			} else {
				cfg.BaseURL = srv.URL + "/v1/" // trailing slash tolerated
			}
			c := New(cfg)
			call(t, c, tc.stream, fullRequest())

			got := srv.request(t, 0)
			if got.method != "POST" || got.path != "/v1/chat/completions" {
				t.Errorf("request = %s %s; want POST /v1/chat/completions", got.method, got.path)
			}
			accept := "application/json"
			if tc.stream {
				accept = "text/event-stream"
			}
			wantHeaders := map[string]string{
				"Authorization":       "Bearer " + testKey,
				"Content-Type":        "application/json",
				"Accept":              accept,
				"Openai-Organization": "org-llmfall",
				"X-Team":              "evals",
			}
			for k, want := range wantHeaders {
				if v := got.header.Get(k); v != want {
					t.Errorf("header %s = %q; want %q", k, v, want)
				}
			}
			want := wantBody()
			want[tc.tokenKey] = 200.0
			if tc.stream {
				want["stream"] = true
				want["stream_options"] = map[string]any{"include_usage": true}
			}
			if diff := cmp.Diff(want, decodeBody(t, got.body)); diff != "" {
				t.Errorf("request body mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// call runs a request to completion through Complete or Stream.
func call(t *testing.T, c *Client, stream bool, req *provider.Request) *provider.Response {
	t.Helper()
	if !stream {
		resp, err := c.Complete(context.Background(), req)
		if err != nil {
			t.Fatalf("Complete() error = %v", err)
		}
		return resp
	}
	s, err := c.Stream(context.Background(), req)
	if err != nil {
		t.Fatalf("Stream() error = %v", err)
	}
	defer s.Close()
	for s.Next() {
	}
	if err := s.Err(); err != nil {
		t.Fatalf("Stream Err() = %v", err)
	}
	return s.Response()
}

func TestRequestMinimal(t *testing.T) {
	srv := newServer(t, loadResponse(t, "completion_minimal.http"))
	c := New(Config{BaseURL: srv.URL + "/v1", HTTPClient: srv.Client()})
	call(t, c, false, &provider.Request{Model: "llama3.2:3b", Messages: []provider.Message{{Role: provider.RoleUser, Content: "hi"}}})

	got := srv.request(t, 0)
	if v, ok := got.header["Authorization"]; ok {
		t.Errorf("Authorization = %q; want none without a key", v)
	}
	want := map[string]any{
		"model":    "llama3.2:3b",
		"messages": []any{map[string]any{"role": "user", "content": "hi"}},
	}
	if diff := cmp.Diff(want, decodeBody(t, got.body)); diff != "" {
		t.Errorf("minimal body mismatch (-want +got):\n%s", diff)
	}
}

func TestHeaderAuthWithoutKey(t *testing.T) {
	// A gateway that wants its own Authorization value gets it through
	// Headers when no key is configured.
	srv := newServer(t, loadResponse(t, "completion_minimal.http"))
	c := New(Config{BaseURL: srv.URL + "/v1", HTTPClient: srv.Client(), Headers: map[string]string{"Authorization": "Bearer gateway"}})
	call(t, c, false, &provider.Request{Model: "m"})
	if got := srv.request(t, 0).header.Get("Authorization"); got != "Bearer gateway" {
		t.Errorf("Authorization = %q; want the configured header", got)
	}
}

// TestRequestFieldsInSpec checks every top-level field the adapter sends
// against OpenAI's published request schema.
func TestRequestFieldsInSpec(t *testing.T) {
	path := shared.Path(t, "specs/openai/openapi.json")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var spec struct {
		Components struct {
			Schemas map[string]json.RawMessage `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(raw, &spec); err != nil {
		t.Fatalf("decode spec: %v", err)
	}
	reqFields := schemaProperties(t, spec.Components.Schemas, "CreateChatCompletionRequest")
	if len(reqFields) < 10 {
		t.Fatalf("found %d request properties in the spec; the schema walk is broken", len(reqFields))
	}
	optFields := schemaProperties(t, spec.Components.Schemas, "ChatCompletionStreamOptions")

	for _, official := range []bool{true, false} {
		c := &Client{official: official}
		body, err := json.Marshal(c.wireRequest(fullRequest(), streamed))
		if err != nil {
			t.Fatal(err)
		}
		var sent map[string]json.RawMessage
		json.Unmarshal(body, &sent)
		for k := range sent {
			if !reqFields[k] {
				t.Errorf("official=%v: field %q is not in CreateChatCompletionRequest", official, k)
			}
		}
		var so map[string]any
		json.Unmarshal(sent["stream_options"], &so)
		for k := range so {
			if !optFields[k] {
				t.Errorf("stream_options.%s is not in ChatCompletionStreamOptions", k)
			}
		}
	}
}

// schemaProperties collects the property names of a schema, following $ref
// allOf and anyOf (nullable objects) as the spec composes its request types.
func schemaProperties(t *testing.T, schemas map[string]json.RawMessage, name string) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	var walk func(raw json.RawMessage, depth int)
	walk = func(raw json.RawMessage, depth int) {
		if depth > 10 {
			return
		}
		var s struct {
			Ref        string                     `json:"$ref"`
			AllOf      []json.RawMessage          `json:"allOf"`
			AnyOf      []json.RawMessage          `json:"anyOf"`
			Properties map[string]json.RawMessage `json:"properties"`
		}
		if err := json.Unmarshal(raw, &s); err != nil {
			t.Fatalf("decode schema: %v", err)
		}
		if s.Ref != "" {
			walk(schemas[strings.TrimPrefix(s.Ref, "#/components/schemas/")], depth+1)
		}
		for _, sub := range append(s.AllOf, s.AnyOf...) {
			walk(sub, depth+1)
		}
		for k := range s.Properties {
			out[k] = true
		}
	}
	root, ok := schemas[name]
	if !ok {
		t.Fatalf("schema %s not in spec", name)
	}
	walk(root, 0)
	return out
}

var ignoreTimes = cmpopts.IgnoreFields(provider.Response{}, "Latency", "TTFT")

func TestComplete(t *testing.T) {
	tests := []struct {
		fixture string
		want    provider.Response
	}{
		{"completion.http", provider.Response{
			Text:         "Order 1182 arrived damaged and the customer asks for a refund.",
			FinishReason: provider.FinishStop,
			Usage:        provider.Usage{InputTokens: 41, OutputTokens: 14},
			Model:        "gpt-4.1-mini-2025-04-14",
			RequestID:    "req_7f3c2a91e04b4d6c8a5e1b2f9d0c3e47",
		}},
		{"completion_minimal.http", provider.Response{ // Ollama: no id, no usage
			Text:         "Refund requested for order 1182.",
			FinishReason: provider.FinishLength,
			Model:        "llama3.2:3b",
		}},
		{"completion_refusal.http", provider.Response{
			FinishReason: provider.FinishContentFilter,
			Usage:        provider.Usage{InputTokens: 22, OutputTokens: 9},
			Model:        "gpt-4.1-2025-04-14",
			RequestID:    "req_0a1b2c3d4e5f60718293a4b5c6d7e8f9",
		}},
		{"completion_future.http", provider.Response{ // OpenRouter-like: unknown fields and finish reason
			Text:         `{"ok":true}`,
			FinishReason: provider.FinishOther,
			Usage:        provider.Usage{InputTokens: 12, OutputTokens: 5},
			Model:        "vendor/model-x",
			RequestID:    "gen-1764072200-Xq9",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.fixture, func(t *testing.T) {
			srv := newServer(t, loadResponse(t, tc.fixture))
			got, err := srv.client(testKey).Complete(context.Background(), fullRequest())
			if err != nil {
				t.Fatalf("Complete() error = %v", err)
			}
			if diff := cmp.Diff(&tc.want, got, ignoreTimes); diff != "" {
				t.Errorf("Complete() mismatch (-want +got):\n%s", diff)
			}
			if got.Latency <= 0 || got.TTFT != got.Latency {
				t.Errorf("Latency = %v, TTFT = %v; want TTFT == Latency > 0", got.Latency, got.TTFT)
			}
		})
	}
}

// drain reads a stream to its end and returns the chunks it produced.
// drain reads a stream to its end and returns its text deltas; tool-call
// deltas are checked through Response().ToolCalls.
func drain(s provider.Stream) []string {
	var chunks []string
	for s.Next() {
		if s.Current().ToolCall == nil {
			chunks = append(chunks, s.Current().Text)
		}
	}
	return chunks
}

func TestStream(t *testing.T) {
	tests := []struct {
		fixture string
		chunks  []string
		want    provider.Response // Text is checked against the chunks
	}{
		{"stream.http",
			[]string{"Order", " 1182", " arrived", " damaged", "; a refund", " is requested."},
			provider.Response{
				FinishReason: provider.FinishStop,
				Usage:        provider.Usage{InputTokens: 41, OutputTokens: 11},
				Model:        "gpt-4.1-mini-2025-04-14",
				RequestID:    "req_5d2e8b7a1c9f4e3d8b6a7c5e4f3d2c1b",
			}},
		{"stream_no_done.http", // ends at EOF after finish_reason, no [DONE]
			[]string{"Refund", " for 1182."},
			provider.Response{
				FinishReason: provider.FinishLength,
				Usage:        provider.Usage{InputTokens: 30, OutputTokens: 4},
				Model:        "qwen2.5:7b",
				RequestID:    "chatcmpl-8",
			}},
		{"stream_refusal.http", // refusal text is not output, so no first token
			nil,
			provider.Response{
				FinishReason: provider.FinishContentFilter,
				Usage:        provider.Usage{InputTokens: 25, OutputTokens: 6},
				Model:        "gpt-4.1-2025-04-14",
				RequestID:    "req_91aa",
			}},
		{"stream_as_json.http", // a server that ignored stream:true
			[]string{"Refund for order 1182."},
			provider.Response{
				FinishReason: provider.FinishStop,
				Usage:        provider.Usage{InputTokens: 18, OutputTokens: 7},
				Model:        "mistral-7b-instruct",
				RequestID:    "chatcmpl-J1",
			}},
	}
	for _, tc := range tests {
		t.Run(tc.fixture, func(t *testing.T) {
			srv := newServer(t, loadResponse(t, tc.fixture))
			s, err := srv.client(testKey).Stream(context.Background(), fullRequest())
			if err != nil {
				t.Fatalf("Stream() error = %v", err)
			}
			defer s.Close()
			chunks := drain(s)
			if err := s.Err(); err != nil {
				t.Fatalf("Err() = %v; want nil", err)
			}
			if diff := cmp.Diff(tc.chunks, chunks); diff != "" {
				t.Errorf("chunks mismatch (-want +got):\n%s", diff)
			}
			want := tc.want
			want.Text = strings.Join(tc.chunks, "")
			got := s.Response()
			if diff := cmp.Diff(&want, got, ignoreTimes); diff != "" {
				t.Errorf("Response() mismatch (-want +got):\n%s", diff)
			}
			if len(tc.chunks) > 0 && (got.TTFT <= 0 || got.TTFT > got.Latency) {
				t.Errorf("TTFT = %v, Latency = %v; want 0 < TTFT <= Latency", got.TTFT, got.Latency)
			}
			if len(tc.chunks) == 0 && got.TTFT != 0 {
				t.Errorf("TTFT = %v; want 0 when no text arrived", got.TTFT)
			}
		})
	}
}

func TestStreamFailsAfterStart(t *testing.T) {
	tests := []struct {
		fixture   string
		chunks    []string
		class     provider.Class
		code      string
		requestID string
	}{
		{"stream_truncated.http", []string{"Order", " 1182 was"}, provider.ClassNetwork, "", ""},
		{"stream_error.http", []string{"Order"}, provider.ClassServer, "server_error", "req_e44"},
		// One bad chunk is skipped (TestStreamSkipsMalformedChunk); four end the stream.
		{"stream_malformed_run.http", []string{"Order", " 1182"}, provider.ClassMalformed, "", ""},
		{"stream_error_event.http", []string{"Order"}, provider.ClassServer, "", "gen-77"},
		{"stream_error_openrouter.http", []string{"Order"}, provider.ClassRateLimited, "", "gen-78"},
	}
	for _, tc := range tests {
		t.Run(tc.fixture, func(t *testing.T) {
			srv := newServer(t, loadResponse(t, tc.fixture))
			s, err := srv.client(testKey).Stream(context.Background(), fullRequest())
			if err != nil {
				t.Fatalf("Stream() error = %v; want the error from Err", err)
			}
			defer s.Close()
			if diff := cmp.Diff(tc.chunks, drain(s)); diff != "" {
				t.Errorf("chunks mismatch (-want +got):\n%s", diff)
			}
			pe := asProviderError(t, s.Err())
			if pe.Class != tc.class || pe.Code != tc.code || pe.RequestID != tc.requestID {
				t.Errorf("Err() = class %q code %q request id %q; want %q %q %q", pe.Class, pe.Code, pe.RequestID, tc.class, tc.code, tc.requestID)
			}
			if pe.Provider != "openai" {
				t.Errorf("Provider = %q; want openai", pe.Provider)
			}
		})
	}
}

// TestStreamSkipsMalformedChunk: a chunk that does not decode, after the
// first token, costs its text but not the answer; the Response counts it.
func TestStreamSkipsMalformedChunk(t *testing.T) {
	srv := newServer(t, loadResponse(t, "stream_malformed.http"))
	s, err := srv.client(testKey).Stream(context.Background(), fullRequest())
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

func asProviderError(t *testing.T, err error) *provider.Error {
	t.Helper()
	var pe *provider.Error
	if !errors.As(err, &pe) {
		t.Fatalf("error = %v (%T); want a *provider.Error", err, err)
	}
	return pe
}

func TestErrorStatus(t *testing.T) {
	tests := []struct {
		fixture    string
		class      provider.Class
		code       string
		retryAfter time.Duration
		requestID  string
		message    string // a part of the message
	}{
		{"error_400_context_length.http", provider.ClassContextLength, "context_length_exceeded", 0, "req_c0n7ex7", "maximum context length"},
		{"error_400_vllm_context.http", provider.ClassContextLength, "BadRequestError", 0, "", "maximum context length is 8192"},
		{"error_400_unknown_param.http", provider.ClassInvalidRequest, "unsupported_parameter", 0, "req_bad9a7", "max_completion_tokens"},
		{"error_400_content_policy.http", provider.ClassContentFilter, "content_policy_violation", 0, "req_f1l7er", "safety system"},
		{"error_401_invalid_api_key.http", provider.ClassAuth, "invalid_api_key", 0, "req_4u7h", "Incorrect API key provided: [REDACTED]"},
		{"error_403_region.http", provider.ClassAuth, "unsupported_country_region_territory", 0, "req_r3g10n", "not supported"},
		{"error_404_model_not_found.http", provider.ClassNotFound, "model_not_found", 0, "req_n0m0d3l", "gpt-9-nano"},
		{"error_404_ollama.http", provider.ClassNotFound, "", 0, "", `model "llama9" not found`},
		{"error_429_rate_limit.http", provider.ClassRateLimited, "rate_limit_exceeded", 1750 * time.Millisecond, "req_r4t3l1m", "Rate limit reached"},
		{"error_429_insufficient_quota.http", provider.ClassAuth, "insufficient_quota", 0, "req_qu07a", "exceeded your current quota"},
		{"error_429_openrouter.http", provider.ClassRateLimited, "", 30 * time.Second, "", "free-models-per-min"},
		{"error_500_server_error.http", provider.ClassServer, "server_error", 0, "req_5e7v3r", "had an error"},
		{"error_500_engine_overloaded.http", provider.ClassOverloaded, "server_error", 0, "", "overloaded"},
		{"error_502_html.http", provider.ClassServer, "", 0, "8f0a1b2c3d4e5f60-AMS", "Bad Gateway"},
		{"error_503_overloaded.http", provider.ClassOverloaded, "server_error", 7 * time.Second, "req_0v3rl0ad", "currently overloaded"},
	}
	for _, tc := range tests {
		for _, stream := range []bool{false, true} {
			name := tc.fixture + "/complete"
			if stream {
				name = tc.fixture + "/stream"
			}
			t.Run(name, func(t *testing.T) {
				fixture := loadResponse(t, tc.fixture)
				srv := newServer(t, fixture)
				c := New(Config{Name: "primary", BaseURL: srv.URL + "/v1", APIKey: testKey, HTTPClient: srv.Client()})
				var err error
				if stream {
					var s provider.Stream
					s, err = c.Stream(context.Background(), fullRequest())
					if s != nil {
						s.Close()
						t.Fatal("Stream() returned a stream for an error status")
					}
				} else {
					_, err = c.Complete(context.Background(), fullRequest())
				}
				pe := asProviderError(t, err)
				got := [5]any{pe.Provider, pe.Status, pe.Class, pe.Code, pe.RetryAfter}
				want := [5]any{"primary", fixture.status, tc.class, tc.code, tc.retryAfter}
				if got != want {
					t.Errorf("error fields = %v; want %v", got, want)
				}
				if pe.RequestID != tc.requestID {
					t.Errorf("RequestID = %q; want %q", pe.RequestID, tc.requestID)
				}
				if !strings.Contains(pe.Message, tc.message) {
					t.Errorf("Message = %q; want it to contain %q", pe.Message, tc.message)
				}
			})
		}
	}
}

func TestMalformedBody(t *testing.T) {
	for _, fixture := range []string{"malformed.http", "no_choices.http"} {
		t.Run(fixture, func(t *testing.T) {
			srv := newServer(t, loadResponse(t, fixture))
			_, err := srv.client(testKey).Complete(context.Background(), fullRequest())
			if pe := asProviderError(t, err); pe.Class != provider.ClassMalformed || pe.Status != 200 {
				t.Errorf("error = class %q status %d; want malformed 200", pe.Class, pe.Status)
			}
		})
	}
}
