package shared

import (
	"fmt"
	"testing"
)

// recorder is a testing.TB that records whether a test was skipped or
// failed instead of stopping it.
type recorder struct {
	testing.TB
	skipped, failed string
}

func (r *recorder) Helper()                        {}
func (r *recorder) Skipf(format string, a ...any)  { r.skipped = fmt.Sprintf(format, a...) }
func (r *recorder) Fatalf(format string, a ...any) { r.failed = fmt.Sprintf(format, a...) }

func TestMissingReference(t *testing.T) {
	const rel = "no/such/reference-file.json"
	tests := []struct {
		ci       string
		wantFail bool
	}{
		{"", false},
		{"false", false},
		{"true", true},
		{"1", true},
	}
	for _, tc := range tests {
		t.Run("CI="+tc.ci, func(t *testing.T) {
			r := &recorder{TB: t}
			got := path(r, rel, func(name string) string {
				if name == "CI" {
					return tc.ci
				}
				return ""
			})
			if got != "" {
				t.Errorf("path() = %q; want \"\" for a missing file", got)
			}
			if failed := r.failed != ""; failed != tc.wantFail || failed == (r.skipped != "") {
				t.Errorf("failed %q, skipped %q; want failed = %t and skipped otherwise", r.failed, r.skipped, tc.wantFail)
			}
		})
	}
}

// A file that is there is found, in CI or not, neither skipped nor failed.
func TestPresentReference(t *testing.T) {
	const rel = "STYLE.md"
	want := Path(t, rel) // skips, or fails in CI, where ../shared is missing
	for _, ci := range []string{"", "true"} {
		r := &recorder{TB: t}
		got := path(r, rel, func(string) string { return ci })
		if got != want || r.skipped != "" || r.failed != "" {
			t.Errorf("CI=%q: path() = %q, skipped %q, failed %q; want %q found", ci, got, r.skipped, r.failed, want)
		}
	}
}
