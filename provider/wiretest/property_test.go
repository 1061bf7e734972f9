package wiretest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"

	"github.com/llmfall/llmfall/provider"
	"github.com/llmfall/llmfall/provider/anthropic"
	"github.com/llmfall/llmfall/provider/gemini"
	"github.com/llmfall/llmfall/provider/openai"
	"github.com/llmfall/llmfall/provider/wiretest"
)

// validating is a transport that checks each request body with a
// validator and answers with a canned body, in memory.
type validating struct {
	validate wiretest.Validator
	answer   string
	err      error
	body     []byte
}

func (v *validating) RoundTrip(r *http.Request) (*http.Response, error) {
	v.body, _ = io.ReadAll(r.Body)
	r.Body.Close()
	v.err = v.validate(v.body)
	return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(strings.NewReader(v.answer)), Request: r}, nil
}

// randomHistory is a messy tool conversation: ids from every provider's
// alphabet, missing or repeated; results out of order, orphaned or missing;
// empty turns; consecutive turns of one role.
func randomHistory(r *rand.Rand) []provider.Message {
	ids := []string{"call_abc", "toolu_01X", "", "fc.1/a", "dup", "dup", "call_" + strings.Repeat("z", 45)}
	var msgs []provider.Message
	var open []string
	for range 1 + r.IntN(12) {
		switch r.IntN(6) {
		case 0, 1:
			msgs = append(msgs, provider.Message{Role: provider.RoleUser, Content: []string{"", "hi", "weather?"}[r.IntN(3)]})
		case 2:
			m := provider.Message{Role: provider.RoleAssistant, Content: []string{"", "checking"}[r.IntN(2)]}
			open = open[:0]
			for range r.IntN(4) {
				id := ids[r.IntN(len(ids))]
				m.ToolCalls = append(m.ToolCalls, provider.ToolCall{ID: id, Name: []string{"get_weather", "issue_refund"}[r.IntN(2)],
					Arguments: json.RawMessage([]string{`{"city":"Paris"}`, `{}`, `"raw"`, ``}[r.IntN(4)])})
				open = append(open, id)
			}
			msgs = append(msgs, m)
		default:
			id := ids[r.IntN(len(ids))]
			if len(open) > 0 && r.IntN(3) > 0 {
				id = open[r.IntN(len(open))]
			}
			msgs = append(msgs, provider.Message{Role: provider.RoleTool, ToolCallID: id, Content: []string{"", "18C", `{"t":1}`}[r.IntN(3)], IsError: r.IntN(4) == 0})
		}
	}
	// Every API needs the conversation to end with the user's turn.
	return append(msgs, provider.Message{Role: provider.RoleUser, Content: "and now?"})
}

// TestRandomHistoriesAreAccepted holds every adapter to the promise of
// provider.NormalizeHistory: whatever shape a history has, with whatever
// tools, tool choice, response format and images, what is sent is
// something the API accepts.
func TestRandomHistoriesAreAccepted(t *testing.T) {
	kinds := []struct {
		name   string
		v      wiretest.Validator
		answer string
		client func(*http.Client) provider.Provider
	}{
		{"openai", wiretest.OpenAI, `{"choices":[{"index":0,"message":{"content":"ok"},"finish_reason":"stop"}]}`,
			func(h *http.Client) provider.Provider { return openai.New(openai.Config{HTTPClient: h}) }},
		{"anthropic", wiretest.Anthropic, `{"type":"message","content":[{"type":"text","text":"ok"}],"stop_reason":"end_turn"}`,
			func(h *http.Client) provider.Provider { return anthropic.New(anthropic.Config{HTTPClient: h}) }},
		{"gemini", wiretest.Gemini, `{"candidates":[{"content":{"parts":[{"text":"ok"}]},"finishReason":"STOP"}]}`,
			func(h *http.Client) provider.Provider { return gemini.New(gemini.Config{HTTPClient: h}) }},
	}
	tools := []provider.Tool{wiretest.WeatherTool, {Name: "issue_refund", Parameters: json.RawMessage(`{"type":"object","properties":{"order":{"type":"integer"}}}`)}}
	r := rand.New(rand.NewPCG(12, 1))
	for i := range 2000 {
		msgs := randomHistory(r)
		if r.IntN(3) == 0 {
			last := &msgs[len(msgs)-1]
			last.Parts = []provider.Part{{Image: &provider.Image{Data: wiretest.PNG, MediaType: "image/png"}}, {Image: &provider.Image{URL: "https://example.com/a.jpg"}}}
		}
		choices := []provider.ToolChoice{{}, {Mode: provider.ToolChoiceAuto}, {Mode: provider.ToolChoiceNone},
			{Mode: provider.ToolChoiceRequired}, {Mode: provider.ToolChoiceTool, Name: "issue_refund"}}
		formats := []*provider.ResponseFormat{nil, {Type: provider.FormatJSONObject},
			{Type: provider.FormatJSONSchema, Name: "report", Schema: json.RawMessage(`{"type":"object","properties":{"a":{"type":["string","null"]}},"additionalProperties":false}`)},
			{Type: provider.FormatJSONSchema, Schema: json.RawMessage(`{"type":"array","items":{"type":"integer"}}`)}}
		offered := tools
		if r.IntN(4) == 0 {
			offered = nil
		}
		choice, format := choices[r.IntN(len(choices))], formats[r.IntN(len(formats))]
		for _, k := range kinds {
			tr := &validating{validate: k.v, answer: k.answer}
			req := &provider.Request{Model: "m", Messages: msgs, Tools: offered, ResponseFormat: format}
			if offered != nil {
				req.ToolChoice = choice
			}
			if _, err := k.client(&http.Client{Transport: tr}).Complete(context.Background(), req); err != nil {
				t.Fatalf("case %d, %s: Complete() error = %v", i, k.name, err)
			}
			if tr.err != nil {
				var pretty bytes.Buffer
				json.Indent(&pretty, tr.body, "", " ")
				t.Fatalf("case %d, %s rejects: %v\nhistory: %s\nbody: %s", i, k.name, tr.err, describe(msgs), pretty.String())
			}
		}
	}
}

func describe(msgs []provider.Message) string {
	var b strings.Builder
	for _, m := range msgs {
		fmt.Fprintf(&b, "\n  %s %q", m.Role, m.Content)
		for _, c := range m.ToolCalls {
			fmt.Fprintf(&b, " call(%q %s %s)", c.ID, c.Name, c.Arguments)
		}
		if m.Role == provider.RoleTool {
			fmt.Fprintf(&b, " answers %q", m.ToolCallID)
		}
	}
	return b.String()
}
