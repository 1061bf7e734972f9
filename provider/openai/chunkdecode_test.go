package openai

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/llmfall/llmfall/internal/modroot"
)

// A chunk with two choices and tool calls, decoded before each input so that
// anything the reused chunk kept from it would show in the comparison.
const primerChunk = `{"id":"chatcmpl-P","model":"gpt-p","choices":[{"index":0,"delta":{"content":"p","refusal":"no","tool_calls":[{"index":0,"id":"call_p","type":"function","function":{"name":"f","arguments":"{}"}}]},"finish_reason":"tool_calls"},{"index":1,"delta":{"content":"q"}}],"usage":{"prompt_tokens":1,"completion_tokens":2},"error":{"message":"m"}}`

// checkSameDecode fails t unless a chunkDecoder, after the primer chunk,
// decodes data exactly as json.Unmarshal into a zero wireChunk does: the same
// value and the same error. It returns whether the reused decoder took data.
func checkSameDecode(t *testing.T, data []byte) (took bool) {
	t.Helper()
	var want wireChunk
	wantErr := json.Unmarshal(data, &want)

	var d chunkDecoder
	var got wireChunk
	if err := d.decode([]byte(primerChunk), &got); err != nil {
		t.Fatalf("primer: %v", err)
	}
	got.reset()
	took = d.fast(data, &got)
	if !took {
		got = wireChunk{}
	}
	// decode itself, for its error and its fallback.
	gotErr := d.decode(data, &got)

	if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
		t.Fatalf("decode(%q) error = %v; json.Unmarshal: %v", data, gotErr, wantErr)
	}
	// Absent or null choices may stay an empty slice: the same to every
	// reader of a chunk, which only ranges over it.
	if len(got.Choices) == 0 && len(want.Choices) == 0 {
		got.Choices, want.Choices = nil, nil
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("decode(%q)\n got %+v\nwant %+v (json.Unmarshal)", data, got, want)
	}
	return took
}

// streamChunks returns the data of every event in the recorded streams and
// in the benchmark's stream.
func streamChunks(t testing.TB) [][]byte {
	t.Helper()
	files, err := filepath.Glob(modroot.Testdata(t, "wire/openai/stream*.http"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no recorded OpenAI stream in testdata/wire/openai: %v", err)
	}
	var out [][]byte
	bodies := [][]byte{benchStream(2)}
	for _, f := range files {
		bodies = append(bodies, loadResponse(t, filepath.Base(f)).body)
	}
	for _, body := range bodies {
		for line := range bytes.Lines(body) {
			if data, ok := bytes.CutPrefix(line, []byte("data:")); ok {
				if data = bytes.TrimSpace(data); len(data) > 0 && string(data) != "[DONE]" {
					out = append(out, data)
				}
			}
		}
	}
	return out
}

func TestChunkDecoderTakesRecordedChunks(t *testing.T) {
	chunks := streamChunks(t)
	took := 0
	for _, data := range chunks {
		if checkSameDecode(t, data) {
			took++
		}
	}
	// The recordings include malformed chunks, which go to Unmarshal; the
	// text deltas, tool calls, usage and errors must not.
	if took < len(chunks)*3/4 {
		t.Errorf("the reused decoder took %d of %d recorded chunks; want most", took, len(chunks))
	}
}

func TestChunkDecoderTakesCommonShapes(t *testing.T) {
	for _, data := range []string{
		`{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt-4.1","choices":[{"index":0,"delta":{"content":" hi"},"logprobs":null,"finish_reason":null}],"usage":null,"obfuscation":"x"}`,
		`{"id":"c","model":"m","choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"call_1","type":"function","function":{"name":"get","arguments":"{\"a\":"}}]}}]}`,
		`{"id":"c","model":"m","choices":[],"usage":{"prompt_tokens":12.0,"completion_tokens":3}}`,
		`{"choices":[{"index":0,"delta":{"refusal":"I can't"},"finish_reason":"content_filter"}]}`,
		`{"error":{"message":"overloaded","type":"server_error","code":null}}`,
		`{"ID":"case-insensitive keys","Choices":null}`,
	} {
		if !checkSameDecode(t, []byte(data)) {
			t.Errorf("the reused decoder declined %s", data)
		}
	}
}

func TestChunkDecoderDeclinesToUnmarshal(t *testing.T) {
	for _, data := range []string{
		`{"id":"a"} {"id":"b"}`, // a second value: Unmarshal's error
		`{"id":"a"}x`,           // bytes after the value
		`{"id":"a",`,            // truncated
		`{"choices":[{"index":"0","delta":{"content":1}}]}`, // wrong types: Unmarshal's error, and the fields it still decodes
		`"a string"`,
		`123`,
		`not json`,
		`{"id":"` + strings.Repeat("a", maxFastChunk) + `"}`, // too big to keep in the stream's buffer
	} {
		if checkSameDecode(t, []byte(data)) {
			t.Errorf("the reused decoder took %.80s; want it declined", data)
		}
	}
}

// After declining a chunk (and whatever it left in the decoder's buffer, or
// a sticky syntax error) the reused decoder takes the next good one.
func TestChunkDecoderRecoversAfterDecline(t *testing.T) {
	var d chunkDecoder
	var ch wireChunk
	for i, data := range []string{`{"id":"a"} {"id":"b"}`, `{"id":"c","choices":[{"index":0,"delta":{"content":"x"}}]}`, `{"id":`, `{"id":"d"}`} {
		ch.reset()
		good := i%2 == 1
		if took := d.fast([]byte(data), &ch); took != good {
			t.Fatalf("chunk %d %s: taken = %v; want %v", i, data, took, good)
		}
	}
	if ch.ID != "d" || len(ch.Choices) != 0 {
		t.Fatalf("last chunk decoded as %+v; want id d and no choices", ch)
	}
}

// FuzzChunkDecode holds the reused decoder to json.Unmarshal's result and
// error on any input.
func FuzzChunkDecode(f *testing.F) {
	for _, data := range streamChunks(f) {
		f.Add(data)
	}
	f.Add([]byte(primerChunk))
	f.Add([]byte(`{"choices":[{"index":0},{"index":0,"delta":{"content":"second"}}]}`))
	f.Add([]byte(`{"id":"a"} {"id":"b"}`))
	f.Add([]byte(`{"choices":[{"index":"0"}]}`))
	f.Add([]byte("{\"id\":\"\xff\\u00e9\"}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		checkSameDecode(t, data)
	})
}

// BenchmarkChunkDecode compares the two ways to decode one text delta as
// OpenAI sends it: json.Unmarshal into a fresh chunk (before) and the
// stream's reused decoder (now).
func BenchmarkChunkDecode(b *testing.B) {
	data := []byte(`{"id":"chatcmpl-Bench","object":"chat.completion.chunk","created":1764073000,"model":"gpt-4.1-mini-2025-04-14","service_tier":"default","system_fingerprint":"fp_6b68a8204b","choices":[{"index":0,"delta":{"content":" token"},"logprobs":null,"finish_reason":null}],"usage":null,"obfuscation":"aB3"}`)
	b.Run("unmarshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var ch wireChunk
			if err := json.Unmarshal(data, &ch); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("reused", func(b *testing.B) {
		var d chunkDecoder
		var ch wireChunk
		b.ReportAllocs()
		for b.Loop() {
			if err := d.decode(data, &ch); err != nil {
				b.Fatal(err)
			}
		}
	})
}
