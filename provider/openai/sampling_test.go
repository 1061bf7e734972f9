package openai

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/llmfall/llmfall/provider"
)

func sentFields(t *testing.T, body []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("request body is not JSON: %v", err)
	}
	return m
}

// A reasoning model that rejects temperature and then top_p still answers:
// the client drops each rejected setting, sends again, and leaves both out
// of later requests for that model from the start.
func TestRejectedSamplingIsLearned(t *testing.T) {
	srv := newServer(t,
		loadResponse(t, "error_400_unsupported_temperature.http"),
		loadResponse(t, "error_400_unsupported_top_p.http"),
		loadResponse(t, "completion.http"),
		loadResponse(t, "completion.http"), // the second call: one request
		loadResponse(t, "completion.http"), // another model keeps its settings
	)
	c := New(Config{BaseURL: srv.URL + "/v1", HTTPClient: srv.Client()})
	req := &provider.Request{Model: "o4-mini", Messages: []provider.Message{{Role: provider.RoleUser, Content: "hi"}},
		Temperature: ptr(0.0), TopP: ptr(0.9)}
	for i := range 2 {
		if _, err := c.Complete(t.Context(), req); err != nil {
			t.Fatalf("call %d: Complete() error = %v", i+1, err)
		}
	}
	other := *req
	other.Model = "gpt-4.1"
	if _, err := c.Complete(t.Context(), &other); err != nil {
		t.Fatalf("other model: Complete() error = %v", err)
	}

	want := []struct{ temperature, topP bool }{{true, true}, {false, true}, {false, false}, {false, false}, {true, true}}
	if len(srv.reqs) != len(want) {
		t.Fatalf("server got %d requests; want %d", len(srv.reqs), len(want))
	}
	for i, w := range want {
		m := sentFields(t, srv.reqs[i].body)
		_, temp := m["temperature"]
		_, topP := m["top_p"]
		if temp != w.temperature || topP != w.topP {
			t.Errorf("request %d sent temperature %v, top_p %v; want %v, %v", i+1, temp, topP, w.temperature, w.topP)
		}
	}
	if req.Temperature == nil || req.TopP == nil {
		t.Error("the caller's request was changed; want it untouched")
	}
}

// Other 400s are returned as they are: nothing to learn, nothing resent.
func TestOtherInvalidRequestsAreNotResent(t *testing.T) {
	tests := []struct {
		name    string
		fixture string
		req     *provider.Request
	}{
		{"unsupported max_tokens", "error_400_unknown_param.http",
			&provider.Request{Model: "o4-mini", Temperature: ptr(0.0)}},
		{"temperature rejected but not sent", "error_400_unsupported_temperature.http",
			&provider.Request{Model: "o4-mini"}},
		{"context length", "error_400_context_length.http",
			&provider.Request{Model: "o4-mini", Temperature: ptr(0.0)}},
		{"top_p rejected but not sent", "error_400_unsupported_top_p.http",
			&provider.Request{Model: "o4-mini", Temperature: ptr(0.0)}},
		// A temperature out of range is the caller's mistake, not a model
		// that rejects the setting: answering with the default instead
		// would hide it.
		{"temperature out of range", "",
			&provider.Request{Model: "gpt-4.1", Temperature: ptr(3.0)}},
	}
	outOfRange := fakeResponse{status: 400, header: http.Header{"Content-Type": {"application/json"}},
		body: []byte(`{"error":{"message":"Invalid 'temperature': decimal above maximum value. Expected a value <= 2, but got 3 instead.",` +
			`"type":"invalid_request_error","param":"temperature","code":"decimal_above_max_value"}}`)}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp := outOfRange
			if tc.fixture != "" {
				resp = loadResponse(t, tc.fixture)
			}
			srv := newServer(t, resp)
			c := New(Config{BaseURL: srv.URL + "/v1", HTTPClient: srv.Client()})
			tc.req.Messages = []provider.Message{{Role: provider.RoleUser, Content: "hi"}}
			_, err := c.Complete(t.Context(), tc.req)
			if provider.ClassOf(err) == "" {
				t.Fatal("Complete() error = nil; want the 400")
			}
			if len(srv.reqs) != 1 {
				t.Errorf("server got %d requests; want 1", len(srv.reqs))
			}
		})
	}
}
