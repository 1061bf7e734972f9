package yamlerr

import (
	"testing"

	"gopkg.in/yaml.v3"
)

// Locate puts each kind of yaml.v3 error on the line to edit: a scanner
// error on the first line (no "line N:"), a parser error (counted from 0),
// a bad byte (no position), and an alias problem, which has no line.
func TestLocate(t *testing.T) {
	tests := []struct {
		name, yaml string
		line       int
		msg        string
	}{
		{"scanner error on the first line", "a: b: c\n", 1, "mapping values are not allowed in this context"},
		{"scanner error further down", "a: 1\nb: \"\\q\"\n", 2, "found unknown escape character"},
		{"parser error: the line of the unclosed list", "a: 1\nb: [1, 2\nc: 3\n", 2, "did not find expected ',' or ']'"},
		{"parser error: bad indentation", "a:\n  - 1\n b: 2\n", 3, "did not find expected key"},
		{"bad byte", "a: 1\nb: x\xff\n", 2, "invalid leading UTF-8 octet"},
		{"control character", "a: 1\n\nb: \"x\x01\"\n", 3, "control characters are not allowed"},
		{"tab", "a:\n\tb: 1\n", 2, "found character that cannot start any token (indent with spaces, not tabs)"},
		{"unknown anchor", "a: *nope\n", 0, "unknown anchor 'nope' referenced"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var n yaml.Node
			err := yaml.Unmarshal([]byte(tc.yaml), &n)
			if err == nil {
				t.Fatal("Unmarshal() error = nil; want one")
			}
			line, msg := Locate([]byte(tc.yaml), err)
			if line != tc.line || msg != tc.msg {
				t.Errorf("Locate(%q) = %d, %q; want %d, %q", err, line, msg, tc.line, tc.msg)
			}
		})
	}
}
