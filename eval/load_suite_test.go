package eval

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestLoadSuiteReportsEveryFile: a suite with several bad prompt files,
// a duplicate prompt name among them and a path that does not exist is
// refused with every problem in it, file by file in name order, not only
// the first file's: a pull request's author fixes them in one round.
func TestLoadSuiteReportsEveryFile(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	const good = "category: fast\nprompt: hi\ntests: [{ assert: [{ type: is-json }] }]\n"
	writeFiles(t, dir, map[string]string{
		"p/a.yaml":       "category: fast\nprompt: hi\ntests: []\n",
		"p/b.yaml":       "name: a\n" + good,
		"p/c.yaml":       good,
		"p/d.yaml":       "name: c\n" + good,
		"p/e.yaml":       "prompt: hi\ntests: [{ assert: [{ type: is-json }] }]\n",
		"p/cases/x.yaml": "- { assert: [{ type: is-json }] }\n",
		"q/f.yaml":       "category: fast\n",
	})
	_, err := LoadSuite([]string{"p", "missing", "q"}, LoadOptions{})
	want := []string{
		"p/a.yaml:3: no tests",
		`p/d.yaml:3: prompt name "c" is already used by p/c.yaml`,
		`p/e.yaml:1: missing key "category"`,
		"missing: no such file or directory",
		`q/f.yaml:1: missing key "prompt" (or "messages")`,
	}
	if err == nil {
		t.Fatalf("LoadSuite succeeded; want %q", want)
	}
	if diff := cmp.Diff(want, loadErrorTexts(err)); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("errors.Is(err, fs.ErrNotExist) = false for %v; want the missing path's cause kept", err)
	}
}

// TestLoadSuiteFindsNoPrompts: a directory with no prompt files (only case
// files, llmfall.yaml, hidden directories) is an error naming the paths,
// not an empty suite that passes every gate.
func TestLoadSuiteFindsNoPrompts(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	writeFiles(t, dir, map[string]string{
		"p/cases.yaml":     "- { assert: [{ type: is-json }] }\n",
		"p/llmfall.yaml":   "providers: {}\n",
		"p/.drafts/x.yaml": "category: fast\nprompt: hi\ntests: [{ assert: [{ type: is-json }] }]\n",
		"q/notes.txt":      "not a prompt\n",
	})
	_, err := LoadSuite([]string{"p", "q"}, LoadOptions{})
	var le *LoadError
	if !errors.As(err, &le) || err.Error() != "p, q: no prompt files found" {
		t.Errorf("error = %v; want \"p, q: no prompt files found\"", err)
	}
}

// TestLoadOptionsBelowZeroMeanTheDefaults: a negative cap (a config
// mistake) means the default, not "refuse every file".
func TestLoadOptionsBelowZeroMeanTheDefaults(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"p.yaml": "category: fast\nprompt: \"Hi {{.n}}\"\ntests: [{ vars: { n: Ann }, assert: [{ type: is-json }] }]\n"})
	s, err := LoadSuite([]string{dir}, LoadOptions{MaxFileBytes: -1, MaxPromptBytes: -1})
	if err != nil || s.Prompts[0].Tests[0].User != "Hi Ann" {
		t.Fatalf("LoadSuite with negative caps: %v; want the suite loaded under the defaults", err)
	}
	// The default file cap still applies: a prompt file one byte over it
	// is refused (a sparse file: nothing is written).
	big := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(big, []byte("category: fast\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(big, DefaultMaxFileBytes+1); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadSuite([]string{big}, LoadOptions{MaxFileBytes: -1}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("a prompt file over the default cap: %v; want ErrTooLarge", err)
	}
}

// TestPromptFileValueProblems: each key of a prompt file or test with a
// value of the wrong shape or out of range is reported once, at its line,
// and a problem already reported is not reported again as a missing part
// (no "no tests" after a bad test, no per-test errors after a prompt that
// does not parse).
func TestPromptFileValueProblems(t *testing.T) {
	const head = "category: fast\nprompt: hi\n"
	const ok = "tests: [{ assert: [{ type: is-json }] }]\n"
	cases := []struct {
		name, file string
		want       []string
	}{
		{"description not a string", head + "description: [a]\n" + ok,
			[]string{"p/p.yaml:3: description must be a string"}},
		{"min_pass_rate not a number", head + "min_pass_rate: [1]\n" + ok,
			[]string{"p/p.yaml:3: min_pass_rate must be a number"}},
		{"min_pass_rate a word", head + "min_pass_rate: most\n" + ok,
			[]string{"p/p.yaml:3: min_pass_rate must be a number"}},
		{"params not a mapping", head + "params: [temperature]\n" + ok,
			[]string{"p/p.yaml:3: params must be a mapping"}},
		{"top_p and max_tokens out of range", head + "params: { top_p: 1.5, max_tokens: -1 }\n" + ok,
			[]string{
				"p/p.yaml:3: top_p 1.5 is out of range (want 0 to 1)",
				"p/p.yaml:3: max_tokens -1 is out of range (want a whole number of at least 1)",
			}},
		{"max_tokens fractional", head + "params: { max_tokens: 2.5 }\n" + ok,
			[]string{"p/p.yaml:3: max_tokens 2.5 is out of range (want a whole number of at least 1)"}},
		{"seed not a number", head + "params: { seed: [1] }\n" + ok,
			[]string{"p/p.yaml:3: seed must be a whole number of at least 0"}},
		{"seed a word", head + "params: { seed: lucky }\n" + ok,
			[]string{"p/p.yaml:3: seed must be a whole number of at least 0"}},
		{"system template", "category: fast\nsystem: \"You {{.x\"\nprompt: hi\n" + ok,
			[]string{"p/p.yaml:2: system: template: system:1: unclosed action"}},
		{"prompt template with tests after it", "category: fast\nprompt: \"{{if}}\"\ntests: [{ vars: { a: 1 } }, { assert: [{ type: nope }] }]\n",
			[]string{"p/p.yaml:2: prompt: template: prompt:1: missing value for if"}},
		{"defaults of an unknown key, and vars not a mapping", head + "defaults: { asserts: [], vars: [a] }\n" + ok,
			[]string{
				`p/p.yaml:3: unknown key "asserts" in defaults (want one of: vars, assert)`,
				"p/p.yaml:3: vars must be a mapping of names to values",
			}},
		{"defaults not a mapping", head + "defaults: [a]\n" + ok,
			[]string{"p/p.yaml:3: defaults must be a mapping"}},
		{"tests that are not mappings", head + "tests: [hi, { assert: [{ type: is-json }] }, [1]]\n",
			[]string{"p/p.yaml:3: test must be a mapping", "p/p.yaml:3: test must be a mapping"}},
		{"every unknown key", head + "promt: x\ntests:\n  - { asert: [], vars: {}, thresold: 1, assert: [{ type: is-json }] }\n",
			[]string{
				`p/p.yaml:3: unknown key "promt" in prompt file (want one of: name, description, category, system, prompt, params, defaults, tests, min_pass_rate, tools, tool_choice, response_format, messages)`,
				`p/p.yaml:5: unknown key "asert" in test (want one of: name, description, vars, assert, threshold, file, min_pass_at_k, min_pass_all_k)`,
				`p/p.yaml:5: unknown key "thresold" in test (want one of: name, description, vars, assert, threshold, file, min_pass_at_k, min_pass_all_k)`,
			}},
		{"pass@k minimums out of range", head + "tests:\n  - { min_pass_at_k: 1.1, min_pass_all_k: -1, threshold: [1], assert: [{ type: is-json }] }\n",
			[]string{
				"p/p.yaml:4: min_pass_at_k must be between 0 and 1",
				"p/p.yaml:4: min_pass_all_k must be between 0 and 1",
				"p/p.yaml:4: threshold must be a number",
			}},
		{"test name and description not strings", head + "tests:\n  - { name: [a], description: { b: c }, assert: [{ type: is-json }] }\n",
			[]string{"p/p.yaml:4: name must be a string", "p/p.yaml:4: description must be a string"}},
		{"stop of lists", head + "params: { stop: [[a]] }\n" + ok,
			[]string{"p/p.yaml:3: stop must be a list of strings"}},
		{"stop of nothing", head + "params: { stop: ~ }\n" + ok,
			[]string{"p/p.yaml:3: stop must be a list of strings"}},
		{"vars of nothing", head + "tests:\n  - { vars: ~, assert: [{ type: is-json }] }\n",
			[]string{"p/p.yaml:4: vars must be a mapping of names to values"}},
		{"vars with a list as a key", head + "tests:\n  - { vars: { [a]: b }, assert: [{ type: is-json }] }\n",
			[]string{"p/p.yaml:4: vars must be a mapping of names to values"}},
		{"a file entry with other keys, and a test after it", head + "tests:\n  - { file: c.jsonl, name: x }\n  - { asert: [] }\n",
			[]string{
				`p/p.yaml:4: a test with "file" takes no other keys`,
				`p/p.yaml:5: unknown key "asert" in test (want one of: name, description, vars, assert, threshold, file, min_pass_at_k, min_pass_all_k)`,
			}},
		{"tests named alike, the third reported too", head + "tests:\n  - { name: a, assert: [{ type: is-json }] }\n  - { name: a, assert: [{ type: is-json }] }\n  - { name: a, assert: [{ type: is-json }] }\n",
			[]string{`p/p.yaml:5: test name "a" is already used at line 4`, `p/p.yaml:6: test name "a" is already used at line 4`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := loadSuiteDir(t, map[string]string{"p.yaml": tc.file}, LoadOptions{})
			if err == nil {
				t.Fatalf("LoadSuite succeeded; want %q", tc.want)
			}
			if diff := cmp.Diff(tc.want, loadErrorTexts(err)); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}
