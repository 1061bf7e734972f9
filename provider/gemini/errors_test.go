package gemini

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/llmfall/llmfall/provider"
)

func TestErrorClasses(t *testing.T) {
	tests := []struct {
		file       string
		status     int
		header     http.Header
		wantClass  provider.Class
		wantCode   string
		wantRetry  time.Duration
		wantInText string
	}{
		{"400_api_key_invalid.json", 400, nil, provider.ClassAuth, "INVALID_ARGUMENT", 0, "API key not valid"},
		{"400_invalid_argument.json", 400, nil, provider.ClassInvalidRequest, "INVALID_ARGUMENT", 0, "generation_config.temperature"},
		{"400_context_length.json", 400, nil, provider.ClassContextLength, "INVALID_ARGUMENT", 0, "exceeds the maximum"},
		{"400_failed_precondition.json", 400, nil, provider.ClassAuth, "FAILED_PRECONDITION", 0, "location"},
		{"403_permission_denied.json", 403, nil, provider.ClassAuth, "PERMISSION_DENIED", 0, "disabled"},
		{"404_not_found.json", 404, nil, provider.ClassNotFound, "NOT_FOUND", 0, "gemini-9-ultra"},
		{"429_retry_info.json", 429, nil, provider.ClassRateLimited, "RESOURCE_EXHAUSTED", 17500 * time.Millisecond, "quota"},
		// A Retry-After header, where a gateway adds one, wins over the body.
		{"429_retry_info.json", 429, http.Header{"Retry-After": {"3"}}, provider.ClassRateLimited, "RESOURCE_EXHAUSTED", 3 * time.Second, "quota"},
		{"429_minimal.json", 429, nil, provider.ClassRateLimited, "RESOURCE_EXHAUSTED", 0, "exhausted"},
		{"500_internal.json", 500, nil, provider.ClassServer, "INTERNAL", 0, "internal error"},
		{"503_unavailable.json", 503, nil, provider.ClassOverloaded, "UNAVAILABLE", 0, "overloaded"},
		{"504_deadline_exceeded.json", 504, nil, provider.ClassTimeout, "DEADLINE_EXCEEDED", 0, "Deadline expired"},
		// Not Google's document: the status decides.
		{"502_proxy.html", 502, nil, provider.ClassServer, "", 0, "Bad Gateway"},
		{"502_proxy.html", 503, nil, provider.ClassOverloaded, "", 0, "Bad Gateway"},
		{"502_proxy.html", 401, nil, provider.ClassAuth, "", 0, "Bad Gateway"},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%d %s", tc.status, tc.file), func(t *testing.T) {
			body := readTestdata(t, "errors/"+tc.file)
			for _, mode := range []string{"complete", "stream"} {
				c := serve(t, func(w http.ResponseWriter, r *http.Request) {
					for k, v := range tc.header {
						w.Header()[k] = v
					}
					w.Header().Set("X-Goog-Request-Id", "req-77")
					respond(tc.status, body)(w, r)
				})
				var err error
				if mode == "complete" {
					_, err = c.Complete(context.Background(), fullRequest())
				} else {
					var s provider.Stream
					if s, err = c.Stream(context.Background(), fullRequest()); s != nil {
						s.Close()
						t.Fatalf("%s: Stream() returned a stream for HTTP %d", mode, tc.status)
					}
				}
				var pe *provider.Error
				if !errors.As(err, &pe) {
					t.Fatalf("%s: error = %v; want a *provider.Error", mode, err)
				}
				if pe.Class != tc.wantClass || pe.Code != tc.wantCode || pe.RetryAfter != tc.wantRetry {
					t.Errorf("%s: class, code, retry = %q, %q, %v; want %q, %q, %v", mode,
						pe.Class, pe.Code, pe.RetryAfter, tc.wantClass, tc.wantCode, tc.wantRetry)
				}
				if pe.Status != tc.status || pe.Provider != "gem" || pe.RequestID != "req-77" {
					t.Errorf("%s: status, provider, request id = %d, %q, %q; want %d, gem, req-77", mode,
						pe.Status, pe.Provider, pe.RequestID, tc.status)
				}
				if !strings.Contains(pe.Message, tc.wantInText) {
					t.Errorf("%s: Message = %q; want it to contain %q", mode, pe.Message, tc.wantInText)
				}
			}
		})
	}
}

func TestErrorBodyVariants(t *testing.T) {
	tests := []struct {
		name      string
		status    int
		body      string
		wantClass provider.Class
		wantRetry time.Duration
	}{
		{"array form", 429, `[{"error": {"code": 429, "message": "slow down", "status": "RESOURCE_EXHAUSTED",
			"details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "2s"}]}}]`, provider.ClassRateLimited, 2 * time.Second},
		{"odd detail kept apart", 429, `{"error": {"code": 429, "message": "slow down", "status": "RESOURCE_EXHAUSTED",
			"details": ["a string", {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "0.25s"}]}}`, provider.ClassRateLimited, 250 * time.Millisecond},
		{"garbled retry delay", 429, `{"error": {"code": 429, "status": "RESOURCE_EXHAUSTED",
			"details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "soon"}]}}`, provider.ClassRateLimited, 0},
		{"key expired by reason", 400, `{"error": {"code": 400, "message": "expired", "status": "INVALID_ARGUMENT",
			"details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_EXPIRED"}]}}`, provider.ClassAuth, 0},
		{"bad key by message only", 400, `{"error": {"code": 400, "message": "API key not valid. Please pass a valid API key.", "status": "INVALID_ARGUMENT"}}`, provider.ClassAuth, 0},
		{"unknown status name", 400, `{"error": {"code": 400, "message": "new", "status": "SOMETHING_NEW"}}`, provider.ClassInvalidRequest, 0},
		{"truncated JSON", 500, `{"error": {"code": 500, "mess`, provider.ClassServer, 0},
		{"empty body", 503, ``, provider.ClassOverloaded, 0},
		{"error is a string", 400, `{"error": "bad"}`, provider.ClassInvalidRequest, 0},
		// An ErrorInfo whose reason is not about the key leaves a rate
		// limit a rate limit, with the wait it names.
		{"rate limit with an ErrorInfo reason", 429, `{"error": {"code": 429, "message": "Resource has been exhausted (e.g. check quota).", "status": "RESOURCE_EXHAUSTED",
			"details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "RATE_LIMIT_EXCEEDED", "domain": "googleapis.com"},
			{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "9s"}]}}`, provider.ClassRateLimited, 9 * time.Second},
		// Each of Gemini's ways of saying the request is too big for the
		// model is a context-length error, which falls back to a model
		// with a longer context; another limit is the request's fault.
		{"too many tokens, without the count", 400, `{"error": {"code": 400, "message": "The request exceeds the maximum number of tokens allowed (1048576).", "status": "INVALID_ARGUMENT"}}`, provider.ClassContextLength, 0},
		{"payload too large", 400, `{"error": {"code": 400, "message": "Request payload size exceeds the limit: 20971520 bytes.", "status": "INVALID_ARGUMENT"}}`, provider.ClassContextLength, 0},
		{"another limit exceeded", 400, `{"error": {"code": 400, "message": "The number of function declarations exceeds the limit (512).", "status": "INVALID_ARGUMENT"}}`, provider.ClassInvalidRequest, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := serve(t, respond(tc.status, []byte(tc.body)))
			_, err := c.Complete(context.Background(), fullRequest())
			var pe *provider.Error
			if !errors.As(err, &pe) {
				t.Fatalf("Complete() error = %v; want a *provider.Error", err)
			}
			if pe.Class != tc.wantClass || pe.RetryAfter != tc.wantRetry {
				t.Errorf("class, retry = %q, %v; want %q, %v", pe.Class, pe.RetryAfter, tc.wantClass, tc.wantRetry)
			}
		})
	}
}

// TestNoKeyInErrors makes the API echo the key in every place an error
// string is built from, and checks that no error string carries it.
func TestNoKeyInErrors(t *testing.T) {
	googleKey := "AIzaSyD-echoedKey0123456789abcdefghij"
	echo := func(status int, key string) http.HandlerFunc {
		return respond(status, []byte(fmt.Sprintf(`{"error": {"code": %d, "message": "API key not valid: %s (x-goog-api-key: %s)", "status": "INVALID_ARGUMENT"}}`, status, key, key)))
	}
	tests := []struct {
		name string
		key  string
		h    http.HandlerFunc
	}{
		{"400 echoes an opaque key", testKey, echo(400, testKey)},
		{"400 echoes a Google key", googleKey, echo(400, googleKey)},
		{"HTML echoes the key", testKey, respond(502, []byte("<html>upstream refused key "+testKey+"</html>"))},
		{"stream chunk echoes the key", testKey, respond(200, []byte(`data: {"error": {"code": 403, "message": "key `+testKey+` denied", "status": "PERMISSION_DENIED"}}`+"\r\n\r\n"))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := serve(t, tc.h, func(cfg *Config) { cfg.APIKey = tc.key })
			_, err := c.Complete(context.Background(), fullRequest())
			if err == nil {
				t.Fatal("Complete() error = nil")
			}
			errs := []error{err}
			s, err := c.Stream(context.Background(), fullRequest())
			if err == nil {
				drain(s)
				s.Close()
				err = s.Err()
			}
			errs = append(errs, err)
			for _, e := range errs {
				if e == nil {
					t.Fatal("no error")
				}
				if msg := fmt.Sprintf("%v %+v", e, e); strings.Contains(msg, tc.key) {
					t.Errorf("error carries the key: %s", msg)
				}
			}
		})
	}
}

func TestNoKeyInTransportErrors(t *testing.T) {
	// Nothing listens on port 1: the dial fails and the error names the URL.
	c := New(Config{BaseURL: "http://127.0.0.1:1", APIKey: testKey})
	_, err := c.Complete(context.Background(), fullRequest())
	if provider.ClassOf(err) != provider.ClassNetwork {
		t.Errorf("class = %q (%v); want network", provider.ClassOf(err), err)
	}
	if strings.Contains(err.Error(), testKey) {
		t.Errorf("transport error carries the key: %v", err)
	}
}
