package eval

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmfall/llmfall/provider"
)

// pngBytes starts like a PNG, which is all media-type detection reads.
const pngBytes = "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01"

const toolPrompt = `name: agent
category: fast
system: You help with orders.
tools:
  - name: lookup_order
    description: Look up an order by its id
    parameters:
      type: object
      properties: { order_id: { type: string } }
      required: [order_id]
  - type: function
    function: { name: cancel_order, parameters: { type: object, properties: { order_id: { type: string } } } }
tool_choice: auto
response_format: { json_schema: { schema_file: schemas/reply.json, strict: true } }
messages:
  - { role: user, content: "Where is {{.order}}? {{.photo}}" }
  - role: assistant
    tool_calls: [{ id: call_1, name: lookup_order, arguments: { order_id: ORD-1 } }]
  - { role: tool, tool_call_id: call_1, content: "{{.status}}" }
prompt: "And now? {{.photo}} Thanks."
defaults:
  vars: { status: shipped, photo: { image: images/parcel.png } }
tests:
  - name: first
    vars: { order: ORD-1 }
    assert: [{ type: is-valid-tool-call }, { type: tool-call, value: lookup_order, arguments: { order_id: "{{.order}}" } }]
  - file: cases/more.jsonl
`

func TestLoadToolPrompt(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	writeFiles(t, dir, map[string]string{
		"p/agent.yaml":         toolPrompt,
		"p/schemas/reply.json": `{"type": "object", "properties": {"answer": {"type": "string"}}}`,
		"p/images/parcel.png":  pngBytes,
		"p/cases/more.jsonl": `{"name": "url", "vars": {"order": "ORD-2", "photo": {"image": "https://example.com/a.jpg"}}, "assert": [{"type": "no-tool-call"}]}` + "\n" +
			`{"name": "relative", "vars": {"order": "ORD-3", "photo": {"image": "../images/parcel.png"}}, "assert": [{"type": "no-tool-call"}]}` + "\n",
	})
	s, err := LoadSuite([]string{"p"}, LoadOptions{})
	if err != nil {
		t.Fatalf("LoadSuite: %v", err)
	}
	p := s.Prompts[0]
	req := p.Tests[0].Request(p, "m")
	got, _ := json.Marshal(req)
	img := `{"image":{"data":"` + b64(pngBytes) + `","media_type":"image/png"}}`
	want := `{"model":"m","system":"You help with orders.","messages":[` +
		`{"role":"user","content":"","parts":[{"text":"Where is ORD-1? "},` + img + `]},` +
		`{"role":"assistant","content":"","tool_calls":[{"id":"call_1","name":"lookup_order","arguments":{"order_id":"ORD-1"}}]},` +
		`{"role":"tool","content":"shipped","tool_call_id":"call_1"},` +
		`{"role":"user","content":"","parts":[{"text":"And now? "},` + img + `,{"text":" Thanks."}]}],` +
		`"tools":[{"name":"lookup_order","description":"Look up an order by its id","parameters":{"properties":{"order_id":{"type":"string"}},"required":["order_id"],"type":"object"}},` +
		`{"name":"cancel_order","parameters":{"properties":{"order_id":{"type":"string"}},"type":"object"}}],` +
		`"tool_choice":{"mode":"auto"},` +
		`"response_format":{"type":"json_schema","name":"reply","schema":{"type":"object","properties":{"answer":{"type":"string"}}},"strict":true}}`
	if string(got) != want {
		t.Errorf("request =\n%s\nwant\n%s", got, want)
	}
	if u := p.Tests[0].User; u != "And now? [image] Thanks." {
		t.Errorf("User = %q", u)
	}
	if r := p.Tests[0].Rendered(); !strings.Contains(r, "Tool result for call_1: shipped") || !strings.Contains(r, "[calls lookup_order") {
		t.Errorf("Rendered() = %q; want the history shown to the judge", r)
	}
	// The case file's image is a URL.
	last := p.Tests[1].Request(p, "m").Messages[3]
	if len(last.Parts) != 3 || last.Parts[1].Image.URL != "https://example.com/a.jpg" || last.Parts[1].Image.MediaType != "image/jpeg" {
		t.Errorf("case-file image message = %+v", last)
	}
	// A case file's image path is relative to the case file.
	last = p.Tests[2].Request(p, "m").Messages[3]
	if len(last.Parts) != 3 || string(last.Parts[1].Image.Data) != pngBytes {
		t.Errorf("case-file relative image message = %+v", last)
	}
}

func b64(s string) string {
	b, _ := json.Marshal([]byte(s))
	return strings.Trim(string(b), `"`)
}

// A plain prompt sends one user message and keeps Messages nil.
func TestLoadPlainPromptHasNoMessages(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	writeFiles(t, dir, map[string]string{"p/p.yaml": "category: fast\nprompt: \"Hi {{.n}}\"\ntests: [{vars: {n: Ann}, assert: [{type: contains, value: Ann}]}]\n"})
	s, err := LoadSuite([]string{"p"}, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tc := s.Prompts[0].Tests[0]
	if tc.Messages != nil || tc.User != "Hi Ann" {
		t.Errorf("test = %+v; want no Messages", tc)
	}
}

func TestLoadHistoryWithoutPrompt(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	writeFiles(t, dir, map[string]string{"p/p.yaml": `category: fast
tools: [{ name: lookup_order }]
messages:
  - { role: user, content: "Where is my order?" }
  - { role: assistant, content: "Checking.", tool_calls: [{ id: c1, name: lookup_order }] }
  - { role: tool, tool_call_id: c1, content: "{{.result}}", is_error: true }
tests: [{ vars: { result: timeout }, assert: [{ type: no-tool-call }] }]
`})
	s, err := LoadSuite([]string{"p"}, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p := s.Prompts[0]
	msgs := p.Tests[0].Request(p, "m").Messages
	if len(msgs) != 3 || msgs[1].Content != "Checking." || string(msgs[1].ToolCalls[0].Arguments) != "{}" ||
		msgs[2].Role != provider.RoleTool || msgs[2].Content != "timeout" || !msgs[2].IsError {
		t.Errorf("messages = %+v", msgs)
	}
	if p.Line != 4 {
		t.Errorf("prompt line = %d; want the line of messages", p.Line)
	}
}

func TestLoadToolPromptErrors(t *testing.T) {
	const head = "category: fast\n"
	const tools = "tools: [{ name: lookup_order, parameters: { type: object, properties: { id: { type: string } } } }]\n"
	const tests = "tests: [{ assert: [{ type: no-tool-call }] }]\n"
	cases := []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"bad tool", map[string]string{"p.yaml": head + "prompt: hi\ntools:\n  - name: a b\n" + tests},
			`p/p.yaml:4: tools: tool 1: name "a b" must be 1 to 64 letters, digits, '_' or '-'`},
		{"tool parameters not a schema", map[string]string{"p.yaml": head + "prompt: hi\ntools:\n  - name: f\n    parameters: { type: object, properties: { a: { type: strin } } }\n" + tests},
			"p/p.yaml:4: tools: f: parameters: invalid schema: "},
		{"tool parameters with a file $ref", map[string]string{"p.yaml": head + "prompt: hi\ntools:\n  - name: f\n    parameters: { $ref: other.json }\n" + tests},
			"p/p.yaml:4: tools: f: parameters: "},
		{"tool choice without tools", map[string]string{"p.yaml": head + "prompt: hi\ntool_choice: required\n" + tests},
			"p/p.yaml:3: tool_choice needs tools: declare the tools the model may call"},
		{"tool choice names no tool", map[string]string{"p.yaml": head + "prompt: hi\n" + tools + "tool_choice: refund\n" + tests},
			`p/p.yaml:4: tool choice "refund" names no tool (want auto, none, required or one of: lookup_order)`},
		{"response format unknown", map[string]string{"p.yaml": head + "prompt: hi\nresponse_format: yaml\n" + tests},
			`p/p.yaml:3: response_format "yaml": want text, json_object or {json_schema: {name, schema or schema_file, strict}}`},
		{"response format both schemas", map[string]string{"p.yaml": head + "prompt: hi\nresponse_format:\n  json_schema: { schema: { type: object }, schema_file: s.json }\n" + tests},
			"p/p.yaml:4: json_schema needs one of schema (inline) and schema_file (a path)"},
		{"response format bad name", map[string]string{"p.yaml": head + "prompt: hi\nresponse_format:\n  json_schema: { name: my schema, schema: { type: object } }\n" + tests},
			`p/p.yaml:4: json_schema name "my schema" must be 1 to 64 letters, digits, '_' or '-'`},
		{"response format file outside", map[string]string{"p.yaml": head + "prompt: hi\nresponse_format:\n  json_schema: { schema_file: ../s.json }\n" + tests},
			`p/p.yaml:4: schema file "../s.json" is outside the suite directory p`},
		{"response format and json", map[string]string{"p.yaml": head + "prompt: hi\nparams: { json: true }\nresponse_format: json_object\n" + tests},
			"p/p.yaml:4: response_format and params.json both ask for JSON: keep response_format"},
		{"system message", map[string]string{"p.yaml": head + "messages: [{ role: system, content: be nice }]\n" + tests},
			"p/p.yaml:2: message 1: the system prompt goes in the prompt file's system key, not in messages"},
		{"unknown message key", map[string]string{"p.yaml": head + "messages: [{ role: user, text: hi }]\n" + tests},
			`p/p.yaml:2: unknown key "text" in message (want one of: role, content, tool_calls, tool_call_id, is_error)`},
		{"user message with tool_call_id", map[string]string{"p.yaml": head + "messages: [{ role: user, content: hi, tool_call_id: x }]\n" + tests},
			"p/p.yaml:2: message 1: a user message takes no tool_call_id (it takes: content)"},
		{"history starts with the assistant", map[string]string{"p.yaml": head + "prompt: hi\nmessages: [{ role: assistant, content: Hello }]\n" + tests},
			"p/p.yaml:3: the first message must be the user's"},
		{"history ends with the assistant", map[string]string{"p.yaml": head + "messages: [{ role: user, content: hi }, { role: assistant, content: Hello }]\n" + tests},
			"p/p.yaml:2: the conversation ends with the assistant: end messages with a user message or tool result, or add a prompt"},
		{"call of an undeclared tool", map[string]string{"p.yaml": head + tools + "messages:\n  - { role: user, content: hi }\n  - { role: assistant, tool_calls: [{ id: c1, name: refund }] }\n  - { role: tool, tool_call_id: c1, content: ok }\n" + tests},
			`p/p.yaml:5: tool call of "refund", which is not among the prompt's tools`},
		{"call without tools", map[string]string{"p.yaml": head + "messages:\n  - { role: user, content: hi }\n  - { role: assistant, tool_calls: [{ id: c1, name: f }] }\n  - { role: tool, tool_call_id: c1, content: ok }\n" + tests},
			`p/p.yaml:4: tool call of "f", but the prompt file declares no tools`},
		{"unanswered call", map[string]string{"p.yaml": head + tools + "prompt: next\nmessages:\n  - { role: user, content: hi }\n  - { role: assistant, tool_calls: [{ id: c1, name: lookup_order }] }\n" + tests},
			`p/p.yaml:6: tool call "c1" has no tool result after it (add a tool message with tool_call_id: c1)`},
		{"orphan result", map[string]string{"p.yaml": head + tools + "messages:\n  - { role: user, content: hi }\n  - { role: tool, tool_call_id: c9, content: ok }\n" + tests},
			`p/p.yaml:5: tool result for "c9" answers no call of the assistant message before it`},
		{"tool message without id", map[string]string{"p.yaml": head + "messages:\n  - { role: user, content: hi }\n  - { role: tool, content: ok }\n" + tests},
			"p/p.yaml:4: message 2: a tool message needs tool_call_id: the id of the call it answers"},
		{"tool-call arguments not a mapping", map[string]string{"p.yaml": head + "prompt: hi\n" + tools + "tests: [{ assert: [{ type: tool-call, arguments: [1] }] }]\n"},
			"p/p.yaml:4: arguments must be a mapping of the arguments the call must include"},
		{"is-valid-tool-call without tools", map[string]string{"p.yaml": head + "prompt: hi\ntests: [{ assert: [{ type: is-valid-tool-call }] }]\n"},
			"p/p.yaml:3: is-valid-tool-call checks calls against the prompt's tools, and the prompt file declares none"},
		{"image missing", map[string]string{"p.yaml": head + "prompt: \"{{.img}}\"\ntests: [{ vars: { img: { image: none.png } }, assert: [{ type: no-tool-call }] }]\n"},
			`p/p.yaml:3: var img: image "none.png": no such file or directory`},
		{"image not an image", map[string]string{"p.yaml": head + "prompt: \"{{.img}}\"\ntests: [{ vars: { img: { image: a.txt } }, assert: [{ type: no-tool-call }] }]\n", "a.txt": "hello"},
			`p/p.yaml:3: var img: image "a.txt": text/plain; charset=utf-8 is not an image type providers take (PNG, JPEG, GIF or WebP)`},
		{"image outside", map[string]string{"p.yaml": head + "prompt: \"{{.img}}\"\ntests: [{ vars: { img: { image: ../x.png } }, assert: [{ type: no-tool-call }] }]\n"},
			`p/p.yaml:3: var img: image "../x.png" is outside the suite directory p`},
		{"image not a string", map[string]string{"p.yaml": head + "prompt: \"{{.img}}\"\ntests: [{ vars: { img: { image: [a] } }, assert: [{ type: no-tool-call }] }]\n"},
			"p/p.yaml:3: var img: image must be the path of an image file or an http(s) URL"},
		{"image in system", map[string]string{"p.yaml": head + "system: \"{{.img}}\"\nprompt: hi\ntests: [{ vars: { img: { image: \"https://x/a.png\" } }, assert: [{ type: no-tool-call }] }]\n"},
			`p/p.yaml:4: test "test-1": the system prompt uses an image var: images go in the prompt or a user message`},
		{"image in an assertion", map[string]string{"p.yaml": head + "prompt: hi\ntests: [{ vars: { img: { image: \"https://x/a.png\" } }, assert: [{ type: contains, value: \"{{.img}}\" }] }]\n"},
			"p/p.yaml:3: value uses an image var: images go in the prompt or a user message"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := loadSuiteDir(t, tc.files, LoadOptions{})
			if err == nil {
				t.Fatalf("LoadSuite succeeded; want error %q", tc.want)
			}
			if got := err.Error(); !strings.HasPrefix(got, tc.want) {
				t.Errorf("error =\n  %s\nwant prefix\n  %s", got, tc.want)
			}
		})
	}
}

// An image over the cap is refused before it is read whole.
func TestLoadImageTooLarge(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	writeFiles(t, dir, map[string]string{"p/p.yaml": "category: fast\nprompt: \"{{.img}}\"\ntests: [{ vars: { img: { image: big.png } }, assert: [{ type: no-tool-call }] }]\n"})
	if err := os.WriteFile(filepath.Join(dir, "p/big.png"), []byte(pngBytes+strings.Repeat("x", 300)), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := LoadSuite([]string{"p"}, LoadOptions{MaxFileBytes: 200})
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), `p/p.yaml:3: var img: image "big.png": big.png is over the size limit of 200 bytes`) {
		t.Errorf("error = %v; want the image over the limit", err)
	}
}
