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
