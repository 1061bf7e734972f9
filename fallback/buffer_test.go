package fallback

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/llmfall/llmfall/provider"
)

// TestCommitWindowPerFault: each way a stream can fail after its first
// token, with the commit window off (the caller gets a's partial answer and
// an interruption, or a truncated answer) and on (a's output is discarded
// and the caller gets b's whole answer, from one model).
func TestCommitWindowPerFault(t *testing.T) {
	partial := []string{"Order ", "1182 "}
	faults := []struct {
		name string
		a    step
		// off is what the caller sees without a window: the error's class
		// ("" for a clean, truncated end) and a's attempt outcome.
		offClass provider.Class
		offOut   Outcome
		// onOut is a's outcome with the window, when it falls back.
		onOut Outcome
	}{
		{"cut after 2 tokens", step{chunks: partial, midErr: perr("a", provider.ClassNetwork)}, provider.ClassNetwork, OutcomeError, OutcomeError},
		{"stall after 2 tokens", step{chunks: partial, stall: true}, provider.ClassTimeout, OutcomeTimeout, OutcomeTimeout},
		{"garbage event mid-stream", step{chunks: partial, midErr: perr("a", provider.ClassMalformed)}, provider.ClassMalformed, OutcomeError, OutcomeError},
		{"truncated: no finish reason", step{chunks: partial, noFinish: true}, "", OutcomeOK, OutcomeError},
	}
	for _, f := range faults {
		// Either field alone opens a window (the table says so rather
		// than asking StreamBuffer, so that a wrong answer shows).
		for _, w := range []struct {
			name   string
			window StreamBuffer
			on     bool
		}{
			{"off", StreamBuffer{}, false},
			{"whole", StreamBuffer{Chunks: -1}, true},
			{"10 chunks", StreamBuffer{Chunks: 10}, true},
			{"1m", StreamBuffer{For: time.Minute}, true},
		} {
			window := w.window
			t.Run(f.name+"/window "+w.name, func(t *testing.T) {
				clk := newClock()
				a := f.a
				if a.stall {
					a.stalled = make(chan struct{})
					advanceOn(clk, a.stalled, time.Minute)
				}
				cfg := testConfig()
				cfg.Clock = clk
				cfg.Timeouts.Idle = 2 * time.Second
				cfg.Categories[0].StreamBuffer = window
				fa, fb := newFake("a", a), newFake("b", step{chunks: []string{"Refund ", "order ", "1182."}})
				e := mustNew(t, cfg, fa, fb, newFake("c"))
				s, err := e.Stream(testCtx(t), userRequest("fast"))
				if err != nil {
					t.Fatal(err)
				}
				defer s.Close()
				text := drain(s)
				res := s.Result()
				if !w.on {
					if text != "Order 1182 " {
						t.Errorf("text = %q; want a's partial answer", text)
					}
					if got := provider.ClassOf(s.Err()); got != f.offClass {
						t.Errorf("Err() = %v (class %q); want class %q", s.Err(), got, f.offClass)
					}
					if diff := cmp.Diff([]string{"a:" + string(f.offOut) + classSuffix(f.offClass)}, outcomes(res.Attempts)); diff != "" {
						t.Errorf("attempts (-want +got):\n%s", diff)
					}
					return
				}
				if s.Err() != nil || text != "Refund order 1182." {
					t.Errorf("text = %q, Err() = %v; want b's whole answer and no error", text, s.Err())
				}
				if res.Target.Provider != "b" || res.Response.Text != "Refund order 1182." {
					t.Errorf("served by %v with %q; want b's answer", res.Target, res.Response.Text)
				}
				if len(res.Attempts) != 2 {
					t.Fatalf("attempts %v; want a's failure, then b", outcomes(res.Attempts))
				}
				if got := res.Attempts[0]; got.Outcome != f.onOut || got.Discarded != 2 || got.DiscardedBytes != len("Order 1182 ") {
					t.Errorf("a's attempt: %s, discarded %d chunks (%d bytes); want %s, 2 chunks (11 bytes)", got.Outcome, got.Discarded, got.DiscardedBytes, f.onOut)
				}
				if got := res.Attempts[1]; got.Provider != "b" || got.Outcome != OutcomeOK || got.Discarded != 0 {
					t.Errorf("b's attempt = %+v; want ok, nothing discarded", got)
				}
			})
		}
	}
}

func classSuffix(c provider.Class) string {
	if c == "" {
		return ""
	}
	return ":" + string(c)
}

// TestCommitWindowCloses: once the window has closed (after N chunks) the
// stream is committed to its link, and a later failure interrupts it as
// without a window; a per-call window overrides the category's.
func TestCommitWindowCloses(t *testing.T) {
	cfg := testConfig()
	cfg.Categories[0].StreamBuffer = StreamBuffer{Chunks: -1}
	a := newFake("a", step{chunks: []string{"one ", "two ", "three "}, midErr: perr("a", provider.ClassNetwork)})
	e := mustNew(t, cfg, a, newFake("b"), newFake("c"))
	req := userRequest("fast")
	req.StreamBuffer = StreamBuffer{Chunks: 2}
	s, err := e.Stream(testCtx(t), req)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := drain(s); got != "one two three " {
		t.Errorf("text = %q; want all of a's chunks", got)
	}
	var ie *InterruptedError
	if !errors.As(s.Err(), &ie) || ie.Chunks != 3 {
		t.Errorf("Err() = %v; want an interruption after 3 chunks", s.Err())
	}

	req.StreamBuffer = StreamBuffer{Chunks: -2}
	if _, err := e.Stream(testCtx(t), req); err == nil {
		t.Error("Stream() with stream buffer chunks -2: error = nil; want it rejected")
	}
}
