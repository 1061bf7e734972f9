package provider

import (
	"net/http"
	"slices"
	"testing"
)

// A config's `type:` is looked up by its exact name, and messages list
// the types in the order the registry gives them.
func TestTypesLookupAndNames(t *testing.T) {
	ts := Types{{Name: "openai"}, {Name: "anthropic", KeyEnv: []string{"ANTHROPIC_API_KEY"}}, {Name: "sim", Simulated: true}}
	if got, ok := ts.Lookup("anthropic"); !ok || got.Name != "anthropic" || !slices.Equal(got.KeyEnv, []string{"ANTHROPIC_API_KEY"}) {
		t.Errorf("Lookup(anthropic) = %+v, %t; want the anthropic type", got, ok)
	}
	if got, ok := ts.Lookup("sim"); !ok || !got.Simulated {
		t.Errorf("Lookup(sim) = %+v, %t; want the simulated type", got, ok)
	}
	if got, ok := ts.Lookup("Openai"); ok {
		t.Errorf("Lookup(Openai) = %+v; want no type (names are exact)", got)
	}
	if want := []string{"openai", "anthropic", "sim"}; !slices.Equal(ts.Names(), want) {
		t.Errorf("Names() = %q; want %q", ts.Names(), want)
	}
	if got := (Types{}).Names(); len(got) != 0 {
		t.Errorf("Names() of no types = %q; want none", got)
	}
}

// A response is a JSON document (an error a gateway sent instead of a
// stream, or a server that ignored stream: true) when its Content-Type
// says so, with parameters or as a +json type; anything else, a missing
// Content-Type included, is read as the event stream asked for.
func TestIsJSON(t *testing.T) {
	for ct, want := range map[string]bool{
		"application/json":                true,
		"application/json; charset=utf-8": true,
		"Application/JSON":                true,
		"application/problem+json":        true,
		"text/event-stream":               false,
		"text/html; charset=utf-8":        false,
		"application/jsonl":               false,
		"":                                false,
	} {
		h := http.Header{}
		if ct != "" {
			h.Set("Content-Type", ct)
		}
		if got := IsJSON(h); got != want {
			t.Errorf("IsJSON(Content-Type %q) = %t; want %t", ct, got, want)
		}
	}
}

// Only an image part makes a request one a text-only model cannot take:
// text parts, tool calls and tool results do not.
func TestHasImagesOnlyForImageParts(t *testing.T) {
	text := Request{Messages: []Message{
		{Role: RoleUser, Content: "look", Parts: []Part{{Text: "at this"}}},
		{Role: RoleAssistant, ToolCalls: []ToolCall{{ID: "c1", Name: "fetch", Arguments: []byte(`{}`)}}},
		{Role: RoleTool, ToolCallID: "c1", Parts: []Part{{Text: "done"}}},
	}}
	if text.HasImages() {
		t.Error("HasImages() of text parts only = true; want false")
	}
	withImage := Request{Messages: append(text.Messages, Message{Role: RoleUser, Parts: []Part{{Text: "and"}, {Image: &Image{URL: "https://example.com/a.png"}}}})}
	if !withImage.HasImages() {
		t.Error("HasImages() with an image after text parts = false; want true")
	}
}
