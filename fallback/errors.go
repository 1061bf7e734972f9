package fallback

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/llmfall/llmfall/provider"
)

// ShouldFallback decides whether a link's error sends the call on to the
// next link (true) or back to the caller (false).
type ShouldFallback func(err error) bool

// DefaultShouldFallback falls back on everything a different link could do
// better: rate limits, overload, server errors, timeouts, network errors,
// auth, unknown models, malformed responses, a context too long for this
// model and errors it cannot place. It does not fall back on an invalid
// request, a content filter refusal or a cancellation, which the next link
// would meet too.
func DefaultShouldFallback(err error) bool {
	switch provider.ClassOf(err) {
	case provider.ClassInvalidRequest, provider.ClassContentFilter, provider.ClassCancelled:
		return false
	}
	return true
}

// ExhaustedError reports a call on which every link failed, or the total
// timeout ran out first. The CLI prints it and exits 3.
type ExhaustedError struct {
	Category string
	// Attempts is the whole attempt log, skipped links included.
	Attempts []Attempt
	// Total is the total timeout that ended the call; 0 when every link
	// was tried.
	Total time.Duration
}

func (e *ExhaustedError) Error() string {
	var b strings.Builder
	b.WriteString("fallback: ")
	name := "chain"
	if e.Category != "" {
		name = "category " + e.Category
	}
	if e.Total > 0 {
		fmt.Fprintf(&b, "%s: total timeout %s ran out after trying ", name, e.Total)
	} else {
		fmt.Fprintf(&b, "%s: all %d attempts failed: ", name, len(e.Attempts))
	}
	if len(e.Attempts) == 0 {
		b.WriteString("no target")
	}
	for i, a := range e.Attempts {
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%s (%s", a.Target, a.Outcome)
		if a.Err != nil {
			b.WriteString(": ")
			b.WriteString(a.Err.Error())
		}
		b.WriteString(")")
	}
	return provider.Redact(b.String())
}

// Unwrap exposes every attempt's error, so that errors.As finds the
// providers' *provider.Error values.
func (e *ExhaustedError) Unwrap() []error {
	errs := make([]error, 0, len(e.Attempts))
	for _, a := range e.Attempts {
		if a.Err != nil {
			errs = append(errs, a.Err)
		}
	}
	return errs
}

// InterruptedError ends a stream that failed after its first token reached
// the caller. The engine never falls back then: a second model's text
// spliced onto the first's would read as one answer and be wrong.
type InterruptedError struct {
	Target Target
	// Chunks and Bytes are how much text the caller had received.
	Chunks int
	Bytes  int
	Err    error
}

func (e *InterruptedError) Error() string {
	return fmt.Sprintf("fallback: stream from %s interrupted after %d chunks (%d bytes): %v",
		e.Target, e.Chunks, e.Bytes, e.Err)
}

func (e *InterruptedError) Unwrap() error { return e.Err }

// Errors the watchdogs cancel an attempt with, so that the engine can tell
// its own timeouts from the caller's cancellation.
var (
	errAttemptTimeout    = errors.New("attempt timeout")
	errTotalTimeout      = errors.New("total timeout")
	errFirstTokenTimeout = errors.New("first token timeout")
	errIdleTimeout       = errors.New("idle timeout")
	errHedgeLost         = errors.New("hedge lost")
)

// timeoutError is the error an attempt ends with when one of the engine's
// own timers fired.
func timeoutError(t Target, what string, d time.Duration, cause error) *provider.Error {
	return &provider.Error{
		Provider: t.Provider,
		Class:    provider.ClassTimeout,
		Message:  fmt.Sprintf("%s %s exceeded", what, d),
		Err:      cause,
	}
}

// breakerCounts reports whether an error of this class says something about
// the target's health. Errors the request itself caused, and cancellations,
// do not.
func breakerCounts(c provider.Class) bool {
	switch c {
	case provider.ClassInvalidRequest, provider.ClassContextLength,
		provider.ClassContentFilter, provider.ClassCancelled, provider.ClassUnsupported:
		return false
	}
	return true
}
