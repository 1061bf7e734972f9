package openai

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/llmfall/llmfall/internal/modroot"
)

// A chunk with two choices and tool calls, decoded before each input so that
// anything the reused chunk kept from it would show in the comparison.
const primerChunk = `{"id":"chatcmpl-P","model":"gpt-p","choices":[{"index":0,"delta":{"content":"p","refusal":"no","tool_calls":[{"index":0,"id":"call_p","type":"function","function":{"name":"f","arguments":"{}"}}]},"finish_reason":"tool_calls"},{"index":1,"delta":{"content":"q"}}],"usage":{"prompt_tokens":1,"completion_tokens":2},"error":{"message":"m"}}`

// checkSameDecode fails t unless each way a chunkDecoder decodes data, after
// the primer chunk, matches json.Unmarshal into a zero wireChunk: the fast
// path and the reused decoder whenever they take data (same value), and
// decode as a whole always (same value, same error). It returns which of the
// two took data.
func checkSameDecode(t *testing.T, data []byte) (fast, reused bool) {
	t.Helper()
	// Capacity cut to the length, so a read past the chunk panics rather
	// than reading what follows it in memory.
	data = data[:len(data):len(data)]
	var want wireChunk
	wantErr := json.Unmarshal(data, &want)

	var d chunkDecoder
	var got wireChunk
	primed := func() *wireChunk {
		t.Helper()
		if err := d.decode([]byte(primerChunk), &got); err != nil {
			t.Fatalf("primer: %v", err)
		}
		got.reset()
		return &got
	}
	if fast = d.fast(data, primed()); fast {
		sameChunk(t, "fast path", data, got, want)
	}
	if reused = d.reused(data, primed()); reused {
		sameChunk(t, "reused decoder", data, got, want)
	}
	primed()
	gotErr := d.decode(data, &got)
	if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
		t.Fatalf("decode(%q) error = %v; json.Unmarshal: %v", data, gotErr, wantErr)
	}
	sameChunk(t, "decode", data, got, want)
	return fast, reused
}

func sameChunk(t *testing.T, path string, data []byte, got, want wireChunk) {
	t.Helper()
	// Absent or null choices may stay an empty slice: the same to every
	// reader of a chunk, which only ranges over it.
	if len(got.Choices) == 0 && len(want.Choices) == 0 {
		got.Choices, want.Choices = nil, nil
	}
	// reflect.DeepEqual first: cmp.Diff on every input would be most of
	// the fuzz target's time.
	if !reflect.DeepEqual(want, got) {
		t.Fatalf("%s of %q differs from json.Unmarshal (-want +got):\n%s", path, data, cmp.Diff(want, got))
	}
}

// streamChunks returns the data of every event in the recorded streams and
// in the benchmark's stream.
func streamChunks(t testing.TB) [][]byte {
	t.Helper()
	files, err := filepath.Glob(modroot.Testdata(t, "wire/openai/stream*.http"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no recorded OpenAI stream in testdata/wire/openai: %v", err)
	}
	bodies := [][]byte{benchStream(2)}
	for _, f := range files {
		bodies = append(bodies, loadResponse(t, filepath.Base(f)).body)
	}
	var out [][]byte
	for _, body := range bodies {
		out = append(out, sseData(body)...)
	}
	return out
}

// sseData returns the data of every event in an SSE body but [DONE].
func sseData(body []byte) [][]byte {
	var out [][]byte
	for line := range bytes.Lines(body) {
		if data, ok := bytes.CutPrefix(line, []byte("data:")); ok {
			if data = bytes.TrimSpace(data); len(data) > 0 && string(data) != "[DONE]" {
				out = append(out, data)
			}
		}
	}
	return out
}

func TestChunkDecoderTakesRecordedChunks(t *testing.T) {
	chunks := streamChunks(t)
	fast, reused := 0, 0
	for _, data := range chunks {
		f, r := checkSameDecode(t, data)
		if f {
			fast++
		}
		if r {
			reused++
		}
	}
	// The recordings include malformed chunks, which go to Unmarshal, and
	// error chunks, which the fast path leaves to encoding/json; the text
	// deltas, tool calls and usage must not.
	if fast < len(chunks)*3/4 {
		t.Errorf("the fast path took %d of %d recorded chunks; want most", fast, len(chunks))
	}
	if reused < len(chunks)*3/4 {
		t.Errorf("the reused decoder took %d of %d recorded chunks; want most", reused, len(chunks))
	}
}

func TestChunkDecoderTakesCommonShapes(t *testing.T) {
	for _, data := range []string{
		`{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt-4.1","service_tier":"default","system_fingerprint":"fp_1","choices":[{"index":0,"delta":{"content":" hi"},"logprobs":null,"finish_reason":null}],"usage":null,"obfuscation":"x"}`,
		`{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt-4.1","choices":[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}],"usage":null}`,
		`{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt-4.1","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}],"usage":null}`,
		`{"id":"c","model":"m","choices":[],"usage":{"prompt_tokens":12,"completion_tokens":3,"total_tokens":15,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"accepted_prediction_tokens":0}}}`,
		`{"id":"c","model":"m","choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"call_1","type":"function","function":{"name":"get","arguments":"{\"a\":"}}]}}]}`,
		`{"id":"c","choices":[{"index":0,"delta":{"content":"Let's"},"logprobs":{"content":[{"token":"Let's","logprob":-2.3433902,"bytes":[76,101,116,39,115],"top_logprobs":[]}],"refusal":null},"finish_reason":null}]}`,
		`{"choices":[{"index":0,"delta":{"refusal":"I can't"},"finish_reason":"content_filter"}]}`,
		`{"ID":"case-insensitive keys","Choices":null}`,
	} {
		if fast, reused := checkSameDecode(t, []byte(data)); !fast || !reused {
			t.Errorf("took %s: fast path %v, reused decoder %v; want both", data, fast, reused)
		}
	}
}

// An error chunk is rare and wireError decodes itself: the fast path leaves
// it to the reused decoder.
func TestChunkDecoderTakesErrors(t *testing.T) {
	data := []byte(`{"error":{"message":"overloaded","type":"server_error","code":null}}`)
	if fast, reused := checkSameDecode(t, data); fast || !reused {
		t.Errorf("took %s: fast path %v, reused decoder %v; want the reused decoder only", data, fast, reused)
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
		if fast, reused := checkSameDecode(t, []byte(data)); fast || reused {
			t.Errorf("took %.80s: fast path %v, reused decoder %v; want it declined", data, fast, reused)
		}
	}
}

// chunkTraps are the inputs where a decoder written by hand is most likely
// to part from encoding/json, each with whether the fast path takes it. They
// are table tests and fuzz seeds.
var chunkTraps = []struct {
	name string
	data string
	take bool
}{
	{"keys match case-insensitively", `{"choices":[{"Index":0,"DELTA":{"Content":"x"}}],"Model":"m"}`, true},
	{"last duplicate wins", `{"id":"a","ID":"b","choices":[{"delta":{"content":"x","CONTENT":"y"}}]}`, true},
	{"null leaves a string", `{"id":"a","id":null,"choices":[{"delta":{"content":null,"refusal":null},"finish_reason":null}]}`, true},
	{"null leaves an int", `{"choices":[{"index":3,"index":null}]}`, true},
	{"null element is a zero choice", `{"choices":[null,{"index":1}]}`, true},
	{"null struct leaves it", `{"choices":[{"delta":{"content":"a"},"delta":null}]}`, true},
	{"duplicate delta merges", `{"choices":[{"delta":{"content":"a"},"delta":{"refusal":"r"}}]}`, true},
	{"duplicate usage merges", `{"usage":{"prompt_tokens":1},"usage":{"completion_tokens":2}}`, true},
	{"null usage after usage", `{"usage":{"prompt_tokens":1},"usage":null}`, true},
	{"choices after empty choices", `{"choices":[],"choices":[{"index":2}]}`, true},
	{"choices after null choices", `{"choices":null,"choices":[{"index":2}]}`, true},
	{"choices after choices", `{"choices":[{"index":1,"delta":{"content":"a"}}],"choices":[{"index":0}]}`, false},
	{"tool_calls after tool_calls", `{"choices":[{"delta":{"tool_calls":[{"id":"a"}]},"delta":{"tool_calls":[{"type":"b"}]}}]}`, false},
	{"tool_calls after empty tool_calls", `{"choices":[{"delta":{"tool_calls":[]},"delta":{"tool_calls":[{"type":"b"}]}}]}`, true},
	{"tool_calls after null tool_calls", `{"choices":[{"delta":{"tool_calls":[{"id":"a"}],"tool_calls":null,"tool_calls":[{"type":"b"}]}}]}`, true},
	{"empty tool_calls", `{"choices":[{"delta":{"tool_calls":[]}}]}`, true},
	{"null tool call index", `{"choices":[{"delta":{"tool_calls":[{"index":null,"function":null},null]}}]}`, true},
	{"null tool call index after one", `{"choices":[{"delta":{"tool_calls":[{"index":1,"index":null}]}}]}`, true},
	{"tool call index twice", `{"choices":[{"delta":{"tool_calls":[{"index":1,"index":2,"function":{"name":"f"},"function":{"arguments":"{}"}}]}}]}`, true},
	{"message as well as delta", `{"choices":[{"message":{"content":"m"},"delta":{"content":"d"}}]}`, true},
	{"error null", `{"error":null,"id":"a"}`, true},
	{"error string", `{"error":"overloaded"}`, false},
	{"whitespace everywhere", " \t\r\n{ \"id\" : \"a\" ,\n\"choices\" : [ { \"index\" : 0 , \"delta\" : { \"content\" : \"x\" } } ] , \"usage\" : { \"prompt_tokens\" : 1 } }\n ", true},
	{"space after", `{"id":"a"}   `, true},
	{"bytes after", `{"id":"a"}}`, false},
	{"second value", `{"id":"a"}{}`, false},
	{"top-level null", `null`, false},
	{"top-level array", `[]`, false},
	{"empty", ``, false},
	{"escaped key", `{"\u0069d":"a"}`, false},
	{"unicode-folded key", `{"uſage":{"prompt_tokens":1}}`, false},
	{"kelvin-folded key", `{"choices":[{"delta":{"tool_calls":[{"\u212aey":1}]}}]}`, false},
	{"empty key", `{"":1,"id":"a"}`, true},
	{"long unknown key", `{"a_key_longer_than_any_field_name_at_all":1,"id":"a"}`, true},
	{"escapes", `{"choices":[{"delta":{"content":"a\n\"b\"\\\/\b\f\r\t\u00e9\u0000"}}]}`, true},
	{"surrogate pair", `{"choices":[{"delta":{"content":"\ud83d\ude00 \uD83D\uDE00"}}]}`, true},
	{"lone surrogates", `{"choices":[{"delta":{"content":"\ud800x \udc00\ud800 \ud800\u0041 \ud800\n"}}]}`, true},
	{"escape ends string", `{"choices":[{"delta":{"content":"\ud83d"}}]}`, true},
	{"hex digits", `{"id":"\u0039\u00FF\u00ff\u0A0a\u00Af\u00aF"}`, true},
	{"truncated unicode escape", `{"id":"\u12`, false},
	{"bad escape", `{"id":"\q"}`, false},
	{"single-quote escape", `{"id":"\'"}`, false},
	{"short unicode escape", `{"id":"\u12"}`, false},
	{"non-hex unicode escape", `{"id":"\u12g4"}`, false},
	{"utf-8", `{"choices":[{"delta":{"content":"héllo 世界 😀"}}]}`, true},
	{"invalid utf-8", "{\"choices\":[{\"delta\":{\"content\":\"a\xffb\"}}]}", false},
	{"continuation byte alone", "{\"id\":\"a\x80b\"}", false},
	{"utf-8 surrogate", "{\"id\":\"\xed\xa0\x80\"}", false},
	{"truncated utf-8 before escape", "{\"id\":\"\xc3\\u00a9\"}", false},
	{"invalid utf-8 in an unknown value", "{\"obfuscation\":\"\xff\",\"id\":\"a\"}", true},
	{"control character", "{\"id\":\"a\nb\"}", false},
	{"control character in an unknown value", "{\"x\":\"a\tb\"}", false},
	{"negative zero index", `{"choices":[{"index":-0}]}`, true},
	{"negative index", `{"choices":[{"index":-12}]}`, true},
	{"float index", `{"choices":[{"index":1.0}]}`, false},
	{"exponent index", `{"choices":[{"index":1e0}]}`, false},
	{"leading zero index", `{"choices":[{"index":01}]}`, false},
	{"nine-digit index", `{"choices":[{"index":987654321}]}`, true},
	{"ten-digit index", `{"choices":[{"index":1234567890}]}`, false},
	{"huge index", `{"choices":[{"index":12345678901234567890}]}`, false},
	{"string index", `{"choices":[{"index":"0"}]}`, false},
	{"float counts", `{"usage":{"prompt_tokens":12.0,"completion_tokens":1.5e2}}`, true},
	{"negative zero count", `{"usage":{"prompt_tokens":-0,"completion_tokens":-0.0e-0}}`, true},
	{"count out of range", `{"usage":{"prompt_tokens":1e999}}`, false},
	{"count with plus", `{"usage":{"prompt_tokens":+1}}`, false},
	{"count without digits", `{"usage":{"prompt_tokens":1.}}`, false},
	{"wrong types", `{"id":1}`, false},
	{"choices object", `{"choices":{}}`, false},
	{"delta array", `{"choices":[{"delta":[]}]}`, false},
	{"usage number", `{"usage":5}`, false},
	{"unknown values", `{"a":[1,-2.5e+3,9,0.5E-2,true,false,null,"s\"\u00e9",{"k":[]},[]],"b":{},"c":{"\u00e9":1},"id":"a"}`, true},
	{"unknown trailing comma", `{"a":[1,],"id":"a"}`, false},
	{"unknown bad literal", `{"a":tru,"id":"a"}`, false},
	{"unknown leading zero", `{"a":01}`, false},
	{"unknown bad key", `{"a":{1:2}}`, false},
	{"unknown deep array", `{"a":` + deepArray + `}`, false},
	{"unknown deep object", strings.Repeat(`{"a":`, maxSkipDepth+2) + "1" + strings.Repeat("}", maxSkipDepth+2), false},
	{"unknown nested", strings.Repeat(`{"a":[`, maxSkipDepth/2) + "1" + strings.Repeat("]}", maxSkipDepth/2), true},
	{"missing colon", `{"id" "a"}`, false},
	{"missing comma", `{"id":"a" "model":"m"}`, false},
	{"unclosed string", `{"id":"a`, false},
	{"unclosed key", `{"i`, false},
	{"truncated index", `{"choices":[{"index":12`, false},
	{"truncated count", `{"usage":{"prompt_tokens":12`, false},
	{"truncated unknown string", `{"a":"xy`, false},
	{"truncated unknown object", `{"a":{`, false},
	{"missing unknown value", `{"a":`, false},
	{"truncated negative number", `{"a":-`, false},
	{"unknown object without a key", `{"a":{:1},"id":"x"}`, false},
	{"key with spaces", `{" id ":1,"a b":"c","id":"a"}`, true},
	{"unclosed escape", `{"id":"a\`, false},
}

var deepArray = strings.Repeat("[", maxSkipDepth+1) + strings.Repeat("]", maxSkipDepth+1)

// Each trap is decoded as json.Unmarshal does (checkSameDecode), and taken
// or declined as listed, so that a change that starts declining a common
// shape, or taking a hard one, shows.
func TestChunkFastPathTraps(t *testing.T) {
	for _, tc := range chunkTraps {
		t.Run(tc.name, func(t *testing.T) {
			if fast, _ := checkSameDecode(t, []byte(tc.data)); fast != tc.take {
				t.Errorf("fast path took %q: %v; want %v", tc.data, fast, tc.take)
			}
		})
	}
}

// The id and model every chunk of a stream repeats are decoded once.
func TestChunkFastPathReusesRepeatedStrings(t *testing.T) {
	var d chunkDecoder
	var ch wireChunk
	data := []byte(`{"id":"chatcmpl-1","model":"gpt-4.1","choices":[{"index":0,"delta":{"content":" token"}}]}`)
	if err := d.decode(data, &ch); err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(10, func() {
		if err := d.decode(data, &ch); err != nil {
			t.Fatal(err)
		}
	})
	// One for the content; the choices array is kept from the last chunk.
	if allocs != 1 {
		t.Errorf("decode of a repeated chunk allocates %v times; want 1", allocs)
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
		if took := d.reused([]byte(data), &ch); took != good {
			t.Fatalf("chunk %d %s: taken = %v; want %v", i, data, took, good)
		}
	}
	if ch.ID != "d" || len(ch.Choices) != 0 {
		t.Fatalf("last chunk decoded as %+v; want id d and no choices", ch)
	}
}

// FuzzChunkDecode holds the fast path and the reused decoder, whenever they
// take an input, and decode always, to json.Unmarshal's result and error
// (checkSameDecode). The seeds are real-shaped chunks and the traps.
func FuzzChunkDecode(f *testing.F) {
	for _, data := range streamChunks(f) {
		f.Add(data)
	}
	for _, tc := range chunkTraps {
		f.Add([]byte(tc.data))
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

// BenchmarkChunkDecode compares the ways to decode one text delta as OpenAI
// sends it: json.Unmarshal into a fresh chunk, the stream's reused
// json.Decoder, and decode, which takes the fast path.
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
			ch.reset()
			if !d.reused(data, &ch) {
				b.Fatal("the reused decoder declined the chunk")
			}
		}
	})
	b.Run("fast", func(b *testing.B) {
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

// BenchmarkChunkDecodeStream decodes the chunks of a typical stream (the
// role delta, 10 text deltas, the finish and usage chunks) as a stream
// does, with a decoder of its own: allocs/op are per stream, ns/chunk per
// chunk. "reused" is decode without the fast path, as it was before.
func BenchmarkChunkDecodeStream(b *testing.B) {
	chunks := sseData(benchStream(10))
	for _, path := range []struct {
		name string
		fast bool
	}{{"reused", false}, {"fast", true}} {
		b.Run(path.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var d chunkDecoder
				var ch wireChunk
				for _, data := range chunks {
					ch.reset()
					if path.fast && d.fast(data, &ch) {
						continue
					}
					ch.reset()
					if !d.reused(data, &ch) {
						b.Fatal("the reused decoder declined a chunk")
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(chunks)), "ns/chunk")
		})
	}
}

// Real recorded OpenAI streams (text, tool calls with logprobs and usage)
// take the fast path throughout, and decode as json.Unmarshal does.
func TestChunkFastPathTakesSharedStreams(t *testing.T) {
	for _, file := range []string{
		"fixtures/openai/stream_tool_calls_logprobs_usage.sse",
		"fixtures/openai/stream_text.spec_example.unframed.txt",
	} {
		t.Run(file, func(t *testing.T) {
			body := readShared(t, file)
			chunks := sseData(body)
			if len(chunks) == 0 { // unframed: one chunk a line
				for line := range bytes.Lines(body) {
					if line = bytes.TrimSpace(line); bytes.HasPrefix(line, []byte("{")) {
						chunks = append(chunks, line)
					}
				}
			}
			if len(chunks) < 3 {
				t.Fatalf("%d chunks in %s; want a stream", len(chunks), file)
			}
			for _, data := range chunks {
				if fast, _ := checkSameDecode(t, data); !fast {
					t.Errorf("the fast path declined %s", data)
				}
			}
		})
	}
}

// A chunk that sets every field of the wire types takes the fast path and
// decodes as json.Unmarshal does. A field added to a wire type must be set
// here (the test fails while one is zero), and then fails the comparison
// until chunkfast.go decodes it rather than skipping it as unknown.
func TestChunkFastPathKnowsEveryField(t *testing.T) {
	index := 2
	answer := func(s string) wireAnswer {
		return wireAnswer{Content: s + "c", Refusal: s + "r", ToolCalls: []wireToolCall{{
			Index: &index, ID: s + "i", Type: s + "t", Function: wireFunctionCall{Name: s + "n", Arguments: s + "a"},
		}}}
	}
	full := wireChunk{
		ID: "id", Model: "m",
		Choices: []wireChoice{{Index: 1, Message: answer("m"), Delta: answer("d"), FinishReason: "f"}},
		Usage:   &wireUsage{PromptTokens: 3, CompletionTokens: 4},
		// Error stays nil: wireError decodes itself, and the fast path
		// leaves an error to encoding/json (TestChunkDecoderTakesErrors).
	}
	checkAllSet(t, "wireChunk", reflect.ValueOf(full), "wireChunk.Error")
	data, err := json.Marshal(full)
	if err != nil {
		t.Fatal(err)
	}
	if fast, _ := checkSameDecode(t, data); !fast {
		t.Errorf("the fast path declined %s", data)
	}
}

// checkAllSet fails t for each field under v left zero, but those named in
// skip.
func checkAllSet(t *testing.T, path string, v reflect.Value, skip ...string) {
	t.Helper()
	if slices.Contains(skip, path) {
		return
	}
	if v.IsZero() {
		t.Errorf("%s is zero: set it in the test's chunk", path)
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		checkAllSet(t, path, v.Elem(), skip...)
	case reflect.Slice:
		for i := range v.Len() {
			checkAllSet(t, fmt.Sprintf("%s[%d]", path, i), v.Index(i), skip...)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			checkAllSet(t, path+"."+v.Type().Field(i).Name, v.Field(i), skip...)
		}
	}
}
