package anthropic

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/llmfall/llmfall/provider"
)

// streamOf streams body from a fake Anthropic server and returns the text
// chunks, the Response and the stream's error.
func streamOf(t *testing.T, body string) ([]string, *provider.Response, error) {
	t.Helper()
	f := newFake(t, respondSSE(map[string]string{"Request-Id": "req_1"}, []byte(body)))
	s, err := f.client(Config{APIKey: "k"}).Stream(context.Background(), &provider.Request{Model: "claude-3-5-haiku-latest"})
	if err != nil {
		t.Fatalf("Stream() error = %v", err)
	}
	defer s.Close()
	chunks := drain(t, s)
	return chunks, s.Response(), s.Err()
}

// A gateway that forwards only the data lines of the event stream (no
// "event:" field, so every event is a "message") still gives the whole
// answer: each event's JSON names its own type.
func TestStreamWithoutEventLines(t *testing.T) {
	recorded := string(readTestdata(t, "stream_text.sse"))
	dataOnly := regexp.MustCompile(`(?m)^event: .*\n`).ReplaceAllString(recorded, "")
	if strings.Contains(dataOnly, "event:") {
		t.Fatal("the recording still has event lines")
	}

	wantChunks, wantResp, err := streamOf(t, recorded)
	if err != nil {
		t.Fatalf("recorded stream: Err() = %v", err)
	}
	gotChunks, gotResp, err := streamOf(t, dataOnly)
	if err != nil {
		t.Fatalf("data-only stream: Err() = %v; want nil", err)
	}
	if diff := cmp.Diff(wantChunks, gotChunks); diff != "" {
		t.Errorf("data-only stream's chunks differ from the recording's (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantResp, gotResp, cmpopts.IgnoreFields(provider.Response{}, "Latency", "TTFT")); diff != "" {
		t.Errorf("data-only stream's Response differs from the recording's (-want +got):\n%s", diff)
	}
}

// A content_block_delta without its "delta" object (a proxy's trimmed
// event, a newer API's variant) carries no text; the stream goes on to the
// rest of the answer.
func TestStreamDeltaEventWithoutDelta(t *testing.T) {
	recorded := string(readTestdata(t, "stream_text.sse"))
	const bare = "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":1}\n\n" +
		"event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":2}\n\n"
	body := strings.Replace(recorded, "event: ping\n", bare+"event: ping\n", 1)
	if body == recorded {
		t.Fatal("the recording has no ping to insert before")
	}
	chunks, resp, err := streamOf(t, body)
	if err != nil {
		t.Fatalf("Err() = %v; want nil", err)
	}
	if want := []string{"Refund", " approved for", " order 1182."}; !cmp.Equal(want, chunks) {
		t.Errorf("chunks = %q; want %q", chunks, want)
	}
	if resp.Text != "Refund approved for order 1182." || resp.FinishReason != provider.FinishLength {
		t.Errorf("Response() = %q, %q; want the whole answer, stopped at max_tokens", resp.Text, resp.FinishReason)
	}
}
