package eval

import (
	"encoding/json"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/llmfall/llmfall/provider"
)

// testToolSchemas are the tools parseAssertion's prompt declares:
// lookup_order(order_id string, required) and ping().
func testToolSchemas(t *testing.T) map[string]*jsonschema.Schema {
	t.Helper()
	s, err := compileWhole("tools/lookup_order", json.RawMessage(`{"type":"object","properties":{"order_id":{"type":"string","pattern":"^ORD-"},"verbose":{"type":"boolean"}},"required":["order_id"],"additionalProperties":false}`))
	if err != nil {
		t.Fatal(err)
	}
	return map[string]*jsonschema.Schema{"lookup_order": s, "ping": nil}
}

func calls(cs ...string) Output {
	var out Output
	for i := 0; i+1 < len(cs); i += 2 {
		out.ToolCalls = append(out.ToolCalls, provider.ToolCall{ID: "c", Name: cs[i], Arguments: json.RawMessage(cs[i+1])})
	}
	return out
}

func TestToolAssertions(t *testing.T) {
	lookup := calls("lookup_order", `{"order_id":"ORD-1182","verbose":true}`)
	tests := []struct {
		assert string
		out    Output
		pass   bool
		reason string
	}{
		{`{type: tool-call}`, lookup, true, ""},
		{`{type: tool-call}`, Output{Text: "Your order shipped."}, false, "the model called no tool"},
		{`{type: tool-call, value: lookup_order}`, lookup, true, ""},
		{`{type: tool-call, value: cancel_order}`, lookup, false, "the model called no cancel_order (it called lookup_order)"},
		{`{type: tool-call, value: lookup_order, arguments: {order_id: "ORD-{{.order}}"}}`, lookup, true, ""},
		{`{type: tool-call, value: lookup_order, arguments: {order_id: ORD-9}}`, lookup, false,
			`the model called lookup_order with {"order_id":"ORD-1182","verbose":true}: at /order_id: want "ORD-9", got "ORD-1182"`},
		{`{type: tool-call, arguments: {note: x}}`, lookup, false,
			`the model called lookup_order with {"order_id":"ORD-1182","verbose":true}: at /: missing "note"`},
		{`{type: tool-call, arguments: {n: 3}}`, calls("f", `{"n":3.0}`), true, ""},
		{`{type: tool-call, arguments: {a: {b: [1, 2]}}}`, calls("f", `{"a":{"b":[1,2],"c":0}}`), true, ""},
		{`{type: tool-call, arguments: {a: {b: [1]}}}`, calls("f", `{"a":{"b":[1,2]}}`), false,
			`the model called f with {"a":{"b":[1,2]}}: at /a/b: want [1], got [1,2]`},
		// The named tool's call after another tool's.
		{`{type: tool-call, value: lookup_order}`, calls("ping", `{}`, "lookup_order", `{"order_id":"ORD-1"}`), true, ""},
		// The second call matches, and one is enough.
		{`{type: tool-call, value: lookup_order, arguments: {order_id: ORD-2}}`,
			calls("lookup_order", `{"order_id":"ORD-1"}`, "lookup_order", `{"order_id":"ORD-2"}`), true, ""},
		{`{type: tool-call, value: lookup_order, schema: {type: object, required: [order_id], properties: {order_id: {type: string, pattern: "^ORD-\\d+$"}}}}`, lookup, true, ""},
		{`{type: tool-call, value: lookup_order, schema: {type: object, properties: {order_id: {type: integer}}}}`, lookup, false,
			`the model called lookup_order with {"order_id":"ORD-1182","verbose":true}: arguments do not match the schema: at /order_id: got string, want integer`},
		// Arguments a model garbled travel as a string; they match nothing.
		{`{type: tool-call, arguments: {order_id: ORD-1}}`, calls("lookup_order", `"{order_id: ORD-1"`), false,
			`the model called lookup_order with {"arguments":"{order_id: ORD-1"}: at /: missing "order_id"`},
		{`{type: not-tool-call, value: cancel_order}`, lookup, true, ""},
		{`{type: not-tool-call, value: lookup_order}`, lookup, false, `the model called lookup_order with {"order_id":"ORD-1182","verbose":true}`},

		{`{type: is-valid-tool-call}`, lookup, true, ""},
		{`{type: is-valid-tool-call}`, calls("ping", `{}`), true, ""},
		{`{type: is-valid-tool-call}`, Output{Text: "hi"}, false, "the model called no tool"},
		{`{type: is-valid-tool-call}`, calls("lookup_order", `{"order_id":1182}`), false,
			`lookup_order's arguments {"order_id":1182} do not match its parameters: at /order_id: got number, want string`},
		{`{type: is-valid-tool-call}`, calls("lookup_order", `{"order_id":"1182"}`), false,
			`lookup_order's arguments {"order_id":"1182"} do not match its parameters: at /order_id: '1182' does not match pattern '^ORD-'`},
		{`{type: is-valid-tool-call}`, calls("lookup_order", `{"order":"ORD-1"}`), false,
			`lookup_order's arguments {"order":"ORD-1"} do not match its parameters: at /: missing property 'order_id'; at /: additional properties 'order' not allowed`},
		{`{type: is-valid-tool-call}`, calls("lookup_order", `{"order_id":"ORD-1"}`, "refund", `{}`), false,
			"the model called refund, which is not among the prompt's tools"},
		{`{type: is-valid-tool-call}`, calls("ping", `{"x":1}`), false, `ping takes no arguments, and got {"x":1}`},
		{`{type: is-valid-tool-call}`, calls("lookup_order", `"garbled"`), false, `lookup_order's arguments "garbled" are not a JSON object`},
		{`{type: not-is-valid-tool-call}`, calls("refund", `{}`), true, ""},

		{`{type: no-tool-call}`, Output{Text: "Your order shipped."}, true, ""},
		{`{type: no-tool-call}`, calls("lookup_order", `{}`, "ping", `{}`), false, "the model called lookup_order, ping"},
		{`{type: not-no-tool-call}`, Output{Text: "Your order shipped."}, false, "the model called no tool"},
	}
	for _, tc := range tests {
		t.Run(tc.assert, func(t *testing.T) {
			a := parseAssertion(t, tc.assert)
			got := a.Check(tc.out)
			if got.Pass != tc.pass || got.Reason != tc.reason {
				t.Errorf("Check(%+v) = %v, %q; want %v, %q", tc.out.ToolCalls, got.Pass, got.Reason, tc.pass, tc.reason)
			}
		})
	}
}
