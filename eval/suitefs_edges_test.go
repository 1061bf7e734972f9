package eval

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestSchemaRefToAnotherHost: a $ref naming a host is refused even when
// its path is a file of the suite: a schema refers to files of the suite
// by path, and a host is somewhere else.
func TestSchemaRefToAnotherHost(t *testing.T) {
	dir, _ := attackSuite(t, map[string]string{"schemas/defs.json": `{"type": "object"}`})
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	ref := "file://example.com" + filepath.ToSlash(abs) + "/schemas/defs.json"
	writeFiles(t, dir, map[string]string{"p.yaml": attackHead + "tests:\n  - vars: {name: a}\n    assert: [{type: json-schema, value: {$ref: \"" + ref + "\"}}]\n"})
	_, err = LoadSuite([]string{dir}, LoadOptions{})
	if err == nil || !strings.Contains(err.Error(), "$ref "+ref+" is outside the suite directory") {
		t.Errorf("error = %v; want the $ref refused as outside the suite", err)
	}
}

// TestAbsoluteLinkInsideTheSuite: os.Root refuses a link with an absolute
// target even when it points inside the suite; the message says to make it
// relative, not that it leaves the suite.
func TestAbsoluteLinkInsideTheSuite(t *testing.T) {
	dir, _ := attackSuite(t, map[string]string{
		"p.yaml":       attackHead + "tests:\n  - file: cases/c.jsonl\n",
		"data/c.jsonl": `{"vars": {"name": "a"}, "assert": [{"type": "is-json"}]}` + "\n",
	})
	abs, err := filepath.Abs(filepath.Join(dir, "data", "c.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	symlink(t, abs, filepath.Join(dir, "cases", "c.jsonl"))
	_, err = LoadSuite([]string{dir}, LoadOptions{})
	want := "(outside the suite directory " + dir + "? a link must be relative and stay inside it)"
	if err == nil || !strings.HasPrefix(err.Error(), dir+`/p.yaml:4: case file "cases/c.jsonl": cases/c.jsonl: `) || !strings.HasSuffix(err.Error(), want) {
		t.Errorf("error = %v; want one ending %s", err, want)
	}
}
