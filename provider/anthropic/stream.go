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
	case "content_block_delta":
		// input_json_delta, thinking_delta and signature_delta are not
		// text output.
		if e.Delta != nil && e.Delta.Type == "text_delta" {
			return e.Delta.Text, nil
		}
	case "message_delta":
		d.delta(meta, &e)
	case "message_stop":
		if meta.FinishReason == "" {
			meta.FinishReason = provider.FinishOther
		}
		return "", io.EOF
	case "error":
		return "", d.streamError(meta, &e)
	}
	// content_block_start, content_block_stop and event types newer than
	// this adapter carry no text.
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
