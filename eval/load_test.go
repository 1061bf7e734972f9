package eval

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// writeFiles lays out files (path → content) under dir.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

const goodPrompt = `name: summary
category: fast
system: You summarise tickets for {{.team}}.
prompt: "Summarise:\n{{.ticket}}"
params: { temperature: 0, max_tokens: 200, json: false, stop: ["END"], seed: 7 }
defaults:
  vars: { team: billing }
  assert:
    - { type: not-icontains, value: "as an ai" }
tests:
  - name: refund
    vars: { ticket: "Order 1182 arrived broken." }
    assert:
      - { type: contains, value: "{{.ticket}}" }
      - { type: judge, rubric: "Mentions order 1182", threshold: 0.7 }
  - file: cases/more.jsonl
  - file: cases/more.yaml
  - file: cases/more.csv
`

func TestLoadSuite(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	writeFiles(t, dir, map[string]string{
		"prompts/summary.yaml": goodPrompt,
		"prompts/cases/more.jsonl": `{"name": "late", "vars": {"ticket": "Parcel 77 is late"}, "assert": [{"type": "icontains", "value": "parcel"}]}

{"vars": {"ticket": "Where is my invoice?", "team": "finance"}, "assert": [{"type": "regex", "value": "invoice\\??"}]}
`,
		"prompts/cases/more.yaml": "- name: yaml-case\n  vars: { ticket: hello }\n  assert: [{ type: length, min: 1, max: 50 }]\n",
		"prompts/cases/more.csv":  "ticket,__expected,__name\nBroken screen,icontains: screen,csv-case\nSay hi,hi,\n",
		"prompts/llmfall.yaml":    "not: a prompt",
		"prompts/.hidden/x.yaml":  "not: a prompt",
	})
	s, err := LoadSuite([]string{"prompts"}, LoadOptions{Categories: []string{"fast", "smart"}})
	if err != nil {
		t.Fatalf("LoadSuite: %v", err)
	}
	if len(s.Prompts) != 1 {
		t.Fatalf("got %d prompts; want 1", len(s.Prompts))
	}
	p := s.Prompts[0]
	type testView struct {
		Name, System, User, File string
		Line                     int
		Asserts                  []string
	}
	var got []testView
	for _, tc := range p.Tests {
		v := testView{Name: tc.Name, System: tc.System, User: tc.User, File: tc.File, Line: tc.Line}
		for _, a := range tc.Asserts {
			v.Asserts = append(v.Asserts, a.Name()+"="+a.Value+a.Rubric+strings.Join(a.Values, ","))
		}
		got = append(got, v)
	}
	neg := "not-icontains=as an ai"
	want := []testView{
		{"refund", "You summarise tickets for billing.", "Summarise:\nOrder 1182 arrived broken.", "prompts/summary.yaml", 11,
			[]string{neg, "contains=Order 1182 arrived broken.", "judge=Mentions order 1182"}},
		{"late", "You summarise tickets for billing.", "Summarise:\nParcel 77 is late", "prompts/cases/more.jsonl", 1, []string{neg, "icontains=parcel"}},
		{"more.jsonl:3", "You summarise tickets for finance.", "Summarise:\nWhere is my invoice?", "prompts/cases/more.jsonl", 3, []string{neg, `regex=invoice\??`}},
		{"yaml-case", "You summarise tickets for billing.", "Summarise:\nhello", "prompts/cases/more.yaml", 1, []string{neg, "length="}},
		{"csv-case", "You summarise tickets for billing.", "Summarise:\nBroken screen", "prompts/cases/more.csv", 2, []string{neg, "icontains=screen"}},
		{"more.csv:3", "You summarise tickets for billing.", "Summarise:\nSay hi", "prompts/cases/more.csv", 3, []string{neg, "equals=hi"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("tests (-want +got):\n%s", diff)
	}
	if *p.Params.Temperature != 0 || p.Params.MaxTokens != 200 || *p.Params.Seed != 7 || p.Params.Stop[0] != "END" {
		t.Errorf("params = %+v", p.Params)
	}
	if p.Tests[0].Asserts[2].Threshold != 0.7 {
		t.Errorf("judge threshold = %v; want 0.7", p.Tests[0].Asserts[2].Threshold)
	}
	wantFiles := []string{"prompts/cases/more.jsonl", "prompts/cases/more.yaml", "prompts/cases/more.csv"}
	if diff := cmp.Diff(wantFiles, p.CaseFiles); diff != "" {
		t.Errorf("case files (-want +got):\n%s", diff)
	}
}

func TestLoadSuiteErrors(t *testing.T) {
	const head = "category: fast\nprompt: \"Hi {{.name}}\"\n"
	tests := []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"unknown top-level key", map[string]string{"p.yaml": head + "promt: x\ntests: []\n"},
			`p/p.yaml:3: unknown key "promt" in prompt file (want one of: name, description, category, system, prompt, params, defaults, tests, min_pass_rate, tools, tool_choice, response_format, messages)`},
		{"unknown assertion type", map[string]string{"p.yaml": head + "tests:\n  - vars: {name: a}\n    assert: [{type: contians, value: a}]\n"},
			`p/p.yaml:5: unknown assertion type "contians" (want one of: consistent, contains, contains-all, contains-any, cost, equals, icontains, icontains-all, icontains-any, is-json, is-valid-tool-call, json-schema, judge, latency, length, no-tool-call, regex, starts-with, tool-call, each optionally prefixed with not-)`},
		{"missing template variable", map[string]string{"p.yaml": head + "tests:\n  - name: t1\n    vars: {nme: a}\n    assert: [{type: contains, value: a}]\n"},
			`p/p.yaml:4: test "t1": template: prompt:1:5: executing "prompt" at <.name>: map has no entry for key "name"`},
		{"bad regex", map[string]string{"p.yaml": head + "tests:\n  - vars: {name: a}\n    assert:\n      - type: regex\n        value: \"a(b\"\n"},
			"p/p.yaml:7: bad regex \"a(b\": error parsing regexp: missing closing ): `a(b`"},
		{"unknown category", map[string]string{"p.yaml": "category: fastest\nprompt: hi\ntests: [{assert: [{type: is-json}]}]\n"},
			`p/p.yaml:1: category "fastest" is not in the configuration (have: fast, smart)`},
		{"unknown assertion key", map[string]string{"p.yaml": head + "tests:\n  - vars: {name: a}\n    assert: [{type: contains, value: a, rubric: x}]\n"},
			`p/p.yaml:5: contains assertions take no "rubric" (they take: value)`},
		{"case file escapes the suite", map[string]string{"p.yaml": head + "tests:\n  - file: ../outside.jsonl\n"},
			`p/p.yaml:4: case file "../outside.jsonl" is outside the suite directory p`},
		{"bad jsonl line", map[string]string{"p.yaml": head + "tests:\n  - file: c.jsonl\n", "c.jsonl": "{\"vars\": {\"name\": \"a\"}, \"assert\": [{\"type\": \"is-json\"}]}\n{oops\n"},
			`p/c.jsonl:2: not a JSON object`},
		{"unknown key in jsonl", map[string]string{"p.yaml": head + "tests:\n  - file: c.jsonl\n", "c.jsonl": "{\"vars\": {\"name\": \"a\"}, \"asert\": []}\n"},
			`p/c.jsonl:1: unknown key "asert" in test (want one of: name, description, vars, assert, threshold, min_pass_at_k, min_pass_all_k)`},
		{"missing template variable in a csv case", map[string]string{"p.yaml": head + "tests:\n  - file: c.csv\n", "c.csv": "who,__expected\nann,hi\n"},
			`p/c.csv:2: test "c.csv:2": template: prompt:1:5: executing "prompt" at <.name>: map has no entry for key "name"`},
		{"no assertions", map[string]string{"p.yaml": head + "tests:\n  - vars: {name: a}\n"},
			`p/p.yaml:4: test "test-1" has no assertions`},
		{"duplicate test names", map[string]string{"p.yaml": head + "tests:\n  - {name: a, vars: {name: a}, assert: [{type: is-json}]}\n  - {name: a, vars: {name: b}, assert: [{type: is-json}]}\n"},
			`p/p.yaml:5: test name "a" is already used at line 4`},
		{"bad schema", map[string]string{"p.yaml": head + "tests:\n  - vars: {name: a}\n    assert: [{type: json-schema, value: {type: objekt}}]\n"},
			`p/p.yaml:5: invalid schema: `},
		{"length bounds reversed", map[string]string{"p.yaml": head + "tests:\n  - vars: {name: a}\n    assert: [{type: length, min: 9, max: 3}]\n"},
			`p/p.yaml:5: length assertion has min 9 above max 3`},
		{"missing prompt", map[string]string{"p.yaml": "category: fast\ntests: []\n"},
			`p/p.yaml:1: missing key "prompt" (or "messages")`},
		{"wrong value type", map[string]string{"p.yaml": head + "params: {temperature: hot}\ntests:\n  - vars: {name: a}\n    assert: [{type: is-json}]\n"},
			`p/p.yaml:3: temperature must be a number`},
		{"latency without a bound", map[string]string{"p.yaml": head + "tests:\n  - vars: {name: a}\n    assert: [{type: latency}]\n"},
			`p/p.yaml:5: latency assertion needs a threshold (milliseconds)`},
		{"duplicate prompt names", map[string]string{"a.yaml": "name: x\n" + head + "tests: [{vars: {name: a}, assert: [{type: is-json}]}]\n", "b.yaml": "name: x\n" + head + "tests: [{vars: {name: a}, assert: [{type: is-json}]}]\n"},
			`p/b.yaml:3: prompt name "x" is already used by p/a.yaml`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := loadSuiteDir(t, tc.files, LoadOptions{Categories: []string{"fast", "smart"}})
			if err == nil {
				t.Fatalf("LoadSuite succeeded; want error %q", tc.want)
			}
			got := err.Error()
			if strings.HasSuffix(tc.want, ": ") {
				if !strings.HasPrefix(got, tc.want) {
					t.Errorf("error = %q; want prefix %q", got, tc.want)
				}
				return
			}
			if got != tc.want {
				t.Errorf("error =\n  %s\nwant\n  %s", got, tc.want)
			}
		})
	}
}

func TestLoadSuiteCollectsEveryProblem(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	writeFiles(t, dir, map[string]string{"p/p.yaml": "category: fast\nprompt: hi\nfoo: 1\ntests:\n  - assert: [{type: nope}]\n  - assert: [{type: regex, value: \"(\"}]\n"})
	_, err := LoadSuite([]string{"p"}, LoadOptions{})
	if err == nil {
		t.Fatal("LoadSuite succeeded; want errors")
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != 3 {
		t.Errorf("got %d errors; want 3:\n%v", len(lines), err)
	}
	var le *LoadError
	if !asLoadError(err, &le) || le.File != "p/p.yaml" {
		t.Errorf("errors.As(*LoadError) = %v; want p/p.yaml", le)
	}
}

func asLoadError(err error, target **LoadError) bool {
	return errors.As(err, target)
}

// loadSuiteDir writes files (names relative to the suite) under p/ in a new
// working directory and loads that suite, for tests of what loading says.
func loadSuiteDir(t *testing.T, files map[string]string, opts LoadOptions) error {
	t.Helper()
	dir := t.TempDir()
	t.Chdir(dir)
	under := make(map[string]string, len(files))
	for k, v := range files {
		under["p/"+k] = v
	}
	writeFiles(t, dir, under)
	_, err := LoadSuite([]string{"p"}, opts)
	return err
}
