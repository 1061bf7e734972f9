package yamlerr

import (
	"testing"

	"gopkg.in/yaml.v3"
)

// Bool takes plain booleans, YAML 1.1's included, and refuses nothing, a
// number, other text and anything quoted, which yaml.v3 would otherwise
// read as a bool or not depending on the word ("no" yes, "false" no).
func TestBool(t *testing.T) {
	tests := []struct {
		yaml     string
		v, ok    bool
		unquoted bool // Unquote says nothing
	}{
		{"true", true, true, true}, {"false", false, true, true}, {"True", true, true, true},
		{"yes", true, true, true}, {"no", false, true, true}, {"on", true, true, true}, {"OFF", false, true, true},
		{"&a no\n", false, true, true},
		{`"no"`, false, false, false}, {`'yes'`, false, false, false}, {`"false"`, false, false, false}, {`"true"`, false, false, false},
		{"~", false, false, true}, {"1", false, false, true}, {"0.0", false, false, true}, {"maybe", false, false, true},
		{"[true]", false, false, true}, {"{a: true}", false, false, true},
	}
	for _, tc := range tests {
		var doc yaml.Node
		if err := yaml.Unmarshal([]byte(tc.yaml), &doc); err != nil {
			t.Fatalf("Unmarshal(%q): %v", tc.yaml, err)
		}
		n := doc.Content[0]
		if v, ok := Bool(n); v != tc.v || ok != tc.ok {
			t.Errorf("Bool(%s) = %v, %v; want %v, %v", tc.yaml, v, ok, tc.v, tc.ok)
		}
		want := " (remove the quotes)"
		if tc.unquoted {
			want = ""
		}
		if got := Unquote(n); got != want {
			t.Errorf("Unquote(%s) = %q; want %q", tc.yaml, got, want)
		}
	}
}

// An alias stands for the value it names: quotes and all.
func TestBoolThroughAlias(t *testing.T) {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte("a: &q \"no\"\nb: *q\nc: &p off\nd: *p\n"), &doc); err != nil {
		t.Fatal(err)
	}
	m := doc.Content[0].Content
	if _, ok := Bool(m[3]); ok || Unquote(m[3]) == "" {
		t.Errorf("Bool(*q) ok = %v, Unquote = %q; want refused with the quotes' fix", ok, Unquote(m[3]))
	}
	if v, ok := Bool(m[7]); v || !ok {
		t.Errorf("Bool(*p) = %v, %v; want false, true", v, ok)
	}
}
