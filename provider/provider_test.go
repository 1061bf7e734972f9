package provider

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestClassOf(t *testing.T) {
	tests := []struct {
		err  error
		want Class
	}{
		{&Error{Class: ClassRateLimited}, ClassRateLimited},
		{fmt.Errorf("wrapped: %w", &Error{Class: ClassAuth}), ClassAuth},
		{context.Canceled, ClassCancelled},
		{fmt.Errorf("x: %w", context.DeadlineExceeded), ClassTimeout},
		{errors.New("???"), ClassUnknown},
		{nil, ""},
	}
	for _, tc := range tests {
		if got := ClassOf(tc.err); got != tc.want {
			t.Errorf("ClassOf(%v) = %q; want %q", tc.err, got, tc.want)
		}
	}
}

func TestTransportErrorUsesContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if got := TransportError(ctx, "p", errors.New("read: use of closed connection")).Class; got != ClassCancelled {
		t.Errorf("cancelled ctx: class = %q; want cancelled", got)
	}
	if got := TransportError(context.Background(), "p", io.ErrUnexpectedEOF).Class; got != ClassNetwork {
		t.Errorf("cut body: class = %q; want network", got)
	}
}

func TestClassForStatus(t *testing.T) {
	want := map[int]Class{400: ClassInvalidRequest, 401: ClassAuth, 403: ClassAuth, 404: ClassNotFound,
		413: ClassContextLength, 429: ClassRateLimited, 500: ClassServer, 502: ClassServer,
		503: ClassOverloaded, 504: ClassTimeout, 529: ClassOverloaded}
	for status, w := range want {
		if got := ClassForStatus(status); got != w {
			t.Errorf("ClassForStatus(%d) = %q; want %q", status, got, w)
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		h    http.Header
		want time.Duration
	}{
		{http.Header{"Retry-After": {"3"}}, 3 * time.Second},
		{http.Header{"Retry-After": {"1.5"}}, 1500 * time.Millisecond},
		{http.Header{"Retry-After": {now.Add(10 * time.Second).Format(http.TimeFormat)}}, 10 * time.Second},
		{http.Header{"Retry-After-Ms": {"250"}, "Retry-After": {"1"}}, 250 * time.Millisecond},
		{http.Header{"Retry-After": {"soon"}}, 0},
		{http.Header{"Retry-After": {"-4"}}, 0},
		{http.Header{}, 0},
	}
	for _, tc := range tests {
		if got := ParseRetryAfter(tc.h, now); got != tc.want {
			t.Errorf("ParseRetryAfter(%v) = %v; want %v", tc.h, got, tc.want)
		}
	}
}

func TestRedact(t *testing.T) {
	key := "sk-proj-abcdefghijklmnopqrstuvwxyz0123456789"
	tests := []struct{ in, notWant string }{
		{"Incorrect API key provided: sk-4sJHr***************************************w8ZP. You can", "sk-4sJHr"},
		{"key " + key + " rejected", key},
		{"API key not valid: AIzaSyD-1234567890abcdefghijklmnopqrstu", "AIzaSy"},
		{"x-api-key sk-ant-api03-AAAA_bbbb-cccc", "sk-ant-api03"},
	}
	for _, tc := range tests {
		got := Redact(tc.in, key)
		if strings.Contains(got, tc.notWant) {
			t.Errorf("Redact(%q) = %q; still contains %q", tc.in, got, tc.notWant)
		}
		if !strings.Contains(got, "[REDACTED]") {
			t.Errorf("Redact(%q) = %q; want a [REDACTED] marker", tc.in, got)
		}
	}
	if got := Redact("nothing secret here", "hunter2-key"); got != "nothing secret here" {
		t.Errorf("Redact changed harmless text: %q", got)
	}
	if got := Redact("the key is hunter2-key", "hunter2-key"); strings.Contains(got, "hunter2") {
		t.Errorf("Redact kept an exact secret: %q", got)
	}
}

func TestErrorString(t *testing.T) {
	e := &Error{Provider: "anthropic", Status: 529, Class: ClassOverloaded, Code: "overloaded_error", Message: "Overloaded", RetryAfter: 2 * time.Second}
	want := "anthropic: overloaded (HTTP 529 overloaded_error): Overloaded (retry after 2s)"
	if got := e.Error(); got != want {
		t.Errorf("Error() = %q; want %q", got, want)
	}
}

type closeCounter struct{ n int }

func (c *closeCounter) Close() error { c.n++; return nil }

func TestStepStream(t *testing.T) {
	deltas := []string{"", "Hel", "", "lo"}
	i := 0
	body := &closeCounter{}
	s := NewStream(context.Background(), "p", body, time.Now(), func(meta *Response) (string, error) {
		if i == len(deltas) {
			meta.FinishReason = FinishStop
			meta.Usage = Usage{InputTokens: 3, OutputTokens: 2}
			return "", io.EOF
		}
		i++
		return deltas[i-1], nil
	})
	var got []string
	for s.Next() {
		got = append(got, s.Current().Text)
	}
	if err := s.Err(); err != nil {
		t.Fatalf("Err() = %v", err)
	}
	if strings.Join(got, "|") != "Hel|lo" {
		t.Errorf("chunks = %q; want Hel|lo (empty deltas skipped)", got)
	}
	r := s.Response()
	if r.Text != "Hello" || r.FinishReason != FinishStop || r.Usage.OutputTokens != 2 || r.TTFT <= 0 {
		t.Errorf("Response() = %+v", r)
	}
	s.Close()
	if body.n != 1 {
		t.Errorf("body closed %d times; want 1", body.n)
	}
}

func TestStepStreamClassifiesErrors(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	s := NewStream(ctx, "p", nil, time.Now(), func(*Response) (string, error) {
		cancel()
		return "", io.ErrUnexpectedEOF
	})
	if s.Next() {
		t.Fatal("Next() = true; want false")
	}
	if c := ClassOf(s.Err()); c != ClassCancelled {
		t.Errorf("class after cancel = %q; want cancelled", c)
	}
}

func TestExcerptRedactsBeforeCutting(t *testing.T) {
	key := "custom-secret-token-0123456789"
	// The key straddles the cut: cutting first would leave a fragment
	// ("custom-secret-tok") that no longer matches the key.
	body := []byte("<html>\n" + strings.Repeat("x", MaxExcerpt-20) + " " + key + " rest</html>")
	got := Excerpt(body, key)
	if strings.Contains(got, "custom-secret") {
		t.Errorf("Excerpt() = %q; kept part of the key", got)
	}
	if len(got) > MaxExcerpt+len("…") || !strings.HasSuffix(got, "…") {
		t.Errorf("Excerpt() = %q (%d bytes); want at most %d bytes and an ellipsis", got, len(got), MaxExcerpt)
	}
	if got := Excerpt([]byte("  Bad\n gateway  ")); got != "Bad gateway" {
		t.Errorf("Excerpt() = %q; want %q", got, "Bad gateway")
	}
	if got := Excerpt([]byte(strings.Repeat("é", MaxExcerpt))); !utf8.ValidString(got) {
		t.Errorf("Excerpt() cut inside a character: %q", got)
	}
}

func TestSecrets(t *testing.T) {
	got := Secrets("k-123", map[string]string{
		"authorization":       "Bearer gw-token",
		"X-Api-Key":           "xk",
		"Anthropic-Beta":      "prompt-caching",
		"X-Goog-Api-Key":      "",
		"Http-Referer":        "https://example.com",
		"Proxy-Authorization": "Basic cHJveHk=",
	})
	slices.Sort(got)
	want := []string{"Basic cHJveHk=", "Bearer gw-token", "gw-token", "k-123", "xk"}
	if !slices.Equal(got, want) {
		t.Errorf("Secrets() = %q; want %q", got, want)
	}
}

func TestRedactError(t *testing.T) {
	const key = "plain-secret-42"
	if RedactError(nil, key) != nil {
		t.Error("RedactError(nil) != nil")
	}
	plain := errors.New("connection refused")
	if got := RedactError(plain, key); got != plain {
		t.Errorf("RedactError changed an error without secrets: %v", got)
	}
	cause := fmt.Errorf("dial https://gw.example/?key=%s: %w", key, context.Canceled)
	pe := &Error{Provider: "p", Class: ClassAuth, Code: key, Message: "bad key " + key, RequestID: key, Err: cause}
	got := RedactError(pe, key)
	if strings.Contains(got.Error(), key) || strings.Contains(fmt.Sprintf("%+v", got), key) {
		t.Errorf("RedactError() = %+v; still shows the key", got)
	}
	if !errors.Is(got, context.Canceled) || ClassOf(got) != ClassAuth {
		t.Errorf("RedactError() lost the chain: Is(Canceled) = %v, class %q", errors.Is(got, context.Canceled), ClassOf(got))
	}
	if pe.Message != "bad key "+key {
		t.Error("RedactError changed the original error; want a copy")
	}
}
