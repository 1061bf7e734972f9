package judge

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A file saved by an editor that writes a byte-order mark loads, in either
// format.
func TestLoadExamplesWithAByteOrderMark(t *testing.T) {
	for name, in := range map[string]string{
		"JSON Lines": "\ufeff" + `{"input": "q", "output": "a", "pass": true}` + "\n" + `{"input": "q", "output": "b", "pass": false}`,
		"JSON array": "\ufeff" + `[{"input": "q", "output": "a", "pass": true}, {"input": "q", "output": "b", "pass": false}]`,
	} {
		t.Run(name, func(t *testing.T) {
			got, err := LoadExamples(strings.NewReader(in))
			if err != nil || len(got) != 2 {
				t.Errorf("LoadExamples() = %d examples, %v; want 2", len(got), err)
			}
		})
	}
}

// Every bad item of an array is named, not only the first.
func TestLoadExamplesArrayNamesEveryBadItem(t *testing.T) {
	in := `[{"input": "q", "output": "a"}, {"input": "q", "output": "a", "pass": true}, {"input": "q", "output_1": "a", "output_2": "b", "label": 5}]`
	_, err := LoadExamples(strings.NewReader(in))
	if err == nil {
		t.Fatal("LoadExamples() error = nil; want items 1 and 3 named")
	}
	msg := err.Error()
	if !strings.Contains(msg, "item 1: ") || !strings.Contains(msg, "item 3: ") || strings.Contains(msg, "item 2") {
		t.Errorf("LoadExamples() error = %v; want items 1 and 3 named, and only them", err)
	}
}

// A file's errors name the file; a missing file is an error, not an empty set.
func TestLoadExamplesFile(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.jsonl")
	bad := filepath.Join(dir, "bad.jsonl")
	if err := os.WriteFile(good, []byte(`{"input": "q", "output": "a", "pass": true}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte(`{"input": "q", "output": "a"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if ex, err := LoadExamplesFile(good); err != nil || len(ex) != 1 {
		t.Errorf("LoadExamplesFile(good) = %d examples, %v; want 1", len(ex), err)
	}
	if _, err := LoadExamplesFile(bad); err == nil || !strings.HasPrefix(err.Error(), bad+": line 1: ") {
		t.Errorf("LoadExamplesFile(bad) error = %v; want it to start %q", err, bad+": line 1: ")
	}
	if _, err := LoadExamplesFile(filepath.Join(dir, "missing.jsonl")); !os.IsNotExist(err) {
		t.Errorf("LoadExamplesFile(missing) error = %v; want not found", err)
	}
}
