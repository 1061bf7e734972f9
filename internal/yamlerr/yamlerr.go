// Package yamlerr is what every loader of a YAML file (configuration,
// prompt and case files, scenarios, tool lists) shares about yaml.v3's
// errors and quirks: it places parse errors on the line of the file they
// are about, so that each names the line to edit, and holds the rule for a
// value where a boolean is expected (Bool), which yaml.v3 alone reads
// inconsistently. It knows nothing of the documents; each loader formats
// the line and message in its own error type.
package yamlerr

import (
	"bytes"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

var yamlLine = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^yaml: line (\d+): `) })

// Locate returns the line of data that err, an error of yaml.v3's
// Unmarshal or Decode reading data, is about (0 when none: an alias
// problem, found after parsing) and its message without yaml's own
// "yaml: line N: " prefix. A tab where a token should start gets the fix
// in the message.
//
// A yaml.TypeError is not a parse error: its lines are the nodes' and need
// no correction.
func Locate(data []byte, err error) (line int, msg string) {
	msg = err.Error()
	if m := yamlLine().FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = msg[len(m[0]):]
	} else {
		msg = strings.TrimPrefix(msg, "yaml: ")
	}
	line = errorLine(data, msg, line)
	if strings.Contains(msg, "cannot start any token") && line > 0 && lineHasTab(data, line) {
		msg += " (indent with spaces, not tabs)"
	}
	return line, msg
}

// yaml.v3's parser problems: it reports their line counted from 0.
var parserProblems = []string{
	"did not find expected ',' or ']'", "did not find expected ',' or '}'", "did not find expected '-' indicator",
	"did not find expected <document start>", "did not find expected <stream-start>", "did not find expected key",
	"did not find expected node content", "found duplicate %TAG directive", "found duplicate %YAML directive",
	"found incompatible YAML document", "found undefined tag handle",
}

// yaml.v3's reader problems (bytes it cannot read as text), which carry
// no position; and the starts of its composer's (aliases), found after
// parsing. Whole messages: a scanner error ("found invalid Unicode
// character escape code") shares words with them.
var (
	readerProblems = []string{
		"invalid leading UTF-8 octet", "incomplete UTF-8 octet sequence", "invalid trailing UTF-8 octet",
		"invalid length of a UTF-8 sequence", "invalid Unicode character", "incomplete UTF-16 character",
		"unexpected low surrogate area", "incomplete UTF-16 surrogate pair", "expected low surrogate area",
		"control characters are not allowed",
	}
	composerProblems = []string{"unknown anchor '", "anchor '", "document contains excessive aliasing"}
)

// errorLine is the line of the file a yaml.v3 error is about, given the
// line its message names (0 for none). yaml.v3 counts a parser error's
// line from 0 and a scanner error's from 1, and leaves "line N:" out when
// its count is 0, so a problem on the first line had no line. A reader
// error has no position: it is on the first line YAML cannot read. Only a
// composer error (an alias) stays without a line.
func errorLine(data []byte, msg string, line int) int {
	composer := slices.ContainsFunc(composerProblems, func(p string) bool { return strings.HasPrefix(msg, p) })
	switch {
	case slices.Contains(parserProblems, msg):
		return line + 1
	case slices.Contains(readerProblems, msg):
		return unreadableLine(data)
	case line == 0 && !composer:
		return 1
	}
	return line
}

// unreadableLine is the first line with a byte that is not UTF-8 or a
// character YAML does not allow (the C0 and C1 controls but tab, line
// feed, carriage return and next line; surrogates; U+FFFE and U+FFFF),
// or 0 when every line reads.
func unreadableLine(data []byte) int {
	for i, l := range bytes.Split(data, []byte("\n")) {
		for len(l) > 0 {
			r, size := utf8.DecodeRune(l)
			if (r == utf8.RuneError && size <= 1) || !yamlPrintable(r) {
				return i + 1
			}
			l = l[size:]
		}
	}
	return 0
}

func yamlPrintable(r rune) bool {
	switch {
	case r == '\t', r == '\r', r == 0x85:
		return true
	case r < 0x20, r >= 0x7f && r < 0xa0, r >= 0xd800 && r <= 0xdfff, r == 0xfffe, r == 0xffff:
		return false
	}
	return true
}

func lineHasTab(data []byte, line int) bool {
	lines := bytes.Split(data, []byte("\n"))
	return line <= len(lines) && bytes.ContainsRune(lines[line-1], '\t')
}
