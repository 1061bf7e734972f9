package config

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/llmfall/llmfall/internal/yamlerr"
	"github.com/llmfall/llmfall/provider"
)

// decoder walks the yaml.Node tree itself, rather than unmarshalling into
// structs, so that every message carries the line of the offending key or
// value and every problem is collected instead of only the first.
type decoder struct {
	file  string
	types provider.Types
	errs  []*Error
	// set holds the dotted path of every key the file sets (Config.Has).
	set map[string]bool
}

// fail records a problem at n (its line; 0 when n is nil), prefixed with the
// dotted path of the value it is about.
func (d *decoder) fail(n *yaml.Node, path, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if path != "" {
		msg = path + ": " + msg
	}
	line := 0
	if n != nil {
		line = n.Line
	}
	d.errs = append(d.errs, &Error{File: d.file, Line: line, Msg: msg})
}

// err joins the problems found, sorted by line, with exact repeats (a bad
// value reached twice through a YAML alias, a bad judge listed twice)
// reported once, even when another problem of the line comes between.
func (d *decoder) err() error {
	if len(d.errs) == 0 {
		return nil
	}
	slices.SortStableFunc(d.errs, func(a, b *Error) int { return a.Line - b.Line })
	out := make([]error, 0, len(d.errs))
	seen := make(map[Error]bool, len(d.errs))
	for _, e := range d.errs {
		if seen[*e] {
			continue
		}
		seen[*e] = true
		out = append(out, e)
	}
	return errors.Join(out...)
}

// needs is what a config file must at least hold.
const needs = "define providers and categories, e.g. providers: {openai: {type: openai}} and categories: {fast: {openai: gpt-4.1-mini}}"

// document parses data into its root node, or records why it cannot and
// returns nil.
func (d *decoder) document(data []byte) *yaml.Node {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			d.fail(nil, "", "the file is empty: %s", needs)
			return nil
		}
		d.syntaxError(data, err)
		return nil
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case err == nil:
		d.fail(&next, "", "a second YAML document starts here; %s holds one document (remove the ---)", FileName)
	case !errors.Is(err, io.EOF):
		d.syntaxError(data, err)
	}
	if len(doc.Content) == 0 || isNull(doc.Content[0]) {
		d.fail(nil, "", "the file has no settings: %s", needs)
		return nil
	}
	return doc.Content[0]
}

// syntaxError reports a YAML parse error as file:line: message, at the
// line yamlerr places it.
func (d *decoder) syntaxError(data []byte, err error) {
	line, msg := yamlerr.Locate(data, err)
	d.errs = append(d.errs, &Error{File: d.file, Line: line, Msg: msg})
}

// deref follows aliases to the node they name.
func deref(n *yaml.Node) *yaml.Node {
	// yaml.v3 rejects an anchor that contains itself, so this ends; the bound
	// is a belt for braces.
	for i := 0; n != nil && n.Kind == yaml.AliasNode && n.Alias != nil && i < 100; i++ {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	n = deref(n)
	return n == nil || n.Kind == 0 || (n.Kind == yaml.ScalarNode && n.Tag == "!!null")
}

// describe names what a node holds, for "got ..." messages. Scalars are
// quoted, shortened and passed through provider.Redact, since a value in the
// wrong place may be an API key.
func describe(n *yaml.Node) string {
	n = deref(n)
	switch {
	case isNull(n):
		return "nothing"
	case n.Kind == yaml.MappingNode:
		return "a mapping"
	case n.Kind == yaml.SequenceNode:
		return "a list"
	case n.Kind == yaml.ScalarNode:
		return quote(n.Value)
	}
	return "an unexpected value"
}

// quote formats a user's value for a message: redacted and at most 40 runes.
func quote(s string) string {
	s = provider.Redact(s)
	if utf8.RuneCountInString(s) > 40 {
		r := []rune(s)
		s = string(r[:40]) + "…"
	}
	return strconv.Quote(s)
}

// pair is one key: value entry of a mapping.
type pair struct {
	key  string
	kn   *yaml.Node // the key, whose line locates problems with the entry
	val  *yaml.Node
	path string // the dotted path of the value
}

// entries returns the entries of the mapping n, reporting keys defined twice
// (yaml.v3 only catches those when decoding into Go values). A null value, a
// key with nothing after it, is an empty mapping. ok is false when n is not a
// mapping at all.
func (d *decoder) entries(n *yaml.Node, path string) (out []pair, ok bool) {
	n = deref(n)
	if isNull(n) {
		return nil, true
	}
	if n.Kind != yaml.MappingNode {
		d.fail(n, path, "must be a mapping of keys to values, got %s", describe(n))
		return nil, false
	}
	seen := make(map[string]int)
	for i := 0; i+1 < len(n.Content); i += 2 {
		kn := deref(n.Content[i])
		switch {
		case kn.Kind != yaml.ScalarNode:
			d.fail(kn, path, "keys must be plain names, got %s", describe(kn))
			continue
		case kn.Tag == "!!merge":
			d.fail(kn, path, "merge keys (<<) are not supported; write the keys out")
			continue
		}
		if first, dup := seen[kn.Value]; dup {
			d.fail(kn, path, "mapping key %s already defined at line %d", quote(kn.Value), first)
			continue
		}
		seen[kn.Value] = kn.Line
		out = append(out, pair{key: kn.Value, kn: kn, val: n.Content[i+1], path: join(path, kn.Value)})
	}
	return out, true
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// field is one known key of a fixed-shape mapping and how to decode its value.
type field struct {
	key    string
	decode func(p pair)
	// hidden keeps a key that is recognised (so it gets its own message) out
	// of the suggestions, because it is not valid at this place.
	hidden bool
}

// object decodes a mapping with a fixed set of keys.
func (d *decoder) object(n *yaml.Node, path string, fields []field) {
	entries, _ := d.entries(n, path)
	d.fields(entries, path, fields)
}

// fields decodes entries with a fixed set of keys, reporting any other key
// with a suggestion among the keys valid there.
func (d *decoder) fields(entries []pair, path string, fields []field) {
	var keys []string
	for _, f := range fields {
		if !f.hidden {
			keys = append(keys, f.key)
		}
	}
	for _, p := range entries {
		i := slices.IndexFunc(fields, func(f field) bool { return f.key == p.key })
		if i < 0 {
			d.unknownKey(p, path, keys)
			continue
		}
		d.set[p.path] = true
		fields[i].decode(p)
	}
}

func (d *decoder) unknownKey(p pair, path string, valid []string) {
	d.fail(p.kn, path, "unknown key %s%s", quote(p.key), hint(p.key, valid, "valid keys"))
}

// hint is " (did you mean "x"?)" when got is close to one of valid, else a
// list of valid under the given label.
func hint(got string, valid []string, label string) string {
	if s, ok := suggest(got, valid); ok {
		return fmt.Sprintf(" (did you mean %q?)", s)
	}
	if len(valid) == 0 {
		return ""
	}
	return fmt.Sprintf(" (%s: %s)", label, strings.Join(valid, ", "))
}

// hintAll is hint that lists the valid values even with a suggestion, for
// short closed sets such as provider types.
func hintAll(got string, valid []string, label string) string {
	list := fmt.Sprintf("%s: %s", label, strings.Join(valid, ", "))
	if s, ok := suggest(got, valid); ok {
		return fmt.Sprintf(" (did you mean %q? %s)", s, list)
	}
	return " (" + list + ")"
}

// scalar returns n as a non-null scalar, or reports what it is instead.
func (d *decoder) scalar(n *yaml.Node, path, want string) (*yaml.Node, bool) {
	n = deref(n)
	if isNull(n) || n.Kind != yaml.ScalarNode {
		d.fail(n, path, "must be %s, got %s", want, describe(n))
		return nil, false
	}
	return n, true
}

// str decodes a non-empty string.
func (d *decoder) str(n *yaml.Node, path, want string) (string, bool) {
	s, ok := d.scalar(n, path, want)
	if !ok {
		return "", false
	}
	if strings.TrimSpace(s.Value) == "" {
		d.fail(s, path, "must be %s, got an empty string", want)
		return "", false
	}
	return s.Value, true
}

// names decodes a list of non-empty strings; example shows the list syntax
// in messages.
func (d *decoder) names(n *yaml.Node, path, want, item, example string) ([]*yaml.Node, bool) {
	n = deref(n)
	if isNull(n) || n.Kind != yaml.SequenceNode {
		d.fail(n, path, "must be a list of %s, e.g. %s, got %s", want, example, describe(n))
		return nil, false
	}
	out := make([]*yaml.Node, 0, len(n.Content))
	ok := true
	for _, it := range n.Content {
		if _, good := d.str(it, path, item); !good {
			ok = false
			continue
		}
		out = append(out, deref(it))
	}
	return out, ok
}

// bound is the smallest value a number or duration may take.
type bound int

const (
	positive    bound = iota // > 0
	nonNegative              // >= 0
)

func (d *decoder) duration(dst *time.Duration, b bound) func(pair) {
	return func(p pair) {
		s, ok := d.scalar(p.val, p.path, "a duration such as 60s or 1m30s")
		if !ok {
			return
		}
		v, err := time.ParseDuration(s.Value)
		if err != nil {
			if _, numErr := strconv.ParseFloat(s.Value, 64); numErr == nil {
				d.fail(s, p.path, "%s has no unit (use e.g. 60s, 1m30s)", s.Value)
				return
			}
			d.fail(s, p.path, "%s is not a duration (use e.g. 60s, 1m30s)", quote(s.Value))
			return
		}
		if !d.inBound(s, p.path, cmp.Compare(v, 0), b, v.String()) {
			return
		}
		*dst = v
	}
}

func (d *decoder) integer(dst *int, min int) func(pair) {
	return func(p pair) {
		s, ok := d.scalar(p.val, p.path, "a whole number")
		if !ok {
			return
		}
		var v int
		if s.Tag != "!!int" || s.Decode(&v) != nil {
			d.fail(s, p.path, "%s is not a whole number%s", quote(s.Value), yamlerr.Unquote(s))
			return
		}
		switch {
		case v < 0 && min == 0:
			d.fail(s, p.path, "must not be negative, got %d", v)
			return
		case v < min:
			d.fail(s, p.path, "must be at least %d, got %d", min, v)
			return
		}
		*dst = v
	}
}

func (d *decoder) integer64(dst *int64) func(pair) {
	return func(p pair) {
		s, ok := d.scalar(p.val, p.path, "a whole number")
		if !ok {
			return
		}
		if s.Tag != "!!int" || s.Decode(dst) != nil {
			d.fail(s, p.path, "%s is not a whole number%s", quote(s.Value), yamlerr.Unquote(s))
		}
	}
}

// number decodes a finite float of at least 0.
func (d *decoder) number(dst *float64) func(pair) {
	return func(p pair) {
		if v, ok := d.float(p); ok && d.inBound(deref(p.val), p.path, cmp.Compare(v, 0), nonNegative, fmtFloat(v)) {
			*dst = v
		}
	}
}

// fraction decodes a float between 0 and 1, such as a rate or a threshold.
func (d *decoder) fraction(dst *float64) func(pair) {
	return func(p pair) {
		v, ok := d.float(p)
		if !ok {
			return
		}
		if v < 0 || v > 1 {
			d.fail(deref(p.val), p.path, "must be between 0 and 1, got %s", fmtFloat(v))
			return
		}
		*dst = v
	}
}

func (d *decoder) float(p pair) (float64, bool) {
	s, ok := d.scalar(p.val, p.path, "a number")
	if !ok {
		return 0, false
	}
	var v float64
	if (s.Tag != "!!int" && s.Tag != "!!float") || s.Decode(&v) != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		msg := fmt.Sprintf("%s is not a number%s", quote(s.Value), yamlerr.Unquote(s))
		if pct, err := strconv.ParseFloat(strings.TrimSuffix(s.Value, "%"), 64); err == nil && strings.HasSuffix(s.Value, "%") {
			msg += fmt.Sprintf(" (write a fraction: %s)", fmtFloat(pct/100))
		}
		d.fail(s, p.path, "%s", msg)
		return 0, false
	}
	return v, true
}

func fmtFloat(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// inBound checks the sign of a value (as cmp.Compare(v, 0)) against b;
// shown is the value as the message prints it.
func (d *decoder) inBound(n *yaml.Node, path string, sign int, b bound, shown string) bool {
	switch {
	case sign < 0:
		d.fail(n, path, "must not be negative, got %s", shown)
		return false
	case sign == 0 && b == positive:
		d.fail(n, path, "must be positive, got %s", shown)
		return false
	}
	return true
}

func (d *decoder) boolean(dst *bool) func(pair) {
	return func(p pair) {
		s, ok := d.scalar(p.val, p.path, "true or false")
		if !ok {
			return
		}
		v, ok := yamlerr.Bool(s)
		if !ok {
			d.fail(s, p.path, "%s is not true or false%s", quote(s.Value), yamlerr.Unquote(s))
			return
		}
		*dst = v
	}
}
