package provider

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"time"
)

// StepFunc advances a provider's event stream by one event. It returns the
// text delta the event carried ("" for events with none: pings, starts,
// usage) and records finish reason, usage, model and request id in meta as
// they arrive. It returns io.EOF at a clean end and a *Error for anything the
// provider reported; any other error is treated as a transport failure.
type StepFunc func(meta *Response) (delta string, err error)

// NewStream builds a Stream from a step function, so that every adapter gets
// the same bookkeeping: text accumulation, time to first token, latency,
// error classification against ctx, and a body closed exactly once.
// start is when the request was sent.
func NewStream(ctx context.Context, providerName string, body io.Closer, start time.Time, step StepFunc) Stream {
	return &stepStream{ctx: ctx, name: providerName, body: body, start: start, step: step}
}

type stepStream struct {
	ctx   context.Context
	name  string
	body  io.Closer
	start time.Time
	step  StepFunc

	meta    Response
	text    strings.Builder
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
		delta, err := s.step(&s.meta)
		if err != nil {
			s.finish(err)
			return false
		}
		if delta == "" {
			continue
		}
		if s.text.Len() == 0 {
			s.meta.TTFT = time.Since(s.start)
		}
		s.text.WriteString(delta)
		s.cur = Chunk{Text: delta}
		return true
	}
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
