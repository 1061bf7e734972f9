package provider

import (
	"net/http"
	"testing"
	"time"
)

// A zero or garbled retry-after-ms says nothing, so the Retry-After header
// beside it decides; the same for a zero or past Retry-After alone.
func TestParseRetryAfterFallsBackFromMs(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		h    http.Header
		want time.Duration
	}{
		{http.Header{"Retry-After-Ms": {"0"}, "Retry-After": {"2"}}, 2 * time.Second},
		{http.Header{"Retry-After-Ms": {"soon"}, "Retry-After": {"2"}}, 2 * time.Second},
		{http.Header{"Retry-After-Ms": {"-5"}, "Retry-After": {"2"}}, 2 * time.Second},
		{http.Header{"Retry-After-Ms": {" 40 "}}, 40 * time.Millisecond},
		{http.Header{"Retry-After": {"0"}}, 0},
		{http.Header{"Retry-After": {now.Add(-time.Minute).Format(http.TimeFormat)}}, 0},
		{http.Header{"Retry-After": {now.Format(http.TimeFormat)}}, 0},
	} {
		if got := ParseRetryAfter(tc.h, now); got != tc.want {
			t.Errorf("ParseRetryAfter(%v) = %v; want %v", tc.h, got, tc.want)
		}
	}
}

// RequestIDFrom takes the first header present, in the providers' order:
// OpenAI's, Anthropic's, Google's, then a Cloudflare proxy's ray id.
func TestRequestIDFrom(t *testing.T) {
	for _, tc := range []struct {
		h    http.Header
		want string
	}{
		{http.Header{"X-Request-Id": {"req_1"}, "Request-Id": {"req_2"}, "Cf-Ray": {"ray"}}, "req_1"},
		{http.Header{"Request-Id": {"req_2"}, "Cf-Ray": {"ray"}}, "req_2"},
		{http.Header{"X-Goog-Request-Id": {"g_3"}, "Cf-Ray": {"ray"}}, "g_3"},
		{http.Header{"Cf-Ray": {"8f0a-AMS"}}, "8f0a-AMS"},
		{http.Header{"X-Request-Id": {""}, "Cf-Ray": {"ray"}}, "ray"},
		{http.Header{}, ""},
	} {
		if got := RequestIDFrom(tc.h); got != tc.want {
			t.Errorf("RequestIDFrom(%v) = %q; want %q", tc.h, got, tc.want)
		}
	}
}

// The default client leaves deadlines to the caller's context (no overall
// timeout, which would cut long healthy streams) but bounds the TLS
// handshake and keeps idle connections for a minute and a half.
func TestNewHTTPClientBounds(t *testing.T) {
	c := NewHTTPClient()
	tr, ok := c.Transport.(*http.Transport)
	if !ok {
		t.Fatalf("Transport = %T; want *http.Transport", c.Transport)
	}
	if c.Timeout != 0 || tr.TLSHandshakeTimeout != 10*time.Second || tr.IdleConnTimeout != 90*time.Second ||
		tr.ExpectContinueTimeout != time.Second || tr.ResponseHeaderTimeout != 0 {
		t.Errorf("client timeout %v, TLS handshake %v, idle %v, expect-continue %v, response header %v; want 0, 10s, 1m30s, 1s, 0",
			c.Timeout, tr.TLSHandshakeTimeout, tr.IdleConnTimeout, tr.ExpectContinueTimeout, tr.ResponseHeaderTimeout)
	}
	if tr.MaxIdleConnsPerHost != 64 || tr.MaxIdleConns != 256 {
		t.Errorf("idle pool %d per host, %d in all; want 64, 256", tr.MaxIdleConnsPerHost, tr.MaxIdleConns)
	}
}
