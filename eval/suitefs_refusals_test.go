package eval

import (
	"errors"
	"io/fs"
	"os"
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

// TestSuiteFilesMustBeRegular: a case file that is a directory, or a
// prompt file that is a link to one, is refused by name, not read.
func TestSuiteFilesMustBeRegular(t *testing.T) {
	dir, _ := attackSuite(t, map[string]string{
		"p.yaml":          attackHead + "tests:\n  - file: cases.jsonl\n",
		"cases.jsonl/a":   "",
		"sub/real.yml/.k": "",
	})
	symlink(t, "sub/real.yml", filepath.Join(dir, "linked.yaml"))
	_, err := LoadSuite([]string{dir}, LoadOptions{})
	want := dir + "/linked.yaml: linked.yaml is a directory, not a regular file\n" +
		dir + `/p.yaml:4: case file "cases.jsonl": cases.jsonl is a directory, not a regular file`
	if err == nil || err.Error() != want {
		t.Errorf("error =\n%v\nwant\n%s", err, want)
	}
}

// TestUnreadableCaseFile: a case file the runner may not read is the
// suite's mistake, said plainly: not taken for a link leaving the suite.
// (Root reads every file: the test runs as another user only.)
func TestUnreadableCaseFile(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads every file")
	}
	dir, _ := attackSuite(t, map[string]string{"p.yaml": attackHead + "tests:\n  - file: c.jsonl\n", "c.jsonl": "{}\n"})
	if err := os.Chmod(filepath.Join(dir, "c.jsonl"), 0); err != nil {
		t.Fatal(err)
	}
	_, err := LoadSuite([]string{dir}, LoadOptions{})
	want := dir + `/p.yaml:4: case file "c.jsonl": permission denied`
	if err == nil || err.Error() != want || errors.Is(err, ErrOutsideSuite) {
		t.Errorf("error = %v; want %s", err, want)
	}
}

// notRegular names what a refused file is, and says only that it is not
// a regular file when the kind is none of those it knows.
func TestNotRegularNamesTheKind(t *testing.T) {
	tests := []struct {
		mode fs.FileMode
		want string
	}{
		{fs.ModeDir, "f is a directory, not a regular file"},
		{fs.ModeNamedPipe, "f is a named pipe, not a regular file"},
		{fs.ModeSocket, "f is a socket, not a regular file"},
		{fs.ModeDevice, "f is a device, not a regular file"},
		{fs.ModeDevice | fs.ModeCharDevice, "f is a device, not a regular file"},
		{fs.ModeIrregular, "f is not a regular file"},
	}
	for _, tc := range tests {
		if got := notRegular("f", tc.mode|0o644).Error(); got != tc.want {
			t.Errorf("notRegular(%v) = %q; want %q", tc.mode, got, tc.want)
		}
	}
}
