package eval

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// boolPrompts are prompt files setting each boolean a prompt file has
// (params.json, json_schema.strict, a tool message's is_error) to v, each
// on line 3.
func boolPrompts(v string) map[string]string {
	const tests = "tests: [{ assert: [{ type: no-tool-call }] }]\n"
	return map[string]string{
		"json.yaml":   "category: fast\nprompt: hi\nparams: { json: " + v + " }\n" + tests,
		"strict.yaml": "category: fast\nprompt: hi\nresponse_format: { json_schema: { schema: { type: object }, strict: " + v + " } }\n" + tests,
		"error.yaml": "category: fast\nprompt: hi\n" +
			"messages: [{ role: user, content: hi }, { role: assistant, tool_calls: [{ id: c1, name: f }] }, { role: tool, tool_call_id: c1, content: x, is_error: " + v + " }]\n" +
			"tools: [{ name: f }]\n" + tests,
	}
}

// TestLoadRefusesQuotedBooleans: a boolean written in quotes is text to
// YAML. yaml.v3 still reads a quoted "no" (YAML 1.1's) into a bool while
// refusing a quoted "false", so every quoted value is refused alike, with
// the fix config gives for the same mistake.
func TestLoadRefusesQuotedBooleans(t *testing.T) {
	for _, v := range []string{`"no"`, `'yes'`, `"off"`, `"false"`, `"true"`} {
		t.Run(v, func(t *testing.T) {
			err := loadSuiteDir(t, boolPrompts(v), LoadOptions{})
			if err == nil {
				t.Fatalf("LoadSuite succeeded; want quoted %s refused", v)
			}
			want := []string{
				"p/error.yaml:3: is_error must be true or false (remove the quotes)",
				"p/json.yaml:3: json must be true or false (remove the quotes)",
				"p/strict.yaml:3: strict must be true or false (remove the quotes)",
			}
			if diff := cmp.Diff(want, loadErrorTexts(err)); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}

// TestLoadReadsPlainBooleans: without quotes, true and false and YAML
// 1.1's yes, no, on and off keep working.
func TestLoadReadsPlainBooleans(t *testing.T) {
	for v, want := range map[string]bool{"true": true, "false": false, "yes": true, "no": false, "on": true, "off": false, "True": true, "NO": false} {
		t.Run(v, func(t *testing.T) {
			s := loadDir(t, boolPrompts(v))
			got := map[string]bool{}
			for _, p := range s.Prompts {
				switch p.Name {
				case "json":
					got[p.Name] = p.Params.JSON
				case "strict":
					got[p.Name] = p.Params.ResponseFormat.Strict
				case "error":
					msgs := p.Tests[0].Request(p, "m").Messages
					got[p.Name] = msgs[2].IsError
				}
			}
			if diff := cmp.Diff(map[string]bool{"json": want, "strict": want, "error": want}, got); diff != "" {
				t.Errorf("booleans read from %s (-want +got):\n%s", v, diff)
			}
		})
	}
}
