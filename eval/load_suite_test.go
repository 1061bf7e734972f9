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
