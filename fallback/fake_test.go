package fallback

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/llmfall/llmfall/clock"
	"github.com/llmfall/llmfall/provider"
)

// step scripts one call to a fake provider. The zero step answers "ok".
type step struct {
	// err fails the call before any token (for Stream: before headers).
	err error
	// hang blocks before answering until the call's context ends.
	hang bool
	// chunks are the stream's text deltas; Complete answers their join.
	chunks []string
	// calls are tool-call deltas the stream yields before its chunks.
	calls []provider.ToolCallDelta
	// after the chunks: stall until the context ends, or fail with midErr.
	stall  bool
	midErr error
	// started, if set, is closed once the call has begun, so that a test
	// can act while the call is in flight (the engine arms an attempt's
	// timers before it calls the link).
	started chan struct{}
	// stalled, if set, is closed when the stream starts to stall.
	stalled chan struct{}
	// noFinish ends the stream cleanly but without a finish reason, as a
	// connection closed early by a proxy looks.
	noFinish bool
	// gate, if set, holds the answer (for Stream: the headers) until it is
	// closed or the call's context ends.
	gate chan struct{}
	// finish is the answer's finish reason; "" means stop.
	finish provider.FinishReason
	// malformed is how many bad events the stream reports it skipped.
	malformed int
}

func (s step) finishReason() provider.FinishReason {
	if s.finish == "" {
		return provider.FinishStop
	}
	return s.finish
}

// fake is a scripted in-memory provider: call n follows script[n], and calls
// past the script repeat its last step.
type fake struct {
	name string

	mu        sync.Mutex
	script    []step
	calls     int
	models    []string
	cancelled int // calls that ended because their context did
	lastCtx   context.Context
}

var _ provider.Provider = (*fake)(nil)

func newFake(name string, script ...step) *fake {
	return &fake{name: name, script: script}
}

func (f *fake) next(req *provider.Request) step {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.models = append(f.models, req.Model)
	var s step
	if len(f.script) > 0 {
		s = f.script[min(f.calls, len(f.script)-1)]
	}
	f.calls++
	return s
}

func (f *fake) Calls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

func (f *fake) Cancelled() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.cancelled
}

// wait blocks until ctx ends and returns the error an adapter would.
func (f *fake) wait(ctx context.Context) error {
	<-ctx.Done()
	f.mu.Lock()
	f.cancelled++
	f.mu.Unlock()
	return provider.TransportError(ctx, f.name, ctx.Err())
}

func (f *fake) text(s step, model string) string {
	if s.chunks == nil {
		return "ok from " + f.name + "/" + model
	}
	return strings.Join(s.chunks, "")
}

func (f *fake) Complete(ctx context.Context, req *provider.Request) (*provider.Response, error) {
	s := f.next(req)
	if s.started != nil {
		close(s.started)
	}
	if s.hang || s.stall {
		return nil, f.wait(ctx)
	}
	if s.err != nil {
		return nil, s.err
	}
	if s.midErr != nil {
		return nil, s.midErr
	}
	return &provider.Response{Text: f.text(s, req.Model), FinishReason: s.finishReason(), Model: req.Model}, nil
}

// LastCtx is the context of the latest call.
func (f *fake) LastCtx() context.Context {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.lastCtx
}

func (f *fake) Stream(ctx context.Context, req *provider.Request) (provider.Stream, error) {
	s := f.next(req)
	f.mu.Lock()
	f.lastCtx = ctx
	f.mu.Unlock()
	if s.started != nil {
		close(s.started)
	}
	if s.hang {
		return nil, f.wait(ctx)
	}
	if s.gate != nil {
		select {
		case <-s.gate:
		case <-ctx.Done():
			return nil, f.wait(ctx)
		}
	}
	if s.err != nil {
		return nil, s.err
	}
	chunks := s.chunks
	if chunks == nil && s.calls == nil {
		chunks = []string{f.text(s, req.Model)}
	}
	return &fakeStream{f: f, ctx: ctx, step: s, chunks: chunks, model: req.Model, start: time.Now()}, nil
}

type fakeStream struct {
	f      *fake
	ctx    context.Context
	step   step
	chunks []string
	model  string
	start  time.Time

	i, calls int
	text     strings.Builder
	cur      provider.Chunk
	err      error
	done     bool
	ttft     time.Duration
}

func (s *fakeStream) Next() bool {
	if s.done {
		return false
	}
	if s.ctx.Err() != nil {
		s.done, s.err = true, provider.TransportError(s.ctx, s.f.name, s.ctx.Err())
		return false
	}
	if s.calls < len(s.step.calls) {
		s.cur = provider.Chunk{ToolCall: &s.step.calls[s.calls]}
		s.calls++
		return true
	}
	if s.i < len(s.chunks) {
		s.cur = provider.Chunk{Text: s.chunks[s.i]}
		if s.i == 0 {
			s.ttft = time.Since(s.start)
		}
		s.i++
		s.text.WriteString(s.cur.Text)
		return true
	}
	s.done, s.cur = true, provider.Chunk{}
	switch {
	case s.step.stall:
		if s.step.stalled != nil {
			close(s.step.stalled)
		}
		s.err = s.f.wait(s.ctx)
	case s.step.midErr != nil:
		s.err = s.step.midErr
	}
	return false
}

func (s *fakeStream) Current() provider.Chunk { return s.cur }
func (s *fakeStream) Err() error              { return s.err }
func (s *fakeStream) Close() error            { return nil }

func (s *fakeStream) Response() *provider.Response {
	r := &provider.Response{Text: s.text.String(), Model: s.model, TTFT: s.ttft, MalformedEvents: s.step.malformed}
	if s.done && s.err == nil && !s.step.noFinish {
		r.FinishReason = s.step.finishReason()
	}
	return r
}

// newClock is a fake clock for the engine (Config.Clock).
func newClock() *clock.Fake { return clock.NewFake(time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)) }

// advanceOn moves clk forward by d once ch is closed, from a goroutine that
// ends then: a test's stand-in for time passing while a link is silent.
func advanceOn(clk *clock.Fake, ch <-chan struct{}, d time.Duration) {
	go func() {
		<-ch
		clk.Advance(d)
	}()
}

// perr is a provider error of one class, as an adapter would return it.
func perr(name string, class provider.Class) error {
	return &provider.Error{Provider: name, Class: class, Message: "scripted " + string(class)}
}

// testConfig is one category "fast" over providers a, b and c.
func testConfig() Config {
	return Config{
		Order: []string{"a", "b", "c"},
		Categories: []Category{{
			Name:      "fast",
			Models:    map[string]string{"a": "a-mini", "b": "b-haiku", "c": "c-flash"},
			Providers: []string{"a", "b", "c"},
		}},
	}
}

// oneStrikeConfig is testConfig on clk with breakers that open on a link's
// first failure (default cool-downs: set them after as a test needs).
func oneStrikeConfig(clk clock.Clock) Config {
	cfg := testConfig()
	cfg.Clock = clk
	cfg.BreakerFailures = 1
	return cfg
}

// down is a fake whose every call fails with a server error; downThenUp's
// first call fails so, and every later one answers.
func down(name string) *fake { return newFake(name, step{err: perr(name, provider.ClassServer)}) }

func downThenUp(name string) *fake {
	return newFake(name, step{err: perr(name, provider.ClassServer)}, step{})
}

// openInTurn opens the breakers of targets one at a time, in the order
// given and a second apart on clk, each by a one-link call its fake fails
// (the engine needs BreakerFailures 1, the fakes a failure scripted next).
func openInTurn(t *testing.T, e *Engine, clk *clock.Fake, targets ...Target) {
	t.Helper()
	for _, tg := range targets {
		req := userRequest("")
		req.Chain = []Target{tg}
		if _, err := e.Complete(context.Background(), req); err == nil {
			t.Fatalf("Complete(%v) error = nil; want the scripted failure", tg)
		}
		clk.Advance(time.Second)
	}
}

// The targets of testConfig's category "fast".
var (
	targetA = Target{Provider: "a", Model: "a-mini"}
	targetB = Target{Provider: "b", Model: "b-haiku"}
	targetC = Target{Provider: "c", Model: "c-flash"}
)

func providers(fs ...*fake) map[string]provider.Provider {
	m := make(map[string]provider.Provider, len(fs))
	for _, f := range fs {
		m[f.name] = f
	}
	return m
}

func mustNew(t testing.TB, cfg Config, fs ...*fake) *Engine {
	t.Helper()
	e, err := New(cfg, providers(fs...))
	if err != nil {
		t.Fatalf("New() error = %v", err)
	}
	return e
}

// outcomes lists the attempt log as "provider:outcome:class" for comparison.
func outcomes(as []Attempt) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.Provider + ":" + string(a.Outcome)
		if a.Class != "" {
			out[i] += ":" + string(a.Class)
		}
	}
	return out
}

func userRequest(category string) *Request {
	return &Request{
		Category: category,
		Request:  provider.Request{Messages: []provider.Message{{Role: provider.RoleUser, Content: "Summarise ticket 1182."}}},
	}
}

// drain reads a stream to its end and returns the text delivered.
func drain(s *Stream) string {
	var b strings.Builder
	for s.Next() {
		b.WriteString(s.Current().Text)
	}
	return b.String()
}
