package provider

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"
)

// Class is what kind of failure an error is, which is all the fallback engine
// needs to decide whether another link could do better.
type Class string

// Error classes. The zero value is not a class; ClassOf returns ClassUnknown
// for errors it cannot place.
const (
	ClassRateLimited    Class = "rate_limited"    // 429 and its kin: this link, right now
	ClassOverloaded     Class = "overloaded"      // 529 / 503 overloaded: the provider, right now
	ClassServer         Class = "server"          // 5xx
	ClassTimeout        Class = "timeout"         // a deadline passed
	ClassNetwork        Class = "network"         // connection refused, reset, cut mid-body
	ClassAuth           Class = "auth"            // bad key, no permission, no quota
	ClassNotFound       Class = "not_found"       // unknown model or endpoint
	ClassInvalidRequest Class = "invalid_request" // the request itself is wrong
	ClassContextLength  Class = "context_length"  // the prompt is too long for this model
	ClassContentFilter  Class = "content_filter"  // refused by a safety system
	ClassMalformed      Class = "malformed"       // a response we could not parse
	ClassCancelled      Class = "cancelled"       // the caller gave up
	ClassUnknown        Class = "unknown"
	// ClassUnsupported is a request this link cannot take though another
	// may: an image for a text-only model, a schema its API cannot
	// express. The adapter (or the engine) refuses it before sending.
	ClassUnsupported Class = "unsupported"
)

// Classes lists every class, for tables and validation.
var Classes = []Class{
	ClassRateLimited, ClassOverloaded, ClassServer, ClassTimeout, ClassNetwork,
	ClassAuth, ClassNotFound, ClassInvalidRequest, ClassContextLength,
	ClassContentFilter, ClassMalformed, ClassCancelled, ClassUnknown,
	ClassUnsupported,
}

// Error is the one error type adapters return for a failed call.
type Error struct {
	Provider string // configured provider name, e.g. "openai"
	Status   int    // HTTP status; 0 when none was received
	Class    Class
	// Code is the provider's own error type or code ("rate_limit_error",
	// "insufficient_quota", "RESOURCE_EXHAUSTED"), kept for diagnosis.
	Code string
	// Message is the provider's own message with any key redacted.
	Message string
	// RetryAfter is how long the provider asked us to wait; 0 when it did not say.
	RetryAfter time.Duration
	RequestID  string
	// Err is an underlying transport or decoding error, if any.
	Err error
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.Provider != "" {
		b.WriteString(e.Provider)
		b.WriteString(": ")
	}
	b.WriteString(string(e.Class))
	if e.Status != 0 {
		fmt.Fprintf(&b, " (HTTP %d", e.Status)
		if e.Code != "" {
			b.WriteString(" ")
			b.WriteString(e.Code)
		}
		b.WriteString(")")
	} else if e.Code != "" {
		fmt.Fprintf(&b, " (%s)", e.Code)
	}
	switch {
	case e.Message != "":
		b.WriteString(": ")
		b.WriteString(e.Message)
	case e.Err != nil:
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, " (retry after %s)", e.RetryAfter)
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// ClassOf places any error in a class: a *Error carries its own; context
// errors are cancelled or timeout; net errors are network or timeout.
func ClassOf(err error) Class {
	if err == nil {
		return ""
	}
	var pe *Error
	if errors.As(err, &pe) {
		return pe.Class
	}
	switch {
	case errors.Is(err, context.Canceled):
		return ClassCancelled
	case errors.Is(err, context.DeadlineExceeded):
		return ClassTimeout
	}
	var ne net.Error
	if errors.As(err, &ne) {
		if ne.Timeout() {
			return ClassTimeout
		}
		return ClassNetwork
	}
	return ClassUnknown
}

// RetryAfterOf returns the wait a provider asked for, or 0.
func RetryAfterOf(err error) time.Duration {
	var pe *Error
	if errors.As(err, &pe) {
		return pe.RetryAfter
	}
	return 0
}

// TransportError wraps an error from http.Client.Do or from reading a body.
// ctx is the request's context: if it is done, its error decides the class,
// since a cancelled request surfaces as a generic read or dial error.
func TransportError(ctx context.Context, providerName string, err error) *Error {
	class := ClassNetwork
	if ctxErr := ctx.Err(); ctxErr != nil {
		class = ClassOf(ctxErr)
		err = fmt.Errorf("%w (%v)", ctxErr, err)
	} else if c := ClassOf(err); c == ClassTimeout || c == ClassCancelled {
		class = c
	}
	return &Error{Provider: providerName, Class: class, Err: err}
}

// MalformedError reports a response body that could not be understood.
func MalformedError(providerName string, status int, err error) *Error {
	return &Error{Provider: providerName, Status: status, Class: ClassMalformed, Err: err}
}

// ClassForStatus is the default class of an HTTP status, before an adapter
// refines it with the provider's error body.
func ClassForStatus(status int) Class {
	switch {
	case status == 401 || status == 403 || status == 402:
		return ClassAuth
	case status == 404:
		return ClassNotFound
	case status == 408:
		return ClassTimeout
	case status == 413:
		return ClassContextLength
	case status == 429:
		return ClassRateLimited
	case status == 529 || status == 503:
		return ClassOverloaded
	case status == 504:
		return ClassTimeout
	case status >= 500:
		return ClassServer
	case status >= 400:
		return ClassInvalidRequest
	}
	return ClassUnknown
}
