package gemini

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/llmfall/llmfall/provider"
	"github.com/llmfall/llmfall/provider/wiretest"
)

var update = flag.Bool("update", false, "rewrite the golden request bodies in testdata/tools")

func toolClient(srv *wiretest.Server) *Client {
	return New(Config{BaseURL: srv.URL, APIKey: "k", HTTPClient: srv.Client()})
}

func TestToolRequestAndCalls(t *testing.T) {
	req := wiretest.ToolConversation("call_Pa1s9xQ", "call_R0me7kT")
	req.Model = "gemini-2.5-flash"
	req.ToolChoice = provider.ToolChoice{Mode: provider.ToolChoiceTool, Name: "get_weather"}
	wantCalls := func(responseID string) []provider.ToolCall {
		return wiretest.WeatherCalls("call_"+responseID+"_0", "call_"+responseID+"_1")
	}

	t.Run("complete", func(t *testing.T) {
		srv := wiretest.NewServer(t, wiretest.Gemini, wiretest.JSON(wiretest.ToolFixture(t, "function_calls.json")))
		resp, err := toolClient(srv).Complete(context.Background(), req)
		if err != nil {
			t.Fatalf("Complete() error = %v", err)
		}
		wiretest.ToolGolden(t, "request_tools.golden.json", srv.Bodies()[0], *update)
		if diff := cmp.Diff(wantCalls("Gm7oaPQ2A8mN1e8P"), resp.ToolCalls); diff != "" {
			t.Errorf("ToolCalls mismatch (-want +got):\n%s", diff)
		}
		if resp.FinishReason != provider.FinishToolCalls || resp.Text != "Checking both cities." {
			t.Errorf("FinishReason, Text = %q, %q; want tool_calls (Gemini says STOP)", resp.FinishReason, resp.Text)
		}
	})
	t.Run("stream", func(t *testing.T) {
		srv := wiretest.NewServer(t, wiretest.Gemini, wiretest.SSE(wiretest.ToolFixture(t, "stream_function_calls.sse")))
		got, r := wiretest.Stream(t, toolClient(srv), req)
		// Gemini sends each call whole: one delta per call.
		want := wiretest.WholeCallChunks("Checking both cities.", "call_Gm7oaPQ2A8mN1e8Q_0", "call_Gm7oaPQ2A8mN1e8Q_1")
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("chunks mismatch (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(wantCalls("Gm7oaPQ2A8mN1e8Q"), r.ToolCalls); diff != "" {
			t.Errorf("Response().ToolCalls mismatch (-want +got):\n%s", diff)
		}
		if r.FinishReason != provider.FinishToolCalls {
			t.Errorf("FinishReason = %q; want tool_calls", r.FinishReason)
		}
		if !strings.HasSuffix(srv.Paths()[0], ":streamGenerateContent") {
			t.Errorf("path = %s", srv.Paths()[0])
		}
	})
}

// A history begun on another provider continues here: ids play no part,
// each functionResponse is named after the call it answers, and the two
// responses arrive together in the turn after the calls.
func TestToolHistoryFromOtherProviders(t *testing.T) {
	for _, ids := range [][2]string{{"toolu_01A", "toolu_01B"}, {"", ""}, {"same", "same"}} {
		srv := wiretest.NewServer(t, wiretest.Gemini, wiretest.JSON(wiretest.ToolFixture(t, "structured.json")))
		req := wiretest.ToolConversation(ids[0], ids[1])
		req.Model = "gemini-2.5-flash"
		req.Messages = append(req.Messages[:len(req.Messages):len(req.Messages)],
			provider.Message{Role: provider.RoleTool, ToolCallID: "stale", Content: "old"})
		if _, err := toolClient(srv).Complete(context.Background(), req); err != nil {
			t.Errorf("ids %q: Complete() error = %v", ids, err)
		}
	}
}

func TestStructuredOutput(t *testing.T) {
	srv := wiretest.NewServer(t, wiretest.Gemini, wiretest.JSON(wiretest.ToolFixture(t, "structured.json")))
	req := &provider.Request{Model: "gemini-2.5-flash", Messages: []provider.Message{{Role: provider.RoleUser, Content: "Paris weather"}},
		ResponseFormat: &provider.ResponseFormat{Type: provider.FormatJSONSchema, Name: "weather_report", Strict: true, Schema: json.RawMessage(`{
			"$schema": "https://json-schema.org/draft/2020-12/schema",
			"type": "object",
			"properties": {
				"city": {"type": "string", "format": "email", "examples": ["Paris"]},
				"temp_c": {"type": ["number", "null"], "exclusiveMinimum": -100},
				"sky": {"$ref": "#/$defs/sky", "description": "the sky now"},
				"kind": {"const": "report"},
				"alt": {"oneOf": [{"type": "integer", "format": "int64"}, {"type": "string"}]}
			},
			"required": ["city", "temp_c"],
			"additionalProperties": false,
			"$defs": {"sky": {"type": "string", "enum": ["clear", "cloudy"]}}
		}`)}}
	resp, err := toolClient(srv).Complete(context.Background(), req)
	if err != nil {
		t.Fatalf("Complete() error = %v", err)
	}
	if resp.Text != `{"city": "Paris", "temp_c": 18}` {
		t.Errorf("Text = %q", resp.Text)
	}
	wiretest.ToolGolden(t, "request_structured.golden.json", srv.Bodies()[0], *update)
}

// A schema Gemini cannot express is refused before sending, with an error
// naming the keyword, of a class that lets the chain move on.
func TestSchemaErrors(t *testing.T) {
	tests := []struct{ schema, want string }{
		{`{"type":"object","properties":{"a":{"not":{"type":"string"}}}}`, `JSON Schema keyword "not" at properties.a has no Gemini equivalent`},
		{`{"type":"object","properties":{"n":{"$ref":"#/$defs/node"}},"$defs":{"node":{"type":"object","properties":{"next":{"$ref":"#/$defs/node"}}}}}`, `"#/$defs/node" is recursive`},
		{`{"type":"object","properties":{"a":{"type":"integer","enum":[1,2]}}}`, `"enum" at properties.a`},
		{`{"type":"object","patternProperties":{"^x":{}}}`, `"patternProperties" at the root`},
		{`{"type":"object","allOf":[{"type":"object"},{"required":["a"]}]}`, `"allOf"`},
		{`{"$ref":"https://example.com/s.json"}`, `only references into $defs`},
		{`{"type":"object","properties":{"a":{"oneOf":{"type":"string"}}}}`, `"oneOf" at properties.a.oneOf has no Gemini equivalent: must be an array`},
		{`{"type":"object","properties":{"a":false}}`, `"false" at properties.a has no Gemini equivalent: a schema must be an object`},
	}
	for _, tc := range tests {
		c := New(Config{BaseURL: "http://127.0.0.1:1"})
		req := &provider.Request{Model: "gemini-2.5-flash", Messages: []provider.Message{{Role: provider.RoleUser, Content: "x"}},
			Tools: []provider.Tool{{Name: "f", Parameters: json.RawMessage(tc.schema)}}}
		_, err := c.Complete(context.Background(), req)
		var pe *provider.Error
		if !errors.As(err, &pe) || pe.Class != provider.ClassUnsupported || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("schema %s: Complete() error = %v; want class unsupported naming %q", tc.schema, err, tc.want)
		}
	}
}

func TestSchemaTranslationIsAcceptedByTheAPI(t *testing.T) {
	s, err := geminiSchema(wiretest.WeatherTool.Parameters)
	if err != nil {
		t.Fatal(err)
	}
	if err := wiretest.GeminiSchema("parameters", s); err != nil {
		t.Errorf("translated schema rejected: %v", err)
	}
	want := map[string]any{"type": "OBJECT", "required": []any{"city"}, "properties": map[string]any{
		"city":  map[string]any{"type": "STRING"},
		"units": map[string]any{"type": "STRING", "enum": []any{"celsius", "fahrenheit"}},
	}}
	if diff := cmp.Diff(want, s); diff != "" {
		t.Errorf("geminiSchema() mismatch (-want +got):\n%s", diff)
	}
}

// A thinking model's thoughtSignature goes back with its call, as Gemini
// asks; other providers never see it.
func TestThoughtSignatureRoundTrip(t *testing.T) {
	srv := wiretest.NewServer(t, wiretest.Gemini, wiretest.JSON(wiretest.ToolFixture(t, "function_call_signed.json")), wiretest.JSON(wiretest.ToolFixture(t, "structured.json")))
	c := toolClient(srv)
	req := &provider.Request{Model: "gemini-2.5-flash", Messages: []provider.Message{{Role: provider.RoleUser, Content: "Paris?"}},
		Tools: []provider.Tool{wiretest.WeatherTool}}
	resp, err := c.Complete(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	sig := "CiQBVKhc7oVxWqSig2ZnMPaBDtesyUJDc2lnbmF0dXJl"
	if len(resp.ToolCalls) != 1 || resp.ToolCalls[0].Signature != sig {
		t.Fatalf("ToolCalls = %+v; want the call with its signature", resp.ToolCalls)
	}
	req.Messages = append(req.Messages, provider.Message{Role: provider.RoleAssistant, ToolCalls: resp.ToolCalls},
		provider.Message{Role: provider.RoleTool, ToolCallID: resp.ToolCalls[0].ID, Content: "18C"})
	if _, err := c.Complete(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	if body := string(srv.Bodies()[1]); !strings.Contains(body, `"functionCall":{"name":"get_weather","args":{"city":"Paris"}},"thoughtSignature":"`+sig+`"`) {
		t.Errorf("second request does not send the signature back with the call: %s", body)
	}
}
