package gemini

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/llmfall/llmfall/provider"
	"github.com/llmfall/llmfall/provider/wiretest"
)

// sentField is one field of the i-th request srv received, as JSON.
func sentField(t *testing.T, srv *wiretest.Server, i int, field string) string {
	t.Helper()
	v, ok := srv.Body(t, i)[field]
	if !ok {
		return ""
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// What a request asks reaches the API whole: the text parts of a question
// with images, the turns after an empty one, an empty question's turn (all
// the asking is in the system prompt), and a JSON answer for a JSON-schema
// format that has no schema.
func TestRequestContents(t *testing.T) {
	tests := []struct {
		name  string
		req   *provider.Request
		field string
		want  string
	}{
		{"a question with images", &provider.Request{Messages: []provider.Message{{Role: provider.RoleUser, Content: "Which sky is clearer?", Parts: []provider.Part{
			{Image: &provider.Image{Data: wiretest.PNG, MediaType: "image/png"}},
			{Image: &provider.Image{URL: "https://example.com/sky.jpg", MediaType: "image/jpeg"}},
			{Text: "Answer in one word."},
		}}}}, "contents",
			`[{"parts":[{"text":"Which sky is clearer?"},` +
				`{"inlineData":{"data":"iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJ","mimeType":"image/png"}},` +
				`{"fileData":{"fileUri":"https://example.com/sky.jpg","mimeType":"image/jpeg"}},` +
				`{"text":"Answer in one word."}],"role":"user"}]`},
		{"a turn after an empty one", &provider.Request{Messages: []provider.Message{
			{Role: provider.RoleUser, Content: "Hello?"},
			{Role: provider.RoleAssistant, Content: ""},
			{Role: provider.RoleUser, Content: "What is the weather in Paris?"},
		}}, "contents", `[{"parts":[{"text":"Hello?"},{"text":"What is the weather in Paris?"}],"role":"user"}]`},
		{"an empty question", &provider.Request{System: "Say hello in French.", Messages: []provider.Message{{Role: provider.RoleUser, Content: ""}}},
			"contents", `[{"parts":[{"text":""}],"role":"user"}]`},
		{"a JSON-schema format without its schema", &provider.Request{Messages: []provider.Message{{Role: provider.RoleUser, Content: "Paris weather as JSON"}},
			ResponseFormat: &provider.ResponseFormat{Type: provider.FormatJSONSchema, Name: "weather_report"}},
			"generationConfig", `{"responseMimeType":"application/json"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := wiretest.NewServer(t, wiretest.Gemini, wiretest.JSON(wiretest.ToolFixture(t, "structured.json")))
			tc.req.Model = "gemini-2.5-flash"
			if _, err := toolClient(srv).Complete(context.Background(), tc.req); err != nil {
				t.Fatalf("Complete() error = %v", err)
			}
			if diff := cmp.Diff(tc.want, sentField(t, srv, 0, tc.field)); diff != "" {
				t.Errorf("%s sent (-want +got):\n%s", tc.field, diff)
			}
		})
	}
}
