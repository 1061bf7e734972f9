package wiretest

import (
	"encoding/json"

	"github.com/llmfall/llmfall/provider"
)

// WeatherTool is the tool the test conversations offer.
var WeatherTool = provider.Tool{
	Name:        "get_weather",
	Description: "Current weather in a city",
	Parameters: json.RawMessage(`{"type":"object","properties":{"city":{"type":"string"},` +
		`"units":{"type":"string","enum":["celsius","fahrenheit"]}},"required":["city"],"additionalProperties":false}`),
}

// PNG is a 1×1 image.
var PNG = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89")

// ToolConversation is a request continuing a tool conversation whose calls
// carry the given ids (as the provider that made them spelt them; "" for
// Gemini's id-less calls): a user turn with an image, an assistant turn
// with text and two parallel calls, their two results (the second an
// error), and a new user question. Every feature of the neutral request is
// in it.
func ToolConversation(id1, id2 string) *provider.Request {
	return &provider.Request{
		System: "You are a weather assistant.",
		Messages: []provider.Message{
			{Role: provider.RoleUser, Content: "What is the weather in Paris and Rome? Here is the sky:",
				Parts: []provider.Part{{Image: &provider.Image{Data: PNG, MediaType: "image/png"}},
					{Image: &provider.Image{URL: "https://example.com/sky.jpg", MediaType: "image/jpeg"}}}},
			{Role: provider.RoleAssistant, Content: "Let me check both cities.", ToolCalls: WeatherCalls(id1, id2)},
			{Role: provider.RoleTool, ToolCallID: id1, Content: `{"temp_c":18,"sky":"clear"}`},
			{Role: provider.RoleTool, ToolCallID: id2, Content: "weather service timed out", IsError: true},
			{Role: provider.RoleUser, Content: "And tomorrow in Paris?"},
		},
		MaxTokens:  300,
		Tools:      []provider.Tool{WeatherTool},
		ToolChoice: provider.ToolChoice{Mode: provider.ToolChoiceAuto},
	}
}

// TextOnly is ToolConversation without its images.
func TextOnly(req *provider.Request) *provider.Request {
	r := *req
	r.Messages = append([]provider.Message(nil), req.Messages...)
	for i := range r.Messages {
		r.Messages[i].Parts = nil
	}
	return &r
}

// LongConversation is a tool conversation of the given number of turns,
// each an assistant turn with text and two calls, their two results and a
// user follow-up; id makes the ids of turn i's calls (j is 0 or 1), in the
// style of the provider that produced the history.
func LongConversation(turns int, id func(i, j int) string) *provider.Request {
	req := &provider.Request{
		System:   "You are a weather assistant.",
		Messages: []provider.Message{{Role: provider.RoleUser, Content: "Plan my trip around the weather."}},
		Tools:    []provider.Tool{WeatherTool},
	}
	for i := range turns {
		a, b := id(i, 0), id(i, 1)
		req.Messages = append(req.Messages,
			provider.Message{Role: provider.RoleAssistant, Content: "Checking two cities.", ToolCalls: WeatherCalls(a, b)},
			provider.Message{Role: provider.RoleTool, ToolCallID: a, Content: `{"temp_c":18,"sky":"clear"}`},
			provider.Message{Role: provider.RoleTool, ToolCallID: b, Content: `{"temp_c":24,"sky":"sunny"}`},
			provider.Message{Role: provider.RoleUser, Content: "And the next stop?"})
	}
	return req
}
