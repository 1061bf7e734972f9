package cmd

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmfall/llmfall/provider"
	"github.com/llmfall/llmfall/provider/wiretest"
)

func writeFile(t *testing.T, name, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

const toolsYAML = `- name: get_weather
  description: Current weather in a city
  parameters:
    type: object
    properties:
      city: { type: string }
    required: [city]
- type: function
  function: { name: issue_refund, description: Refund an order, parameters: { type: object, properties: { order: { type: integer } } } }
`

// Offline, the sim calls the tool the prompt is about, and run --json
// reports the call with its arguments as an object.
func TestRunToolsOffline(t *testing.T) {
	c := chain{
		newFakeProvider(t, func(w http.ResponseWriter, r *http.Request) { t.Error("offline run called a provider") }),
		newFakeProvider(t, func(w http.ResponseWriter, r *http.Request) { t.Error("offline run called a provider") }),
		newFakeProvider(t, func(w http.ResponseWriter, r *http.Request) { t.Error("offline run called a provider") }),
	}
	tools := writeFile(t, "tools.yaml", toolsYAML)
	for _, stream := range []string{"--no-stream=false", "--no-stream"} {
		code, stdout, stderr := runCLI(t, "", "run", "--offline", "--json", stream, "--config", writeChainConfig(t, c),
			"--tools", tools, "What is the weather in Lisbon?")
		if code != 0 {
			t.Fatalf("exit code = %d\n%s", code, stderr)
		}
		var doc struct {
			FinishReason string `json:"finish_reason"`
			ToolCalls    []struct {
				ID        string         `json:"id"`
				Name      string         `json:"name"`
				Arguments map[string]any `json:"arguments"`
			} `json:"tool_calls"`
		}
		if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
			t.Fatalf("%s: %v\n%s", stream, err, stdout)
		}
		if doc.FinishReason != "tool_calls" || len(doc.ToolCalls) != 1 || doc.ToolCalls[0].Name != "get_weather" ||
			doc.ToolCalls[0].Arguments["city"] != "Lisbon" || !strings.HasPrefix(doc.ToolCalls[0].ID, "call_") {
			t.Errorf("%s: doc = %+v; want one get_weather call for Lisbon", stream, doc)
		}
	}
	code, stdout, _ := runCLI(t, "", "run", "--offline", "--config", writeChainConfig(t, c), "--tools", tools,
		"--tool-choice", "issue_refund", "Refund order 1182")
	if code != 0 || !strings.Contains(stdout, `tool call call_sim_`) || !strings.Contains(stdout, `issue_refund {"order":1182}`) {
		t.Errorf("text run: exit %d, stdout %q; want the refund call printed", code, stdout)
	}
}

// --tools, --tool-choice, --json-schema and --image reach the provider in
// its own format, and the fake server (as strict as the API) accepts them.
func TestRunToolFlagsOnTheWire(t *testing.T) {
	srv := wiretest.NewServer(t, wiretest.Anthropic, wiretest.TextAnswer(wiretest.KindAnthropic, true, `{"city":"Lisbon"}`))
	cfg := writeFile(t, "llmfall.yaml", `providers:
  anthropic: { type: anthropic, base_url: "`+srv.URL+`", api_key_env: "" }
categories:
  fast: { anthropic: claude-3-5-haiku-latest }
`)
	png := writeFile(t, "sky.png", string(wiretest.PNG))
	schema := writeFile(t, "weather report.json", `{"type":"object","properties":{"city":{"type":"string"}}}`)
	code, stdout, stderr := runCLI(t, "", "run", "--config", cfg, "--tools", writeFile(t, "tools.json", `[{"name":"get_weather","parameters":{"type":"object"}}]`),
		"--tool-choice", "auto", "--json-schema", schema, "--image", png, "--image", "https://example.com/a.jpg", "Weather here?")
	if code != 0 {
		t.Fatalf("exit code = %d\n%s", code, stderr)
	}
	if stdout != "{\"city\":\"Lisbon\"}\n" {
		t.Errorf("stdout = %q", stdout)
	}
	body := string(srv.Bodies()[0])
	for _, want := range []string{`"media_type":"image/png"`, `"url":"https://example.com/a.jpg"`, `"name":"weather_report"`, `"name":"get_weather"`, `"tool_choice":{"type":"any"}`} {
		if !strings.Contains(body, want) {
			t.Errorf("request lacks %s: %s", want, body)
		}
	}
}

func TestRunToolFlagErrors(t *testing.T) {
	c := chain{
		newFakeProvider(t, func(w http.ResponseWriter, r *http.Request) { t.Error("no call expected") }),
		newFakeProvider(t, func(w http.ResponseWriter, r *http.Request) { t.Error("no call expected") }),
		newFakeProvider(t, func(w http.ResponseWriter, r *http.Request) { t.Error("no call expected") }),
	}
	cfg := writeChainConfig(t, c)
	tools := writeFile(t, "tools.yaml", toolsYAML)
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"unknown tool key", []string{"--tools", writeFile(t, "t.yaml", "- {name: f, params: {}}\n")}, `t.yaml:1: unknown key "params" in tool 1`},
		{"bad tool name", []string{"--tools", writeFile(t, "t.yaml", "- {name: get weather}\n")}, `name "get weather" must be`},
		{"choice names no tool", []string{"--tools", tools, "--tool-choice", "nope"}, `"nope" names no tool`},
		{"choice without tools", []string{"--tool-choice", "required"}, "without --tools"},
		{"schema not JSON", []string{"--json-schema", writeFile(t, "s.json", "type: object")}, "not a JSON object"},
		{"image not an image", []string{"--image", writeFile(t, "a.txt", "hello")}, "not an image type"},
		{"missing file", []string{"--tools", filepath.Join(t.TempDir(), "none.yaml")}, "none.yaml"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"run", "--config", cfg}, tc.args...)
			code, _, stderr := runCLI(t, "", append(args, "hi")...)
			if code != ExitUsage || !strings.Contains(stderr, tc.wantErr) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr, ExitUsage, tc.wantErr)
			}
		})
	}
}

// Text streamed before a tool call ends its line before the call prints.
func TestRunStreamsTextThenToolCall(t *testing.T) {
	srv := wiretest.NewServer(t, wiretest.OpenAI, wiretest.ToolCallAnswer(wiretest.KindOpenAI, true))
	cfg := writeFile(t, "llmfall.yaml", `providers:
  openai: { type: openai, base_url: "`+srv.URL+`/v1", api_key_env: "" }
categories:
  fast: { openai: gpt-4.1-mini }
`)
	code, stdout, stderr := runCLI(t, "", "run", "--config", cfg, "--tools", writeFile(t, "t.json", `[{"name":"get_weather"}]`), "Paris and Rome?")
	want := "Let me check both cities.\n" +
		`tool call call_Pa1s9xQ: get_weather {"city":"Paris"}` + "\n" +
		`tool call call_R0me7kT: get_weather {"city":"Rome","units":"celsius"}` + "\n"
	if code != 0 || stdout != want {
		t.Errorf("exit %d, stdout %q; want %q\n%s", code, stdout, want, stderr)
	}
}

// A tool call's id, name and arguments come from the model: they reach the
// terminal escaped, one line per call.
func TestToolCallLineIsEscaped(t *testing.T) {
	var out strings.Builder
	writeToolCalls(&out, []provider.ToolCall{{ID: "call_1\x1b[2J", Name: "get\nattempt 1: forged", Arguments: json.RawMessage(`{"city":"Paris\u202e"}`)}})
	if got := out.String(); strings.ContainsAny(got, "\x1b\u202e") || strings.Count(got, "\n") != 1 {
		t.Errorf("tool call line = %q; want one line with every control character escaped", got)
	}
}
