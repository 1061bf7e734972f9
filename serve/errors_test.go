package serve_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/llmfall/llmfall/clock"
	"github.com/llmfall/llmfall/fallback"
	"github.com/llmfall/llmfall/provider"
	"github.com/llmfall/llmfall/serve"
)

// failing is a link that refuses every call with err, before any token.
type failing struct{ err error }

func (f failing) Complete(context.Context, *provider.Request) (*provider.Response, error) {
	return nil, f.err
}

func (f failing) Stream(context.Context, *provider.Request) (provider.Stream, error) {
	return nil, f.err
}

// memLink is one in-memory link of the category fast: its provider name
// (also its model's prefix) and what it does.
type memLink struct {
	name string
	p    provider.Provider
}

// memServer is the gateway over an engine whose category fast is links,
// in that order, model NAME-1 each, without breakers (each request sees
// every link). adjust, if not nil, changes the engine's config.
func memServer(t *testing.T, adjust func(*fallback.Config), links ...memLink) *serve.Server {
	t.Helper()
	providers := map[string]provider.Provider{}
	models := map[string]string{}
	var order []string
	for _, l := range links {
		providers[l.name] = l.p
		models[l.name] = l.name + "-1"
		order = append(order, l.name)
	}
	cfg := fallback.Config{Order: order, BreakerFailures: -1,
		Categories: []fallback.Category{{Name: "fast", Models: models}}}
	if adjust != nil {
		adjust(&cfg)
	}
	eng, err := fallback.New(cfg, providers)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := serve.New(serve.Config{Engine: eng, Keys: []string{clientKey}})
	if err != nil {
		t.Fatal(err)
	}
	return srv
}

// serveOne sends one request to h with the client key and returns the answer.
func serveOne(h http.Handler, method, path, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+clientKey)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// wantError checks an error answer: its status, OpenAI's body with code
// (nil: null) and type, and its Retry-After ("" when there must be none).
func wantError(t *testing.T, rec *httptest.ResponseRecorder, status int, typ string, wantCode *string, retryAfter string) apiErr {
	t.Helper()
	resp := rec.Result()
	if resp.StatusCode != status {
		t.Errorf("status %d; want %d (body %s)", resp.StatusCode, status, rec.Body)
	}
	got, ok := resp.Header["Retry-After"]
	switch {
	case retryAfter == "" && ok:
		t.Errorf("Retry-After %q; want none", got)
	case retryAfter != "" && resp.Header.Get("Retry-After") != retryAfter:
		t.Errorf("Retry-After %q; want %q", resp.Header.Get("Retry-After"), retryAfter)
	}
	e := decodeErr(t, resp)
	if e.Error.Type != typ {
		t.Errorf("error type %q; want %q", e.Error.Type, typ)
	}
	switch {
	case wantCode == nil && e.Error.Code != nil:
		t.Errorf("error code %q; want null", code(e))
	case wantCode != nil && (e.Error.Code == nil || code(e) != *wantCode):
		t.Errorf("error code %q (null: %t); want %q", code(e), e.Error.Code == nil, *wantCode)
	}
	return e
}

func ptr(s string) *string { return &s }

// TestOneLinksErrorKeepsItsMeaning: a call that stopped on one upstream
// error answers with that error's class: its status, OpenAI's code for it
// (the provider's own only where the class has none), and Retry-After only
// where a client should wait (429, 503), in whole seconds rounded up.
func TestOneLinksErrorKeepsItsMeaning(t *testing.T) {
	for _, tc := range []struct {
		name       string
		err        *provider.Error
		status     int
		typ        string
		code       *string
		retryAfter string
	}{
		{"rate limited, a second and a half", &provider.Error{Class: provider.ClassRateLimited, Code: "rate_limit_error", RetryAfter: 1500 * time.Millisecond},
			429, "requests", ptr("rate_limit_exceeded"), "2"},
		{"rate limited, whole seconds", &provider.Error{Class: provider.ClassRateLimited, RetryAfter: 2 * time.Second},
			429, "requests", ptr("rate_limit_exceeded"), "2"},
		{"rate limited, a nanosecond", &provider.Error{Class: provider.ClassRateLimited, RetryAfter: 1},
			429, "requests", ptr("rate_limit_exceeded"), "1"},
		{"rate limited, no wait given", &provider.Error{Class: provider.ClassRateLimited},
			429, "requests", ptr("rate_limit_exceeded"), ""},
		{"overloaded", &provider.Error{Class: provider.ClassOverloaded, Code: "overloaded_error", RetryAfter: 3 * time.Second},
			503, "server_error", ptr("overloaded"), "3"},
		// A 502's Retry-After would be the upstream's, not the gateway's:
		// the next request may go to another link.
		{"server error with a Retry-After", &provider.Error{Class: provider.ClassServer, Code: "internal_oops", RetryAfter: 5 * time.Second},
			502, "server_error", ptr("upstream_error"), ""},
		{"upstream auth", &provider.Error{Class: provider.ClassAuth, Code: "invalid_api_key"},
			502, "server_error", ptr("upstream_auth"), ""},
		{"invalid request keeps the provider's code", &provider.Error{Class: provider.ClassInvalidRequest, Code: "invalid_value", Message: "temperature too high"},
			400, "invalid_request_error", ptr("invalid_value"), ""},
		{"invalid request without a code", &provider.Error{Class: provider.ClassInvalidRequest, Message: "bad"},
			400, "invalid_request_error", nil, ""},
		{"a class the gateway does not know", &provider.Error{Class: "novel", Code: "novel_code"},
			502, "server_error", ptr("upstream_error"), ""},
	} {
		for _, stream := range []bool{false, true} {
			name := tc.name
			if stream {
				name += ", streaming"
			}
			t.Run(name, func(t *testing.T) {
				tc.err.Provider = "solo"
				srv := memServer(t, nil, memLink{"solo", failing{tc.err}})
				body := hello
				if stream {
					body = helloStream("")
				}
				rec := serveOne(srv.Handler(), "POST", "/v1/chat/completions", body)
				e := wantError(t, rec, tc.status, tc.typ, tc.code, tc.retryAfter)
				if !strings.Contains(e.Error.Message, tc.err.Error()) {
					t.Errorf("message %q; want the upstream's error %q in it", e.Error.Message, tc.err.Error())
				}
				if got := rec.Header().Get(serve.HeaderAttempts); got != "1" {
					t.Errorf("%s = %q; want 1", serve.HeaderAttempts, got)
				}
			})
		}
	}
}

// TestEveryLinkFailed: when every link failed, the answer keeps the
// meaning the failures share (all rate limited: a 429 with the soonest
// Retry-After any of them gave), and is a 502 when they differ.
func TestEveryLinkFailed(t *testing.T) {
	limited := func(wait time.Duration) provider.Provider {
		return failing{&provider.Error{Class: provider.ClassRateLimited, RetryAfter: wait}}
	}
	for _, tc := range []struct {
		name       string
		a, b       provider.Provider
		status     int
		code       string
		retryAfter string
	}{
		{"rate limited, longer wait first", limited(7 * time.Second), limited(3 * time.Second), 429, "rate_limit_exceeded", "3"},
		{"rate limited, shorter wait first", limited(3 * time.Second), limited(7 * time.Second), 429, "rate_limit_exceeded", "3"},
		// A link that gave no wait does not make the others' wait zero.
		{"rate limited, the second without a wait", limited(4 * time.Second), limited(0), 429, "rate_limit_exceeded", "4"},
		{"rate limited, the first without a wait", limited(0), limited(4 * time.Second), 429, "rate_limit_exceeded", "4"},
		{"overloaded both", failing{&provider.Error{Class: provider.ClassOverloaded}}, failing{&provider.Error{Class: provider.ClassOverloaded, RetryAfter: 2 * time.Second}},
			503, "overloaded", "2"},
		{"overloaded and rate limited", failing{&provider.Error{Class: provider.ClassOverloaded}}, limited(3 * time.Second), 502, "upstream_error", ""},
		{"rate limited and overloaded", limited(3 * time.Second), failing{&provider.Error{Class: provider.ClassOverloaded}}, 502, "upstream_error", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := memServer(t, nil, memLink{"one", tc.a}, memLink{"two", tc.b})
			rec := serveOne(srv.Handler(), "POST", "/v1/chat/completions", hello)
			typ := "server_error"
			if tc.status == 429 {
				typ = "requests"
			}
			e := wantError(t, rec, tc.status, typ, &tc.code, tc.retryAfter)
			if !strings.Contains(e.Error.Message, "all 2 attempts failed") {
				t.Errorf("message %q; want every attempt named", e.Error.Message)
			}
			if got := rec.Header().Get(serve.HeaderAttempts); got != "2" {
				t.Errorf("%s = %q; want 2", serve.HeaderAttempts, got)
			}
		})
	}
}

// TestNonProviderErrorsKeepTheirClass: an error that is no provider.Error
// (the engine's own, a context's) is classed as the engine classes it.
func TestNonProviderErrorsKeepTheirClass(t *testing.T) {
	srv := memServer(t, nil, memLink{"solo", failing{context.DeadlineExceeded}})
	wantError(t, serveOne(srv.Handler(), "POST", "/v1/chat/completions", hello), 504, "server_error", ptr("upstream_timeout"), "")
	srv = memServer(t, nil, memLink{"solo", failing{errors.New("something odd")}})
	wantError(t, serveOne(srv.Handler(), "POST", "/v1/chat/completions", hello), 502, "server_error", ptr("upstream_error"), "")
}

// withImage asks the category fast about an image.
const withImage = `{"model":"fast","messages":[{"role":"user","content":[{"type":"text","text":"What is this?"},
  {"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo="}}]}]}`

// TestSkippedLinksDoNotBlurTheMeaning: a link the engine skipped without
// calling it (here a text-only model asked about an image) tells nothing
// about the upstreams, so the answer is the meaning of the links that were
// called: all rate limited is still a 429.
func TestSkippedLinksDoNotBlurTheMeaning(t *testing.T) {
	limited := failing{&provider.Error{Class: provider.ClassRateLimited, RetryAfter: 3 * time.Second}}
	textOnly := func(c *fallback.Config) { c.TextOnly = []fallback.Target{{Provider: "blind", Model: "blind-1"}} }
	srv := memServer(t, textOnly, memLink{"blind", failing{errors.New("a text-only link was called")}}, memLink{"limited", limited})
	rec := serveOne(srv.Handler(), "POST", "/v1/chat/completions", withImage)
	wantError(t, rec, 429, "requests", ptr("rate_limit_exceeded"), "3")
	if got := rec.Header().Get(serve.HeaderAttempts); got != "2" {
		t.Errorf("%s = %q; want 2, the skip counted", serve.HeaderAttempts, got)
	}
}

// TestNoLinkCanTakeTheRequest: when every link of the category is text-only
// and the request has an image, no upstream was called and none is down:
// the request is one this category cannot serve, a 400 (class unsupported)
// that a client must not retry, not a 503 that OpenAI's SDKs retry.
func TestNoLinkCanTakeTheRequest(t *testing.T) {
	textOnly := func(c *fallback.Config) {
		c.TextOnly = []fallback.Target{{Provider: "blind", Model: "blind-1"}, {Provider: "myopic", Model: "myopic-1"}}
	}
	called := failing{errors.New("a text-only link was called")}
	srv := memServer(t, textOnly, memLink{"blind", called}, memLink{"myopic", called})
	for _, body := range []string{withImage, strings.Replace(withImage, `"model":"fast"`, `"model":"fast","stream":true`, 1)} {
		rec := serveOne(srv.Handler(), "POST", "/v1/chat/completions", body)
		e := wantError(t, rec, 400, "invalid_request_error", ptr("unsupported"), "")
		if !strings.Contains(e.Error.Message, "text-only") {
			t.Errorf("message %q; want the reason, text-only models", e.Error.Message)
		}
		if got := rec.Header().Get(serve.HeaderAttempts); got != "2" {
			t.Errorf("%s = %q; want 2 skips", serve.HeaderAttempts, got)
		}
	}
}

// TestTotalTimeoutBeforeAnyLinkIs504: a call whose total timeout ran out
// before any link was tried (here a 1 ms total on a clock that moves 1 ms
// at each reading) ended on the gateway's own timeout: a 504, not the 503
// all_links_down of upstreams that are down, nor the 400 of a request no
// link can take; the same before the first byte of a stream.
func TestTotalTimeoutBeforeAnyLinkIs504(t *testing.T) {
	for _, tc := range []struct{ name, body string }{
		{"complete", hello},
		{"stream", strings.Replace(hello, `"model":"fast"`, `"model":"fast","stream":true`, 1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk := &ticking{Fake: clock.NewFake(time.Unix(1700000000, 0)), now: time.Unix(1700000000, 0)}
			srv := memServer(t, func(c *fallback.Config) { c.Clock, c.Timeouts.Total = clk, time.Millisecond },
				memLink{"solo", failing{errors.New("called after the total timeout")}})
			rec := serveOne(srv.Handler(), "POST", "/v1/chat/completions", tc.body)
			e := wantError(t, rec, 504, "server_error", ptr("timeout"), "")
			if !strings.Contains(e.Error.Message, "total timeout") {
				t.Errorf("message %q; want it to name the total timeout", e.Error.Message)
			}
			if got := rec.Header().Get(serve.HeaderAttempts); got != "0" {
				t.Errorf("%s = %q; want 0, no link tried", serve.HeaderAttempts, got)
			}
		})
	}
}
