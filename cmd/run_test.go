package cmd

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/llmfall/llmfall/fallback"
	"github.com/llmfall/llmfall/internal/modroot"
)

const openaiTestKey = "sk-test-SECRETKEY0123456789abcdef"

// fakeProvider is an httptest server that answers every request with one
// scripted reply and counts the requests it got.
type fakeProvider struct {
	srv   *httptest.Server
	calls atomic.Int32
	reply func(w http.ResponseWriter, r *http.Request)
}

func newFakeProvider(t *testing.T, reply func(w http.ResponseWriter, r *http.Request)) *fakeProvider {
	t.Helper()
	fp := &fakeProvider{reply: reply}
	fp.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fp.calls.Add(1)
		fp.reply(w, r)
	}))
	t.Cleanup(fp.srv.Close)
	return fp
}

// openaiRecording is the body of an OpenAI recording in testdata/wire/openai
// at the module root (status line, headers, blank line, body), the one copy
// the adapter's tests read too.
func openaiRecording(t *testing.T, name string) []byte {
	t.Helper()
	data := recording(t, "openai/"+name)
	resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(data)), nil)
	if err != nil {
		t.Fatalf("parse recording %s: %v", name, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read recording %s: %v", name, err)
	}
	return body
}

// openai401Echo is OpenAI's 401 body, which echoes the key it refused: here
// this test's key, so that a leak of it would show.
func openai401Echo() []byte {
	return []byte(`{"error":{"message":"Incorrect API key provided: ` + openaiTestKey +
		`. You can find your API key at https://platform.openai.com/account/api-keys.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}`)
}

// openai400 is a plain invalid-request 400 (one the adapter does not retry
// without a setting, as it does the reasoning models' unsupported_value).
var openai400 = []byte(`{"error":{"message":"Invalid value for 'temperature': expected a number between 0 and 2.","type":"invalid_request_error","param":"temperature","code":"invalid_value"}}`)

// recording reads a provider recording from testdata/wire at the module
// root, the one copy the adapters' tests use too.
func recording(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(modroot.Testdata(t, "wire/"+name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sseReply streams a recorded SSE body event by event, flushing each.
func sseReply(body []byte) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(200)
		for _, ev := range bytes.SplitAfter(body, []byte("\n\n")) {
			w.Write(ev)
			w.(http.Flusher).Flush()
		}
	}
}

func errorReply(status int, body []byte) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		w.Write(body)
	}
}

func garbageReply(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(200)
	w.Write([]byte("data: {this is not json\n\n"))
}

// cutAfterFirstToken sends the OpenAI stream up to its first text delta,
// then drops the connection.
func cutAfterFirstToken(t *testing.T) func(http.ResponseWriter, *http.Request) {
	events := bytes.SplitAfter(openaiRecording(t, "stream.http"), []byte("\n\n"))
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(200)
		w.Write(events[0])
		w.Write(events[1])
		w.(http.Flusher).Flush()
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
	}
}

type chain struct{ openai, anthropic, gemini *fakeProvider }

func (c chain) calls() [3]int32 {
	return [3]int32{c.openai.calls.Load(), c.anthropic.calls.Load(), c.gemini.calls.Load()}
}

// writeChainConfig writes an llmfall.yaml whose three providers are the fakes.
func writeChainConfig(t *testing.T, c chain) string {
	t.Helper()
	cfg := `providers:
  openai:    { type: openai, base_url: "` + c.openai.srv.URL + `/v1", api_key_env: TEST_OPENAI_KEY }
  anthropic: { type: anthropic, base_url: "` + c.anthropic.srv.URL + `", api_key_env: TEST_ANTHROPIC_KEY }
  gemini:    { type: gemini, base_url: "` + c.gemini.srv.URL + `", api_key_env: TEST_GEMINI_KEY }
order: [openai, anthropic, gemini]
categories:
  fast: { openai: gpt-4.1-mini, anthropic: claude-3-5-haiku-latest, gemini: gemini-2.5-flash }
timeouts: { attempt: 20s, first_token: 20s, idle: 20s, total: 60s }
`
	path := filepath.Join(t.TempDir(), "llmfall.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func testEnv(name string) string {
	return map[string]string{
		"TEST_OPENAI_KEY":    openaiTestKey,
		"TEST_ANTHROPIC_KEY": "sk-ant-test-key-0000",
		"TEST_GEMINI_KEY":    "gemini-test-key-0000",
	}[name]
}

// runCLI runs llmfall with args and returns its exit code, stdout and stderr.
func runCLI(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	f := newFactory(testIO(strings.NewReader(stdin), &out, &errb), testEnv)
	code := executeArgs(context.Background(), f, args)
	return code, out.String(), errb.String()
}

func TestRunFallback(t *testing.T) {
	type replies struct {
		openai, anthropic, gemini func(http.ResponseWriter, *http.Request)
	}
	tests := []struct {
		name      string
		replies   func(t *testing.T) replies
		args      []string
		wantCode  int
		wantOut   string // stdout must contain
		wantErr   []string
		wantCalls [3]int32
		notInOut  string
	}{
		{
			name:      "primary answers",
			replies:   func(t *testing.T) replies { return replies{sseReply(openaiRecording(t, "stream.http")), nil, nil} },
			wantOut:   "Order 1182 arrived damaged; a refund is requested.\n",
			wantCalls: [3]int32{1, 0, 0},
		},
		{
			name: "500 falls back",
			replies: func(t *testing.T) replies {
				return replies{errorReply(500, openaiRecording(t, "error_500_server_error.http")), sseReply(recording(t, "anthropic/stream_text.sse")), nil}
			},
			wantOut:   "Refund approved for order 1182.\n",
			wantErr:   []string{"attempt 1: openai/gpt-4.1-mini", "server", "attempt 2: anthropic/claude-3-5-haiku-latest", "ok"},
			wantCalls: [3]int32{1, 1, 0},
		},
		{
			name: "429 falls back",
			replies: func(t *testing.T) replies {
				return replies{errorReply(429, openaiRecording(t, "error_429_rate_limit.http")), sseReply(recording(t, "anthropic/stream_text.sse")), nil}
			},
			wantOut:   "Refund approved for order 1182.",
			wantErr:   []string{"rate_limited"},
			wantCalls: [3]int32{1, 1, 0},
		},
		{
			name: "529 then gemini",
			replies: func(t *testing.T) replies {
				return replies{errorReply(500, openaiRecording(t, "error_500_server_error.http")), errorReply(529, recording(t, "anthropic/errors/529_overloaded.json")), sseReply(recording(t, "gemini/stream.sse"))}
			},
			wantOut:   "Order 1182 arrived with a cracked screen, and the customer is asking for a full refund.\n",
			wantErr:   []string{"overloaded"},
			wantCalls: [3]int32{1, 1, 1},
		},
		{
			name: "401 falls back and the key never shows",
			replies: func(t *testing.T) replies {
				return replies{errorReply(401, openai401Echo()), sseReply(recording(t, "anthropic/stream_text.sse")), nil}
			},
			wantOut:   "Refund approved for order 1182.",
			wantErr:   []string{"auth"},
			wantCalls: [3]int32{1, 1, 0},
		},
		{
			name: "garbage falls back",
			replies: func(t *testing.T) replies {
				return replies{garbageReply, sseReply(recording(t, "anthropic/stream_text.sse")), nil}
			},
			wantOut:   "Refund approved for order 1182.",
			wantErr:   []string{"malformed"},
			wantCalls: [3]int32{1, 1, 0},
		},
		{
			name: "400 does not fall back",
			replies: func(t *testing.T) replies {
				return replies{errorReply(400, openai400), sseReply(recording(t, "anthropic/stream_text.sse")), nil}
			},
			wantCode:  ExitProviders,
			wantErr:   []string{"invalid_request", "Invalid value for 'temperature'"},
			wantCalls: [3]int32{1, 0, 0},
			notInOut:  "Anthropic",
		},
		{
			name: "stream cut after first token is not spliced",
			replies: func(t *testing.T) replies {
				return replies{cutAfterFirstToken(t), sseReply(recording(t, "anthropic/stream_text.sse")), nil}
			},
			wantCode:  ExitProviders,
			wantOut:   "Order",
			wantErr:   []string{"interrupted after 1 chunks", "never falls back after its first token"},
			wantCalls: [3]int32{1, 0, 0},
			notInOut:  "approved", // the second link's answer, never spliced on
		},
		{
			name: "all links fail",
			replies: func(t *testing.T) replies {
				return replies{errorReply(500, openaiRecording(t, "error_500_server_error.http")), errorReply(529, recording(t, "anthropic/errors/529_overloaded.json")), errorReply(503, recording(t, "gemini/errors/503_unavailable.json"))}
			},
			wantCode:  ExitProviders,
			wantErr:   []string{"openai/gpt-4.1-mini", "anthropic/claude-3-5-haiku-latest", "gemini/gemini-2.5-flash", "server", "overloaded"},
			wantCalls: [3]int32{1, 1, 1},
		},
		{
			name: "order flag switches over",
			replies: func(t *testing.T) replies {
				return replies{sseReply(openaiRecording(t, "stream.http")), sseReply(recording(t, "anthropic/stream_text.sse")), nil}
			},
			args:      []string{"--order", "anthropic,openai"},
			wantOut:   "Refund approved for order 1182.",
			wantCalls: [3]int32{0, 1, 0},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.replies(t)
			none := func(w http.ResponseWriter, r *http.Request) {
				t.Errorf("unexpected call to %s", r.URL.Path)
				w.WriteHeader(500)
			}
			for _, p := range []*func(http.ResponseWriter, *http.Request){&r.openai, &r.anthropic, &r.gemini} {
				if *p == nil {
					*p = none
				}
			}
			c := chain{newFakeProvider(t, r.openai), newFakeProvider(t, r.anthropic), newFakeProvider(t, r.gemini)}
			args := append([]string{"run", "-v", "--config", writeChainConfig(t, c)}, tc.args...)
			args = append(args, "My order 1182 arrived broken")
			code, stdout, stderr := runCLI(t, "", args...)
			if code != tc.wantCode {
				t.Errorf("exit code = %d; want %d\nstderr:\n%s", code, tc.wantCode, stderr)
			}
			if !strings.Contains(stdout, tc.wantOut) {
				t.Errorf("stdout = %q; want it to contain %q", stdout, tc.wantOut)
			}
			if tc.notInOut != "" && strings.Contains(stdout, tc.notInOut) {
				t.Errorf("stdout = %q; must not contain %q", stdout, tc.notInOut)
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr does not contain %q:\n%s", w, stderr)
				}
			}
			if got := c.calls(); got != tc.wantCalls {
				t.Errorf("calls (openai, anthropic, gemini) = %v; want %v", got, tc.wantCalls)
			}
			if strings.Contains(stdout+stderr, "SECRETKEY") || strings.Contains(stdout+stderr, "sk-ant-test-key") {
				t.Errorf("an API key leaked into the output:\n%s\n%s", stdout, stderr)
			}
		})
	}
}

func TestRunJSON(t *testing.T) {
	var c chain
	c.openai = newFakeProvider(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(503)
		w.Write([]byte(`{"error":{"message":"That model is currently overloaded with other requests.","type":"server_error","param":null,"code":null}}`))
	})
	c.anthropic = newFakeProvider(t, sseReply(recording(t, "anthropic/stream_text.sse")))
	c.gemini = newFakeProvider(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(500) })
	code, stdout, stderr := runCLI(t, "hello from stdin", "run", "--json", "--config", writeChainConfig(t, c))
	if code != 0 {
		t.Fatalf("exit code = %d; want 0\n%s", code, stderr)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatalf("stdout is not one JSON document: %v\n%s", err, stdout)
	}
	for _, k := range []string{"provider", "model", "category", "output", "finish_reason", "usage", "latency_ms", "ttft_ms", "attempts"} {
		if _, ok := doc[k]; !ok {
			t.Errorf("JSON document lacks %q: %s", k, stdout)
		}
	}
	if doc["provider"] != "anthropic" || doc["output"] != "Refund approved for order 1182." ||
		doc["finish_reason"] != "length" || doc["category"] != "fast" || doc["model"] != "claude-3-5-haiku-20241022" {
		t.Errorf("doc = %v", doc)
	}
	if u, _ := doc["usage"].(map[string]any); u["input_tokens"] != 124.0 || u["output_tokens"] != 9.0 {
		t.Errorf("usage = %v; want 124 in (24 + 100 read from the cache), 9 out", doc["usage"])
	}
	attempts, _ := doc["attempts"].([]any)
	if len(attempts) != 2 {
		t.Fatalf("attempts = %v; want 2", attempts)
	}
	first := attempts[0].(map[string]any)
	if first["outcome"] != "error" || first["error_class"] != "overloaded" || first["provider"] != "openai" {
		t.Errorf("first attempt = %v; want an overloaded error from openai", first)
	}
	for _, k := range []string{"started_ms", "duration_ms", "model", "error"} {
		if _, ok := first[k]; !ok {
			t.Errorf("attempt lacks %q: %v", k, first)
		}
	}
}

func TestRunUsageErrors(t *testing.T) {
	c := chain{
		newFakeProvider(t, func(w http.ResponseWriter, r *http.Request) { t.Error("no call expected") }),
		newFakeProvider(t, func(w http.ResponseWriter, r *http.Request) { t.Error("no call expected") }),
		newFakeProvider(t, func(w http.ResponseWriter, r *http.Request) { t.Error("no call expected") }),
	}
	cfg := writeChainConfig(t, c)
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"unknown category", []string{"run", "--config", cfg, "-c", "nope", "hi"}, `unknown category "nope"`},
		{"unknown provider in order", []string{"run", "--config", cfg, "--order", "opneai", "hi"}, "opneai"},
		{"empty stdin", []string{"run", "--config", cfg}, "no prompt given"},
		{"missing config", []string{"run", "--config", filepath.Join(t.TempDir(), "none.yaml"), "hi"}, "none.yaml"},
		{"bad flag", []string{"run", "--temperatur", "1"}, "unknown flag"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, "", tc.args...)
			if code != ExitUsage {
				t.Errorf("exit code = %d; want %d\n%s", code, ExitUsage, stderr)
			}
			if !strings.Contains(stderr, tc.wantErr) {
				t.Errorf("stderr = %q; want it to contain %q", stderr, tc.wantErr)
			}
			if strings.Count(strings.TrimSpace(stderr), "\n") > 1 {
				t.Errorf("stderr should be one line plus a hint, got:\n%s", stderr)
			}
		})
	}
}

func TestRunNoStream(t *testing.T) {
	var c chain
	c.openai = newFakeProvider(t, errorReply(500, openaiRecording(t, "error_500_server_error.http")))
	c.anthropic = newFakeProvider(t, func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		json.NewDecoder(r.Body).Decode(&body)
		if _, streamed := body["stream"]; streamed {
			t.Errorf("--no-stream sent stream: %v", body["stream"])
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"id":"msg_test_ns","type":"message","role":"assistant","model":"claude-3-5-haiku-20241022","content":[{"type":"text","text":"Whole answer."}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":9,"output_tokens":3}}`))
	})
	c.gemini = newFakeProvider(t, func(w http.ResponseWriter, r *http.Request) { t.Error("gemini called") })
	code, stdout, stderr := runCLI(t, "", "run", "--no-stream", "-v", "--config", writeChainConfig(t, c), "hi")
	if code != 0 {
		t.Fatalf("exit code = %d; want 0\n%s", code, stderr)
	}
	if stdout != "Whole answer.\n" {
		t.Errorf("stdout = %q; want %q", stdout, "Whole answer.\n")
	}
	if !strings.Contains(stderr, "attempt 1: openai/gpt-4.1-mini") || !strings.Contains(stderr, "attempt 2: anthropic/claude-3-5-haiku-latest") {
		t.Errorf("stderr lacks the attempt log:\n%s", stderr)
	}
}

// TestRunVerboseEndsAnswerLine: with -v on a terminal, where stdout and
// stderr land on one screen, the answer's line is ended before the attempt
// log, not glued to it.
func TestRunVerboseEndsAnswerLine(t *testing.T) {
	var c chain
	c.openai = newFakeProvider(t, sseReply(openaiRecording(t, "stream.http")))
	c.anthropic = newFakeProvider(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(500) })
	c.gemini = newFakeProvider(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(500) })
	var screen bytes.Buffer
	f := newFactory(newIO(strings.NewReader(""), &screen, &screen, true, true, true, false), testEnv)
	code := executeArgs(context.Background(), f, []string{"run", "-v", "--config", writeChainConfig(t, c), "hi"})
	if code != ExitOK {
		t.Fatalf("exit code = %d; want 0\n%s", code, screen.String())
	}
	if !strings.Contains(screen.String(), "Order 1182 arrived damaged; a refund is requested.\nattempt 1: openai/gpt-4.1-mini") {
		t.Errorf("the attempt log is not on a line of its own after the answer:\n%q", screen.String())
	}
	if strings.Contains(screen.String(), "\n\n") {
		t.Errorf("the answer's line was ended twice:\n%q", screen.String())
	}
}

// TestRunHintWithVerbose: the hint "-v shows each attempt" is for runs
// without -v; with it the attempts are on screen already.
func TestRunHintWithVerbose(t *testing.T) {
	var c chain
	fail := func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(500) }
	c.openai, c.anthropic, c.gemini = newFakeProvider(t, fail), newFakeProvider(t, fail), newFakeProvider(t, fail)
	config := writeChainConfig(t, c)
	for _, tc := range []struct {
		args     []string
		wantHint bool
	}{
		{[]string{"run", "--config", config, "hi"}, true},
		{[]string{"run", "-v", "--config", config, "hi"}, false},
	} {
		code, _, stderr := runCLI(t, "", tc.args...)
		if code != ExitProviders || strings.Contains(stderr, "-v shows each attempt") != tc.wantHint {
			t.Errorf("%v: exit code %d, stderr:\n%s\nwant exit 3 and the -v hint %v", tc.args, code, stderr, tc.wantHint)
		}
	}
}

func TestPrintAttemptMalformedEvents(t *testing.T) {
	var b strings.Builder
	printAttempt(&b, 1, fallback.Attempt{Target: fallback.Target{Provider: "openai", Model: "gpt-4.1-mini"},
		Outcome: fallback.OutcomeOK, Duration: 412 * time.Millisecond, TTFT: 90 * time.Millisecond, MalformedEvents: 2})
	want := "attempt 1: openai/gpt-4.1-mini                      ok           412ms  first token after 90ms  (2 malformed events skipped)\n"
	if got := b.String(); got != want {
		t.Errorf("printAttempt() = %q; want %q", got, want)
	}
}

// TestRunStreamBufferFallsBackInsideTheWindow: with stream_buffer: whole a
// stream cut after its first token falls back to the next link, the caller
// gets the second link's whole answer only, and -v shows what was thrown
// away.
func TestRunStreamBufferFallsBackInsideTheWindow(t *testing.T) {
	c := chain{newFakeProvider(t, cutAfterFirstToken(t)), newFakeProvider(t, sseReply(recording(t, "anthropic/stream_text.sse"))),
		newFakeProvider(t, func(w http.ResponseWriter, r *http.Request) { t.Error("gemini called"); w.WriteHeader(500) })}
	path := writeChainConfig(t, c)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	data = []byte(strings.Replace(string(data), "gemini: gemini-2.5-flash }", "gemini: gemini-2.5-flash, stream_buffer: whole }", 1))
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCLI(t, "", "run", "-v", "--config", path, "My order 1182 arrived broken")
	if code != ExitOK {
		t.Fatalf("exit code = %d; want 0\nstderr:\n%s", code, stderr)
	}
	// Exactly the second link's answer (text, then its tool call): nothing
	// of openai's cut stream ("Order") spliced in front.
	if want := "Refund approved for order 1182.\ntool call toolu_01Hq2: issue_refund {\"order\":1182}\n"; stdout != want {
		t.Errorf("stdout = %q; want only the second link's answer %q", stdout, want)
	}
	if !strings.Contains(stderr, "attempt 1: openai/gpt-4.1-mini") || !strings.Contains(stderr, "(discarded 1 chunks") {
		t.Errorf("stderr = %q; want openai's attempt with what was discarded", stderr)
	}
}
