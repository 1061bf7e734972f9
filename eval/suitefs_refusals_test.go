package eval

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// TestLinkToTheSuitesParent: a case file linked to the directory holding
// the suite is a link outside it, and the message says so (not that the
// link should be made relative, which it is).
func TestLinkToTheSuitesParent(t *testing.T) {
	dir, _ := attackSuite(t, map[string]string{"p.yaml": attackHead + "tests:\n  - file: c.jsonl\n"})
	symlink(t, "..", filepath.Join(dir, "c.jsonl"))
	_, err := LoadSuite([]string{dir}, LoadOptions{})
	want := dir + `/p.yaml:4: case file "c.jsonl": c.jsonl is a link outside the suite directory ` + dir
	if err == nil || err.Error() != want || !errors.Is(err, ErrOutsideSuite) {
		t.Errorf("error = %v; want %s", err, want)
	}
	if err != nil && strings.Contains(err.Error(), "must be relative") {
		t.Errorf("error %q asks for a relative link", err)
	}
}
