package provider

import (
	"context"
	"errors"
	"testing"
	"time"
)

// The tests of this file pin retry and request checks that issue 16's
// mutation runs found loose.

// Waiting out a provider's Retry-After is allowed with retries off
// (retry.max 0); it does not turn on backoff retries of errors that named
// no wait.
func TestRetryAfterAloneDoesNotRetryOtherErrors(t *testing.T) {
	p := Retry{RetryAfterMaxWait: time.Second, Rand: half}
	server := &Error{Provider: "a", Status: 500, Class: ClassServer}
	if d, ok := p.Next(0, server, 0); ok {
		t.Errorf("Next(0, a 500 without Retry-After) = %v, true; want to move on", d)
	}
}

// A policy without a minimum wait retries at once, with the default
// randomness (which must not be asked for a number below 0).
func TestZeroBackoffRetriesAtOnce(t *testing.T) {
	p := Retry{Max: 1}
	d, ok := p.Next(0, &Error{Provider: "a", Status: 503, Class: ClassOverloaded}, 0)
	if d != 0 || !ok {
		t.Errorf("Next() = %v, %t; want a retry at once", d, ok)
	}
}

// Sleep with nothing to wait still tells a caller who gave up that it did,
// every time: the retry loop must not retry for a cancelled call.
func TestSleepZeroReportsCancellation(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for range 50 {
		if err := Sleep(ctx, 0); !errors.Is(err, context.Canceled) {
			t.Fatalf("Sleep(cancelled, 0) = %v; want context.Canceled", err)
		}
	}
	if err := Sleep(context.Background(), 0); err != nil {
		t.Errorf("Sleep(live, 0) = %v; want nil", err)
	}
}

// Temperatures and top_p values between the bounds are the common case.
func TestCheckParamAcceptsFractions(t *testing.T) {
	for _, tc := range []struct {
		name string
		v    float64
	}{{"temperature", 0.7}, {"top_p", 0.9}} {
		if err := CheckParam(tc.name, tc.v); err != nil {
			t.Errorf("CheckParam(%s, %v) = %v; want nil", tc.name, tc.v, err)
		}
	}
	if err := CheckParam("max_tokens", 1<<31+1); err == nil {
		t.Errorf("CheckParam(max_tokens, 2^31+1) = nil; want out of range")
	}
}

// A request that sets no parameter is valid; each one it sets is checked.
func TestCheckParams(t *testing.T) {
	if err := (&Request{}).CheckParams(); err != nil {
		t.Errorf("CheckParams() of a request with no parameters = %v; want nil", err)
	}
	hot, wide := 2.5, 1.5
	for _, r := range []Request{{Temperature: &hot}, {TopP: &wide}, {MaxTokens: -1}} {
		if err := r.CheckParams(); err == nil {
			t.Errorf("CheckParams(%+v) = nil; want out of range", r)
		}
	}
}

// Zero tokens is a count (an empty answer, a cached prompt); only negative
// counts are malformed.
func TestCheckUsageZeroIsACount(t *testing.T) {
	if err := CheckUsage("a", 200, Usage{}); err != nil {
		t.Errorf("CheckUsage(0, 0) = %v; want nil", err)
	}
	if err := CheckUsage("a", 200, Usage{InputTokens: 10, OutputTokens: -1}); ClassOf(err) != ClassMalformed {
		t.Errorf("CheckUsage(10, -1) = %v; want malformed", err)
	}
}
