package eval

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/llmfall/llmfall/provider"
)

// TestHistoryProblemsAtTheirLines: every mistake in a prompt file's
// messages history is reported, each once, at its line, and nothing else
// is: a history that a provider would refuse never reaches one, and its
// author reads exactly what to change.
func TestHistoryProblemsAtTheirLines(t *testing.T) {
	const head = "category: fast\ntools: [{ name: lookup_order }]\n"
	const tests = "tests: [{ assert: [{ type: no-tool-call }] }]\n"
	cases := []struct {
		name    string
		history string // the prompt file's lines after head, before tests
		want    []string
	}{
		{"messages empty", "messages: []\n",
			[]string{"p/p.yaml:3: messages is empty (leave it out, or list the conversation so far)"}},
		{"messages not a list", "messages: { role: user }\n",
			[]string{"p/p.yaml:3: messages must be a list"}},
		{"messages not mappings, and a bad one after them", "messages:\n  - hi\n  - [user]\n  - { role: customer }\n",
			[]string{
				"p/p.yaml:4: message must be a mapping",
				"p/p.yaml:5: message must be a mapping",
				`p/p.yaml:6: message 3: role "customer": want user, assistant or tool`,
			}},
		{"unknown role, and a user message without content", "messages:\n  - { role: customer, content: hi }\n  - { role: user }\n",
			[]string{
				`p/p.yaml:4: message 1: role "customer": want user, assistant or tool`,
				"p/p.yaml:5: message 2: a user message needs content",
			}},
		{"message without a role", "messages:\n  - { content: hi }\n",
			[]string{`p/p.yaml:4: message 1: role "": want user, assistant or tool`}},
		{"assistant message with nothing to say", "messages:\n  - { role: user, content: hi }\n  - { role: assistant }\n  - { role: user, content: again }\n",
			[]string{"p/p.yaml:5: message 2: an assistant message needs content, tool_calls or both"}},
		{"keys of another role, each named", "messages:\n  - { role: user, content: hi, is_error: true, tool_calls: [] }\n  - { role: assistant, content: ok, tool_call_id: c1 }\n  - { role: tool, tool_call_id: c1, content: x, tool_calls: [] }\n",
			[]string{
				"p/p.yaml:4: message 1: a user message takes no is_error (it takes: content)",
				"p/p.yaml:4: message 1: a user message takes no tool_calls (it takes: content)",
				"p/p.yaml:5: message 2: an assistant message takes no tool_call_id (it takes: content, tool_calls)",
				"p/p.yaml:6: message 3: a tool message takes no tool_calls (it takes: content, tool_call_id, is_error)",
			}},
		{"is_error not a boolean", "messages:\n  - { role: user, content: hi }\n  - { role: assistant, tool_calls: [{ id: c1, name: lookup_order }] }\n  - { role: tool, tool_call_id: c1, content: x, is_error: sometimes }\n",
			[]string{"p/p.yaml:6: is_error must be true or false"}},
		{"tool calls without id or name, arguments not a mapping", "messages:\n  - { role: user, content: hi }\n  - role: assistant\n    tool_calls:\n      - { name: lookup_order }\n      - { id: c2 }\n      - { id: c3, name: lookup_order, arguments: [1] }\n",
			[]string{
				"p/p.yaml:7: tool call needs an id, which its tool result names in tool_call_id",
				"p/p.yaml:8: tool call needs the name of the tool",
				"p/p.yaml:9: arguments must be a mapping",
			}},
		{"tool calls not a list", "messages:\n  - { role: user, content: hi }\n  - { role: assistant, tool_calls: { id: c1 } }\n",
			[]string{"p/p.yaml:5: tool_calls must be a list"}},
		{"a call id used twice", "messages:\n  - { role: user, content: hi }\n  - { role: assistant, tool_calls: [{ id: c1, name: lookup_order }] }\n  - { role: tool, tool_call_id: c1, content: x }\n  - { role: assistant, tool_calls: [{ id: c1, name: lookup_order }] }\n  - { role: tool, tool_call_id: c1, content: y }\n",
			[]string{`p/p.yaml:7: tool call id "c1" is already used`}},
		{"a call answered twice", "messages:\n  - { role: user, content: hi }\n  - { role: assistant, tool_calls: [{ id: c1, name: lookup_order }] }\n  - { role: tool, tool_call_id: c1, content: x }\n  - { role: tool, tool_call_id: c1, content: y }\n",
			[]string{`p/p.yaml:7: tool result for "c1" answers no call of the assistant message before it`}},
		{"a result after the user spoke again", "messages:\n  - { role: user, content: hi }\n  - { role: assistant, tool_calls: [{ id: c1, name: lookup_order }] }\n  - { role: user, content: well then }\n  - { role: tool, tool_call_id: c1, content: x }\n",
			[]string{
				`p/p.yaml:5: tool call "c1" has no tool result after it (add a tool message with tool_call_id: c1)`,
				`p/p.yaml:7: tool result for "c1" answers no call of the assistant message before it`,
			}},
		{"calls left unanswered at the end, each named once", "messages:\n  - { role: user, content: hi }\n  - { role: assistant, tool_calls: [{ id: c2, name: lookup_order }, { id: c1, name: lookup_order }] }\n",
			[]string{
				`p/p.yaml:5: tool call "c1" has no tool result after it (add a tool message with tool_call_id: c1)`,
				`p/p.yaml:5: tool call "c2" has no tool result after it (add a tool message with tool_call_id: c2)`,
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := loadSuiteDir(t, map[string]string{"p.yaml": head + tc.history + tests}, LoadOptions{})
			if err == nil {
				t.Fatalf("LoadSuite succeeded; want %q", tc.want)
			}
			if diff := cmp.Diff(tc.want, strings.Split(err.Error(), "\n")); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}

// TestHistoryShapesProvidersAccept: the conversations every provider takes
// load, and are sent as written: parallel calls answered in any order, an
// assistant turn of calls alone, a history ending with tool results, and
// one ending with the assistant when a prompt follows.
func TestHistoryShapesProvidersAccept(t *testing.T) {
	s := loadDir(t, map[string]string{
		"results.yaml": `category: fast
tools: [{ name: lookup_order }, { name: track }]
messages:
  - { role: user, content: "Where is {{.order}}?" }
  - role: assistant
    tool_calls:
      - { id: c1, name: lookup_order, arguments: { id: "{{.order}}" } }
      - { id: c2, name: track }
  - { role: tool, tool_call_id: c2, content: "in transit" }
  - { role: tool, tool_call_id: c1, content: "shipped", is_error: false }
tests: [{ vars: { order: ORD-1 }, assert: [{ type: no-tool-call }] }]
`,
		"followup.yaml": `category: fast
messages:
  - { role: user, content: hi }
  - { role: assistant, content: "Hello, how can I help?" }
prompt: "Where is {{.order}}?"
tests: [{ vars: { order: ORD-2 }, assert: [{ type: no-tool-call }] }]
`,
	})
	type msg struct {
		Role    provider.Role
		Content string
		Calls   string
		CallID  string
	}
	view := func(p *Prompt) []msg {
		var out []msg
		for _, m := range p.Tests[0].Request(p, "m").Messages {
			v := msg{Role: m.Role, Content: m.Content, CallID: m.ToolCallID}
			for _, c := range m.ToolCalls {
				v.Calls += c.ID + ":" + c.Name + string(c.Arguments) + " "
			}
			out = append(out, v)
		}
		return out
	}
	got := map[string][]msg{}
	for _, p := range s.Prompts {
		got[p.Name] = view(p)
	}
	want := map[string][]msg{
		"results": {
			{Role: provider.RoleUser, Content: "Where is ORD-1?"},
			// Arguments are sent as written: templates in them are not
			// rendered (the call was the model's, in the past).
			{Role: provider.RoleAssistant, Calls: `c1:lookup_order{"id":"{{.order}}"} c2:track{} `},
			{Role: provider.RoleTool, Content: "in transit", CallID: "c2"},
			{Role: provider.RoleTool, Content: "shipped", CallID: "c1"},
		},
		"followup": {
			{Role: provider.RoleUser, Content: "hi"},
			{Role: provider.RoleAssistant, Content: "Hello, how can I help?"},
			{Role: provider.RoleUser, Content: "Where is ORD-2?"},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("messages sent (-want +got):\n%s", diff)
	}
}
