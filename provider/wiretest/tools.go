package wiretest

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/llmfall/llmfall/provider"
)

// The adapters' tool tests share one layout: recorded answers and golden
// request bodies under the package's testdata/tools, and the weather calls
// of ToolConversation to expect back.

// ToolFixture reads testdata/tools/name of the calling test's package.
func ToolFixture(t testing.TB, name string) string {
	t.Helper()
	return Fixture(t, filepath.Join("testdata", "tools", name))
}

// ToolGolden compares body with the golden file testdata/tools/name of the
// calling test's package, as Golden does.
func ToolGolden(t testing.TB, name string, body []byte, update bool) {
	t.Helper()
	Golden(t, filepath.Join("testdata", "tools", name), body, update)
}

// WeatherCalls are the two parallel calls of ToolConversation's assistant
// turn, Paris and then Rome in celsius, with the given ids: what an adapter
// gives back for an answer that makes them.
func WeatherCalls(id1, id2 string) []provider.ToolCall {
	return []provider.ToolCall{
		{ID: id1, Name: "get_weather", Arguments: json.RawMessage(`{"city":"Paris"}`)},
		{ID: id2, Name: "get_weather", Arguments: json.RawMessage(`{"city":"Rome","units":"celsius"}`)},
	}
}

// WholeCallChunks are the chunks of a stream that says text and then makes
// WeatherCalls(id1, id2), each call whole in one delta (Gemini sends calls
// whole; other providers stream their arguments in pieces).
func WholeCallChunks(text, id1, id2 string) []provider.Chunk {
	out := []provider.Chunk{{Text: text}}
	for i, c := range WeatherCalls(id1, id2) {
		out = append(out, provider.Chunk{ToolCall: &provider.ToolCallDelta{Index: i, ID: c.ID, Name: c.Name, Arguments: string(c.Arguments)}})
	}
	return out
}

// Stream streams req from p to its end and returns every chunk (as Chunks
// does) and the final Response, failing the test on an error.
func Stream(t testing.TB, p provider.Provider, req *provider.Request) ([]provider.Chunk, *provider.Response) {
	t.Helper()
	s, err := p.Stream(context.Background(), req)
	if err != nil {
		t.Fatalf("Stream() error = %v", err)
	}
	defer s.Close()
	got := Chunks(t, s)
	return got, s.Response()
}
