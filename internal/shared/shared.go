// Package shared locates the team's read-only reference material (recorded
// provider traffic, API specs, labelled judge data) that sits beside the
// checkout as ../shared. Tests use it when it is there and skip cleanly when
// it is not; nothing in it is ever copied into the project.
package shared

import (
	"os"
	"path/filepath"
	"testing"
)

// Path returns the absolute path of rel inside ../shared, or skips the test
// when that file is not present (a checkout without the reference material).
func Path(tb testing.TB, rel string) string {
	tb.Helper()
	root, ok := moduleRoot()
	if !ok {
		tb.Skip("module root not found; skipping test that reads ../shared")
	}
	p := filepath.Join(filepath.Dir(root), "shared", filepath.FromSlash(rel))
	if _, err := os.Stat(p); err != nil {
		tb.Skipf("reference file %s not present; skipping", rel)
	}
	return p
}

// moduleRoot walks up from the working directory (a package directory under
// go test) to the directory holding go.mod.
func moduleRoot() (string, bool) {
	dir, err := os.Getwd()
	if err != nil {
		return "", false
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, true
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false
		}
		dir = parent
	}
}
