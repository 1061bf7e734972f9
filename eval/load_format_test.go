package eval

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestResponseFormatProblems: each mistake in response_format, tools or
// tool_choice is reported once, at its line, saying what is wanted; a
// mistake already reported is not reported again as something missing.
func TestResponseFormatProblems(t *testing.T) {
	const head = "category: fast\nprompt: hi\n"
	const tests = "tests: [{ assert: [{ type: no-tool-call }] }]\n"
	cases := []struct {
		name  string
		files map[string]string
		want  []string
	}{
		{"response_format without json_schema", map[string]string{"p.yaml": head + "response_format: {}\n" + tests},
			[]string{"p/p.yaml:3: response_format needs json_schema: {name, schema or schema_file, strict}"}},
		{"response_format a list", map[string]string{"p.yaml": head + "response_format: [json_object]\n" + tests},
			[]string{"p/p.yaml:3: response_format must be a mapping"}},
		{"json_schema without a schema", map[string]string{"p.yaml": head + "response_format:\n  json_schema: { name: reply }\n" + tests},
			[]string{"p/p.yaml:4: json_schema needs one of schema (inline) and schema_file (a path)"}},
		{"json_schema not a mapping", map[string]string{"p.yaml": head + "response_format:\n  json_schema: reply.json\n" + tests},
			[]string{"p/p.yaml:4: json_schema must be a mapping"}},
		{"strict not a boolean", map[string]string{"p.yaml": head + "response_format:\n  json_schema: { schema: { type: object }, strict: yes please }\n" + tests},
			[]string{"p/p.yaml:4: strict must be true or false"}},
		{"inline schema not a mapping", map[string]string{"p.yaml": head + "response_format:\n  json_schema:\n    schema: [object]\n" + tests},
			[]string{"p/p.yaml:5: schema must be a mapping (or use schema_file for a path)"}},
		{"inline schema invalid", map[string]string{"p.yaml": head + "response_format:\n  json_schema:\n    schema: { type: objekt }\n" + tests},
			[]string{"p/p.yaml:5: json_schema: invalid schema: "}},
		{"inline schema with a $ref to a file", map[string]string{"p.yaml": head + "response_format:\n  json_schema:\n    schema: { $ref: other.json }\n" + tests},
			[]string{"p/p.yaml:5: json_schema: "}},
		{"schema file not a string", map[string]string{"p.yaml": head + "response_format:\n  json_schema:\n    schema_file: { path: s.json }\n" + tests},
			[]string{"p/p.yaml:5: schema_file must be a string"}},
		{"schema file missing", map[string]string{"p.yaml": head + "response_format:\n  json_schema:\n    schema_file: s.json\n" + tests},
			[]string{`p/p.yaml:5: schema file "s.json": no such file or directory`}},
		{"schema file a JSON list", map[string]string{"p.yaml": head + "response_format:\n  json_schema:\n    schema_file: s.json\n" + tests, "s.json": `[{"type": "object"}]`},
			[]string{`p/p.yaml:5: schema file "s.json" is not a JSON object`}},
		{"schema file empty", map[string]string{"p.yaml": head + "response_format:\n  json_schema:\n    schema_file: s.json\n" + tests, "s.json": ""},
			[]string{`p/p.yaml:5: schema file "s.json" is not a JSON object`}},
		{"schema file not JSON", map[string]string{"p.yaml": head + "response_format:\n  json_schema:\n    schema_file: s.json\n" + tests, "s.json": "type: object\n"},
			[]string{`p/p.yaml:5: schema file "s.json" is not a JSON object`}},
		{"schema file invalid", map[string]string{"p.yaml": head + "response_format:\n  json_schema:\n    schema_file: s.json\n" + tests, "s.json": `{"type": "objekt"}`},
			[]string{"p/p.yaml:5: json_schema: invalid schema: "}},
		{"tool_choice beside tools already reported", map[string]string{"p.yaml": head + "tools: [{ name: a b }]\ntool_choice: auto\n" + tests},
			[]string{`p/p.yaml:3: tools: tool 1: name "a b" must be 1 to 64 letters, digits, '_' or '-'`}},
		{"a history's call of tools already reported", map[string]string{"p.yaml": head + "tools: [{ name: a b }]\nmessages:\n  - { role: user, content: hi }\n  - { role: assistant, tool_calls: [{ id: c1, name: look }] }\n  - { role: tool, tool_call_id: c1, content: ok }\n" + tests},
			[]string{`p/p.yaml:3: tools: tool 1: name "a b" must be 1 to 64 letters, digits, '_' or '-'`}},
		{"every tool's bad parameters", map[string]string{"p.yaml": head + "tools:\n  - { name: f, parameters: { type: object, properties: { a: { type: objekt } } } }\n  - { name: g, parameters: { type: object, properties: { a: { type: strin } } } }\n" + tests},
			[]string{"p/p.yaml:4: tools: f: parameters: invalid schema: ", "p/p.yaml:5: tools: g: parameters: invalid schema: "}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := loadSuiteDir(t, tc.files, LoadOptions{})
			if err == nil {
				t.Fatalf("LoadSuite succeeded; want %q", tc.want)
			}
			got := loadErrorTexts(err)
			// A schema compiler's own words (lines of them) follow "json_schema: ".
			for i, w := range tc.want {
				if i < len(got) && strings.HasSuffix(w, ": ") && strings.HasPrefix(got[i], w) {
					got[i] = w
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}

// TestResponseFormatsSent: what each form of response_format sends. A
// schema's name is the one written, else the schema file's, else
// "response"; text and json_object need no schema.
func TestResponseFormatsSent(t *testing.T) {
	const tests = "tests: [{ assert: [{ type: no-tool-call }] }]\n"
	s := loadDir(t, map[string]string{
		"inline.yaml":         "category: fast\nprompt: hi\nresponse_format: { json_schema: { schema: { type: object } } }\n" + tests,
		"named.yaml":          "category: fast\nprompt: hi\nresponse_format: { json_schema: { name: reply, schema_file: s/order-status.json } }\n" + tests,
		"file.yaml":           "category: fast\nprompt: hi\nresponse_format: { json_schema: { schema_file: s/order-status.json, strict: true } }\n" + tests,
		"text.yaml":           "category: fast\nprompt: hi\nparams: { json: true }\nresponse_format: text\n" + tests,
		"jsonobject.yaml":     "category: fast\nprompt: hi\nresponse_format: json_object\n" + tests,
		"s/order-status.json": "{\n  \"type\": \"object\"\n}\n",
	})
	got := map[string]string{}
	for _, p := range s.Prompts {
		f := p.Params.ResponseFormat
		got[p.Name] = string(f.Type) + " " + f.Name + " " + string(f.Schema)
		if f.Strict {
			got[p.Name] += " strict"
		}
	}
	want := map[string]string{
		"inline":     `json_schema response {"type":"object"}`,
		"named":      `json_schema reply {"type":"object"}`,
		"file":       `json_schema order-status {"type":"object"} strict`,
		"text":       "text  ",
		"jsonobject": "json_object  ",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("response formats (-want +got):\n%s", diff)
	}
	// json: true beside response_format: text is not a conflict (text
	// asks for no JSON), and the format written is what is sent.
	for _, p := range s.Prompts {
		if p.Name == "text" {
			if f := p.Tests[0].Request(p, "m").Format(); f != nil {
				t.Errorf("text prompt sends format %+v; want none", f)
			}
		}
	}
}

// loadErrorTexts is each problem LoadSuite reported, in order (one may
// take several lines).
func loadErrorTexts(err error) []string {
	var out []string
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			out = append(out, e.Error())
		}
		return out
	}
	return []string{err.Error()}
}
