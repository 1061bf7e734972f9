package provider_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/llmfall/llmfall/provider"
	"github.com/llmfall/llmfall/provider/anthropic"
	"github.com/llmfall/llmfall/provider/gemini"
	"github.com/llmfall/llmfall/provider/openai"
)

func TestCheckParam(t *testing.T) {
	tests := []struct {
		name string
		v    float64
		ok   bool
	}{
		{"temperature", 0, true}, {"temperature", 2, true}, {"temperature", 2.5, false}, {"temperature", -0.1, false},
		{"top_p", 1, true}, {"top_p", 1.1, false}, {"top_p", -1, false},
		{"max_tokens", 1, true}, {"max_tokens", 0, false}, {"max_tokens", -5, false}, {"max_tokens", 1.5, false},
		{"frequency", 0, false},
	}
	for _, tc := range tests {
		if err := provider.CheckParam(tc.name, tc.v); (err == nil) != tc.ok {
			t.Errorf("CheckParam(%q, %v) = %v; want ok %v", tc.name, tc.v, err, tc.ok)
		}
	}
}

// negativeUsage answers each adapter's request, whole or streamed, in its
// provider's wire format, with a negative token count.
var negativeUsage = []struct {
	name        string
	new         func(baseURL string) provider.Provider
	whole, sse  string
	contentType string
}{
	{"openai", func(u string) provider.Provider {
		return openai.New(openai.Config{Name: "openai", BaseURL: u + "/v1", APIKey: "k"})
	},
		`{"id":"c1","object":"chat.completion","model":"gpt-4.1-mini","choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":-5,"completion_tokens":3,"total_tokens":-2}}`,
		"data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"model\":\"gpt-4.1-mini\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi\"},\"finish_reason\":null}]}\n\n" +
			"data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"model\":\"gpt-4.1-mini\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n" +
			"data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"model\":\"gpt-4.1-mini\",\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":-3}}\n\n" +
			"data: [DONE]\n\n", "text/event-stream"},
	{"anthropic", func(u string) provider.Provider {
		return anthropic.New(anthropic.Config{Name: "anthropic", BaseURL: u, APIKey: "k"})
	},
		`{"id":"msg_1","type":"message","role":"assistant","model":"claude-3-5-haiku-latest","content":[{"type":"text","text":"hi"}],"stop_reason":"end_turn","usage":{"input_tokens":-5,"output_tokens":3}}`,
		"event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-3-5-haiku-latest\",\"content\":[],\"usage\":{\"input_tokens\":-5,\"output_tokens\":1}}}\n\n" +
			"event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n" +
			"event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"hi\"}}\n\n" +
			"event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n" +
			"event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":3}}\n\n" +
			"event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n", "text/event-stream"},
	{"gemini", func(u string) provider.Provider {
		return gemini.New(gemini.Config{Name: "gemini", BaseURL: u, APIKey: "k"})
	},
		`{"candidates":[{"content":{"parts":[{"text":"hi"}],"role":"model"},"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":-5,"candidatesTokenCount":3},"modelVersion":"gemini-2.5-flash"}`,
		"data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"hi\"}],\"role\":\"model\"},\"finishReason\":\"STOP\"}],\"usageMetadata\":{\"promptTokenCount\":5,\"candidatesTokenCount\":-3},\"modelVersion\":\"gemini-2.5-flash\"}\r\n\r\n", "text/event-stream"},
}

// TestNegativeUsageIsMalformed: a negative token count is a malformed
// response from every adapter, whole or streamed.
func TestNegativeUsageIsMalformed(t *testing.T) {
	for _, tc := range negativeUsage {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				if bytes.Contains(body, []byte(`"stream":true`)) || r.URL.Query().Get("alt") == "sse" {
					w.Header().Set("Content-Type", tc.contentType)
					io.WriteString(w, tc.sse)
					return
				}
				w.Header().Set("Content-Type", "application/json")
				io.WriteString(w, tc.whole)
			}))
			defer srv.Close()
			p := tc.new(srv.URL)
			req := &provider.Request{Model: "m", MaxTokens: 10, Messages: []provider.Message{{Role: provider.RoleUser, Content: "hi"}}}

			resp, err := p.Complete(context.Background(), req)
			if provider.ClassOf(err) != provider.ClassMalformed {
				t.Errorf("Complete = %+v, %v; want a malformed error", resp, err)
			}

			s, err := p.Stream(context.Background(), req)
			if err != nil {
				t.Fatalf("Stream: %v", err)
			}
			defer s.Close()
			for s.Next() {
			}
			var pe *provider.Error
			if !errors.As(s.Err(), &pe) || pe.Class != provider.ClassMalformed {
				t.Errorf("stream Err = %v; want a malformed error", s.Err())
			}
		})
	}
}
