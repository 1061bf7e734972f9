package openai

import (
	"errors"

	"github.com/llmfall/llmfall/provider"
)

// wireRequest is the body of POST /chat/completions. Only the fields llmfall
// uses are declared; everything optional is omitted when unset so that
// compatible servers that lack a field never see it.
type wireRequest struct {
	Model    string        `json:"model"`
	Messages []wireMessage `json:"messages"`
	// MaxCompletionTokens is OpenAI's current name for the output cap; its
	// reasoning models reject max_tokens. Compatible servers (Ollama, vLLM,
	// Groq, OpenRouter) know only max_tokens, so exactly one is sent,
	// chosen by the base URL.
	MaxCompletionTokens int             `json:"max_completion_tokens,omitempty"`
	MaxTokens           int             `json:"max_tokens,omitempty"`
	Temperature         *float64        `json:"temperature,omitempty"`
	TopP                *float64        `json:"top_p,omitempty"`
	Stop                []string        `json:"stop,omitempty"`
	ResponseFormat      *responseFormat `json:"response_format,omitempty"`
	Seed                *int64          `json:"seed,omitempty"`
	Tools               []wireTool      `json:"tools,omitempty"`
	// ToolChoice is a string or a wireNamedChoice; nil leaves it out.
	ToolChoice    any            `json:"tool_choice,omitempty"`
	Stream        bool           `json:"stream,omitempty"`
	StreamOptions *streamOptions `json:"stream_options,omitempty"`
}

type streamOptions struct {
	// IncludeUsage asks for a final chunk with empty choices and the
	// token counts, which a stream otherwise never reports.
	IncludeUsage bool `json:"include_usage"`
}

// wireRequest maps a provider.Request onto the Chat Completions body.
func (c *Client) wireRequest(req *provider.Request, m mode) *wireRequest {
	w := &wireRequest{
		Model:       req.Model,
		Messages:    wireMessages(req),
		Temperature: req.Temperature,
		TopP:        req.TopP,
		Stop:        req.Stop,
		Seed:        req.Seed,
	}
	if c.official {
		w.MaxCompletionTokens = req.MaxTokens
	} else {
		w.MaxTokens = req.MaxTokens
	}
	setTools(w, req)
	if m == streamed {
		w.Stream = true
		w.StreamOptions = &streamOptions{IncludeUsage: true}
	}
	c.rejected.strip(w)
	return w
}

// wireCompletion is a non-streaming response. Compatible servers omit id,
// usage and system_fingerprint, so nothing here is required.
type wireCompletion struct {
	ID      string       `json:"id"`
	Model   string       `json:"model"`
	Choices []wireChoice `json:"choices"`
	Usage   *wireUsage   `json:"usage"`
	// Error is set when a server reports a failure with a 2xx status.
	Error *wireError `json:"error"`
}

type wireChoice struct {
	Index        int        `json:"index"`
	Message      wireAnswer `json:"message"`
	Delta        wireAnswer `json:"delta"`
	FinishReason string     `json:"finish_reason"`
}

// wireAnswer is a response message or a stream delta. content and refusal
// arrive as null as often as absent; both decode to "".
type wireAnswer struct {
	Content   string         `json:"content"`
	Refusal   string         `json:"refusal"`
	ToolCalls []wireToolCall `json:"tool_calls"`
}

// wireUsage counts tokens. The counts are float64 because some compatible
// servers write them as 12.0, which an int field would reject along with the
// whole chunk.
type wireUsage struct {
	PromptTokens     float64 `json:"prompt_tokens"`
	CompletionTokens float64 `json:"completion_tokens"`
}

// mergeInto records u in dst. A stream may report usage more than once
// (vLLM's continuous usage stats send running totals on every chunk), so a
// later report replaces an earlier one; a count left at zero in the later
// report is taken as not reported rather than as a reset. A negative count
// is kept, for provider.CheckUsage to refuse.
func (u *wireUsage) mergeInto(dst *provider.Usage) {
	if u.PromptTokens != 0 {
		dst.InputTokens = int(u.PromptTokens)
	}
	if u.CompletionTokens != 0 {
		dst.OutputTokens = int(u.CompletionTokens)
	}
}

// wireChunk is one chat.completion.chunk of a stream.
type wireChunk struct {
	ID      string       `json:"id"`
	Model   string       `json:"model"`
	Choices []wireChoice `json:"choices"`
	Usage   *wireUsage   `json:"usage"`
	Error   *wireError   `json:"error"`
}

// first returns choice 0, the only one llmfall asks for (n is never sent).
func (ch *wireChunk) first() *wireChoice {
	return firstChoice(ch.Choices)
}

func firstChoice(choices []wireChoice) *wireChoice {
	for i := range choices {
		if choices[i].Index == 0 {
			return &choices[i]
		}
	}
	return nil
}

// response converts a decoded completion into a Response.
func (w *wireCompletion) response() (*provider.Response, error) {
	choice := firstChoice(w.Choices)
	if choice == nil {
		return nil, errors.New("completion has no choices")
	}
	out := &provider.Response{
		Text:         choice.Message.Content,
		ToolCalls:    toolCalls(choice.Message.ToolCalls),
		FinishReason: finishReason(choice.FinishReason),
		Model:        w.Model,
	}
	if choice.Message.Refusal != "" {
		out.FinishReason = provider.FinishContentFilter
	}
	if w.Usage != nil {
		w.Usage.mergeInto(&out.Usage)
	}
	return out, nil
}

// finishReason normalises OpenAI's finish_reason. "" (a server that sent
// none) stays "", meaning not reported; values newer than this code are
// FinishOther.
func finishReason(s string) provider.FinishReason {
	switch s {
	case "":
		return ""
	case "stop":
		return provider.FinishStop
	case "length":
		return provider.FinishLength
	case "content_filter":
		return provider.FinishContentFilter
	case "tool_calls", "function_call":
		return provider.FinishToolCalls
	}
	return provider.FinishOther
}
