package anthropic

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/llmfall/llmfall/internal/shared"
	"github.com/llmfall/llmfall/provider"
)

func ptr[T any](v T) *T { return &v }

// fullRequest uses every field of provider.Request.
func fullRequest() *provider.Request {
	return &provider.Request{
		Model:  "claude-3-5-haiku-latest",
		System: "You summarise support tickets.",
		Messages: []provider.Message{
			{Role: provider.RoleUser, Content: "Order 1182 arrived broken."},
			{Role: provider.RoleAssistant, Content: "Sorry to hear that."},
			{Role: provider.RoleUser, Content: "Summarise it."},
		},
		MaxTokens:   200,
		Temperature: ptr(0.2),
		TopP:        ptr(0.9),
		Stop:        []string{"END"},
		JSON:        true,
		Seed:        ptr(int64(7)),
	}
}

func TestRequestContract(t *testing.T) {
	minimal := &provider.Request{Model: "m", Messages: []provider.Message{{Role: provider.RoleUser, Content: "hi"}}}
	tests := []struct {
		name       string
		cfg        Config
		req        *provider.Request
		stream     bool
		wantHeader map[string]string // "" means the header must be absent
		wantBody   map[string]any
	}{
		{
			name: "every field",
			cfg:  Config{APIKey: "test-key-123", Headers: map[string]string{"Anthropic-Beta": "prompt-caching-2024-07-31", "X-Api-Key": "overridden"}},
			req:  fullRequest(),
			wantHeader: map[string]string{
				"X-Api-Key":         "test-key-123",
				"Anthropic-Version": "2023-06-01",
				"Content-Type":      "application/json",
				"Anthropic-Beta":    "prompt-caching-2024-07-31",
				"Authorization":     "",
			},
			wantBody: map[string]any{
				"model":  "claude-3-5-haiku-latest",
				"system": "You summarise support tickets.\n\n" + jsonInstruction,
				"messages": []any{
					map[string]any{"role": "user", "content": "Order 1182 arrived broken."},
					map[string]any{"role": "assistant", "content": "Sorry to hear that."},
					map[string]any{"role": "user", "content": "Summarise it."},
				},
				"max_tokens":     200.0,
				"temperature":    0.2, // top_p is dropped: Claude 4 models reject both
				"stop_sequences": []any{"END"},
			},
		},
		{
			name:   "minimal streamed, no key, own version",
			cfg:    Config{Version: "2099-01-01"},
			req:    minimal,
			stream: true,
			wantHeader: map[string]string{
				"X-Api-Key":         "",
				"Anthropic-Version": "2099-01-01",
				"Content-Type":      "application/json",
			},
			wantBody: map[string]any{
				"model":      "m",
				"messages":   []any{map[string]any{"role": "user", "content": "hi"}},
				"max_tokens": float64(provider.DefaultMaxTokens),
				"stream":     true,
			},
		},
		{
			name:       "top_p alone is sent",
			req:        &provider.Request{Model: "m", MaxTokens: 5, TopP: ptr(0.9)},
			wantHeader: map[string]string{"Anthropic-Version": "2023-06-01"},
			wantBody:   map[string]any{"model": "m", "messages": []any{}, "max_tokens": 5.0, "top_p": 0.9},
		},
		{
			name:       "temperature above Anthropic's range is sent as 1",
			req:        &provider.Request{Model: "m", MaxTokens: 5, Temperature: ptr(1.5)},
			wantHeader: map[string]string{"Anthropic-Version": "2023-06-01"},
			wantBody:   map[string]any{"model": "m", "messages": []any{}, "max_tokens": 5.0, "temperature": 1.0},
		},
		{
			name:       "json mode without system",
			req:        &provider.Request{Model: "m", JSON: true, MaxTokens: 5},
			wantHeader: map[string]string{"Anthropic-Version": "2023-06-01"},
			wantBody: map[string]any{
				"model":      "m",
				"system":     jsonInstruction,
				"messages":   []any{},
				"max_tokens": 5.0,
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var reply http.HandlerFunc = respond(200, nil, readTestdata(t, "message_text.json"))
			if tc.stream {
				reply = respondSSE(nil, readTestdata(t, "stream_text.sse"))
			}
			f := newFake(t, reply)
			// A trailing slash on the base URL must not double up.
			tc.cfg.BaseURL = f.srv.URL + "/"
			c := f.client(tc.cfg)
			if tc.stream {
				s, err := c.Stream(context.Background(), tc.req)
				if err != nil {
					t.Fatalf("Stream() error = %v", err)
				}
				for s.Next() {
				}
				s.Close()
			} else if _, err := c.Complete(context.Background(), tc.req); err != nil {
				t.Fatalf("Complete() error = %v", err)
			}
			reqs := f.requests()
			if len(reqs) != 1 {
				t.Fatalf("got %d requests; want 1", len(reqs))
			}
			got := reqs[0]
			if got.method != http.MethodPost || got.path != "/v1/messages" {
				t.Errorf("request = %s %s; want POST /v1/messages", got.method, got.path)
			}
			for k, want := range tc.wantHeader {
				if v := got.header.Get(k); v != want {
					t.Errorf("header %s = %q; want %q", k, v, want)
				}
			}
			var body map[string]any
			if err := json.Unmarshal(got.body, &body); err != nil {
				t.Fatalf("request body is not JSON: %v", err)
			}
			if diff := cmp.Diff(tc.wantBody, body); diff != "" {
				t.Errorf("request body mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRequestFieldsInSpec checks every top-level field the adapter can send
// against the create-message schema of Anthropic's OpenAPI spec.
func TestRequestFieldsInSpec(t *testing.T) {
	path := shared.Path(t, "specs/anthropic/openapi.json")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var spec struct {
		Components struct {
			Schemas map[string]struct {
				Properties map[string]json.RawMessage `json:"properties"`
				Required   []string                   `json:"required"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(raw, &spec); err != nil {
		t.Fatalf("decoding spec: %v", err)
	}
	schema, ok := spec.Components.Schemas["CreateMessageParams"]
	if !ok {
		t.Fatal("spec has no CreateMessageParams schema")
	}
	body, err := json.Marshal(newMessageRequest(fullRequest(), true))
	if err != nil {
		t.Fatal(err)
	}
	var sent map[string]json.RawMessage
	if err := json.Unmarshal(body, &sent); err != nil {
		t.Fatal(err)
	}
	for field := range sent {
		if _, ok := schema.Properties[field]; !ok {
			t.Errorf("request field %q is not in the spec's CreateMessageParams", field)
		}
	}
	for _, field := range schema.Required {
		if _, ok := sent[field]; !ok {
			t.Errorf("spec requires %q; the request does not send it", field)
		}
	}
}

func TestComplete(t *testing.T) {
	tests := []struct {
		name    string
		fixture string
		header  map[string]string
		want    provider.Response
	}{
		{
			name:    "text with cache usage",
			fixture: "message_text.json",
			header:  map[string]string{"Request-Id": "req_011CW9hQ2bN5vX8mK1pL4tR7"},
			want: provider.Response{
				Text:         "Order 1182 arrived damaged and the customer wants a refund.",
				FinishReason: provider.FinishStop,
				Usage:        provider.Usage{InputTokens: 38 + 1200 + 300, OutputTokens: 17},
				Model:        "claude-sonnet-4-5-20250929",
				RequestID:    "req_011CW9hQ2bN5vX8mK1pL4tR7",
			},
		},
		{
			name:    "mixed blocks, request id from body",
			fixture: "message_blocks.json",
			want: provider.Response{
				Text:         "The capital of Portugal is Lisbon. I am checking its population next.",
				ToolCalls:    []provider.ToolCall{{ID: "toolu_01Xy3ZpQ8rLk", Name: "lookup_city", Arguments: json.RawMessage(`{"city":"Lisbon"}`)}},
				FinishReason: provider.FinishToolCalls,
				Usage:        provider.Usage{InputTokens: 61, OutputTokens: 44},
				Model:        "claude-sonnet-4-5-20250929",
				RequestID:    "msg_01Bn4sKe9TgQpW2xVc7RmHaL",
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t, respond(200, tc.header, readTestdata(t, tc.fixture)))
			got, err := f.client(Config{APIKey: "k"}).Complete(context.Background(), &provider.Request{Model: "m"})
			if err != nil {
				t.Fatalf("Complete() error = %v", err)
			}
			if diff := cmp.Diff(tc.want, *got, cmpopts.IgnoreFields(provider.Response{}, "Latency", "TTFT")); diff != "" {
				t.Errorf("Complete() mismatch (-want +got):\n%s", diff)
			}
			if got.Latency <= 0 || got.TTFT != got.Latency {
				t.Errorf("Latency, TTFT = %v, %v; want equal and > 0", got.Latency, got.TTFT)
			}
		})
	}
}

func TestFinishReason(t *testing.T) {
	tests := map[string]provider.FinishReason{
		"end_turn":                      provider.FinishStop,
		"stop_sequence":                 provider.FinishStop,
		"max_tokens":                    provider.FinishLength,
		"model_context_window_exceeded": provider.FinishLength,
		"tool_use":                      provider.FinishToolCalls,
		"refusal":                       provider.FinishContentFilter,
		"pause_turn":                    provider.FinishOther,
		"something_new":                 provider.FinishOther,
		"":                              provider.FinishOther,
	}
	for in, want := range tests {
		if got := finishReason(in); got != want {
			t.Errorf("finishReason(%q) = %q; want %q", in, got, want)
		}
	}
}

// errorCases are error responses and what the adapter must make of them.
var errorCases = []struct {
	file       string
	status     int
	header     map[string]string
	wantClass  provider.Class
	wantCode   string
	wantRetry  time.Duration
	wantReqID  string
	wantInText string // a substring of Message
}{
	{file: "400_invalid_request.json", status: 400, wantClass: provider.ClassInvalidRequest, wantCode: "invalid_request_error", wantReqID: "req_011CW1aB2cD3eF4gH5iJ6kL7", wantInText: "max_tokens"},
	{file: "400_prompt_too_long.json", status: 400, wantClass: provider.ClassContextLength, wantCode: "invalid_request_error", wantInText: "prompt is too long"},
	{file: "400_context_limit.json", status: 400, wantClass: provider.ClassContextLength, wantCode: "invalid_request_error"},
	{file: "400_context_window.json", status: 400, wantClass: provider.ClassContextLength, wantCode: "invalid_request_error"},
	{file: "401_authentication.json", status: 401, header: map[string]string{"Request-Id": "req_hdr"}, wantClass: provider.ClassAuth, wantCode: "authentication_error", wantReqID: "req_hdr", wantInText: "invalid x-api-key"},
	{file: "402_billing.json", status: 402, wantClass: provider.ClassAuth, wantCode: "billing_error"},
	{file: "403_permission.json", status: 403, wantClass: provider.ClassAuth, wantCode: "permission_error"},
	{file: "404_not_found.json", status: 404, wantClass: provider.ClassNotFound, wantCode: "not_found_error"},
	{file: "413_request_too_large.json", status: 413, wantClass: provider.ClassContextLength, wantCode: "request_too_large"},
	{file: "429_rate_limit.json", status: 429, header: map[string]string{"Retry-After": "17"}, wantClass: provider.ClassRateLimited, wantCode: "rate_limit_error", wantRetry: 17 * time.Second},
	{file: "500_api_error.json", status: 500, wantClass: provider.ClassServer, wantCode: "api_error", wantReqID: "req_011CW6yY1xX0wW9vV8uU7tT6"},
	{file: "504_timeout.json", status: 504, wantClass: provider.ClassTimeout, wantCode: "timeout_error"},
	{file: "529_overloaded.json", status: 529, header: map[string]string{"Retry-After": "2"}, wantClass: provider.ClassOverloaded, wantCode: "overloaded_error", wantRetry: 2 * time.Second, wantInText: "Overloaded"},
	// A proxy's HTML page: the status decides, the page title helps a human.
	{file: "502_proxy.html", status: 502, header: map[string]string{"Content-Type": "text/html", "Cf-Ray": "8f1e2d3c4b5a6978-LIS"}, wantClass: provider.ClassServer, wantReqID: "8f1e2d3c4b5a6978-LIS", wantInText: "502 Bad Gateway"},
	{file: "502_proxy.html", status: 503, header: map[string]string{"Content-Type": "text/html"}, wantClass: provider.ClassOverloaded},
	// An error type newer than the adapter keeps the status's class.
	{file: "429_new_type.json", status: 429, wantClass: provider.ClassRateLimited, wantCode: "concurrency_limit_error"},
}

func TestErrorStatuses(t *testing.T) {
	for _, tc := range errorCases {
		for _, method := range []string{"Complete", "Stream"} {
			t.Run(method+"/"+tc.file+"/"+http.StatusText(tc.status), func(t *testing.T) {
				f := newFake(t, respond(tc.status, tc.header, readTestdata(t, "errors/"+tc.file)))
				c := f.client(Config{Name: "claude", APIKey: "k"})
				var err error
				if method == "Complete" {
					_, err = c.Complete(context.Background(), &provider.Request{Model: "m"})
				} else {
					var s provider.Stream
					s, err = c.Stream(context.Background(), &provider.Request{Model: "m"})
					if s != nil {
						s.Close()
						t.Fatal("Stream() returned a stream for an error status; want only an error")
					}
				}
				var pe *provider.Error
				if !errors.As(err, &pe) {
					t.Fatalf("%s() error = %v (%T); want *provider.Error", method, err, err)
				}
				got := [...]any{pe.Provider, pe.Status, pe.Class, pe.Code, pe.RetryAfter}
				want := [...]any{"claude", tc.status, tc.wantClass, tc.wantCode, tc.wantRetry}
				if got != want {
					t.Errorf("Provider, Status, Class, Code, RetryAfter = %v; want %v", got, want)
				}
				if tc.wantReqID != "" && pe.RequestID != tc.wantReqID {
					t.Errorf("RequestID = %q; want %q", pe.RequestID, tc.wantReqID)
				}
				if !strings.Contains(pe.Message, tc.wantInText) {
					t.Errorf("Message = %q; want it to contain %q", pe.Message, tc.wantInText)
				}
			})
		}
	}
}

func TestCompleteBrokenBodies(t *testing.T) {
	tests := []struct {
		name  string
		reply http.HandlerFunc
		want  provider.Class
	}{
		{"truncated JSON", respond(200, nil, []byte(`{"model":"claude-3-5-haiku","content":[{"type":"text","te`)), provider.ClassMalformed},
		{"not JSON", respond(200, map[string]string{"Content-Type": "text/plain"}, []byte("hello")), provider.ClassMalformed},
		{"wrong field type", respond(200, nil, []byte(`{"content":"not a list"}`)), provider.ClassMalformed},
		{"connection cut", cutAfter([]byte(`{"model":"claude-3-5-haiku","content":[`)), provider.ClassNetwork},
		{"error document in a 200", respond(200, nil, readTestdata(t, "errors/529_overloaded.json")), provider.ClassOverloaded},
		// A gateway's 200 with Anthropic's error object but no "type":
		// "error" beside it is still a failure to fall back from, not an
		// empty answer.
		{"error object without its type in a 200", respond(200, nil, []byte(`{"error":{"type":"overloaded_error","message":"Overloaded"}}`)), provider.ClassOverloaded},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t, tc.reply)
			_, err := f.client(Config{}).Complete(context.Background(), &provider.Request{Model: "m"})
			if got := provider.ClassOf(err); got != tc.want {
				t.Errorf("Complete() error = %v, class %q; want class %q", err, got, tc.want)
			}
			var pe *provider.Error
			if !errors.As(err, &pe) || pe.Provider != "anthropic" {
				t.Errorf("Complete() error = %#v; want *provider.Error from provider anthropic", err)
			}
		})
	}
}

func TestBadRequests(t *testing.T) {
	c := New(Config{BaseURL: "http://127.0.0.1:1"}) // never dialled
	for name, req := range map[string]*provider.Request{
		"nil":             nil,
		"NaN temperature": {Model: "m", Temperature: ptr(math.NaN())},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := c.Complete(context.Background(), req); provider.ClassOf(err) != provider.ClassInvalidRequest {
				t.Errorf("Complete() error = %v; want class invalid_request", err)
			}
			if _, err := c.Stream(context.Background(), req); provider.ClassOf(err) != provider.ClassInvalidRequest {
				t.Errorf("Stream() error = %v; want class invalid_request", err)
			}
		})
	}
}

// TestNoKeyInErrors feeds back error bodies that echo the key, as some
// providers and proxies do, and checks no error string carries it.
func TestNoKeyInErrors(t *testing.T) {
	keys := []string{"sk-ant-api03-Zq8xV2mN5bL7kJ4hG1fD9sA3pO6iU0yT-ab12CD", "plainkey-no-known-shape-42"}
	for _, key := range keys {
		replies := map[string]http.HandlerFunc{
			"401 JSON":           respond(401, nil, []byte(`{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key: `+key+`"}}`)),
			"502 HTML":           respond(502, map[string]string{"Content-Type": "text/html"}, []byte("<html><body>bad upstream for key "+key+"</body></html>")),
			"stream error event": respondSSE(nil, []byte("event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"permission_error\",\"message\":\"key "+key+" revoked\"}}\n\n")),
		}
		for name, reply := range replies {
			t.Run(name, func(t *testing.T) {
				f := newFake(t, reply)
				s, err := f.client(Config{APIKey: key}).Stream(context.Background(), &provider.Request{Model: "m"})
				if err == nil {
					for s.Next() {
					}
					err = s.Err()
					s.Close()
				}
				if err == nil {
					t.Fatal("got no error; want one")
				}
				if msg := err.Error(); strings.Contains(msg, key) {
					t.Errorf("error %q contains the API key", msg)
				}
				if !strings.Contains(err.Error(), "[REDACTED]") {
					t.Errorf("error %q; want the echoed key replaced by [REDACTED]", err)
				}
			})
		}
	}
}
