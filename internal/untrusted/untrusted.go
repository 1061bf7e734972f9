// Package untrusted escapes text that came from a pull request, a model or
// a provider (test and file names, outputs, error bodies) for the place it
// lands: one function per sink, so that no caller escapes on its own. It
// knows nothing of what the text means.
package untrusted

import (
	"fmt"
	"html"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Terminal makes s safe to print on a terminal: every control character
// (escape sequences, carriage returns, newlines, C1 controls) and every
// bidirectional override is shown as a Go escape (\x1b, \n, \u202e), so
// that text cannot move the cursor, clear the screen, set the window title,
// forge a line of the report or reorder what the reader sees. Tabs stay.
func Terminal(s string) string {
	if !strings.ContainsFunc(s, unsafeOnTerminal) && utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for i, w := 0, 0; i < len(s); i += w {
		r, size := utf8.DecodeRuneInString(s[i:])
		w = size
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case unsafeOnTerminal(r) && r < 0x100:
			fmt.Fprintf(&b, `\x%02x`, r)
		case unsafeOnTerminal(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func unsafeOnTerminal(r rune) bool {
	return r != '\t' && unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r)
}

// TerminalLines is Terminal for text meant to keep its lines: each line is
// escaped on its own.
func TerminalLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = Terminal(l)
	}
	return strings.Join(lines, "\n")
}

// WorkflowData escapes the message of a GitHub Actions workflow command, so
// that it stays one line and one command: GitHub's escapes for %, \r and
// \n, and the other control characters (ANSI sequences the log viewer
// would interpret) dropped.
func WorkflowData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(dropControls(s))
}

// WorkflowProperty escapes a property value of a workflow command (file,
// title): as WorkflowData, and the separators of properties too.
func WorkflowProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(dropControls(s))
}

// dropControls drops control characters other than newlines and tabs.
func dropControls(s string) string {
	return strings.Map(func(r rune) rune {
		if r != '\n' && r != '\r' && r != '\t' && unsafeOnTerminal(r) {
			return -1
		}
		return r
	}, s)
}

// StopCommands writes what write writes into a GitHub Actions job log
// between ::stop-commands::token and ::token::, so that no line of it runs
// as a workflow command (a test named "::set-output …" or a model's
// "::error::" stay text). token must be unpredictable to whoever wrote the
// text: a fresh random one per block (crypto/rand.Text).
func StopCommands(w io.Writer, token string, write func(io.Writer) error) error {
	if _, err := fmt.Fprintf(w, "::stop-commands::%s\n", token); err != nil {
		return err
	}
	werr := write(w)
	if _, err := fmt.Fprintf(w, "::%s::\n", token); werr == nil {
		werr = err
	}
	return werr
}

// MarkdownText makes s safe as inline Markdown (a heading, a list item, a
// table cell): on one line, control characters dropped, HTML escaped, and
// the characters that open code, links and images, split table cells or
// escape (\ ` [ ] |) escaped with a backslash, so that a name cannot break
// out of a table, add a link or image, or inject HTML such as
// <img onerror=…>. Emphasis is left alone: it changes only looks.
func MarkdownText(s string) string {
	s = oneLine(s)
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '&', '<', '>':
			b.WriteString(html.EscapeString(string(r)))
		case '\\', '`', '[', ']', '|':
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// MarkdownCode is s as an inline code span, fenced with more backticks than
// any run in s, on one line, with pipes escaped so that it also fits a
// table cell.
func MarkdownCode(s string) string {
	s = strings.ReplaceAll(oneLine(s), "|", `\|`)
	fence := strings.Repeat("`", longestRun(s, '`')+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		s = " " + s + " "
	}
	return fence + s + fence
}

// MarkdownBlock is s as a fenced code block with the info string lang,
// fenced with more backticks than any run in s (and at least four), control
// characters other than newlines and tabs dropped, so that the text cannot
// close the block and go on as Markdown or HTML.
func MarkdownBlock(s, lang string) string {
	s = strings.ReplaceAll(dropControls(s), "\r", "")
	fence := strings.Repeat("`", max(4, longestRun(s, '`')+1))
	return fence + lang + "\n" + s + "\n" + fence
}

// oneLine drops control characters, newlines becoming spaces.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			return ' '
		case unsafeOnTerminal(r):
			return -1
		}
		return r
	}, s)
}

func longestRun(s string, c byte) int {
	longest, run := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return longest
}
