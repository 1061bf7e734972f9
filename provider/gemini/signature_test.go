package gemini

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/llmfall/llmfall/provider"
	"github.com/llmfall/llmfall/provider/wiretest"
)

// midTurn is a conversation in the middle of a turn: the user asked, a
// model called two tools, and their results are in; the next model answers
// (the fallback case: the primary failed on the tool-result turn). calls
// are the model's calls.
func midTurn(calls ...provider.ToolCall) *provider.Request {
	msgs := []provider.Message{
		{Role: provider.RoleUser, Content: "What is the weather in Paris and Rome?"},
		{Role: provider.RoleAssistant, ToolCalls: calls},
	}
	for _, c := range calls {
		msgs = append(msgs, provider.Message{Role: provider.RoleTool, ToolCallID: c.ID, Content: `{"temp_c":18}`})
	}
	return &provider.Request{Model: "gemini-3-pro-preview", Messages: msgs, Tools: []provider.Tool{wiretest.WeatherTool}}
}

// sentSignatures are the thoughtSignatures of the functionCall parts of the
// request body, in order ("" for a part without one).
func sentSignatures(t *testing.T, body []byte) []string {
	t.Helper()
	var req struct {
		Contents []struct {
			Parts []struct {
				FunctionCall     *json.RawMessage `json:"functionCall"`
				ThoughtSignature string           `json:"thoughtSignature"`
			} `json:"parts"`
		} `json:"contents"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, c := range req.Contents {
		for _, p := range c.Parts {
			if p.FunctionCall != nil {
				out = append(out, p.ThoughtSignature)
			}
		}
	}
	return out
}

// Gemini 3 refuses a call step of the current turn without a signature. A
// step another provider's model made has none to give back, so it goes
// with the signature Google documents for calls Gemini did not make; a
// step Gemini made goes back as it came; a "signature" Gemini cannot have
// written (not base64, which the API refuses as bytes) is not sent.
func TestThoughtSignatureOfForeignCalls(t *testing.T) {
	const (
		sig        = "CiQBVKhc7oVxWqSig2ZnMPaBDtesyUJDc2lnbmF0dXJl"
		otherModel = "EjQKMgG7eDk2Zmxhc2gtMi41LXNpZ25lZC10aG91Z2h0"
	)
	paris := provider.ToolCall{ID: "call_Pa1s9xQ", Name: "get_weather", Arguments: json.RawMessage(`{"city":"Paris"}`)}
	rome := provider.ToolCall{ID: "call_R0me7kT", Name: "get_weather", Arguments: json.RawMessage(`{"city":"Rome"}`)}
	signed := func(c provider.ToolCall, s string) provider.ToolCall { c.Signature = s; return c }
	tests := []struct {
		name  string
		calls []provider.ToolCall
		want  []string
	}{
		{name: "calls another provider made", calls: []provider.ToolCall{paris, rome}, want: []string{skipSignature, skipSignature}},
		{name: "Gemini's parallel calls", calls: []provider.ToolCall{signed(paris, sig), rome}, want: []string{sig, ""}},
		// Made by another Gemini model (a fallback from gemini-2.5-flash):
		// Google documents that the request succeeds and a thought the
		// model cannot use is left out, so the signature goes back as is.
		{name: "another Gemini model's calls", calls: []provider.ToolCall{signed(paris, otherModel), signed(rome, "")}, want: []string{otherModel, ""}},
		{name: "a signature that is not base64", calls: []provider.ToolCall{signed(paris, "rs_68af: opaque, from elsewhere"), rome},
			want: []string{skipSignature, skipSignature}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := wiretest.NewServer(t, wiretest.Gemini3, wiretest.JSON(wiretest.ToolFixture(t, "structured.json")))
			if _, err := toolClient(srv).Complete(context.Background(), midTurn(tc.calls...)); err != nil {
				t.Fatalf("Complete() error = %v; want the request accepted", err)
			}
			if diff := cmp.Diff(tc.want, sentSignatures(t, srv.Bodies()[0])); diff != "" {
				t.Errorf("thoughtSignatures sent (-want +got):\n%s", diff)
			}
		})
	}
}
