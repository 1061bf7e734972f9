package fallback

import (
	"encoding/json"
	"time"

	"github.com/llmfall/llmfall/provider"
)

// Outcome is how one attempt ended.
type Outcome string

// Outcomes, as they appear in the attempt log and in `llmfall run --json`.
const (
	OutcomeOK        Outcome = "ok"
	OutcomeError     Outcome = "error"
	OutcomeTimeout   Outcome = "timeout"
	OutcomeSkipped   Outcome = "skipped"   // the target's breaker was open, or its rate limit full
	OutcomeCancelled Outcome = "cancelled" // the caller gave up, or a hedge lost
)

// Attempt is one entry of the attempt log: one try of one link.
type Attempt struct {
	Target
	// Start is when the attempt began, counted from the start of the call.
	Start    time.Duration
	Duration time.Duration
	// TTFT is the time from the attempt's start to its first token (with a
	// commit window, to the window's close, when the caller can first read
	// it); zero for attempts that produced none and for non-streaming calls.
	TTFT    time.Duration
	Outcome Outcome
	// Class is the error's class; empty when the attempt succeeded.
	Class provider.Class
	Err   error
	// MalformedEvents counts the stream events that did not decode and
	// were skipped (provider.Response.MalformedEvents).
	MalformedEvents int
	// Discarded counts the chunks, and DiscardedBytes the text, a stream's
	// commit window held back and threw away when the attempt failed
	// inside it: output the caller never saw.
	Discarded, DiscardedBytes int
}

// attemptJSON is the attempt's shape in `llmfall run --json` (docs/design.md).
type attemptJSON struct {
	Provider   string         `json:"provider"`
	Model      string         `json:"model"`
	StartedMS  int64          `json:"started_ms"`
	DurationMS int64          `json:"duration_ms"`
	Outcome    Outcome        `json:"outcome"`
	ErrorClass provider.Class `json:"error_class"`
	Error      string         `json:"error"`
	// MalformedEvents appears only when a stream skipped any.
	MalformedEvents int `json:"malformed_events,omitempty"`
	Discarded       int `json:"discarded_chunks,omitempty"`
}

// MarshalJSON writes the attempt with the field names docs/design.md documents,
// times in whole milliseconds and the error as a redacted string.
func (a Attempt) MarshalJSON() ([]byte, error) {
	j := attemptJSON{
		Provider:        a.Provider,
		Model:           a.Model,
		StartedMS:       a.Start.Milliseconds(),
		DurationMS:      a.Duration.Milliseconds(),
		Outcome:         a.Outcome,
		ErrorClass:      a.Class,
		Discarded:       a.Discarded,
		MalformedEvents: a.MalformedEvents,
	}
	if a.Err != nil {
		j.Error = provider.Redact(a.Err.Error())
	}
	return json.Marshal(j)
}

// Result is a finished call: the answer, the link that gave it and every
// attempt made on the way.
type Result struct {
	// Response is the answer; nil when no link answered, and the text
	// delivered so far for a stream interrupted after its first token.
	Response *provider.Response
	// Target is the link that served the response (or, for a stream
	// interrupted after its first token, the one that was streaming).
	Target Target
	// Category is the request's category, empty for an explicit chain
	// without one.
	Category string
	// Attempts are in the order they started.
	Attempts []Attempt

	// buf holds the attempt log of short chains so that a call allocates
	// its result once.
	buf [3]Attempt
}

func newResult(category string, links int) *Result {
	r := &Result{Category: category}
	if links <= len(r.buf) {
		r.Attempts = r.buf[:0]
	} else {
		r.Attempts = make([]Attempt, 0, links)
	}
	return r
}
