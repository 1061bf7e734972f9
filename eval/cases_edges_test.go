package eval

import (
	"strings"
	"testing"
)

// TestJSONLLinesAsEncodersWriteThem: a JSONL case file as JSON encoders
// write it loads: Python's json.dumps writes an emoji as a surrogate-pair
// escape, and JSON allows a raw DEL; neither is valid YAML, and both were
// refused as "not a JSON object". Numbers, booleans and null keep their
// types.
func TestJSONLLinesAsEncodersWriteThem(t *testing.T) {
	s := loadDir(t, map[string]string{
		"p.yaml": "category: fast\nprompt: \"{{.q}} {{.n}} {{.f}} {{.b}} {{.z}} {{.list}}\"\ntests:\n  - file: c.jsonl\n",
		"c.jsonl": `{"vars": {"q": "I \ud83d\ude00 it", "n": 12, "f": 1.5, "b": true, "z": null, "list": [1, "x"]}, "assert": [{"type": "contains", "value": "\ud83d\ude00"}]}` + "\n" +
			"{\"vars\": {\"q\": \"a\x7fb\", \"n\": 0, \"f\": 0, \"b\": false, \"z\": 0, \"list\": 0}, \"assert\": [{\"type\": \"contains\", \"value\": \"\\u007f\"}]}\n",
	})
	tests := s.Prompts[0].Tests
	if len(tests) != 2 {
		t.Fatalf("got %d tests; want 2", len(tests))
	}
	if got, want := tests[0].User, "I 😀 it 12 1.5 true <no value> [1 x]"; got != want {
		t.Errorf("first case's prompt = %q; want %q", got, want)
	}
	if got, want := string(tests[0].Vars), `{"b":true,"f":1.5,"list":[1,"x"],"n":12,"q":"I 😀 it","z":null}`; got != want {
		t.Errorf("first case's vars = %s; want %s", got, want)
	}
	if a := tests[0].Asserts[0]; a.Value != "😀" || a.Line != 1 || !strings.HasSuffix(a.File, "c.jsonl") {
		t.Errorf("first case's assertion = %q at %s; want the emoji at c.jsonl:1", a.Value, a.Where())
	}
	if got := tests[1].User; !strings.HasPrefix(got, "a\x7fb ") {
		t.Errorf("second case's prompt = %q; want it to start with a DEL between a and b", got)
	}
	if tests[1].Name != "c.jsonl:2" || tests[1].Line != 2 {
		t.Errorf("second case = %s at line %d; want c.jsonl:2", tests[1].Name, tests[1].Line)
	}
}

// TestEmptyCaseFileName: `file: ""` is reported, not skipped in silence
// (the prompt's other tests would run without the case file's, and the
// gate pass on fewer cases than meant); `file: null` is reported once.
func TestEmptyCaseFileName(t *testing.T) {
	head := "category: fast\nprompt: hi\ntests:\n  - assert: [{type: is-json}]\n"
	for entry, want := range map[string]string{
		`""`:   `p/p.yaml:5: file is empty: name a case file (.jsonl, .yaml, .yml or .csv)`,
		`null`: `p/p.yaml:5: file must be a string`,
	} {
		err := loadSuiteDir(t, map[string]string{"p.yaml": head + "  - file: " + entry + "\n"}, LoadOptions{})
		if err == nil || err.Error() != want {
			t.Errorf("file: %s: error = %v; want %s", entry, err, want)
		}
	}
}
