package gemini

import (
	"fmt"
	"strings"

	"github.com/llmfall/llmfall/provider"
)

// generateContentRequest is the body of :generateContent and
// :streamGenerateContent. The model travels in the URL path, not here.
type generateContentRequest struct {
	Contents          []content         `json:"contents"`
	SystemInstruction *content          `json:"systemInstruction,omitempty"`
	GenerationConfig  *generationConfig `json:"generationConfig,omitempty"`
	Tools             []wireTool        `json:"tools,omitempty"`
	ToolConfig        *toolConfig       `json:"toolConfig,omitempty"`
}

type content struct {
	Role  string `json:"role,omitempty"`
	Parts []part `json:"parts"`
}

// part is one part of a request turn: exactly one field is set. Text is a
// pointer so that an empty text part (an empty prompt) is still sent as
// one.
type part struct {
	Text             *string           `json:"text,omitempty"`
	InlineData       *blob             `json:"inlineData,omitempty"`
	FileData         *fileData         `json:"fileData,omitempty"`
	FunctionCall     *functionCall     `json:"functionCall,omitempty"`
	FunctionResponse *functionResponse `json:"functionResponse,omitempty"`
	// ThoughtSignature goes back with the function call it came with.
	ThoughtSignature string `json:"thoughtSignature,omitempty"`
}

type generationConfig struct {
	MaxOutputTokens *int     `json:"maxOutputTokens,omitempty"`
	Temperature     *float64 `json:"temperature,omitempty"`
	TopP            *float64 `json:"topP,omitempty"`
	StopSequences   []string `json:"stopSequences,omitempty"`
	// Seed is an int32 in the API; a larger value is sent as is and the
	// API's 400 reports it, rather than this adapter silently changing it.
	Seed             *int64         `json:"seed,omitempty"`
	ResponseMimeType string         `json:"responseMimeType,omitempty"`
	ResponseSchema   map[string]any `json:"responseSchema,omitempty"`
}

// newGenerateContentRequest maps every provider.Request field; the model is
// the caller's business (it goes in the path).
func newGenerateContentRequest(req *provider.Request) (*generateContentRequest, error) {
	cs, err := contents(req.Messages)
	if err != nil {
		return nil, err
	}
	out := &generateContentRequest{Contents: cs}
	if req.System != "" {
		// systemInstruction has no role: the field itself says who speaks.
		out.SystemInstruction = &content{Parts: []part{{Text: &req.System}}}
	}

	gc := generationConfig{
		Temperature:   req.Temperature,
		TopP:          req.TopP,
		StopSequences: req.Stop,
		Seed:          req.Seed,
	}
	if req.MaxTokens > 0 {
		n := req.MaxTokens
		gc.MaxOutputTokens = &n
	}
	if err := setTools(out, &gc, req); err != nil {
		return nil, err
	}
	if gc.MaxOutputTokens != nil || gc.Temperature != nil || gc.TopP != nil || len(gc.StopSequences) > 0 ||
		gc.Seed != nil || gc.ResponseMimeType != "" {
		out.GenerationConfig = &gc
	}
	return out, nil
}

func wireRole(r provider.Role) (string, error) {
	switch r {
	case provider.RoleUser, provider.RoleTool, "":
		// Function responses travel in user turns.
		return "user", nil
	case provider.RoleAssistant:
		return "model", nil
	}
	return "", fmt.Errorf("unsupported role %q", r)
}

// generateContentResponse is one whole response, or one stream chunk: the
// streaming endpoint sends the same document, a piece at a time. Every field
// is optional here, whatever the spec says, and unknown fields are ignored.
type generateContentResponse struct {
	Candidates     []candidate     `json:"candidates"`
	PromptFeedback *promptFeedback `json:"promptFeedback"`
	UsageMetadata  *usageMetadata  `json:"usageMetadata"`
	ModelVersion   string          `json:"modelVersion"`
	ResponseID     string          `json:"responseId"`
	// Error is set when the API reports a failure inside a 200 stream.
	Error *apiError `json:"error"`
}

type candidate struct {
	// Content is absent when the candidate was stopped before producing any
	// (MALFORMED_FUNCTION_CALL, SAFETY).
	Content      *responseContent `json:"content"`
	FinishReason string           `json:"finishReason"`
}

type responseContent struct {
	Parts []responsePart `json:"parts"`
}

type responsePart struct {
	Text             string        `json:"text"`
	FunctionCall     *functionCall `json:"functionCall"`
	ThoughtSignature string        `json:"thoughtSignature"`
	// Thought marks a thinking summary, which is not part of the answer.
	Thought bool `json:"thought"`
}

type promptFeedback struct {
	BlockReason string `json:"blockReason"`
}

type usageMetadata struct {
	PromptTokenCount        int `json:"promptTokenCount"`
	CandidatesTokenCount    int `json:"candidatesTokenCount"`
	ThoughtsTokenCount      int `json:"thoughtsTokenCount"`
	ToolUsePromptTokenCount int `json:"toolUsePromptTokenCount"`
}

// text is the answer text of the first candidate, thoughts left out. Only one
// candidate is ever requested.
func (r *generateContentResponse) text() string {
	if len(r.Candidates) == 0 || r.Candidates[0].Content == nil {
		return ""
	}
	parts := r.Candidates[0].Content.Parts
	if len(parts) == 1 && !parts[0].Thought {
		return parts[0].Text
	}
	var b strings.Builder
	for _, p := range parts {
		if !p.Thought {
			b.WriteString(p.Text)
		}
	}
	return b.String()
}

// apply records what r says about the answer as a whole in out, leaving
// fields r does not mention as they are: a stream reports them in some
// chunks only.
func (r *generateContentResponse) apply(out *provider.Response) {
	if r.ModelVersion != "" {
		out.Model = r.ModelVersion
	}
	if r.ResponseID != "" {
		out.RequestID = r.ResponseID
	}
	if u := r.UsageMetadata; u != nil {
		// Counts are running totals, so the latest chunk's replace earlier
		// ones. Thinking is billed as output; tool-use prompt tokens as input.
		out.Usage = provider.Usage{
			InputTokens:  u.PromptTokenCount + u.ToolUsePromptTokenCount,
			OutputTokens: u.CandidatesTokenCount + u.ThoughtsTokenCount,
		}
	}
	if len(r.Candidates) > 0 && r.Candidates[0].FinishReason != "" {
		out.FinishReason = finishReason(r.Candidates[0].FinishReason)
	}
}

// finishReason normalises Gemini's finishReason. MALFORMED_FUNCTION_CALL and
// UNEXPECTED_TOOL_CALL map to other, not tool_calls: they carry no call for
// the caller to act on, only a failed answer. Gemini says STOP after a
// call; callFinish turns that into tool_calls.
func finishReason(s string) provider.FinishReason {
	switch s {
	case "STOP":
		return provider.FinishStop
	case "MAX_TOKENS":
		return provider.FinishLength
	case "SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY",
		"IMAGE_PROHIBITED_CONTENT", "IMAGE_RECITATION":
		return provider.FinishContentFilter
	}
	return provider.FinishOther
}
