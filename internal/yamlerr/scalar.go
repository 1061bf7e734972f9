package yamlerr

import "gopkg.in/yaml.v3"

// Bool is the boolean n holds, by the one rule every loader applies where
// a boolean is expected; ok is false when n holds none (Unquote then says
// the fix for a quoted one). Nothing, a number or a quoted scalar is not a
// boolean: yaml.v3 reads YAML 1.1's yes, no, on and off into a bool even
// quoted, while a quoted "true" is text to it, so quotes are refused
// alike. Plain true, false, yes, no, on and off are booleans.
func Bool(n *yaml.Node) (v, ok bool) {
	n = alias(n)
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" || quoted(n) || n.Decode(&v) != nil {
		return false, false
	}
	return v, true
}

// Unquote is the fix to add to a message refusing a number or boolean
// written in quotes, which YAML reads as text: " (remove the quotes)", or
// "" when n is not quoted.
func Unquote(n *yaml.Node) string {
	if quoted(alias(n)) {
		return " (remove the quotes)"
	}
	return ""
}

func quoted(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0
}

// alias is the node an alias stands for (yaml.v3 anchors no alias, so one
// step is all), or n.
func alias(n *yaml.Node) *yaml.Node {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		return n.Alias
	}
	return n
}
