package setup

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/llmfall/llmfall/fallback"
	"github.com/llmfall/llmfall/provider"
	"github.com/llmfall/llmfall/provider/wiretest"
)

var matrixModels = map[wiretest.Kind]string{
	wiretest.KindOpenAI:    "gpt-4.1-mini",
	wiretest.KindAnthropic: "claude-3-5-haiku-latest",
	wiretest.KindGemini:    "gemini-2.5-flash",
}

// matrixEngine builds, from a config file as a user would write it, an
// engine whose chain "fast" is from, then to, each a real adapter talking to
// a fake server of its API.
func matrixEngine(t *testing.T, from, to wiretest.Kind, fromSrv, toSrv *wiretest.Server) *fallback.Engine {
	t.Helper()
	url := func(k wiretest.Kind, s *wiretest.Server) string {
		if k == wiretest.KindOpenAI {
			return s.URL + "/v1"
		}
		return s.URL
	}
	yaml := fmt.Sprintf(`providers:
  %[1]s: { type: %[1]s, base_url: "%[2]s", api_key_env: "" }
  %[3]s: { type: %[3]s, base_url: "%[4]s", api_key_env: "" }
order: [%[1]s, %[3]s]
categories:
  fast: { %[1]s: %[5]s, %[3]s: %[6]s }
`, from, url(from, fromSrv), to, url(to, toSrv), matrixModels[from], matrixModels[to])
	cfg, _ := load(t, yaml)
	ps, err := Providers(cfg, Options{Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	eng, err := Engine(cfg, ps)
	if err != nil {
		t.Fatal(err)
	}
	return eng
}

func run(t *testing.T, eng *fallback.Engine, req *fallback.Request, stream bool) (*fallback.Result, error) {
	t.Helper()
	if !stream {
		return eng.Complete(context.Background(), req)
	}
	s, err := eng.Stream(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for s.Next() {
	}
	return s.Result(), s.Err()
}

// TestToolConversationCrossesProviders is the cross-provider matrix: for
// every ordered pair of APIs, a tool conversation begun on the first (which
// answers with two parallel calls, ids in its own style) continues through
// the fallback engine on the second, because the first fails on the turn
// that carries the tool results. The second's fake server validates the
// request as strictly as the real API, so the test fails on anything it
// would reject: an id in the wrong alphabet, a result that answers no call,
// a function response named wrongly, consecutive same-role turns.
func TestToolConversationCrossesProviders(t *testing.T) {
	for _, from := range wiretest.Kinds {
		for _, to := range wiretest.Kinds {
			if from == to {
				continue
			}
			for _, stream := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s to %s stream %v", from, to, stream), func(t *testing.T) {
					fromSrv := wiretest.NewServer(t, from.Validator(), wiretest.ToolCallAnswer(from, stream), wiretest.Overloaded(from))
					toSrv := wiretest.NewServer(t, to.Validator(), wiretest.TextAnswer(to, stream, "Tomorrow Paris stays clear."))
					eng := matrixEngine(t, from, to, fromSrv, toSrv)

					req := &fallback.Request{Category: "fast", Request: provider.Request{
						System:   "You are a weather assistant.",
						Messages: []provider.Message{{Role: provider.RoleUser, Content: "Weather in Paris and Rome?"}},
						Tools:    []provider.Tool{wiretest.WeatherTool},
					}}
					res, err := run(t, eng, req, stream)
					if err != nil {
						t.Fatalf("turn 1: %v", err)
					}
					r := res.Response
					if res.Target.Provider != string(from) || len(r.ToolCalls) != 2 || r.FinishReason != provider.FinishToolCalls {
						t.Fatalf("turn 1 on %s: calls %+v, finish %q; want two calls from %s", res.Target, r.ToolCalls, r.FinishReason, from)
					}

					// Turn 2 answers both calls by the ids turn 1 gave.
					req.Messages = append(req.Messages,
						provider.Message{Role: provider.RoleAssistant, Content: r.Text, ToolCalls: r.ToolCalls},
						provider.Message{Role: provider.RoleTool, ToolCallID: r.ToolCalls[0].ID, Content: `{"temp_c":18,"sky":"clear"}`},
						provider.Message{Role: provider.RoleTool, ToolCallID: r.ToolCalls[1].ID, Content: "timeout", IsError: true},
						provider.Message{Role: provider.RoleUser, Content: "And tomorrow in Paris?"})
					res, err = run(t, eng, req, stream)
					if err != nil {
						t.Fatalf("turn 2: %v (rejections: %q)", err, toSrv.Rejects())
					}
					var got []string
					for _, a := range res.Attempts {
						got = append(got, a.Provider+":"+string(a.Outcome))
					}
					if want := []string{string(from) + ":error", string(to) + ":ok"}; !slices.Equal(got, want) {
						t.Errorf("turn 2 attempts = %v; want %v", got, want)
					}
					if res.Response.Text != "Tomorrow Paris stays clear." {
						t.Errorf("turn 2 text = %q", res.Response.Text)
					}
					// The target received both results, answering its calls.
					body := string(toSrv.Bodies()[0])
					if !strings.Contains(body, "temp_c") || !strings.Contains(body, "timeout") {
						t.Errorf("%s request lacks the tool results: %s", to, body)
					}
				})
			}
		}
	}
}

// With real adapters: an Anthropic stream that fails after announcing a
// tool call is interrupted (the caller has seen the call begin; nothing is
// spliced from another model), while one that fails before any delta falls
// back to OpenAI.
func TestToolStreamFailure(t *testing.T) {
	start := `event: message_start` + "\n" + `data: {"type":"message_start","message":{"id":"msg_f","type":"message","role":"assistant","model":"claude-3-5-haiku-20241022","content":[],"usage":{"input_tokens":9,"output_tokens":1}}}` + "\n\n"
	toolUse := `event: content_block_start` + "\n" + `data: {"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"toolu_01X","name":"get_weather","input":{}}}` + "\n\n"
	overloaded := `event: error` + "\n" + `data: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}` + "\n\n"
	tests := []struct {
		name        string
		body        string
		interrupted bool
	}{
		{"after a tool-call delta", start + toolUse + overloaded, true},
		{"before any delta", start + overloaded, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var script []wiretest.Response
			if !tc.interrupted {
				script = append(script, wiretest.TextAnswer(wiretest.KindOpenAI, true, "From OpenAI."))
			}
			fromSrv := wiretest.NewServer(t, wiretest.Anthropic, wiretest.SSE(tc.body))
			toSrv := wiretest.NewServer(t, wiretest.OpenAI, script...)
			eng := matrixEngine(t, wiretest.KindAnthropic, wiretest.KindOpenAI, fromSrv, toSrv)
			req := &fallback.Request{Category: "fast", Request: provider.Request{
				Messages: []provider.Message{{Role: provider.RoleUser, Content: "Weather in Paris?"}},
				Tools:    []provider.Tool{wiretest.WeatherTool},
			}}
			res, err := run(t, eng, req, true)
			var ie *fallback.InterruptedError
			if got := errors.As(err, &ie); got != tc.interrupted {
				t.Fatalf("err = %v; want interrupted: %v", err, tc.interrupted)
			}
			if tc.interrupted {
				if calls := res.Response.ToolCalls; len(calls) != 1 || calls[0].ID != "toolu_01X" || len(toSrv.Bodies()) != 0 {
					t.Errorf("calls = %+v, fallback requests = %d; want the started call and no fallback", calls, len(toSrv.Bodies()))
				}
				return
			}
			if res.Target.Provider != "openai" || res.Response.Text != "From OpenAI." {
				t.Errorf("served by %s: %q; want openai's answer", res.Target, res.Response.Text)
			}
		})
	}
}
