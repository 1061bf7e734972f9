package eval

import (
	"strings"
	"testing"
)

// TestLoadProblemsAtTheirLines: each mistake a prompt or case file can
// hold is reported once, at the file and line that hold it, saying what is
// wanted, and the suite does not load. The CI gate reads these files from
// pull requests, so each is a message its author acts on.
func TestLoadProblemsAtTheirLines(t *testing.T) {
	const head = "category: fast\nprompt: \"Hi {{.name}}\"\n"
	const ok = "tests:\n  - vars: {name: a}\n    assert: [{type: is-json}]\n"
	tests := []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"empty prompt file", map[string]string{"p.yaml": ""},
			`p/p.yaml: empty prompt file`},
		{"prompt file not a mapping", map[string]string{"p.yaml": "just words\n"},
			`p/p.yaml:1: prompt file must be a mapping`},
		// yaml.v3 leaves "line N:" off the first line, counts a parser
		// error's line from 0 and gives a bad byte no line.
		{"bad YAML", map[string]string{"p.yaml": "category: [fast\n"},
			`p/p.yaml:2: did not find expected ',' or ']'`},
		{"bad YAML on the first line", map[string]string{"p.yaml": "category: fast: slow\n" + ok},
			`p/p.yaml:1: mapping values are not allowed in this context`},
		{"bad indentation", map[string]string{"p.yaml": head + "tests:\n  - vars: {name: a}\n assert: [{type: is-json}]\n"},
			`p/p.yaml:5: did not find expected key`},
		{"bad byte", map[string]string{"p.yaml": head + "tests:\n  - vars: {name: \"\xff\"}\n"},
			`p/p.yaml:4: invalid leading UTF-8 octet`},
		// A case file YAML cannot read is not known to be a list, and is
		// walked as a prompt file too: reported once, as a case file.
		{"bad YAML in a case file", map[string]string{"p.yaml": head + "tests:\n  - file: c.yaml\n", "c.yaml": "- vars: {name: a}: b\n"},
			"p/c.yaml:1: mapping values are not allowed in this context"},
		{"bad indentation in a case file", map[string]string{"p.yaml": head + "tests:\n  - file: c.yaml\n", "c.yaml": "- vars: {name: a}\n  assert:\n    - type: is-json\n   value: x\n"},
			"p/c.yaml:4: did not find expected key"},
		{"bad byte in a case file", map[string]string{"p.yaml": head + "tests:\n  - file: c.yaml\n", "c.yaml": "- vars: {name: a}\n- vars: {name: \"\xff\"}\n"},
			"p/c.yaml:2: invalid leading UTF-8 octet"},
		{"bad YAML in a case file in a subdirectory", map[string]string{"p.yaml": head + "tests:\n  - file: cases/c.yml\n", "cases/c.yml": "- vars: {name: a}: b\n"},
			"p/cases/c.yml:1: mapping values are not allowed in this context"},
		// A YAML file nothing reads as a case file is a prompt file.
		{"bad YAML beside a prompt file", map[string]string{"p.yaml": head + ok, "q.yaml": "category: fast: slow\n"},
			"p/q.yaml:1: mapping values are not allowed in this context"},
		{"prompt not a string", map[string]string{"p.yaml": "category: fast\nprompt: {text: hi}\n" + ok},
			`p/p.yaml:2: prompt must be a string`},
		{"null name", map[string]string{"p.yaml": "name: ~\n" + head + ok},
			`p/p.yaml:1: name must be a string`},
		{"missing category", map[string]string{"p.yaml": "prompt: hi\n" + ok},
			`p/p.yaml:1: missing key "category"`},
		{"missing tests", map[string]string{"p.yaml": head},
			`p/p.yaml:1: missing key "tests"`},
		{"no tests", map[string]string{"p.yaml": head + "tests: []\n"},
			`p/p.yaml:3: no tests`},
		{"tests not a list", map[string]string{"p.yaml": head + "tests: {a: b}\n"},
			`p/p.yaml:3: tests must be a list`},
		{"min_pass_rate above 1", map[string]string{"p.yaml": head + "min_pass_rate: 1.5\n" + ok},
			`p/p.yaml:3: min_pass_rate must be between 0 and 1`},
		{"min_pass_rate below 0", map[string]string{"p.yaml": head + "min_pass_rate: -0.1\n" + ok},
			`p/p.yaml:3: min_pass_rate must be between 0 and 1`},
		{"threshold above 1", map[string]string{"p.yaml": head + "tests:\n  - vars: {name: a}\n    threshold: 2\n    assert: [{type: is-json}]\n"},
			`p/p.yaml:5: threshold must be between 0 and 1`},
		{"negative seed", map[string]string{"p.yaml": head + "params: {seed: -1}\n" + ok},
			`p/p.yaml:3: seed must be a whole number of at least 0`},
		{"fractional length", map[string]string{"p.yaml": head + "tests:\n  - vars: {name: a}\n    assert: [{type: length, max: 2.5}]\n"},
			`p/p.yaml:5: max must be a whole number of at least 0`},
		{"temperature out of range", map[string]string{"p.yaml": head + "params: {temperature: 3}\n" + ok},
			`p/p.yaml:3: temperature 3 is out of range (want 0 to 2)`},
		{"json not a boolean", map[string]string{"p.yaml": head + "params: {json: maybe}\n" + ok},
			`p/p.yaml:3: json must be true or false`},
		// yaml.v3 would read nothing as false.
		{"json of nothing", map[string]string{"p.yaml": head + "params: {json: ~}\n" + ok},
			`p/p.yaml:3: json must be true or false`},
		{"stop not a list", map[string]string{"p.yaml": head + "params: {stop: END}\n" + ok},
			`p/p.yaml:3: stop must be a list of strings`},
		{"unknown param", map[string]string{"p.yaml": head + "params: {temprature: 0}\n" + ok},
			`p/p.yaml:3: unknown key "temprature" in params (want one of: temperature, max_tokens, top_p, stop, json, seed)`},
		{"vars not a mapping", map[string]string{"p.yaml": "category: fast\nprompt: hi\ntests:\n  - vars: [a]\n    assert: [{type: is-json}]\n"},
			`p/p.yaml:4: vars must be a mapping of names to values`},
		{"assert not a list", map[string]string{"p.yaml": head + "tests:\n  - vars: {name: a}\n    assert: {type: is-json}\n"},
			`p/p.yaml:5: assert must be a list`},
		{"template syntax", map[string]string{"p.yaml": "category: fast\nprompt: \"Hi {{.name\"\n" + ok},
			`p/p.yaml:2: prompt: template: prompt:1: unclosed action`},
		{"file beside other keys", map[string]string{"p.yaml": head + "tests:\n  - {file: c.jsonl, name: x}\n", "c.jsonl": ""},
			`p/p.yaml:4: a test with "file" takes no other keys`},
		{"case file missing", map[string]string{"p.yaml": head + "tests:\n  - file: c.jsonl\n"},
			`p/p.yaml:4: case file "c.jsonl": no such file or directory`},
		{"case file of another format", map[string]string{"p.yaml": head + "tests:\n  - file: c.txt\n", "c.txt": "a"},
			`p/p.yaml:4: case file "c.txt": unsupported format ".txt" (want .jsonl, .yaml, .yml or .csv)`},
		{"jsonl line not an object", map[string]string{"p.yaml": head + "tests:\n  - file: c.jsonl\n", "c.jsonl": "\n[1, 2]\n"},
			`p/c.jsonl:2: not a JSON object`},
		{"two bad jsonl lines", map[string]string{"p.yaml": head + "tests:\n  - file: c.jsonl\n", "c.jsonl": "{oops\n[1]\n"},
			"p/c.jsonl:1: not a JSON object\np/c.jsonl:2: not a JSON object"},
		{"schema of an empty path", map[string]string{"p.yaml": head + "tests:\n  - vars: {name: a}\n    assert: [{type: json-schema, value: \"\"}]\n"},
			`p/p.yaml:5: schema file "" is outside the suite directory p (write a path relative to the file that names it)`},
		{"csv without a header", map[string]string{"p.yaml": head + "tests:\n  - file: c.csv\n", "c.csv": ""},
			`p/c.csv:1: reading the header: EOF`},
		{"csv column of an unknown kind", map[string]string{"p.yaml": head + "tests:\n  - file: c.csv\n", "c.csv": "name,__expect\na,b\n"},
			`p/c.csv:1: unknown column "__expect" (want a variable name, __name, __description or __expected)`},
		{"csv row of the wrong width", map[string]string{"p.yaml": head + "tests:\n  - file: c.csv\n", "c.csv": "name,__expected\na,b,c\n"},
			`p/c.csv: record on line 2: wrong number of fields`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := loadSuiteDir(t, tc.files, LoadOptions{})
			if err == nil {
				t.Fatalf("LoadSuite succeeded; want error %q", tc.want)
			}
			if got := err.Error(); got != tc.want {
				t.Errorf("error =\n  %s\nwant\n  %s", strings.ReplaceAll(got, "\n", "\n  "), tc.want)
			}
		})
	}
}
