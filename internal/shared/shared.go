// Package shared locates the team's read-only reference material (recorded
// provider traffic, API specs, labelled judge data) that sits beside the
// checkout as ../shared. Tests use it when it is there and skip cleanly when
// it is not, except in CI, where a missing file fails them: a CI run must
// not turn green by skipping the tests that check the adapters against real
// captures. Nothing in it is ever copied into the project.
package shared

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/llmfall/llmfall/internal/modroot"
)

// Path returns the absolute path of rel inside ../shared. When that file is
// not present it skips the test, or fails it when the CI environment
// variable is true (as GitHub Actions and most CI systems set it).
func Path(tb testing.TB, rel string) string {
	tb.Helper()
	return path(tb, rel, os.Getenv)
}

func path(tb testing.TB, rel string, getenv func(string) string) string {
	tb.Helper()
	missing := tb.Skipf
	if inCI(getenv) {
		missing = tb.Fatalf
	}
	root, err := modroot.Find()
	if err != nil {
		missing("reference material ../shared not found (%v); CI=%q", err, getenv("CI"))
		return ""
	}
	p := filepath.Join(filepath.Dir(root), "shared", filepath.FromSlash(rel))
	if _, err := os.Stat(p); err != nil {
		missing("reference file ../shared/%s not present (CI=%q: in CI it must be)", rel, getenv("CI"))
		return ""
	}
	return p
}

// inCI reports whether getenv says the tests run in CI.
func inCI(getenv func(string) string) bool {
	ci, err := strconv.ParseBool(getenv("CI"))
	return err == nil && ci
}
