package provider

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// StepFunc advances a provider's event stream by one event. It returns the
// text delta the event carried ("" for events with none: pings, starts,
// usage) and records finish reason, usage, model and request id in meta as
// they arrive. It returns io.EOF at a clean end and a *Error for anything the
// provider reported; any other error is treated as a transport failure. An
// event that did not decode is reported with MalformedEvent, and the step
// function must be ready to be called again after it.
type StepFunc func(meta *Response) (delta string, err error)

// MaxMalformedEvents is how many events that do not decode a stream skips
// once its first token has arrived; one more ends it as malformed. One bad
// event in a long answer is a glitch worth a gap in the text, a run of them
// is a broken stream. Before the first token, any bad event ends the stream,
// so that the fallback engine can still try another link.
const MaxMalformedEvents = 3

// ErrMalformedEvent marks (errors.Is) an error about one stream event that
// did not decode, as opposed to a stream that cannot go on.
var ErrMalformedEvent = errors.New("malformed event")

// MalformedEvent reports one stream event that did not decode.
func MalformedEvent(providerName string, status int, err error) *Error {
	return MalformedError(providerName, status, fmt.Errorf("%w: %w", ErrMalformedEvent, err))
}

// ChunkStepFunc is a StepFunc for streams that carry tool calls: it returns
// the chunk the event carried (a zero Chunk for events with none).
type ChunkStepFunc func(meta *Response) (Chunk, error)

// NewStream builds a Stream from a step function, so that every adapter gets
// the same bookkeeping: text accumulation, time to first token, latency,
// error classification against ctx, and a body closed exactly once.
// start is when the request was sent.
func NewStream(ctx context.Context, providerName string, body io.Closer, start time.Time, step StepFunc) Stream {
	return NewChunkStream(ctx, providerName, body, start, func(meta *Response) (Chunk, error) {
		delta, err := step(meta)
		return Chunk{Text: delta}, err
	})
}

// NewChunkStream is NewStream for a step function that also yields tool-call
// deltas, which the stream assembles into Response.ToolCalls.
func NewChunkStream(ctx context.Context, providerName string, body io.Closer, start time.Time, step ChunkStepFunc) Stream {
	return &stepStream{ctx: ctx, name: providerName, body: body, start: start, step: step}
}

type stepStream struct {
	ctx   context.Context
	name  string
	body  io.Closer
	start time.Time
	step  ChunkStepFunc

	meta    Response
	text    strings.Builder
	calls   callBuilder
	started bool // a first delta arrived
	cur     Chunk
	err     error
	done    bool
	closeMu sync.Once
}

func (s *stepStream) Next() bool {
	if s.done {
		return false
	}
	for {
		ch, err := s.step(&s.meta)
		if err != nil && s.skip(err) {
			continue
		}
		if err != nil && s.meta.MalformedEvents > MaxMalformedEvents {
			err = &Error{Provider: s.name, Class: ClassMalformed, Err: err,
				Message: fmt.Sprintf("%d stream events did not decode, more than the %d a stream may skip", s.meta.MalformedEvents, MaxMalformedEvents)}
		}
		if err != nil {
			s.finish(err)
			return false
		}
		if ch.Text == "" && ch.ToolCall == nil {
			continue
		}
		if !s.started {
			// A tool-call delta is a first token as much as text is:
			// the answer has begun and cannot be taken back.
			s.started = true
			s.meta.TTFT = time.Since(s.start)
		}
		if ch.ToolCall != nil {
			s.calls.add(ch.ToolCall)
			ch.Text = ""
		} else {
			s.text.WriteString(ch.Text)
		}
		s.cur = ch
		return true
	}
}

// skip reports whether err is a bad event the stream gets past: one after
// the first token, within MaxMalformedEvents. It counts every bad event
// after the first token, the last one included.
func (s *stepStream) skip(err error) bool {
	if !s.started || !errors.Is(err, ErrMalformedEvent) {
		return false
	}
	s.meta.MalformedEvents++
	return s.meta.MalformedEvents <= MaxMalformedEvents
}

func (s *stepStream) finish(err error) {
	s.done = true
	s.cur = Chunk{}
	s.meta.Latency = time.Since(s.start)
	// Release the connection as soon as the stream ends rather than waiting
	// for the caller's Close.
	s.Close()
	if errors.Is(err, io.EOF) {
		s.err = CheckUsage(s.name, 0, s.meta.Usage)
		return
	}
	var pe *Error
	if errors.As(err, &pe) {
		if ctxErr := s.ctx.Err(); ctxErr != nil && pe.Class != ClassCancelled && pe.Class != ClassTimeout {
			// A body read that failed because the caller cancelled is
			// the caller's cancellation, not a provider failure.
			s.err = TransportError(s.ctx, s.name, err)
			return
		}
		s.err = err
		return
	}
	s.err = TransportError(s.ctx, s.name, err)
}

func (s *stepStream) Current() Chunk { return s.cur }
func (s *stepStream) Err() error     { return s.err }

func (s *stepStream) Response() *Response {
	r := s.meta
	r.Text = s.text.String()
	r.ToolCalls = s.calls.calls()
	if !s.done {
		r.Latency = time.Since(s.start)
	}
	return &r
}

func (s *stepStream) Close() error {
	var err error
	s.closeMu.Do(func() {
		if s.body != nil {
			err = s.body.Close()
		}
	})
	return err
}

// callBuilder assembles tool calls from their deltas.
type callBuilder struct {
	order []int // call indexes in order of first appearance
	byIdx map[int]*partialCall
}

type partialCall struct {
	id, name, sig string
	args          strings.Builder
}

func (b *callBuilder) add(d *ToolCallDelta) {
	if b.byIdx == nil {
		b.byIdx = make(map[int]*partialCall, 2)
	}
	c := b.byIdx[d.Index]
	if c == nil {
		c = &partialCall{}
		b.byIdx[d.Index] = c
		b.order = append(b.order, d.Index)
	}
	if d.ID != "" {
		c.id = d.ID
	}
	if d.Name != "" {
		c.name = d.Name
	}
	if d.Signature != "" {
		c.sig = d.Signature
	}
	c.args.WriteString(d.Arguments)
}

// calls is the calls so far; arguments that are not (yet) valid JSON come
// out as a JSON string, as ToolCall documents.
func (b *callBuilder) calls() []ToolCall {
	if len(b.order) == 0 {
		return nil
	}
	out := make([]ToolCall, len(b.order))
	for i, idx := range b.order {
		c := b.byIdx[idx]
		out[i] = ToolCall{ID: c.id, Name: c.name, Arguments: ArgumentsJSON(c.args.String()), Signature: c.sig}
	}
	return out
}
