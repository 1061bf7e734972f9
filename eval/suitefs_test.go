package eval

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// secret is what a pull request must not be able to read into a suite.
const secret = "BEGIN-PRIVATE-KEY-do-not-leak"

// attackSuite lays out a suite in dir/p and a secret outside it, in
// dir/outside, and returns the suite's directory.
func attackSuite(t *testing.T, files map[string]string) (suiteDir, outside string) {
	t.Helper()
	dir := t.TempDir()
	outside = filepath.Join(dir, "outside")
	writeFiles(t, dir, map[string]string{
		"outside/secret.jsonl": `{"vars": {"name": "` + secret + `"}, "assert": [{"type": "contains", "value": "x"}]}` + "\n",
		"outside/secret.json":  `{"type": "object", "properties": {"k": {"const": "` + secret + `"}}}`,
		"outside/secret.yaml":  "category: fast\nprompt: \"" + secret + "\"\ntests: [{assert: [{type: is-json}]}]\n",
	})
	suiteDir = filepath.Join(dir, "p")
	prefixed := map[string]string{}
	for k, v := range files {
		prefixed["p/"+k] = strings.ReplaceAll(v, "OUTSIDE", filepath.ToSlash(outside))
	}
	writeFiles(t, dir, prefixed)
	return suiteDir, outside
}

func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, link); err != nil {
		t.Skipf("no symlinks here: %v", err)
	}
}

const attackHead = "category: fast\nprompt: \"Hi {{.name}}\"\n"

// TestLoadSuiteStaysInsideRoot: every file a suite names is read through
// its root; a link, a "..", an absolute path or a schema $ref that leaves it
// is refused at the file:line that names it, and the secret it points at
// appears nowhere.
func TestLoadSuiteStaysInsideRoot(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		links map[string]string // link in the suite → target under outside
		want  string            // the error's prefix, with DIR for the suite directory
	}{
		{"linked case file", map[string]string{"p.yaml": attackHead + "tests:\n  - file: cases/c.jsonl\n"},
			map[string]string{"cases/c.jsonl": "secret.jsonl"},
			`DIR/p.yaml:4: case file "cases/c.jsonl": cases/c.jsonl is a link outside the suite directory DIR`},
		{"linked prompt file", map[string]string{},
			map[string]string{"evil.yaml": "secret.yaml"},
			`DIR/evil.yaml: evil.yaml is a link outside the suite directory DIR`},
		{"linked schema file", map[string]string{"p.yaml": attackHead + "tests:\n  - vars: {name: a}\n    assert: [{type: json-schema, value: s.json}]\n"},
			map[string]string{"s.json": "secret.json"},
			`DIR/p.yaml:5: schema file "s.json": s.json is a link outside the suite directory DIR`},
		{"case file climbs out", map[string]string{"p.yaml": attackHead + "tests:\n  - file: ../outside/secret.jsonl\n"}, nil,
			`DIR/p.yaml:4: case file "../outside/secret.jsonl" is outside the suite directory DIR`},
		{"schema file climbs out", map[string]string{"p.yaml": attackHead + "tests:\n  - vars: {name: a}\n    assert: [{type: json-schema, value: ../outside/secret.json}]\n"}, nil,
			`DIR/p.yaml:5: schema file "../outside/secret.json" is outside the suite directory DIR`},
		{"absolute case file", map[string]string{"p.yaml": attackHead + "tests:\n  - file: OUTSIDE/secret.jsonl\n"}, nil,
			`DIR/p.yaml:4: case file "OUTSIDE/secret.jsonl" is outside the suite directory DIR (write a path relative to the file that names it)`},
		{"schema $ref to a file outside", map[string]string{"p.yaml": attackHead + "tests:\n  - vars: {name: a}\n    assert: [{type: json-schema, value: {$ref: \"file://OUTSIDE/secret.json\"}}]\n"}, nil,
			`DIR/p.yaml:5: invalid schema: `},
		{"schema $ref climbing out", map[string]string{"p.yaml": attackHead + "tests:\n  - vars: {name: a}\n    assert: [{type: json-schema, value: {$ref: \"../outside/secret.json\"}}]\n"}, nil,
			`DIR/p.yaml:5: invalid schema: `},
		{"schema file with a $ref outside", map[string]string{"p.yaml": attackHead + "tests:\n  - vars: {name: a}\n    assert: [{type: json-schema, value: s.json}]\n",
			"s.json": `{"$ref": "file://OUTSIDE/secret.json"}`}, nil,
			`DIR/p.yaml:5: invalid schema: `},
		{"schema $ref over http", map[string]string{"p.yaml": attackHead + "tests:\n  - vars: {name: a}\n    assert: [{type: json-schema, value: {$ref: \"http://127.0.0.1:9/secret.json\"}}]\n"}, nil,
			`DIR/p.yaml:5: invalid schema: `},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir, outside := attackSuite(t, tc.files)
			for link, target := range tc.links {
				symlink(t, filepath.Join(outside, target), filepath.Join(dir, link))
			}
			s, err := LoadSuite([]string{dir}, LoadOptions{})
			if err == nil {
				t.Fatalf("LoadSuite succeeded with %d prompts; want an error", len(s.Prompts))
			}
			want := strings.ReplaceAll(strings.ReplaceAll(tc.want, "DIR", dir), "OUTSIDE", filepath.ToSlash(outside))
			if got := err.Error(); !strings.HasPrefix(got, want) {
				t.Errorf("error =\n  %s\nwant prefix\n  %s", got, want)
			}
			if !errors.Is(err, ErrOutsideSuite) && !strings.Contains(err.Error(), ErrOutsideSuite.Error()) {
				t.Errorf("error %q does not say the file is outside the suite", err)
			}
			t.Log(err)
			if strings.Contains(err.Error(), secret) {
				t.Errorf("the error shows the secret: %s", err)
			}
		})
	}
}

// TestLoadSuiteWalkSkipsLinkedDirectories: a linked directory is not
// walked, so prompt files outside the root do not join the suite.
func TestLoadSuiteWalkSkipsLinkedDirectories(t *testing.T) {
	dir, outside := attackSuite(t, map[string]string{"p.yaml": attackHead + "tests: [{vars: {name: a}, assert: [{type: is-json}]}]\n"})
	symlink(t, outside, filepath.Join(dir, "linked"))
	s, err := LoadSuite([]string{dir}, LoadOptions{})
	if err != nil {
		t.Fatalf("LoadSuite: %v", err)
	}
	for _, p := range s.Prompts {
		if p.Name != "p" {
			t.Errorf("suite has prompt %q from %s; want only p", p.Name, p.File)
		}
	}
}

// TestLoadSuiteLinksInsideRoot: links and references that stay inside the
// root keep working, schema $refs included.
func TestLoadSuiteLinksInsideRoot(t *testing.T) {
	dir, _ := attackSuite(t, map[string]string{
		"p.yaml":            attackHead + "tests:\n  - file: cases/c.jsonl\n  - vars: {name: a}\n    assert: [{type: json-schema, value: {$ref: \"schemas/s.json\"}}, {type: json-schema, value: schemas/t.json}]\n",
		"data/c.jsonl":      `{"vars": {"name": "b"}, "assert": [{"type": "is-json"}]}` + "\n",
		"schemas/s.json":    `{"$schema": "https://json-schema.org/draft/2020-12/schema", "$ref": "defs.json"}`,
		"schemas/t.json":    `{"$ref": "defs.json#/$defs/obj"}`,
		"schemas/defs.json": `{"type": "object", "required": ["k"], "$defs": {"obj": {"type": "object"}}}`,
	})
	symlink(t, "../data/c.jsonl", filepath.Join(dir, "cases", "c.jsonl"))
	s, err := LoadSuite([]string{dir}, LoadOptions{})
	if err != nil {
		t.Fatalf("LoadSuite: %v", err)
	}
	tests := s.Prompts[0].Tests
	if len(tests) != 2 {
		t.Fatalf("got %d tests; want 2", len(tests))
	}
	a := tests[1].Asserts[0]
	if r := a.Check(Output{Text: `{"k": 1}`}); !r.Pass {
		t.Errorf(`Check({"k": 1}) = %+v; want a pass`, r)
	}
	if r := a.Check(Output{Text: `{}`}); r.Pass {
		t.Errorf(`Check({}) = %+v; want a failure (defs.json requires k)`, r)
	}
}

// TestLoadSuiteBounds: a suite file over the size limit is refused without
// being read whole, and so is a template whose rendering explodes.
func TestLoadSuiteBounds(t *testing.T) {
	t.Run("file over the limit", func(t *testing.T) {
		dir, _ := attackSuite(t, map[string]string{
			"p.yaml":  attackHead + "tests:\n  - file: c.jsonl\n",
			"c.jsonl": strings.Repeat(`{"vars": {"name": "a"}, "assert": [{"type": "is-json"}]}`+"\n", 10),
		})
		_, err := LoadSuite([]string{dir}, LoadOptions{MaxFileBytes: 200})
		want := dir + `/p.yaml:4: case file "c.jsonl": c.jsonl is over the size limit of 200 bytes for a suite file`
		if err == nil || err.Error() != want || !errors.Is(err, ErrTooLarge) {
			t.Errorf("error = %v; want %s", err, want)
		}
	})
	t.Run("nested range", func(t *testing.T) {
		// 10^8 iterations of the innermost text: 800 MB rendered, were
		// it not capped.
		const bomb = "{{range .n}}{{range $.n}}{{range $.n}}{{range $.n}}{{range $.n}}{{range $.n}}{{range $.n}}{{range $.n}}boom.{{end}}{{end}}{{end}}{{end}}{{end}}{{end}}{{end}}{{end}}"
		dir, _ := attackSuite(t, map[string]string{
			"p.yaml": "category: fast\nprompt: \"" + bomb + "\"\ntests:\n  - vars: {n: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]}\n    assert: [{type: is-json}]\n",
		})
		_, err := LoadSuite([]string{dir}, LoadOptions{})
		want := dir + `/p.yaml:4: test "test-1": the rendered text is over the size limit of 1048576 bytes (raise eval.max_prompt_bytes in llmfall.yaml if this is meant)`
		if err == nil || err.Error() != want || !errors.Is(err, ErrTooLarge) {
			t.Errorf("error = %v; want %s", err, want)
		}
	})
	t.Run("assertion value", func(t *testing.T) {
		dir, _ := attackSuite(t, map[string]string{
			"p.yaml": attackHead + "tests:\n  - vars: {name: a, n: [1, 2, 3]}\n    assert: [{type: contains, value: \"{{range .n}}{{range $.n}}xx{{end}}{{end}}\"}]\n",
		})
		_, err := LoadSuite([]string{dir}, LoadOptions{MaxPromptBytes: 10})
		want := dir + `/p.yaml:5: value: the rendered text is over the size limit of 10 bytes`
		if err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("error = %v; want prefix %s", err, want)
		}
	})
}
