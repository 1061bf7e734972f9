package wiretest

import "fmt"

// Kind names a provider API.
type Kind string

// The APIs the fake servers speak.
const (
	KindOpenAI    Kind = "openai"
	KindAnthropic Kind = "anthropic"
	KindGemini    Kind = "gemini"
)

// Kinds are every API, in a fixed order.
var Kinds = []Kind{KindOpenAI, KindAnthropic, KindGemini}

// Validator is the request check of the kind's API.
func (k Kind) Validator() Validator {
	switch k {
	case KindOpenAI:
		return OpenAI
	case KindAnthropic:
		return Anthropic
	}
	return Gemini
}

// ToolCallAnswer is the API's answer calling get_weather for Paris and
// Rome in parallel, whole or streamed, with the ids each API gives (none
// for Gemini).
func ToolCallAnswer(k Kind, stream bool) Response {
	switch {
	case k == KindOpenAI && !stream:
		return JSON(`{"id":"chatcmpl-x1","object":"chat.completion","model":"gpt-4.1-mini-2025-04-14","choices":[{"index":0,"message":{"role":"assistant","content":"Let me check both cities.","tool_calls":[` +
			`{"id":"call_Pa1s9xQ","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}},` +
			`{"id":"call_R0me7kT","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Rome\",\"units\":\"celsius\"}"}}]},"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":80,"completion_tokens":40}}`)
	case k == KindOpenAI:
		return SSE(`data: {"id":"chatcmpl-x2","model":"gpt-4.1-mini-2025-04-14","choices":[{"index":0,"delta":{"role":"assistant","content":"Let me check both cities."},"finish_reason":null}]}` + "\n\n" +
			`data: {"id":"chatcmpl-x2","model":"gpt-4.1-mini-2025-04-14","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_Pa1s9xQ","type":"function","function":{"name":"get_weather","arguments":""}}]},"finish_reason":null}]}` + "\n\n" +
			`data: {"id":"chatcmpl-x2","model":"gpt-4.1-mini-2025-04-14","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"city\":\"Paris\"}"}}]},"finish_reason":null}]}` + "\n\n" +
			`data: {"id":"chatcmpl-x2","model":"gpt-4.1-mini-2025-04-14","choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"call_R0me7kT","type":"function","function":{"name":"get_weather","arguments":"{\"city\":"}}]},"finish_reason":null}]}` + "\n\n" +
			`data: {"id":"chatcmpl-x2","model":"gpt-4.1-mini-2025-04-14","choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"function":{"arguments":"\"Rome\",\"units\":\"celsius\"}"}}]},"finish_reason":null}]}` + "\n\n" +
			`data: {"id":"chatcmpl-x2","model":"gpt-4.1-mini-2025-04-14","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}` + "\n\n" +
			"data: [DONE]\n\n")
	case k == KindAnthropic && !stream:
		return JSON(`{"id":"msg_x1","type":"message","role":"assistant","model":"claude-3-5-haiku-20241022","content":[{"type":"text","text":"Let me check both cities."},` +
			`{"type":"tool_use","id":"toolu_01Pa1s","name":"get_weather","input":{"city":"Paris"}},` +
			`{"type":"tool_use","id":"toolu_01R0me","name":"get_weather","input":{"city":"Rome","units":"celsius"}}],"stop_reason":"tool_use","usage":{"input_tokens":80,"output_tokens":40}}`)
	case k == KindAnthropic:
		return SSE(anthropicEvent("message_start", `{"type":"message_start","message":{"id":"msg_x2","type":"message","role":"assistant","model":"claude-3-5-haiku-20241022","content":[],"usage":{"input_tokens":80,"output_tokens":1}}}`) +
			anthropicEvent("content_block_start", `{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`) +
			anthropicEvent("content_block_delta", `{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Let me check both cities."}}`) +
			anthropicEvent("content_block_stop", `{"type":"content_block_stop","index":0}`) +
			anthropicEvent("content_block_start", `{"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_01Pa1s","name":"get_weather","input":{}}}`) +
			anthropicEvent("content_block_delta", `{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"city\": \"Paris\"}"}}`) +
			anthropicEvent("content_block_stop", `{"type":"content_block_stop","index":1}`) +
			anthropicEvent("content_block_start", `{"type":"content_block_start","index":2,"content_block":{"type":"tool_use","id":"toolu_01R0me","name":"get_weather","input":{}}}`) +
			anthropicEvent("content_block_delta", `{"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"{\"city\": \"Rome\", \"units\": \"celsius\"}"}}`) +
			anthropicEvent("content_block_stop", `{"type":"content_block_stop","index":2}`) +
			anthropicEvent("message_delta", `{"type":"message_delta","delta":{"stop_reason":"tool_use"},"usage":{"output_tokens":40}}`) +
			anthropicEvent("message_stop", `{"type":"message_stop"}`))
	}
	body := `{"candidates":[{"content":{"role":"model","parts":[{"text":"Let me check both cities."},` +
		`{"functionCall":{"name":"get_weather","args":{"city":"Paris"}}},{"functionCall":{"name":"get_weather","args":{"city":"Rome","units":"celsius"}}}]},"finishReason":"STOP"}],` +
		`"usageMetadata":{"promptTokenCount":80,"candidatesTokenCount":40},"modelVersion":"gemini-2.5-flash","responseId":"Gx1"}`
	if stream {
		return SSE("data: " + body + "\n\n")
	}
	return JSON(body)
}

// TextAnswer is the API's plain answer text, whole or streamed.
func TextAnswer(k Kind, stream bool, text string) Response {
	switch {
	case k == KindOpenAI && !stream:
		return JSON(fmt.Sprintf(`{"id":"chatcmpl-t","model":"gpt-4.1-mini","choices":[{"index":0,"message":{"role":"assistant","content":%q},"finish_reason":"stop"}]}`, text))
	case k == KindOpenAI:
		return SSE(fmt.Sprintf(`data: {"id":"chatcmpl-t","model":"gpt-4.1-mini","choices":[{"index":0,"delta":{"content":%q},"finish_reason":null}]}`, text) + "\n\n" +
			`data: {"id":"chatcmpl-t","model":"gpt-4.1-mini","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}` + "\n\ndata: [DONE]\n\n")
	case k == KindAnthropic && !stream:
		return JSON(fmt.Sprintf(`{"id":"msg_t","type":"message","role":"assistant","model":"claude-3-5-haiku-20241022","content":[{"type":"text","text":%q}],"stop_reason":"end_turn","usage":{"input_tokens":9,"output_tokens":9}}`, text))
	case k == KindAnthropic:
		return SSE(anthropicEvent("message_start", `{"type":"message_start","message":{"id":"msg_t","type":"message","role":"assistant","model":"claude-3-5-haiku-20241022","content":[],"usage":{"input_tokens":9,"output_tokens":1}}}`) +
			anthropicEvent("content_block_start", `{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`) +
			anthropicEvent("content_block_delta", fmt.Sprintf(`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":%q}}`, text)) +
			anthropicEvent("content_block_stop", `{"type":"content_block_stop","index":0}`) +
			anthropicEvent("message_delta", `{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":9}}`) +
			anthropicEvent("message_stop", `{"type":"message_stop"}`))
	}
	body := fmt.Sprintf(`{"candidates":[{"content":{"role":"model","parts":[{"text":%q}]},"finishReason":"STOP"}],"modelVersion":"gemini-2.5-flash"}`, text)
	if stream {
		return SSE("data: " + body + "\n\n")
	}
	return JSON(body)
}

// Overloaded is the API's 503/529 overloaded error.
func Overloaded(k Kind) Response {
	switch k {
	case KindOpenAI:
		return Response{Status: 503, ContentType: "application/json", Body: `{"error":{"message":"The engine is currently overloaded, please try again later","type":"server_error","param":null,"code":null}}`}
	case KindAnthropic:
		return Response{Status: 529, ContentType: "application/json", Body: `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`}
	}
	return Response{Status: 503, ContentType: "application/json", Body: `{"error":{"code":503,"message":"The model is overloaded. Please try again later.","status":"UNAVAILABLE"}}`}
}

func anthropicEvent(typ, data string) string {
	return "event: " + typ + "\ndata: " + data + "\n\n"
}
