package config

import (
	"testing"

	"github.com/llmfall/llmfall/provider/registry"
)

// A syntax error names the line to edit, wherever yaml.v3 put its count:
// it leaves "line N:" out for the first line, counts a parser error's line
// from 0, and gives a reader error (bad UTF-8, a control character) none.
func TestSyntaxErrorLines(t *testing.T) {
	const ok = "providers:\n  openai: { type: openai }\n"
	tests := []struct {
		name, yaml, want string
	}{
		{"scanner error on the first line", `providers: "openai" type: openai` + "\n",
			"llmfall.yaml:1: mapping values are not allowed in this context"},
		{"tab on the first line", "\tproviders:\n",
			"llmfall.yaml:1: found character that cannot start any token (indent with spaces, not tabs)"},
		{"tab on the last line, without a line feed", "providers:\n\topenai: { type: openai }",
			"llmfall.yaml:2: found character that cannot start any token (indent with spaces, not tabs)"},
		{"a character that cannot start a token, not a tab", ok + "categories: { fast: { openai: @gpt } }\n",
			"llmfall.yaml:3: found character that cannot start any token"},
		{"scanner error further down", ok + "categories: { fast: { openai: \"\\q\" } }\n",
			"llmfall.yaml:3: found unknown escape character"},
		{"unclosed flow sequence", ok + "categories:\n  fast: [openai: gpt-4.1-mini\njudge: { category: fast }\n",
			"llmfall.yaml:4: did not find expected ',' or ']'"},
		// Opened on the first line, the mapping is reported where yaml.v3
		// found it unclosed: the end of the file.
		{"unclosed flow mapping on the first line", "providers: { openai: { type: openai }\n",
			"llmfall.yaml:2: did not find expected ',' or '}'"},
		// A tab inside a value is no indentation: no hint.
		{"tab in an unclosed list", ok + "categories:\n  fast: { openai: [gpt-4.1,\tgpt-4.1-mini }\n",
			"llmfall.yaml:4: did not find expected ',' or ']'"},
		// A scanner error whose words are close to a reader error's.
		{"invalid escape", ok + "categories: { fast: { openai: \"\\uD800\" } }\n",
			"llmfall.yaml:3: found invalid Unicode character escape code"},
		{"control character", ok + "categories: { fast: { openai: \"gpt\x01\" } }\n",
			"llmfall.yaml:3: control characters are not allowed"},
		// A no-break space is text; DEL is a control character.
		{"delete after a no-break space", "providers:\n  openai: { type: openai } # caf\u00e9\u00a0au lait\ncategories: { fast: { openai: \"gpt\x7f\" } }\n",
			"llmfall.yaml:3: control characters are not allowed"},
		{"invalid UTF-8", ok + "categories: { fast: { openai: gpt-4\xff } }\n",
			"llmfall.yaml:3: invalid leading UTF-8 octet"},
		// An alias to no anchor is found after parsing, with no position.
		{"unknown anchor", ok + "categories: { fast: *nope }\n",
			"llmfall.yaml: unknown anchor 'nope' referenced"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(FileName, []byte(tc.yaml), registry.Types())
			if err == nil || err.Error() != tc.want {
				t.Errorf("Parse() error = %v; want %q", err, tc.want)
			}
		})
	}
}
