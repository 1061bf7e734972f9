package eval

import (
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

func parseAssertion(t *testing.T, src string) *Assertion {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
		t.Fatal(err)
	}
	root, err := openSuiteRoot(t.TempDir(), DefaultMaxFileBytes)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { root.Close() })
	l := &fileLoader{file: "t.yaml", name: "t.yaml", root: root, opts: LoadOptions{MaxPromptBytes: DefaultMaxPromptBytes},
		toolsKey: true, toolSchemas: testToolSchemas(t)}
	a := l.assertion(node{doc.Content[0], "t.yaml"}, map[string]any{"order": "1182"})
	if len(l.errs) > 0 {
		t.Fatalf("assertion %s: %v", src, l.errs)
	}
	return a
}

func TestAssertionCheck(t *testing.T) {
	const summary = "Order 1182 arrived broken; the customer wants a refund."
	const schema = `{type: json-schema, value: {type: object, required: [intent], properties: {intent: {enum: [refund, shipping, other]}}}}`
	tests := []struct {
		assert string
		out    Output
		pass   bool
		reason string
	}{
		{`{type: equals, value: "yes"}`, Output{Text: " yes\n"}, true, ""},
		{`{type: equals, value: "yes"}`, Output{Text: "no"}, false, `output does not equal "yes"`},
		{`{type: contains, value: "{{.order}}"}`, Output{Text: summary}, true, ""},
		{`{type: contains, value: "Refund"}`, Output{Text: summary}, false, `output does not contain "Refund"`},
		{`{type: icontains, value: "REFUND"}`, Output{Text: summary}, true, ""},
		{`{type: not-icontains, value: "refund"}`, Output{Text: summary}, false, `output contains "refund"`},
		{`{type: not-contains, value: "sorry"}`, Output{Text: summary}, true, ""},
		{`{type: contains-any, value: [money back, refund]}`, Output{Text: summary}, true, ""},
		{`{type: contains-any, value: [money back, credit]}`, Output{Text: summary}, false, `output contains none of ["money back", "credit"]`},
		{`{type: icontains-any, value: [ORDER]}`, Output{Text: summary}, true, ""},
		{`{type: contains-all, value: ["1182", refund]}`, Output{Text: summary}, true, ""},
		{`{type: contains-all, value: ["1182", refund, invoice]}`, Output{Text: summary}, false, `output is missing ["invoice"]`},
		{`{type: icontains-all, value: [ORDER, REFUND]}`, Output{Text: summary}, true, ""},
		{`{type: regex, value: "\\b\\d{4}\\b"}`, Output{Text: summary}, true, ""},
		{`{type: regex, value: "^Dear"}`, Output{Text: summary}, false, `output does not match /^Dear/`},
		{`{type: not-regex, value: "(?i)as an ai"}`, Output{Text: summary}, true, ""},
		{`{type: starts-with, value: Order}`, Output{Text: "  " + summary}, true, ""},
		{`{type: starts-with, value: Dear}`, Output{Text: summary}, false, `output does not start with "Dear"`},
		{`{type: is-json}`, Output{Text: `{"intent": "refund"}`}, true, ""},
		{`{type: is-json}`, Output{Text: "```json\n{}\n```"}, false, "output is not JSON: invalid character '`' looking for beginning of value"},
		{`{type: not-is-json}`, Output{Text: "plain"}, true, ""},
		{schema, Output{Text: `{"intent": "refund"}`}, true, ""},
		{schema, Output{Text: `{"intent": "complaint"}`}, false, `output does not match the schema: at /intent: value must be one of 'refund', 'shipping', 'other'`},
		{schema, Output{Text: `{}`}, false, `output does not match the schema: at /: missing property 'intent'`},
		{`{type: length, min: 10, max: 100}`, Output{Text: summary}, true, ""},
		{`{type: length, max: 10}`, Output{Text: summary}, false, "output has 55 characters, more than 10"},
		{`{type: length, min: 100}`, Output{Text: summary}, false, "output has 55 characters, fewer than 100"},
		{`{type: latency, threshold: 500}`, Output{Latency: 200 * time.Millisecond}, true, ""},
		{`{type: latency, threshold: 500}`, Output{Latency: 1500 * time.Millisecond}, false, "latency 1500 ms is over 500 ms"},
		{`{type: cost, threshold: 0.001}`, Output{CostUSD: 0.0002, CostKnown: true}, true, ""},
		{`{type: cost, threshold: 0.001}`, Output{CostUSD: 0.002, CostKnown: true}, false, "cost $0.002000 is over $0.001000"},
		{`{type: cost, threshold: 0.001}`, Output{}, false, "cost unknown: no price for this model (add one under pricing in llmfall.yaml)"},
	}
	for _, tc := range tests {
		t.Run(tc.assert, func(t *testing.T) {
			a := parseAssertion(t, tc.assert)
			got := a.Check(tc.out)
			if got.Pass != tc.pass || got.Reason != tc.reason {
				t.Errorf("Check(%q) = %v, %q; want %v, %q", tc.out.Text, got.Pass, got.Reason, tc.pass, tc.reason)
			}
			if want := boolScore(tc.pass); got.Score != want {
				t.Errorf("score = %v; want %v", got.Score, want)
			}
			if got.Type != a.Name() {
				t.Errorf("type = %q; want %q", got.Type, a.Name())
			}
		})
	}
}

func TestJudgeAssertionResult(t *testing.T) {
	a := parseAssertion(t, `{type: not-judge, rubric: "is rude"}`)
	got := a.result(true, 0.8, "it is rude")
	if got.Pass || got.Score < 0.19 || got.Score > 0.21 || got.Reason != "it is rude" {
		t.Errorf("negated judge result = %+v; want fail with score 0.2", got)
	}
	if a.Type != TypeJudge || !a.Negate || !a.NeedsJudge() {
		t.Errorf("assertion = %+v; want negated judge", a)
	}
	if alias := parseAssertion(t, `{type: llm-rubric, value: "polite"}`); alias.Type != TypeJudge || alias.Rubric != "polite" {
		t.Errorf("llm-rubric = %+v; want judge with rubric", alias)
	}
}

// TestEveryAssertionType: each registered type parses an example of itself
// and its negation, and either checks an output or is left to the judge.
// A new type needs an example here.
func TestEveryAssertionType(t *testing.T) {
	examples := map[string]string{
		TypeEquals: `value: x`, TypeContains: `value: x`, TypeIContains: `value: x`, TypeStartsWith: `value: x`,
		TypeRegex: `value: "x+"`, TypeContainsAny: `value: [x, y]`, TypeIContainsAny: `value: [x, y]`,
		TypeContainsAll: `value: [x, y]`, TypeIContainsAll: `value: [x, y]`, TypeIsJSON: ``,
		TypeJSONSchema: `value: {type: object}`, TypeLength: `max: 5`, TypeLatency: `threshold: 100`,
		TypeCost: `threshold: 0.01`, TypeJudge: `rubric: polite`, TypeConsistent: ``,
		TypeToolCall: `value: lookup_order`, TypeValidToolCall: ``, TypeNoToolCall: ``,
	}
	for name := range assertionTypes {
		t.Run(name, func(t *testing.T) {
			args, ok := examples[name]
			if !ok {
				t.Fatalf("no example for assertion type %q", name)
			}
			if args != "" {
				args = ", " + args
			}
			a := parseAssertion(t, "{type: "+name+args+"}")
			neg := parseAssertion(t, "{type: not-"+name+args+"}")
			if a.Type != name || a.Negate || neg.Type != name || !neg.Negate {
				t.Errorf("parsed %+v and %+v; want type %s, then negated", a, neg, name)
			}
			judged := name == TypeJudge || name == TypeConsistent
			if a.NeedsJudge() != judged {
				t.Errorf("NeedsJudge() = %v; want %v", a.NeedsJudge(), judged)
			}
			if judged {
				return
			}
			out := Output{Text: "x", Latency: 50 * time.Millisecond, CostUSD: 0.001, CostKnown: true}
			r, nr := a.Check(out), neg.Check(out)
			if r.Pass == nr.Pass {
				t.Errorf("Check() = %+v and negated %+v; want opposite verdicts", r, nr)
			}
		})
	}
}
