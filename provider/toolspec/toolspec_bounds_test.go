package toolspec

import (
	"strings"
	"testing"
)

// A problem with the whole document has no line to name: the message is
// the problem alone, not "line 0: ...".
func TestDocumentErrorHasNoLine(t *testing.T) {
	_, errs := ParseTools(nil)
	if len(errs) != 1 || errs[0].Error() != "no tools in the list" {
		t.Errorf("ParseTools(empty) errors = %v; want just %q", errs, "no tools in the list")
	}
}

// Names may be 64 characters long, the limit every provider shares; 65 is
// one too many.
func TestToolNameLength(t *testing.T) {
	if !ValidName(strings.Repeat("n", 64)) || ValidName(strings.Repeat("n", 65)) {
		t.Errorf("ValidName of 64, 65 characters = %v, %v; want true, false", ValidName(strings.Repeat("n", 64)), ValidName(strings.Repeat("n", 65)))
	}
	tools, errs := ParseTools([]byte("- name: " + strings.Repeat("n", 64) + "\n"))
	if len(errs) != 0 || len(tools) != 1 {
		t.Errorf("a 64-character name: tools %v, errors %v; want it read", tools, errs)
	}
}

// OpenAI's form without its "type" (which says only "function") is read,
// and a description that is not a string is refused at its line.
func TestToolFormsAndDescription(t *testing.T) {
	tools, errs := ParseTools([]byte("- function: { name: refund, description: Refund an order }\n"))
	if len(errs) != 0 || len(tools) != 1 || tools[0].Name != "refund" || tools[0].Description != "Refund an order" {
		t.Errorf("function form without type: tools %+v, errors %v; want refund read", tools, errs)
	}
	_, errs = ParseTools([]byte("- name: f\n  description: { text: x }\n"))
	if len(errs) != 1 || errs[0].Error() != "line 2: tool 1: description must be a string" {
		t.Errorf("description as a mapping: errors %v; want line 2: tool 1: description must be a string", errs)
	}
}

// Every problem of a list is reported, those after a duplicate name too.
func TestProblemsAfterADuplicateName(t *testing.T) {
	_, errs := ParseTools([]byte("- name: f\n- name: f\n- name: a b\n"))
	if len(errs) != 2 || !strings.Contains(errs[0].Error(), `line 2: tool name "f" is already used`) || !strings.Contains(errs[1].Error(), `line 3: tool 3: name "a b"`) {
		t.Errorf("errors = %v; want the duplicate at line 2 and the bad name at line 3", errs)
	}
}

// Parameters without a "type" (properties alone) are an object schema as
// far as llmfall can tell: they are taken as written.
func TestParametersWithoutType(t *testing.T) {
	tools, errs := ParseTools([]byte("- name: f\n  parameters: { properties: { city: { type: string } } }\n"))
	if len(errs) != 0 || len(tools) != 1 || string(tools[0].Parameters) != `{"properties":{"city":{"type":"string"}}}` {
		t.Errorf("tools %+v, errors %v; want the parameters as written", tools, errs)
	}
}

// An unknown key is reported without hiding the keys after it.
func TestKeysAfterAnUnknownKey(t *testing.T) {
	tools, errs := ParseTools([]byte("- params: {}\n  name: f\n  description: d\n"))
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), `line 1: unknown key "params" in tool 1`) {
		t.Errorf("errors = %v; want only the unknown key", errs)
	}
	if len(tools) != 0 {
		t.Errorf("tools = %+v; want none from a list with problems", tools)
	}
}
