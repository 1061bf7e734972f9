package toolspec

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/llmfall/llmfall/provider"
)

func TestParseTools(t *testing.T) {
	tools, errs := ParseTools([]byte(`- name: get_weather
  description: Current weather
  parameters: { type: object, properties: { city: { type: string } }, required: [city] }
- type: function
  function: { name: issue_refund, parameters: { type: object } }
- name: ping
`))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	want := []provider.Tool{
		{Name: "get_weather", Description: "Current weather", Parameters: json.RawMessage(`{"properties":{"city":{"type":"string"}},"required":["city"],"type":"object"}`)},
		{Name: "issue_refund", Parameters: json.RawMessage(`{"type":"object"}`)},
		{Name: "ping"},
	}
	got, _ := json.Marshal(tools)
	w, _ := json.Marshal(want)
	if string(got) != string(w) {
		t.Errorf("tools = %s\nwant    %s", got, w)
	}
}

func TestParseToolsErrors(t *testing.T) {
	tests := []struct {
		name, doc string
		want      []string
	}{
		{"not a list", "name: f\n", []string{"line 1: tools must be a list"}},
		{"empty", "[]\n", []string{"line 1: no tools in the list"}},
		{"empty document", "", []string{"no tools in the list"}},
		{"unknown key", "- name: f\n  params: {}\n", []string{`line 2: unknown key "params" in tool 1`}},
		{"bad name", "- name: get weather\n", []string{`line 1: tool 1: name "get weather" must be`}},
		{"no name", "- description: x\n", []string{"line 1: tool 1 has no name"}},
		{"duplicate", "- name: f\n- name: f\n", []string{`line 2: tool name "f" is already used at line 1`}},
		{"parameters not object schema", "- name: f\n  parameters: { type: string }\n", []string{"line 2: tool 1: parameters must be a schema of type object"}},
		{"parameters a string", "- name: f\n  parameters: object\n", []string{"line 2: tool 1: parameters must be a JSON Schema object"}},
		{"openai wrong type", "- type: func\n  function: { name: f }\n", []string{`line 1: tool 1: type "func", want function`}},
		{"openai mixed", "- type: function\n  name: f\n  function: { name: f }\n", []string{`line 2: tool 1: "name" goes inside "function"`}},
		{"type without function", "- type: function\n  name: f\n", []string{`"type" comes with "function"`}},
		// yaml.v3 leaves "line N:" off the first line, counts a parser
		// error's line from 0 and gives a bad byte no line.
		{"syntax on the first line", "- name: f: g\n", []string{"line 1: mapping values are not allowed in this context"}},
		{"bad indentation", "- name: f\n  description: d\n parameters: {}\n", []string{"line 3: did not find expected '-' indicator"}},
		{"bad byte", "- name: f\n  description: caf\xff\n", []string{"line 2: invalid leading UTF-8 octet"}},
		{"every problem", "- name: a b\n- name: f\n  extra: 1\n", []string{`line 1: tool 1: name "a b"`, `line 3: unknown key "extra" in tool 2`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, errs := ParseTools([]byte(tc.doc))
			if len(errs) != len(tc.want) {
				t.Fatalf("errors = %v; want %d", errs, len(tc.want))
			}
			for i, e := range errs {
				if !strings.Contains(e.Error(), tc.want[i]) {
					t.Errorf("error %d = %q; want %q", i, e, tc.want[i])
				}
			}
		})
	}
}

func TestChoice(t *testing.T) {
	tools := []provider.Tool{{Name: "lookup"}, {Name: "cancel"}}
	for s, want := range map[string]provider.ToolChoice{
		"auto":     {Mode: provider.ToolChoiceAuto},
		"none":     {Mode: provider.ToolChoiceNone},
		"required": {Mode: provider.ToolChoiceRequired},
		"cancel":   {Mode: provider.ToolChoiceTool, Name: "cancel"},
	} {
		if got, err := Choice(s, tools); err != nil || got != want {
			t.Errorf("Choice(%q) = %+v, %v; want %+v", s, got, err, want)
		}
	}
	if _, err := Choice("refund", tools); err == nil || !strings.Contains(err.Error(), `"refund" names no tool (want auto, none, required or one of: lookup, cancel)`) {
		t.Errorf("Choice(refund) error = %v", err)
	}
}

func TestSchemaName(t *testing.T) {
	for in, want := range map[string]string{"weather report.json": "weather_report", "order.schema.json": "order_schema", "": "response", strings.Repeat("a", 70) + ".json": strings.Repeat("a", 64)} {
		if got := SchemaName(in); got != want {
			t.Errorf("SchemaName(%q) = %q; want %q", in, got, want)
		}
	}
}

func TestImages(t *testing.T) {
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
	if img, err := ImageData("a.png", png); err != nil || img.MediaType != "image/png" {
		t.Errorf("ImageData(png) = %+v, %v", img, err)
	}
	if _, err := ImageData("notes.txt", []byte("hello")); err == nil || !strings.Contains(err.Error(), "notes.txt: text/plain; charset=utf-8 is not an image type") {
		t.Errorf("ImageData(text) error = %v", err)
	}
	if img := ImageURL("https://example.com/a.JPG"); img.URL != "https://example.com/a.JPG" || img.MediaType != "image/jpeg" {
		t.Errorf("ImageURL = %+v", img)
	}
	if !IsURL("http://x/a.png") || IsURL("photos/a.png") {
		t.Error("IsURL misreads")
	}
}

func TestCalls(t *testing.T) {
	got, _ := json.Marshal(Calls([]provider.ToolCall{{ID: "c1", Name: "f", Arguments: json.RawMessage(`"raw text"`)}, {ID: "c2", Name: "g", Arguments: json.RawMessage(`{"a":1}`)}}))
	if want := `[{"id":"c1","name":"f","arguments":{"arguments":"raw text"}},{"id":"c2","name":"g","arguments":{"a":1}}]`; string(got) != want {
		t.Errorf("Calls = %s; want %s", got, want)
	}
	if Calls(nil) != nil {
		t.Error("Calls(nil) != nil")
	}
}
