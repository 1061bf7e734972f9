package eval

import (
	"fmt"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// assertionErrors loads one assertion and returns what the loader reports.
func assertionErrors(t *testing.T, src string) string {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
		t.Fatal(err)
	}
	root, err := openSuiteRoot(t.TempDir(), DefaultMaxFileBytes)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { root.Close() })
	l := &fileLoader{file: "t.yaml", name: "t.yaml", root: root, opts: LoadOptions{MaxPromptBytes: DefaultMaxPromptBytes}}
	l.assertion(node{doc.Content[0], "t.yaml"}, nil)
	return fmt.Sprint(l.errs)
}

// A limit of 0 ms or $0 would fail every case: it is an error at load. A
// weight of 0 is allowed (the assertion is reported but counts for
// nothing); a negative one is not.
func TestAssertionLimitsAtZero(t *testing.T) {
	for _, tc := range []struct {
		src, want string // want "" for no error
	}{
		{"{type: latency, threshold: 0}", "threshold must be above 0"},
		{"{type: cost, threshold: 0}", "threshold must be above 0"},
		{"{type: latency, threshold: 1}", ""},
		{"{type: contains, value: refund, weight: 0}", ""},
		{"{type: contains, value: refund, weight: -1}", "weight must be at least 0"},
	} {
		got := assertionErrors(t, tc.src)
		if tc.want == "" && got != "[]" || tc.want != "" && !strings.Contains(got, tc.want) {
			t.Errorf("loading %s: errors %s; want %q", tc.src, got, tc.want)
		}
	}
}
