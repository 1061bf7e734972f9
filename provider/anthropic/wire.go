package anthropic

import (
	"encoding/json"
	"strings"

	"github.com/llmfall/llmfall/provider"
)

// jsonInstruction is added to the system prompt for a JSON-object response
// format. The Messages API has no JSON mode for free text (a JSON schema
// goes through a forced tool instead, see outputTool). Prefilling the assistant turn with "{" would steer
// harder, but the prefill is not echoed back, so the caller would get a
// document missing its first byte; the instruction alone keeps the output
// whole.
const jsonInstruction = "Respond with only a single valid JSON object: no prose, no Markdown code fences."

// messageRequest is the body of POST /v1/messages. There is no seed:
// Anthropic offers no way to make sampling reproducible, so Request.Seed is
// dropped.
type messageRequest struct {
	Model         string        `json:"model"`
	System        string        `json:"system,omitempty"`
	Messages      []wireMessage `json:"messages"`
	MaxTokens     int           `json:"max_tokens"`
	Temperature   *float64      `json:"temperature,omitempty"`
	TopP          *float64      `json:"top_p,omitempty"`
	StopSequences []string      `json:"stop_sequences,omitempty"`
	Stream        bool          `json:"stream,omitempty"`
	Tools         []wireTool    `json:"tools,omitempty"`
	ToolChoice    *toolChoice   `json:"tool_choice,omitempty"`
}

// wireMessage is one turn. Content is a string for a lone text block and an
// array of blocks otherwise.
type wireMessage struct {
	Role    string `json:"role"`
	Content any    `json:"content"`
	blocks  []block
}

func newMessageRequest(req *provider.Request, stream bool) *messageRequest {
	m := &messageRequest{
		Model:         req.Model,
		System:        req.System,
		Messages:      wireMessages(req.Messages),
		MaxTokens:     req.MaxTokens,
		Temperature:   req.Temperature,
		TopP:          req.TopP,
		StopSequences: req.Stop,
		Stream:        stream,
	}
	if m.MaxTokens <= 0 {
		// Anthropic rejects a request without max_tokens.
		m.MaxTokens = provider.DefaultMaxTokens
	}
	// One request serves every link of a chain, so sampling settings that
	// are valid elsewhere must not become a 400 here, which would not fall
	// back (invalid_request) and would fail the whole call:
	//   - the Claude 4 models reject temperature and top_p together ("cannot
	//     both be specified for this model"), and Anthropic advises changing
	//     only one of them on every model: when both are set, temperature wins;
	//   - Anthropic's temperature range is 0–1 where OpenAI's and Gemini's is
	//     0–2: a higher value is sent as 1, the most random Anthropic allows.
	if m.Temperature != nil && m.TopP != nil {
		m.TopP = nil
	}
	if t := m.Temperature; t != nil && *t > 1 {
		one := 1.0
		m.Temperature = &one
	}
	out := newOutputTool(req)
	setTools(m, req, out)
	if f := req.Format(); f != nil && out == nil {
		if m.System == "" {
			m.System = jsonInstruction
		} else {
			m.System += "\n\n" + jsonInstruction
		}
	}
	return m
}

// messageResponse is a Message object: the body of a non-streamed answer and
// the "message" of a message_start event. Fields the spec calls required may
// be missing and enum values may be new; nothing here fails on either.
type messageResponse struct {
	ID         string         `json:"id"`
	Type       string         `json:"type"`
	Model      string         `json:"model"`
	Content    []contentBlock `json:"content"`
	StopReason string         `json:"stop_reason"`
	Usage      usage          `json:"usage"`
	Error      *errorDetail   `json:"error"`
}

// contentBlock is one block of a message: "text" blocks carry the answer,
// "tool_use" blocks the calls.
type contentBlock struct {
	Type  string          `json:"type"`
	Text  string          `json:"text"`
	ID    string          `json:"id"`
	Name  string          `json:"name"`
	Input json.RawMessage `json:"input"`
}

// usage counts tokens. Pointers tell "absent" from 0 because a message_delta
// may repeat some counts and leave out others.
type usage struct {
	InputTokens              *int `json:"input_tokens"`
	CacheCreationInputTokens *int `json:"cache_creation_input_tokens"`
	CacheReadInputTokens     *int `json:"cache_read_input_tokens"`
	OutputTokens             *int `json:"output_tokens"`
}

// inputTotal is every input token the prompt cost: Anthropic reports cache
// writes and reads apart from input_tokens, other providers do not.
func (u usage) inputTotal() int {
	return deref(u.InputTokens) + deref(u.CacheCreationInputTokens) + deref(u.CacheReadInputTokens)
}

// response converts the message; out is the request's output tool, nil
// when it had none.
func (m *messageResponse) response(out *outputTool) *provider.Response {
	r := &provider.Response{
		Model:        m.Model,
		FinishReason: finishReason(m.StopReason),
		Usage: provider.Usage{
			InputTokens:  m.Usage.inputTotal(),
			OutputTokens: deref(m.Usage.OutputTokens),
		},
	}
	var text strings.Builder
	answered := false
	for _, b := range m.Content {
		// thinking and server-tool blocks are not output.
		switch {
		case b.Type == "text":
			text.WriteString(b.Text)
		case b.Type == "tool_use" && out.is(b.Name):
			text.WriteString(out.answer(b.Input))
			answered = true
		case b.Type == "tool_use":
			r.ToolCalls = append(r.ToolCalls, provider.ToolCall{ID: b.ID, Name: b.Name, Arguments: provider.ArgumentsJSON(string(b.Input))})
		}
	}
	r.Text = text.String()
	if answered && len(r.ToolCalls) == 0 && r.FinishReason == provider.FinishToolCalls {
		// The output tool's call is the answer, not a call to act on.
		r.FinishReason = provider.FinishStop
	}
	return r
}

// finishReason normalises a stop_reason. model_context_window_exceeded is
// length: the answer was cut because the window filled, which the caller
// handles exactly as a max_tokens cut. Unknown and missing values are other.
func finishReason(s string) provider.FinishReason {
	switch s {
	case "end_turn", "stop_sequence":
		return provider.FinishStop
	case "max_tokens", "model_context_window_exceeded":
		return provider.FinishLength
	case "tool_use":
		return provider.FinishToolCalls
	case "refusal":
		return provider.FinishContentFilter
	}
	return provider.FinishOther
}

// streamEvent is the union of every event's data; each event fills the
// fields it has.
type streamEvent struct {
	Type    string           `json:"type"`
	Message *messageResponse `json:"message"` // message_start
	// Index and ContentBlock belong to content_block_* events.
	Index        int           `json:"index"`
	ContentBlock *contentBlock `json:"content_block"`
	Delta        *struct {
		Type        string `json:"type"` // content_block_delta: text_delta, input_json_delta, ...
		Text        string `json:"text"`
		PartialJSON string `json:"partial_json"` // input_json_delta
		StopReason  string `json:"stop_reason"`  // message_delta
	} `json:"delta"`
	Usage     *usage       `json:"usage"` // message_delta
	Error     *errorDetail `json:"error"`
	RequestID string       `json:"request_id"`
}

func deref(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}
