package serve_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/llmfall/llmfall/fallback"
	"github.com/llmfall/llmfall/provider"
	"github.com/llmfall/llmfall/provider/anthropic"
	"github.com/llmfall/llmfall/provider/openai"
	"github.com/llmfall/llmfall/provider/wiretest"
	"github.com/llmfall/llmfall/serve"

	"github.com/llmfall/llmfall/clock"
)

const clientKey = "client-key-1"

// gateway is a serve.Server over real adapters talking to fake upstreams.
type gateway struct {
	*httptest.Server
	eng     *fallback.Engine
	metrics *serve.Metrics
	srv     *serve.Server
}

// links: "openai" and "anthropic" at the given base URLs (either may be
// ""), in the category fast, openai first.
type links struct {
	openai, anthropic string
	timeouts          fallback.Timeouts
	adjust            func(*serve.Config)
	// clock drives the engine's timers; nil means the wall clock.
	clock clock.Clock
}

func newGateway(t *testing.T, l links) *gateway {
	t.Helper()
	providers := map[string]provider.Provider{}
	models := map[string]string{}
	var order []string
	if l.openai != "" {
		providers["openai"] = openai.New(openai.Config{BaseURL: l.openai + "/v1", APIKey: "sk-upstream"})
		models["openai"] = "gpt-4.1-mini"
		order = append(order, "openai")
	}
	if l.anthropic != "" {
		providers["anthropic"] = anthropic.New(anthropic.Config{BaseURL: l.anthropic, APIKey: "sk-ant-upstream"})
		models["anthropic"] = "claude-3-5-haiku-latest"
		order = append(order, "anthropic")
	}
	m := serve.NewMetrics()
	eng, err := fallback.New(fallback.Config{
		Order:      order,
		Categories: []fallback.Category{{Name: "fast", Models: models}},
		Timeouts:   l.timeouts,
		OnAttempt:  m.OnAttempt,
		Clock:      l.clock,
	}, providers)
	if err != nil {
		t.Fatal(err)
	}
	cfg := serve.Config{Engine: eng, Keys: []string{"other-key", clientKey}, AdminKeys: []string{"admin-key"}, Metrics: m,
		Clock: clock.NewFake(time.Unix(1700000000, 0))}
	if l.adjust != nil {
		l.adjust(&cfg)
	}
	srv, err := serve.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	return &gateway{Server: hs, eng: eng, metrics: m, srv: srv}
}

// post sends a chat request with the client key.
func (g *gateway) post(t *testing.T, body string) *http.Response {
	t.Helper()
	return g.do(t, "POST", "/v1/chat/completions", clientKey, body)
}

// postBody posts a chat request whose length is declared (Content-Length)
// or not (the body sent chunked).
func (g *gateway) postBody(t *testing.T, body string, declared bool) *http.Response {
	t.Helper()
	var r io.Reader = strings.NewReader(body)
	if !declared {
		r = io.MultiReader(r) // hides the length
	}
	req, _ := http.NewRequest("POST", g.URL+"/v1/chat/completions", r)
	req.Header.Set("Authorization", "Bearer "+clientKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func (g *gateway) do(t *testing.T, method, path, key, body string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, g.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func readAll(t *testing.T, r io.Reader) string {
	t.Helper()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// apiErr is OpenAI's error body.
type apiErr struct {
	Error struct {
		Message string  `json:"message"`
		Type    string  `json:"type"`
		Param   *string `json:"param"`
		Code    *string `json:"code"`
	} `json:"error"`
}

func decodeErr(t *testing.T, resp *http.Response) apiErr {
	t.Helper()
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("error Content-Type = %q; want application/json", ct)
	}
	var e apiErr
	body := readAll(t, resp.Body)
	if err := json.Unmarshal([]byte(body), &e); err != nil || e.Error.Message == "" || e.Error.Type == "" {
		t.Fatalf("error body %s is not OpenAI's {\"error\":{message,type,param,code}} (%v)", body, err)
	}
	return e
}

func code(e apiErr) string {
	if e.Error.Code == nil {
		return ""
	}
	return *e.Error.Code
}

// event is one server-sent event.
type event struct{ name, data string }

// readEvents reads a whole event stream.
func readEvents(t *testing.T, r io.Reader) []event {
	t.Helper()
	var out []event
	var cur event
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if cur.data != "" || cur.name != "" {
				out = append(out, cur)
			}
			cur = event{}
		case strings.HasPrefix(line, "event: "):
			cur.name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			cur.data = strings.TrimPrefix(line, "data: ")
		default:
			t.Errorf("unexpected event-stream line %q", line)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if cur.data != "" {
		t.Errorf("event stream ends in the middle of an event: %q", cur.data)
	}
	return out
}

// chunk is the part of a chat.completion.chunk the tests check.
type chunk struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Model   string `json:"model"`
	Choices []struct {
		Delta struct {
			Role      string `json:"role"`
			Content   string `json:"content"`
			ToolCalls []struct {
				Index    int    `json:"index"`
				ID       string `json:"id"`
				Type     string `json:"type"`
				Function struct {
					Name      string `json:"name"`
					Arguments string `json:"arguments"`
				} `json:"function"`
			} `json:"tool_calls"`
		} `json:"delta"`
		FinishReason *string `json:"finish_reason"`
	} `json:"choices"`
	Usage *struct {
		PromptTokens     int `json:"prompt_tokens"`
		CompletionTokens int `json:"completion_tokens"`
		TotalTokens      int `json:"total_tokens"`
	} `json:"usage"`
}

func decodeChunks(t *testing.T, evs []event) []chunk {
	t.Helper()
	var out []chunk
	for _, ev := range evs {
		if ev.name != "" || ev.data == "[DONE]" {
			continue
		}
		var c chunk
		if err := json.Unmarshal([]byte(ev.data), &c); err != nil {
			t.Fatalf("chunk %s: %v", ev.data, err)
		}
		if c.Object != "chat.completion.chunk" {
			t.Errorf("chunk object = %q; want chat.completion.chunk", c.Object)
		}
		out = append(out, c)
	}
	return out
}

const hello = `{"model":"fast","messages":[{"role":"user","content":"Say hello"}]}`

func helloStream(extra string) string {
	return `{"model":"fast","stream":true` + extra + `,"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Say hello"}]}`
}

func TestCompleteNamesTheLinkThatAnswered(t *testing.T) {
	oa := wiretest.NewServer(t, wiretest.OpenAI, wiretest.Overloaded(wiretest.KindOpenAI))
	an := wiretest.NewServer(t, wiretest.Anthropic, wiretest.TextAnswer(wiretest.KindAnthropic, false, "Hello!"))
	g := newGateway(t, links{openai: oa.URL, anthropic: an.URL})

	resp := g.post(t, hello)
	body := readAll(t, resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	if got := resp.Header.Get("X-Llmfall-Provider"); got != "anthropic" {
		t.Errorf("x-llmfall-provider = %q; want anthropic", got)
	}
	if got := resp.Header.Get("X-Llmfall-Model"); got != "anthropic/claude-3-5-haiku-latest" {
		t.Errorf("x-llmfall-model = %q", got)
	}
	if got := resp.Header.Get("X-Llmfall-Attempts"); got != "2" {
		t.Errorf("x-llmfall-attempts = %q; want 2", got)
	}
	var c struct {
		ID      string `json:"id"`
		Object  string `json:"object"`
		Created int64  `json:"created"`
		Model   string `json:"model"`
		Choices []struct {
			Index   int `json:"index"`
			Message struct {
				Role    string `json:"role"`
				Content string `json:"content"`
			} `json:"message"`
			FinishReason string `json:"finish_reason"`
		} `json:"choices"`
		Usage struct {
			PromptTokens, CompletionTokens, TotalTokens int
		} `json:"usage"`
	}
	if err := json.Unmarshal([]byte(body), &c); err != nil {
		t.Fatal(err)
	}
	// The model is the one that answered (Anthropic's dated snapshot), not
	// the category asked for.
	if c.Model != "claude-3-5-haiku-20241022" || c.Object != "chat.completion" || c.Created != 1700000000 ||
		!strings.HasPrefix(c.ID, "chatcmpl-") || len(c.Choices) != 1 || c.Choices[0].Message.Role != "assistant" ||
		c.Choices[0].Message.Content != "Hello!" || c.Choices[0].FinishReason != "stop" {
		t.Errorf("completion = %s", body)
	}
	// The system prompt, as OpenAI clients send it, reached Anthropic.
	if got := oa.Body(t, 0)["messages"]; fmt.Sprint(got) != "[map[content:Say hello role:user]]" {
		t.Errorf("upstream messages = %v", got)
	}
}

func TestStreamNamesTheLinkAndEndsWithDone(t *testing.T) {
	oa := wiretest.NewServer(t, wiretest.OpenAI, wiretest.TextAnswer(wiretest.KindOpenAI, true, "Hello there"))
	g := newGateway(t, links{openai: oa.URL})

	resp := g.post(t, helloStream(`,"stream_options":{"include_usage":true}`))
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, readAll(t, resp.Body))
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Errorf("Content-Type = %q", ct)
	}
	if resp.Header.Get("X-Llmfall-Provider") != "openai" || resp.Header.Get("X-Llmfall-Attempts") != "1" {
		t.Errorf("headers = %v", resp.Header)
	}
	evs := readEvents(t, resp.Body)
	if len(evs) == 0 || evs[len(evs)-1].data != "[DONE]" {
		t.Fatalf("stream does not end with [DONE]: %v", evs)
	}
	cs := decodeChunks(t, evs)
	if len(cs) != 3 {
		t.Fatalf("got %d chunks; want text, finish, usage: %v", len(cs), evs)
	}
	for _, c := range cs {
		if c.Model != "gpt-4.1-mini" || c.ID != cs[0].ID {
			t.Errorf("chunk model/id = %q/%q; want gpt-4.1-mini and one id", c.Model, c.ID)
		}
	}
	if d := cs[0].Choices[0].Delta; d.Role != "assistant" || d.Content != "Hello there" || cs[0].Choices[0].FinishReason != nil {
		t.Errorf("first chunk = %+v", cs[0])
	}
	if fr := cs[1].Choices[0].FinishReason; fr == nil || *fr != "stop" {
		t.Errorf("finish chunk = %+v", cs[1])
	}
	if len(cs[2].Choices) != 0 || cs[2].Usage == nil {
		t.Errorf("usage chunk = %s", evs[2].data)
	}
	if got := oa.Body(t, 0)["messages"]; fmt.Sprint(got) != "[map[content:Be brief. role:system] map[content:Say hello role:user]]" {
		t.Errorf("upstream messages = %v", got)
	}
}

func TestStreamWithoutIncludeUsageHasNoUsageChunk(t *testing.T) {
	oa := wiretest.NewServer(t, wiretest.OpenAI, wiretest.TextAnswer(wiretest.KindOpenAI, true, "Hi"))
	g := newGateway(t, links{openai: oa.URL})
	resp := g.post(t, helloStream(""))
	cs := decodeChunks(t, readEvents(t, resp.Body))
	for _, c := range cs {
		if c.Usage != nil {
			t.Errorf("usage chunk without stream_options.include_usage: %+v", c)
		}
	}
}

// toolRequest offers a tool, forces a JSON schema answer format and sends
// an image, as an OpenAI SDK writes them.
const toolRequest = `{"model":"openai/gpt-4.1-mini","stream":%t,
 "messages":[{"role":"user","content":[{"type":"text","text":"Weather in Paris and Rome?"},
   {"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo=","detail":"low"}}]}],
 "tools":[{"type":"function","function":{"name":"get_weather","description":"Weather of a city",
   "parameters":{"type":"object","properties":{"city":{"type":"string"},"units":{"type":"string"}},"required":["city"]}}}],
 "tool_choice":"auto","parallel_tool_calls":true,"max_completion_tokens":300,"temperature":0,"stop":"END",
 "response_format":{"type":"json_schema","json_schema":{"name":"weather","strict":true,"schema":{"type":"object","properties":{"ok":{"type":"boolean"}},"required":["ok"],"additionalProperties":false}}}}`

func TestToolsImagesAndResponseFormat(t *testing.T) {
	for _, stream := range []bool{false, true} {
		t.Run(fmt.Sprintf("stream=%t", stream), func(t *testing.T) {
			oa := wiretest.NewServer(t, wiretest.OpenAI, wiretest.ToolCallAnswer(wiretest.KindOpenAI, stream))
			g := newGateway(t, links{openai: oa.URL})
			resp := g.post(t, fmt.Sprintf(toolRequest, stream))
			if resp.StatusCode != 200 {
				t.Fatalf("status %d: %s", resp.StatusCode, readAll(t, resp.Body))
			}
			// The upstream (a strict fake of OpenAI) got the tool, the image,
			// the format and the sampling settings.
			up := oa.Body(t, 0)
			b, _ := json.Marshal(up)
			for _, want := range []string{`"name":"get_weather"`, `"url":"data:image/png;base64,iVBORw0KGgo="`, `"tool_choice":"auto"`,
				`"type":"json_schema"`, `"strict":true`, `"stop":["END"]`, `"temperature":0`, `"max_tokens":300`} {
				if !strings.Contains(string(b), want) {
					t.Errorf("upstream body lacks %s: %s", want, b)
				}
			}
			if !stream {
				var c struct {
					Choices []struct {
						Message struct {
							Content   string `json:"content"`
							ToolCalls []struct {
								ID, Type string
								Function struct{ Name, Arguments string }
							} `json:"tool_calls"`
						} `json:"message"`
						FinishReason string `json:"finish_reason"`
					} `json:"choices"`
				}
				if err := json.NewDecoder(resp.Body).Decode(&c); err != nil {
					t.Fatal(err)
				}
				m := c.Choices[0].Message
				if c.Choices[0].FinishReason != "tool_calls" || len(m.ToolCalls) != 2 || m.ToolCalls[0].ID != "call_Pa1s9xQ" ||
					m.ToolCalls[0].Type != "function" || m.ToolCalls[1].Function.Arguments != `{"city":"Rome","units":"celsius"}` {
					t.Errorf("completion = %+v", c)
				}
				return
			}
			cs := decodeChunks(t, readEvents(t, resp.Body))
			args := map[int]string{}
			ids := map[int]string{}
			var finish string
			for _, c := range cs {
				for _, ch := range c.Choices {
					for _, tc := range ch.Delta.ToolCalls {
						args[tc.Index] += tc.Function.Arguments
						if tc.ID != "" {
							ids[tc.Index] = tc.ID
						}
					}
					if ch.FinishReason != nil {
						finish = *ch.FinishReason
					}
				}
			}
			if finish != "tool_calls" || ids[0] != "call_Pa1s9xQ" || ids[1] != "call_R0me7kT" ||
				args[0] != `{"city":"Paris"}` || args[1] != `{"city":"Rome","units":"celsius"}` {
				t.Errorf("streamed calls: finish %q ids %v args %v", finish, ids, args)
			}
		})
	}
}

func TestToolResultsConversation(t *testing.T) {
	oa := wiretest.NewServer(t, wiretest.OpenAI, wiretest.TextAnswer(wiretest.KindOpenAI, false, "Sunny in Paris."))
	g := newGateway(t, links{openai: oa.URL})
	resp := g.post(t, `{"model":"fast","messages":[
		{"role":"developer","content":"Use tools."},
		{"role":"user","content":"Weather in Paris?"},
		{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},
		{"role":"tool","tool_call_id":"call_1","content":"sunny"}],
		"tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}],
		"tool_choice":{"type":"function","function":{"name":"get_weather"}}}`)
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, readAll(t, resp.Body))
	}
	b, _ := json.Marshal(oa.Body(t, 0))
	for _, want := range []string{`"role":"system"`, `"tool_call_id":"call_1"`, `"arguments":"{\"city\":\"Paris\"}"`, `"function":{"name":"get_weather"},"type":"function"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("upstream body lacks %s: %s", want, b)
		}
	}
}

func TestCutStreamEndsWithInBandError(t *testing.T) {
	// The upstream sends one delta and then closes the connection: no
	// finish_reason, no [DONE].
	cut := wiretest.SSE(`data: {"id":"c1","model":"gpt-4.1-mini","choices":[{"index":0,"delta":{"content":"Hel"},"finish_reason":null}]}` + "\n\n")
	oa := wiretest.NewServer(t, wiretest.OpenAI, cut)
	an := wiretest.NewServer(t, wiretest.Anthropic) // must not be called: the answer has begun
	g := newGateway(t, links{openai: oa.URL, anthropic: an.URL})

	resp := g.post(t, helloStream(""))
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	evs := readEvents(t, resp.Body)
	if len(evs) != 2 {
		t.Fatalf("events = %v; want the delta and an error", evs)
	}
	if evs[0].data == "" || !strings.Contains(evs[0].data, `"content":"Hel"`) {
		t.Errorf("first event = %+v", evs[0])
	}
	last := evs[len(evs)-1]
	var e apiErr
	if last.name != "error" || json.Unmarshal([]byte(last.data), &e) != nil || e.Error.Message == "" {
		t.Fatalf("last event = %+v; want an error event with OpenAI's error object", last)
	}
	if !strings.Contains(e.Error.Message, "interrupted") || e.Error.Type != "server_error" {
		t.Errorf("error = %+v", e.Error)
	}
	for _, ev := range evs {
		if ev.data == "[DONE]" {
			t.Error("a cut stream ends with [DONE], as if whole")
		}
	}
}

// silent is an upstream that accepts the connection and never answers,
// until the caller gives up.
func silent(t *testing.T) *httptest.Server {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Reading the body lets the server notice the client leaving.
		io.Copy(io.Discard, r.Body)
		<-r.Context().Done()
	}))
	t.Cleanup(s.Close)
	return s
}

func TestSilentUpstreamFailsOverAfterFirstTokenTimeout(t *testing.T) {
	for _, stream := range []bool{true, false} {
		t.Run(fmt.Sprintf("stream=%t", stream), func(t *testing.T) {
			an := wiretest.NewServer(t, wiretest.Anthropic, wiretest.TextAnswer(wiretest.KindAnthropic, stream, "Hello!"))
			// The silent link never answers: the engine's first-token or
			// attempt timer ends it, on a fake clock moved once the first
			// timer is armed, so the second link's own timers (armed after
			// the move) never fire however slow the machine is.
			clk := clock.NewFake(time.Unix(1700000000, 0))
			go func() {
				clk.WaitTimers(1)
				clk.Advance(15 * time.Second)
			}()
			g := newGateway(t, links{openai: silent(t).URL, anthropic: an.URL, clock: clk,
				timeouts: fallback.Timeouts{FirstToken: 15 * time.Second, Attempt: 15 * time.Second}})
			body := hello
			if stream {
				body = helloStream("")
			}
			resp := g.post(t, body)
			text := readAll(t, resp.Body)
			if resp.StatusCode != 200 || resp.Header.Get("X-Llmfall-Provider") != "anthropic" || resp.Header.Get("X-Llmfall-Attempts") != "2" {
				t.Fatalf("status %d, headers %v: %s", resp.StatusCode, resp.Header, text)
			}
			if !strings.Contains(text, "claude-3-5-haiku-20241022") || !strings.Contains(text, "Hello!") {
				t.Errorf("answer = %s", text)
			}
			metrics := readAll(t, g.do(t, "GET", "/metrics", "", "").Body)
			want := `llmfall_attempts_total{error_class="timeout",model="gpt-4.1-mini",outcome="timeout",provider="openai"} 1`
			if !strings.Contains(metrics, want) {
				t.Errorf("metrics lack %s", want)
			}
		})
	}
}

func TestContentFilterIsPassedThrough(t *testing.T) {
	refusal := wiretest.Response{Status: 400, ContentType: "application/json",
		Body: `{"error":{"message":"Your request was rejected as a result of our safety system.","type":"invalid_request_error","param":null,"code":"content_policy_violation"}}`}
	for _, stream := range []bool{false, true} {
		t.Run(fmt.Sprintf("stream=%t", stream), func(t *testing.T) {
			oa := wiretest.NewServer(t, wiretest.OpenAI, refusal)
			an := wiretest.NewServer(t, wiretest.Anthropic) // not routed around
			g := newGateway(t, links{openai: oa.URL, anthropic: an.URL})
			body := hello
			if stream {
				body = helloStream("")
			}
			resp := g.post(t, body)
			if resp.StatusCode != 400 {
				t.Fatalf("status %d; want 400", resp.StatusCode)
			}
			e := decodeErr(t, resp)
			if code(e) != "content_policy_violation" || e.Error.Type != "invalid_request_error" ||
				!strings.Contains(e.Error.Message, "safety system") {
				t.Errorf("error = %+v", e.Error)
			}
		})
	}
}

// rateLimited answers every call with OpenAI's 429 and a Retry-After.
func rateLimited(t *testing.T) *httptest.Server {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Retry-After", "7")
		w.WriteHeader(429)
		io.WriteString(w, `{"error":{"message":"Rate limit reached for gpt-4.1-mini","type":"requests","param":null,"code":"rate_limit_exceeded"}}`)
	}))
	t.Cleanup(s.Close)
	return s
}

func TestRateLimitStays429WithRetryAfter(t *testing.T) {
	for _, stream := range []bool{false, true} {
		t.Run(fmt.Sprintf("stream=%t", stream), func(t *testing.T) {
			g := newGateway(t, links{openai: rateLimited(t).URL})
			resp := g.post(t, fmt.Sprintf(`{"model":"openai/gpt-4.1-mini","stream":%t,"messages":[{"role":"user","content":"hi"}]}`, stream))
			if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "7" {
				t.Fatalf("status %d, Retry-After %q; want 429 and 7", resp.StatusCode, resp.Header.Get("Retry-After"))
			}
			if e := decodeErr(t, resp); code(e) != "rate_limit_exceeded" || !strings.Contains(e.Error.Message, "Rate limit reached") {
				t.Errorf("error = %+v", e.Error)
			}
		})
	}
}

func TestMixedFailuresAre502(t *testing.T) {
	oa := wiretest.NewServer(t, wiretest.OpenAI, wiretest.Overloaded(wiretest.KindOpenAI))
	g := newGateway(t, links{openai: oa.URL, anthropic: rateLimited(t).URL})
	resp := g.post(t, hello)
	if resp.StatusCode != 502 {
		t.Fatalf("status %d; want 502", resp.StatusCode)
	}
	if e := decodeErr(t, resp); code(e) != "upstream_error" || !strings.Contains(e.Error.Message, "all 2 attempts failed") {
		t.Errorf("error = %+v", e.Error)
	}
	if resp.Header.Get("X-Llmfall-Attempts") != "2" {
		t.Errorf("x-llmfall-attempts = %q", resp.Header.Get("X-Llmfall-Attempts"))
	}
}

func TestUnknownModelIs404(t *testing.T) {
	oa := wiretest.NewServer(t, wiretest.OpenAI) // never called
	g := newGateway(t, links{openai: oa.URL})
	for _, model := range []string{"gpt-5", "openai/gpt-4.1", "nope/gpt-4.1-mini"} {
		resp := g.post(t, `{"model":"`+model+`","messages":[{"role":"user","content":"hi"}]}`)
		if resp.StatusCode != 404 {
			t.Fatalf("%s: status %d; want 404", model, resp.StatusCode)
		}
		e := decodeErr(t, resp)
		if code(e) != "model_not_found" || e.Error.Param == nil || *e.Error.Param != "model" || e.Error.Type != "invalid_request_error" {
			t.Errorf("%s: error = %+v", model, e.Error)
		}
	}
}

func TestBadRequestsAre400WithParam(t *testing.T) {
	g := newGateway(t, links{openai: wiretest.NewServer(t, wiretest.OpenAI).URL})
	tests := []struct{ body, param string }{
		{`{"model":"fast","messages":[]}`, "messages"},
		{`{"messages":[{"role":"user","content":"hi"}]}`, "model"},
		{`{"model":"fast","n":2,"messages":[{"role":"user","content":"hi"}]}`, "n"},
		{`{"model":"fast","messages":[{"role":"wizard","content":"hi"}]}`, "messages[0].role"},
		{`{"model":"fast","messages":[{"role":"user","content":[{"type":"input_audio"}]}]}`, "messages[0].content[0].type"},
		{`{"model":"fast","messages":[{"role":"user","content":"hi"}],"tool_choice":"sometimes"}`, "tool_choice"},
		{`{"model":"fast","messages":[{"role":"user","content":"hi"}],"response_format":{"type":"yaml"}}`, "response_format.type"},
	}
	for _, tc := range tests {
		resp := g.post(t, tc.body)
		if resp.StatusCode != 400 {
			t.Errorf("%s: status %d; want 400", tc.body, resp.StatusCode)
			continue
		}
		if e := decodeErr(t, resp); e.Error.Param == nil || *e.Error.Param != tc.param {
			t.Errorf("%s: error = %+v; want param %s", tc.body, e.Error, tc.param)
		}
	}
	if resp := g.post(t, `{"model":`); resp.StatusCode != 400 {
		t.Errorf("broken JSON: status %d; want 400", resp.StatusCode)
	}
}

func TestKeys(t *testing.T) {
	oa := wiretest.NewServer(t, wiretest.OpenAI, wiretest.TextAnswer(wiretest.KindOpenAI, false, "hi"))
	g := newGateway(t, links{openai: oa.URL})
	for _, key := range []string{"", "client-key-2", "client-key-1x", "admin-key"} {
		for _, path := range []string{"/v1/chat/completions", "/v1/models"} {
			method := "POST"
			if path == "/v1/models" {
				method = "GET"
			}
			resp := g.do(t, method, path, key, hello)
			if resp.StatusCode != 401 {
				t.Fatalf("key %q %s: status %d; want 401", key, path, resp.StatusCode)
			}
			if e := decodeErr(t, resp); code(e) != "invalid_api_key" {
				t.Errorf("error = %+v", e.Error)
			}
		}
	}
	if n := len(oa.Bodies()); n != 0 {
		t.Fatalf("%d provider calls without a valid key", n)
	}
	// The second of two keys works.
	if resp := g.post(t, hello); resp.StatusCode != 200 {
		t.Errorf("valid key: status %d", resp.StatusCode)
	}
	// Health and metrics need no key: probes and scrapers have none.
	for _, path := range []string{"/healthz", "/readyz", "/metrics"} {
		if resp := g.do(t, "GET", path, "", ""); resp.StatusCode != 200 {
			t.Errorf("%s: status %d", path, resp.StatusCode)
		}
	}
}

func TestModels(t *testing.T) {
	g := newGateway(t, links{openai: "http://127.0.0.1:1", anthropic: "http://127.0.0.1:1"})
	resp := g.do(t, "GET", "/v1/models", clientKey, "")
	var list struct {
		Object string                                 `json:"object"`
		Data   []struct{ ID, Object, OwnedBy string } `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, m := range list.Data {
		ids = append(ids, m.ID)
	}
	if list.Object != "list" || fmt.Sprint(ids) != "[fast openai/gpt-4.1-mini anthropic/claude-3-5-haiku-latest]" {
		t.Errorf("models = %+v", list)
	}
}

func TestBodyLimitIs413(t *testing.T) {
	oa := wiretest.NewServer(t, wiretest.OpenAI) // never called
	g := newGateway(t, links{openai: oa.URL, adjust: func(c *serve.Config) { c.MaxBodyBytes = 100 }})
	resp := g.post(t, `{"model":"fast","messages":[{"role":"user","content":"`+strings.Repeat("x", 200)+`"}]}`)
	if resp.StatusCode != 413 {
		t.Fatalf("status %d; want 413", resp.StatusCode)
	}
	if e := decodeErr(t, resp); code(e) != "request_too_large" || !strings.Contains(e.Error.Message, "serve.max_body_bytes") {
		t.Errorf("error = %+v", e.Error)
	}
}

// TestBodyLimitBoundary: a body of exactly serve.max_body_bytes is read,
// one byte more is a 413, whether the client declares the length
// (Content-Length, refused before reading) or streams the body chunked.
func TestBodyLimitBoundary(t *testing.T) {
	const body = `{"model":"no-such-model","messages":[{"role":"user","content":"x"}]}` // 404 once read
	for _, declared := range []bool{true, false} {
		for _, limit := range []int64{int64(len(body)), int64(len(body)) - 1} {
			oa := wiretest.NewServer(t, wiretest.OpenAI) // never called
			g := newGateway(t, links{openai: oa.URL, adjust: func(c *serve.Config) { c.MaxBodyBytes = limit }})
			resp := g.postBody(t, body, declared)
			want := http.StatusNotFound
			if limit < int64(len(body)) {
				want = http.StatusRequestEntityTooLarge
			}
			if resp.StatusCode != want {
				t.Errorf("declared=%t, limit %d for a body of %d: status %d; want %d", declared, limit, len(body), resp.StatusCode, want)
			}
			resp.Body.Close()
		}
	}
}

// held is an upstream that streams one delta and then waits for release.
func held(t *testing.T, release <-chan struct{}) *httptest.Server {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, `data: {"id":"c1","model":"gpt-4.1-mini","choices":[{"index":0,"delta":{"content":"Hel"},"finish_reason":null}]}`+"\n\n")
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
			return
		}
		io.WriteString(w, `data: {"id":"c1","model":"gpt-4.1-mini","choices":[{"index":0,"delta":{"content":"lo"},"finish_reason":"stop"}]}`+"\n\ndata: [DONE]\n\n")
	}))
	t.Cleanup(s.Close)
	return s
}

func TestConcurrencyLimitIs429(t *testing.T) {
	release := make(chan struct{})
	g := newGateway(t, links{openai: held(t, release).URL, adjust: func(c *serve.Config) { c.MaxConcurrent = 1 }})
	first := g.post(t, helloStream(""))
	if first.StatusCode != 200 { // its headers are out: it holds the slot
		t.Fatalf("first: status %d", first.StatusCode)
	}
	second := g.post(t, hello)
	if second.StatusCode != 429 || second.Header.Get("Retry-After") != "1" {
		t.Fatalf("second: status %d, Retry-After %q; want 429 and 1", second.StatusCode, second.Header.Get("Retry-After"))
	}
	if e := decodeErr(t, second); code(e) != "gateway_busy" {
		t.Errorf("error = %+v", e.Error)
	}
	close(release)
	evs := readEvents(t, first.Body)
	if evs[len(evs)-1].data != "[DONE]" {
		t.Errorf("first stream = %v", evs)
	}
}

func TestAdminOrder(t *testing.T) {
	oa := wiretest.NewServer(t, wiretest.OpenAI) // switched away from: never called
	an := wiretest.NewServer(t, wiretest.Anthropic, wiretest.TextAnswer(wiretest.KindAnthropic, false, "Hi"))
	g := newGateway(t, links{openai: oa.URL, anthropic: an.URL})
	order := `{"category":"fast","order":["anthropic","openai"]}`
	if resp := g.do(t, "POST", "/admin/order", clientKey, order); resp.StatusCode != 401 {
		t.Fatalf("client key on admin: status %d; want 401", resp.StatusCode)
	}
	if resp := g.do(t, "POST", "/admin/order", "admin-key", `{"category":"fast","order":["azure"]}`); resp.StatusCode != 400 {
		t.Errorf("unknown provider: status %d; want 400", resp.StatusCode)
	}
	resp := g.do(t, "POST", "/admin/order", "admin-key", order)
	if body := readAll(t, resp.Body); resp.StatusCode != 200 || !strings.Contains(body, `"fast":["anthropic/claude-3-5-haiku-latest","openai/gpt-4.1-mini"]`) {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	if resp := g.post(t, hello); resp.Header.Get("X-Llmfall-Provider") != "anthropic" {
		t.Errorf("after the switchover: provider %q", resp.Header.Get("X-Llmfall-Provider"))
	}
}

func TestAdminOffWithoutAdminKeys(t *testing.T) {
	g := newGateway(t, links{openai: "http://127.0.0.1:1", adjust: func(c *serve.Config) { c.AdminKeys = nil }})
	if resp := g.do(t, "POST", "/admin/order", "", `{"order":[]}`); resp.StatusCode != 404 {
		t.Errorf("status %d; want 404", resp.StatusCode)
	}
}

func TestOpenWithoutKeys(t *testing.T) {
	oa := wiretest.NewServer(t, wiretest.OpenAI, wiretest.TextAnswer(wiretest.KindOpenAI, false, "hi"))
	g := newGateway(t, links{openai: oa.URL, adjust: func(c *serve.Config) { c.Keys = nil }})
	if resp := g.do(t, "POST", "/v1/chat/completions", "", hello); resp.StatusCode != 200 {
		t.Errorf("status %d; want 200", resp.StatusCode)
	}
}

func TestMetrics(t *testing.T) {
	oa := wiretest.NewServer(t, wiretest.OpenAI, wiretest.Overloaded(wiretest.KindOpenAI))
	an := wiretest.NewServer(t, wiretest.Anthropic, wiretest.TextAnswer(wiretest.KindAnthropic, true, "Hi"))
	g := newGateway(t, links{openai: oa.URL, anthropic: an.URL})
	readAll(t, g.post(t, helloStream("")).Body)
	g.post(t, `{"model":"gpt-5","messages":[{"role":"user","content":"hi"}]}`)
	resp := g.do(t, "GET", "/metrics", "", "")
	body := readAll(t, resp.Body)
	for _, want := range []string{
		`llmfall_requests_total{code="200",model="fast",stream="true"} 1`,
		`llmfall_requests_total{code="404",model="unknown",stream="false"} 1`,
		`llmfall_attempts_total{error_class="overloaded",model="gpt-4.1-mini",outcome="error",provider="openai"} 1`,
		`llmfall_attempts_total{error_class="",model="claude-3-5-haiku-latest",outcome="ok",provider="anthropic"} 1`,
		`llmfall_attempt_time_to_first_token_seconds_count{model="claude-3-5-haiku-latest",provider="anthropic"} 1`,
		`llmfall_time_to_first_token_seconds_count{model="fast"} 1`,
		`llmfall_request_duration_seconds_count{model="fast",stream="true"} 1`,
		`llmfall_breaker_state{model="gpt-4.1-mini",provider="openai"} 0`,
		`llmfall_requests_in_flight 0`,
		// README points to it to see the adaptive GOMAXPROCS at work.
		`go_sched_gomaxprocs_threads `,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

func TestDrainLetsStreamsFinish(t *testing.T) {
	release := make(chan struct{})
	g := newGateway(t, links{openai: held(t, release).URL})
	url, stop, served := serveOn(t, g.srv)
	resp := postTo(t, url, helloStream(""))
	stop()
	close(release)
	evs := readEvents(t, resp.Body)
	if evs[len(evs)-1].data != "[DONE]" {
		t.Errorf("drained stream = %v; want it whole", evs)
	}
	if err := <-served; err != nil {
		t.Errorf("Serve = %v; want nil after a complete drain", err)
	}
	assertDraining(t, g.srv)
}

func TestDrainDeadlineCutsStreamsInBand(t *testing.T) {
	never := make(chan struct{})
	// The drain's deadline is on the gateway's clock: the test moves it
	// past the hour instead of waiting.
	clk := clock.NewFake(time.Unix(1700000000, 0))
	g := newGateway(t, links{openai: held(t, never).URL, adjust: func(c *serve.Config) { c.Drain, c.Clock = time.Hour, clk }})
	url, stop, served := serveOn(t, g.srv)
	resp := postTo(t, url, helloStream(""))
	stop()
	clk.WaitTimers(1)
	clk.Advance(time.Hour)
	evs := readEvents(t, resp.Body)
	if last := evs[len(evs)-1]; last.name != "error" {
		t.Errorf("cut stream = %v; want an error event last", evs)
	}
	if err := <-served; err != context.DeadlineExceeded {
		t.Errorf("Serve = %v; want the drain deadline", err)
	}
}

// serveOn runs srv.Serve on a local port; stop ends its context, and
// served hears what Serve returned.
func serveOn(t *testing.T, srv *serve.Server) (url string, stop func(), served <-chan error) {
	t.Helper()
	hs := httptest.NewUnstartedServer(nil) // only for its listener
	ln := hs.Listener
	ctx, cancel := context.WithCancel(context.Background())
	done, finished := make(chan error, 1), make(chan struct{})
	go func() {
		defer close(finished)
		done <- srv.Serve(ctx, ln)
	}()
	t.Cleanup(func() { cancel(); <-finished })
	return "http://" + ln.Addr().String(), cancel, done
}

func postTo(t *testing.T, url, body string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest("POST", url+"/v1/chat/completions", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+clientKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	return resp
}

// assertDraining checks that a drained server refuses traffic.
func assertDraining(t *testing.T, srv *serve.Server) {
	t.Helper()
	rec := httptest.NewRecorder()
	srv.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
	if rec.Code != 503 {
		t.Errorf("/readyz while draining = %d; want 503", rec.Code)
	}
	rec = httptest.NewRecorder()
	req := httptest.NewRequest("POST", "/v1/chat/completions", strings.NewReader(hello))
	req.Header.Set("Authorization", "Bearer "+clientKey)
	srv.Handler().ServeHTTP(rec, req)
	if rec.Code != 503 || rec.Header().Get("Retry-After") != "1" {
		t.Errorf("chat while draining = %d; want 503 with Retry-After", rec.Code)
	}
}
