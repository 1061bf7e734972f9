package provider

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"
)

// A provider error that arrives after the caller cancelled (a body read cut
// by the cancellation, which the adapter saw as a bad event or a server
// failure) is the caller's cancellation: the fallback engine must not charge
// the link for it.
func TestStreamErrorAfterCancelIsTheCallers(t *testing.T) {
	for _, stepErr := range []error{
		MalformedEvent("p", 0, errors.New("unexpected end of JSON input")),
		&Error{Provider: "p", Class: ClassServer, Message: "stream reset"},
	} {
		ctx, cancel := context.WithCancel(context.Background())
		s := NewStream(ctx, "p", nil, time.Now(), func(*Response) (string, error) {
			cancel()
			return "", stepErr
		})
		if s.Next() {
			t.Fatal("Next() = true; want false")
		}
		if c := ClassOf(s.Err()); c != ClassCancelled {
			t.Errorf("step error %v after cancel: class %q; want cancelled", stepErr, c)
		}
	}
}

// Response's Latency runs while the stream does and stops at its end.
func TestStreamLatencyStopsAtTheEnd(t *testing.T) {
	start := time.Now().Add(-time.Hour) // the request went out an hour ago
	i := 0
	s := NewStream(context.Background(), "p", nil, start, func(*Response) (string, error) {
		i++
		if i > 1 {
			return "", io.EOF
		}
		return "Hi", nil
	})
	if !s.Next() {
		t.Fatalf("Next() = false, Err() = %v; want the first chunk", s.Err())
	}
	if l := s.Response().Latency; l < time.Hour {
		t.Errorf("Latency mid-stream = %v; want the time since the request (over an hour)", l)
	}
	for s.Next() {
	}
	end := s.Response().Latency
	if end < time.Hour {
		t.Errorf("Latency at the end = %v; want over an hour", end)
	}
	if again := s.Response().Latency; again != end {
		t.Errorf("Latency read again after the end = %v; want it fixed at %v", again, end)
	}
}

// A tool call's signature (Gemini's thought signature) may come with any
// delta of the call; later deltas without one keep it.
func TestChunkStreamKeepsToolCallSignature(t *testing.T) {
	events := []Chunk{
		{ToolCall: &ToolCallDelta{Index: 0, ID: "c1", Name: "refund", Signature: "sig-A"}},
		{ToolCall: &ToolCallDelta{Index: 0, Arguments: `{"order":1182}`}},
	}
	i := 0
	s := NewChunkStream(context.Background(), "p", nil, time.Now(), func(*Response) (Chunk, error) {
		if i == len(events) {
			return Chunk{}, io.EOF
		}
		i++
		return events[i-1], nil
	})
	for s.Next() {
	}
	if err := s.Err(); err != nil {
		t.Fatalf("Err() = %v", err)
	}
	calls := s.Response().ToolCalls
	if len(calls) != 1 || calls[0].Signature != "sig-A" || calls[0].ID != "c1" || calls[0].Name != "refund" {
		t.Errorf("ToolCalls = %+v; want one call c1 refund with signature sig-A", calls)
	}
}

// The error that ends a stream after bad events were skipped is its own:
// a provider's overloaded error or a cut connection after three skipped
// events keeps its class (the fallback engine decides on it), and only a
// fourth bad event ends the stream as malformed, saying how many did not
// decode.
func TestStreamEndAfterSkippedEvents(t *testing.T) {
	overloaded := &Error{Provider: "p", Class: ClassOverloaded, Message: "overloaded"}
	for _, tc := range []struct {
		name    string
		end     error
		bad     int // malformed events counted
		class   Class
		message string
	}{
		{"overloaded after three", overloaded, 3, ClassOverloaded, "p: overloaded: overloaded"},
		{"connection cut after three", io.ErrUnexpectedEOF, 3, ClassNetwork, "p: network: unexpected EOF"},
		{"a fourth bad event", MalformedEvent("p", 200, errors.New("bad chunk")), 4, ClassMalformed,
			"p: malformed: 4 stream events did not decode, more than the 3 a stream may skip"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			events := scripted("A", "BAD", "BAD", "B", "BAD")
			done := false
			s := NewStream(context.Background(), "p", nil, time.Now(), func(meta *Response) (string, error) {
				d, err := events(meta)
				if errors.Is(err, io.EOF) {
					if done {
						return "", io.EOF
					}
					done = true
					return "", tc.end
				}
				return d, err
			})
			for s.Next() {
			}
			if got := s.Response(); got.Text != "AB" || got.MalformedEvents != tc.bad {
				t.Errorf("Response() = text %q, %d malformed; want AB, %d", got.Text, got.MalformedEvents, tc.bad)
			}
			if err := s.Err(); ClassOf(err) != tc.class || err.Error() != tc.message {
				t.Errorf("Err() = %q (class %q); want %q (class %q)", err, ClassOf(err), tc.message, tc.class)
			}
		})
	}
}
