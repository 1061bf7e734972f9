package anthropic

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/llmfall/llmfall/provider"
	"github.com/llmfall/llmfall/provider/sse"
)

// errTruncated ends a stream whose body ended before message_stop. It wraps
// io.ErrUnexpectedEOF (not io.EOF) so that provider.NewStream reports it as
// a network failure rather than a clean end.
var errTruncated = fmt.Errorf("event stream ended before message_stop: %w", io.ErrUnexpectedEOF)

// streamDecoder turns Anthropic's events into provider.StepFunc steps:
//
//	message_start → content_block_start → content_block_delta… (ping between)
//	→ content_block_stop → … → message_delta → message_stop
//
// and an "event: error" at any point after the 200.
type streamDecoder struct {
	name      string
	r         *sse.Reader
	status    int
	requestID string // from the headers; message_start's id is the fallback
	started   bool

	// Input counts as message_start reported them, updated by any that a
	// message_delta repeats.
	input, cacheCreation, cacheRead int

	tools toolBlocks
}

func (d *streamDecoder) step(meta *provider.Response) (string, error) {
	if !d.started {
		d.started = true
		meta.RequestID = d.requestID
	}
	ev, err := d.r.Next()
	if errors.Is(err, io.EOF) {
		return "", errTruncated
	}
	if err != nil {
		return "", fmt.Errorf("reading event stream: %w", err)
	}
	if ev.Type == "ping" {
		return "", nil
	}
	var e streamEvent
	if err := json.Unmarshal(ev.Data, &e); err != nil {
		return "", provider.MalformedEvent(d.name, d.status, fmt.Errorf("decoding %q event: %w", ev.Type, err))
	}
	typ := ev.Type
	if typ == "" {
		typ = e.Type
	}
	switch typ {
	case "message_start":
		d.start(meta, e.Message)
	case "content_block_start":
		d.tools.start(&e)
	case "content_block_delta":
		// thinking_delta and signature_delta are not output.
		if e.Delta != nil && e.Delta.Type == "text_delta" {
			return e.Delta.Text, nil
		}
		if e.Delta != nil && e.Delta.Type == "input_json_delta" {
			return d.tools.delta(e.Index, e.Delta.PartialJSON), nil
		}
	case "content_block_stop":
		return d.tools.stop(e.Index), nil
	case "message_delta":
		d.delta(meta, &e)
		if d.tools.answered && d.tools.calls == 0 && meta.FinishReason == provider.FinishToolCalls {
			// The output tool's call was the answer, not a call.
			meta.FinishReason = provider.FinishStop
		}
	case "message_stop":
		if meta.FinishReason == "" {
			meta.FinishReason = provider.FinishOther
		}
		d.r.Stop()
		return "", io.EOF
	case "error":
		return "", d.streamError(meta, &e)
	}
	// Event types newer than this adapter carry no text.
	return "", nil
}

func (d *streamDecoder) start(meta *provider.Response, m *messageResponse) {
	if m == nil {
		return
	}
	meta.Model = m.Model
	if meta.RequestID == "" {
		meta.RequestID = m.ID
	}
	d.input = deref(m.Usage.InputTokens)
	d.cacheCreation = deref(m.Usage.CacheCreationInputTokens)
	d.cacheRead = deref(m.Usage.CacheReadInputTokens)
	meta.Usage.InputTokens = d.input + d.cacheCreation + d.cacheRead
	meta.Usage.OutputTokens = deref(m.Usage.OutputTokens)
}

func (d *streamDecoder) delta(meta *provider.Response, e *streamEvent) {
	if e.Delta != nil && e.Delta.StopReason != "" {
		meta.FinishReason = finishReason(e.Delta.StopReason)
	}
	u := e.Usage
	if u == nil {
		return
	}
	// message_delta's counts are cumulative; it always has output_tokens
	// and, in newer API versions, repeats the input counts.
	if u.OutputTokens != nil {
		meta.Usage.OutputTokens = *u.OutputTokens
	}
	if u.InputTokens != nil {
		d.input = *u.InputTokens
	}
	if u.CacheCreationInputTokens != nil {
		d.cacheCreation = *u.CacheCreationInputTokens
	}
	if u.CacheReadInputTokens != nil {
		d.cacheRead = *u.CacheReadInputTokens
	}
	meta.Usage.InputTokens = d.input + d.cacheCreation + d.cacheRead
}

// streamError is the error an "event: error" reports. It has no HTTP status
// of its own (the response was a 200), so its class comes from its type.
func (d *streamDecoder) streamError(meta *provider.Response, e *streamEvent) *provider.Error {
	pe := &provider.Error{Provider: d.name, RequestID: firstNonEmpty(d.requestID, e.RequestID, meta.RequestID)}
	if e.Error == nil {
		pe.Class = provider.ClassServer
		pe.Message = "error event without details"
		return pe
	}
	pe.Code = e.Error.Type
	pe.Message = e.Error.Message
	pe.Class = classify(provider.ClassUnknown, e.Error.Type, e.Error.Message)
	return pe
}

// next is the stream's ChunkStepFunc: step, with the tool-call delta an
// event produced, if any.
func (d *streamDecoder) next(meta *provider.Response) (provider.Chunk, error) {
	text, err := d.step(meta)
	if err != nil || text != "" {
		return provider.Chunk{Text: text}, err
	}
	if p := d.tools.pending; p != nil {
		d.tools.pending = nil
		return provider.Chunk{ToolCall: p}, nil
	}
	return provider.Chunk{}, nil
}

// toolBlocks follows the tool_use blocks of a streamed message: each
// becomes a call numbered from 0, announced at content_block_start and
// continued by its input_json_delta events. The output tool's input is
// the answer text instead (see outputTool).
type toolBlocks struct {
	out      *outputTool
	byBlock  map[int]int // content block index → call index; -1: the output tool
	calls    int
	answered bool
	buf      []byte // a wrapped output tool's input, until its block stops
	pending  *provider.ToolCallDelta
}

func (t *toolBlocks) start(e *streamEvent) {
	b := e.ContentBlock
	if b == nil || b.Type != "tool_use" {
		return
	}
	if t.byBlock == nil {
		t.byBlock = make(map[int]int, 2)
	}
	if t.out.is(b.Name) {
		t.byBlock[e.Index] = -1
		t.answered = true
		return
	}
	t.byBlock[e.Index] = t.calls
	t.pending = &provider.ToolCallDelta{Index: t.calls, ID: b.ID, Name: b.Name}
	t.calls++
}

// delta returns the text an input_json_delta adds to the answer, if it
// belongs to the output tool, and queues a tool-call delta otherwise.
func (t *toolBlocks) delta(block int, partial string) string {
	idx, ok := t.byBlock[block]
	switch {
	case !ok || partial == "":
		return ""
	case idx < 0 && t.out.wrapped:
		t.buf = append(t.buf, partial...)
		return ""
	case idx < 0:
		return partial
	}
	t.pending = &provider.ToolCallDelta{Index: idx, Arguments: partial}
	return ""
}

// stop returns a wrapped output tool's answer once its input is whole.
func (t *toolBlocks) stop(block int) string {
	if idx, ok := t.byBlock[block]; !ok || idx >= 0 || !t.out.wrapped {
		return ""
	}
	s := t.out.answer(t.buf)
	t.buf = nil
	return s
}
