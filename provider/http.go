package provider

import (
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// NewHTTPClient returns the client an adapter uses when none is configured:
// no overall timeout (the engine owns deadlines through the context, and a
// client timeout would cut healthy long streams) but bounded dial, TLS and
// header waits, and a pool sized for a few dozen concurrent calls to one host.
func NewHTTPClient() *http.Client {
	return &http.Client{Transport: &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          256,
		MaxIdleConnsPerHost:   64,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}}
}

// ParseRetryAfter reads a Retry-After header: delta-seconds (possibly
// fractional, as some gateways send) or an HTTP date. It also accepts the
// "retry-after-ms" header OpenAI sends. It returns 0 when absent or garbled.
func ParseRetryAfter(h http.Header, now time.Time) time.Duration {
	if ms := strings.TrimSpace(h.Get("Retry-After-Ms")); ms != "" {
		if v, err := strconv.ParseFloat(ms, 64); err == nil && v > 0 {
			return time.Duration(v * float64(time.Millisecond))
		}
	}
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		return time.Duration(secs * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

// MaxErrorBody bounds how much of an error response is read: enough for any
// real error document, not enough for a misbehaving proxy to hurt us.
const MaxErrorBody = 1 << 20

// ReadErrorBody reads and closes an error response's body, bounded.
func ReadErrorBody(resp *http.Response) []byte {
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, MaxErrorBody))
	return b
}

// RequestIDFrom returns the first request-id header present.
func RequestIDFrom(h http.Header) string {
	for _, k := range []string{"X-Request-Id", "Request-Id", "X-Goog-Request-Id", "Cf-Ray"} {
		if v := h.Get(k); v != "" {
			return v
		}
	}
	return ""
}
