package provider

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"
)

// timeoutError is a net.Error that timed out, as http.Client's Timeout and
// a dialer's deadline return.
type timeoutError struct{}

func (timeoutError) Error() string   { return "i/o timeout" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }

// A transport error keeps what it is when the caller's context is still
// live: a timeout (which is never retried on the same link) and a
// cancellation stay so; anything else is the network's.
func TestTransportErrorClasses(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want Class
	}{
		{timeoutError{}, ClassTimeout},
		{fmt.Errorf("post: %w", context.DeadlineExceeded), ClassTimeout},
		{fmt.Errorf("post: %w", context.Canceled), ClassCancelled},
		{io.ErrUnexpectedEOF, ClassNetwork},
	} {
		if got := TransportError(context.Background(), "p", tc.err).Class; got != tc.want {
			t.Errorf("TransportError(%v) class = %q; want %q", tc.err, got, tc.want)
		}
	}
	if got := ClassOf(fmt.Errorf("dial: %w", timeoutError{})); got != ClassTimeout {
		t.Errorf("ClassOf(a net timeout) = %q; want timeout", got)
	}
}

// The statuses each provider's mapping starts from, beyond the common ones.
func TestClassForLessCommonStatuses(t *testing.T) {
	for status, want := range map[int]Class{402: ClassAuth, 408: ClassTimeout, 418: ClassInvalidRequest, 422: ClassInvalidRequest,
		599: ClassServer, 200: ClassUnknown, 399: ClassUnknown} {
		if got := ClassForStatus(status); got != want {
			t.Errorf("ClassForStatus(%d) = %q; want %q", status, got, want)
		}
	}
}

// Error reads well whatever the error carries.
func TestErrorStringShapes(t *testing.T) {
	for _, tc := range []struct {
		e    *Error
		want string
	}{
		{&Error{Provider: "openai", Status: 500, Class: ClassServer}, "openai: server (HTTP 500)"},
		{&Error{Class: ClassAuth, Code: "invalid_api_key"}, "auth (invalid_api_key)"},
		{&Error{Provider: "gemini", Class: ClassNetwork, Err: io.ErrUnexpectedEOF}, "gemini: network: unexpected EOF"},
		{&Error{Provider: "a", Class: ClassMalformed, Message: "bad JSON", Err: errors.New("hidden")}, "a: malformed: bad JSON"},
	} {
		if got := tc.e.Error(); got != tc.want {
			t.Errorf("Error() = %q; want %q", got, tc.want)
		}
	}
}
