package anthropic

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/llmfall/llmfall/provider"
	"github.com/llmfall/llmfall/provider/wiretest"
)

// sentMessages are the messages of the i-th request srv received, as JSON.
func sentMessages(t *testing.T, srv *wiretest.Server, i int) string {
	t.Helper()
	b, err := json.Marshal(srv.Body(t, i)["messages"])
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// A turn that ends up with nothing to send (a model's empty answer) is left
// out, and the turns after it still go: the question after it is the one
// the model must answer.
func TestHistoryAfterAnEmptyTurn(t *testing.T) {
	srv := wiretest.NewServer(t, wiretest.Anthropic, wiretest.JSON(wiretest.ToolFixture(t, "message_structured.json")))
	req := &provider.Request{Model: "claude-3-5-haiku-latest", Messages: []provider.Message{
		{Role: provider.RoleUser, Content: "Hello?"},
		{Role: provider.RoleAssistant, Content: ""},
		{Role: provider.RoleUser, Content: "What is the weather in Paris?"},
	}}
	if _, err := toolClient(srv).Complete(context.Background(), req); err != nil {
		t.Fatalf("Complete() error = %v", err)
	}
	want := `[{"content":[{"text":"Hello?","type":"text"},{"text":"What is the weather in Paris?","type":"text"}],"role":"user"}]`
	if diff := cmp.Diff(want, sentMessages(t, srv, 0)); diff != "" {
		t.Errorf("messages sent (-want +got):\n%s", diff)
	}
}

// A question with several images, the whole request, goes as one user turn
// of text and image blocks.
func TestQuestionWithImages(t *testing.T) {
	srv := wiretest.NewServer(t, wiretest.Anthropic, wiretest.JSON(wiretest.ToolFixture(t, "message_structured.json")))
	req := &provider.Request{Model: "claude-3-5-haiku-latest", Messages: []provider.Message{
		{Role: provider.RoleUser, Content: "Which sky is clearer?", Parts: []provider.Part{
			{Image: &provider.Image{Data: wiretest.PNG, MediaType: "image/png"}},
			{Image: &provider.Image{URL: "https://example.com/sky.jpg", MediaType: "image/jpeg"}},
			{Text: "Answer in one word."},
		}},
	}}
	if _, err := toolClient(srv).Complete(context.Background(), req); err != nil {
		t.Fatalf("Complete() error = %v", err)
	}
	want := `[{"content":[{"text":"Which sky is clearer?","type":"text"},` +
		`{"source":{"data":"iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJ","media_type":"image/png","type":"base64"},"type":"image"},` +
		`{"source":{"type":"url","url":"https://example.com/sky.jpg"},"type":"image"},` +
		`{"text":"Answer in one word.","type":"text"}],"role":"user"}]`
	if diff := cmp.Diff(want, sentMessages(t, srv, 0)); diff != "" {
		t.Errorf("messages sent (-want +got):\n%s", diff)
	}
}
