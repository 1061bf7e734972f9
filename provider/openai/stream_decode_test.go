package openai

import (
	"bytes"
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/llmfall/llmfall/provider"
)

// streamOf streams a scripted response from a fake server and returns the
// text chunks, the Response and the stream's error.
func streamOf(t *testing.T, resp fakeResponse) ([]string, *provider.Response, error) {
	t.Helper()
	srv := newServer(t, resp)
	s, err := srv.client(testKey).Stream(context.Background(), fullRequest())
	if err != nil {
		t.Fatalf("Stream() error = %v", err)
	}
	defer s.Close()
	chunks := drain(s)
	return chunks, s.Response(), s.Err()
}

// Events whose data is empty or blank (a proxy's keep-alives) carry nothing
// and end nothing: the answer is the recording's.
func TestStreamSkipsEmptyDataEvents(t *testing.T) {
	rec := loadResponse(t, "stream.http")
	wantChunks, wantResp, err := streamOf(t, rec)
	if err != nil {
		t.Fatalf("recorded stream: Err() = %v", err)
	}
	withKeepAlives := rec
	withKeepAlives.body = bytes.ReplaceAll(rec.body, []byte("\n\ndata: {"), []byte("\n\ndata:\n\ndata:   \n\ndata: {"))
	if bytes.Equal(withKeepAlives.body, rec.body) {
		t.Fatal("no events to put keep-alives between")
	}
	chunks, resp, err := streamOf(t, withKeepAlives)
	if err != nil {
		t.Fatalf("Err() = %v; want nil", err)
	}
	if diff := cmp.Diff(wantChunks, chunks); diff != "" {
		t.Errorf("chunks differ from the recording's (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantResp, resp, ignoreTimes); diff != "" {
		t.Errorf("Response differs from the recording's (-want +got):\n%s", diff)
	}
}
