// Package modroot finds the module's root directory from a test's working
// directory (its package directory under go test), so that tests can read
// the data several packages share in the top-level testdata/.
package modroot

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// Find walks up from the working directory to the directory holding go.mod.
func Find() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod in the working directory or above")
		}
		dir = parent
	}
}

// Testdata returns the path of rel (slash-separated) in the module's
// top-level testdata/, failing the test when the module root is not found.
func Testdata(tb testing.TB, rel string) string {
	tb.Helper()
	root, err := Find()
	if err != nil {
		tb.Fatalf("locate the module's testdata/: %v", err)
	}
	return filepath.Join(root, "testdata", filepath.FromSlash(rel))
}
