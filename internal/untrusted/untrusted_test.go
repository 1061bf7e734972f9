package untrusted

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

// attacks are texts a pull request, a model or a provider could send.
var attacks = []string{
	"::set-output name=gate::passed",
	"fine\n::error::the gate passed\r\n##[warning]x",
	"```\n</details><img src=x onerror=alert(1)>\n```",
	"\x1b]0;owned title\x07\x1b[2J\x1b[1;1Hgate: passed",
	"evil\u202etxt.yaml",
	"pipe | in [a](http://x) `code` and \\| escaped",
}

func TestTerminal(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain name-1 ✓ tab\there", "plain name-1 ✓ tab\there"},
		{attacks[1], `fine\n::error::the gate passed\r\n##[warning]x`},
		{attacks[3], `\x1b]0;owned title\x07\x1b[2J\x1b[1;1Hgate: passed`},
		{attacks[4], `evil\u202etxt.yaml`},
		{"c1 \u009b31m and bad utf-8 \xff", `c1 \x9b31m and bad utf-8 \xff`},
	}
	for _, tc := range tests {
		if got := Terminal(tc.in); got != tc.want {
			t.Errorf("Terminal(%q) = %q; want %q", tc.in, got, tc.want)
		}
	}
	for _, a := range attacks {
		got := Terminal(a)
		if strings.ContainsAny(got, "\x1b\x07\n\r\u009b\u202e") {
			t.Errorf("Terminal(%q) = %q keeps a control character", a, got)
		}
		if lines := TerminalLines(a); strings.ContainsAny(lines, "\x1b\x07\r") {
			t.Errorf("TerminalLines(%q) = %q keeps a control character", a, lines)
		}
	}
}

func TestWorkflowCommands(t *testing.T) {
	if got, want := WorkflowData(attacks[1]), "fine%0A::error::the gate passed%0D%0A##[warning]x"; got != want {
		t.Errorf("WorkflowData = %q; want %q", got, want)
	}
	if got, want := WorkflowProperty("a: b, 100%\n"), "a%3A b%2C 100%25%0A"; got != want {
		t.Errorf("WorkflowProperty = %q; want %q", got, want)
	}
	// The job log's viewer reads ANSI sequences: both drop every control
	// character but the ones they escape, and bidirectional overrides.
	for name, escape := range map[string]func(string) string{"WorkflowData": WorkflowData, "WorkflowProperty": WorkflowProperty} {
		if got, want := escape("\x1b[31mred\x07\u009b2J\tevil\u202etxt"), "[31mred2J\teviltxt"; got != want {
			t.Errorf("%s = %q; want %q", name, got, want)
		}
	}
	var b bytes.Buffer
	err := StopCommands(&b, "tok123", func(w io.Writer) error {
		_, err := io.WriteString(w, attacks[0]+"\n"+attacks[1]+"\n")
		return err
	})
	want := "::stop-commands::tok123\n" + attacks[0] + "\n" + attacks[1] + "\n::tok123::\n"
	if err != nil || b.String() != want {
		t.Errorf("StopCommands wrote %q, %v; want %q", b.String(), err, want)
	}
}

// failingWriter fails every write from the failAt-th (counted from 1) on.
type failingWriter struct{ writes, failAt int }

var errWrite = errors.New("disk full")

func (w *failingWriter) Write(p []byte) (int, error) {
	w.writes++
	if w.writes >= w.failAt {
		return 0, errWrite
	}
	return len(p), nil
}

// StopCommands closes the block even when write fails, so that workflow
// commands run again after it, and returns the first error: write's, or
// else the closing line's, never hiding either.
func TestStopCommandsErrors(t *testing.T) {
	reportFailed := errors.New("report failed")
	var b bytes.Buffer
	err := StopCommands(&b, "tok", func(w io.Writer) error {
		io.WriteString(w, "half a report\n")
		return reportFailed
	})
	if want := "::stop-commands::tok\nhalf a report\n::tok::\n"; err != reportFailed || b.String() != want {
		t.Errorf("StopCommands with a failing write wrote %q, %v; want %q, %v", b.String(), err, want, reportFailed)
	}

	// Writes: the opening line, the report, the closing line.
	fw := &failingWriter{failAt: 3}
	err = StopCommands(fw, "tok", func(w io.Writer) error {
		_, err := io.WriteString(w, "report\n")
		return err
	})
	if err != errWrite {
		t.Errorf("StopCommands whose closing line fails = %v; want %v", err, errWrite)
	}

	fw = &failingWriter{failAt: 1}
	called := false
	err = StopCommands(fw, "tok", func(io.Writer) error { called = true; return nil })
	if err != errWrite || called {
		t.Errorf("StopCommands whose opening line fails = %v, write called %v; want %v and no write", err, called, errWrite)
	}
}

func TestMarkdown(t *testing.T) {
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"text", MarkdownText(attacks[2]), "\\`\\`\\` &lt;/details&gt;&lt;img src=x onerror=alert(1)&gt; \\`\\`\\`"},
		{"text with links and pipes", MarkdownText(attacks[5]), "pipe \\| in \\[a\\](http://x) \\`code\\` and \\\\\\| escaped"},
		{"text drops controls", MarkdownText(attacks[3]), `\]0;owned title\[2J\[1;1Hgate: passed`},
		{"code", MarkdownCode("a`b``c|d"), "```a`b``c\\|d```"},
		{"code starting with a backtick", MarkdownCode("`x"), "`` `x ``"},
		{"code on one line", MarkdownCode("a\nb\x1b[2J\u202e|c"), "`a b[2J\\|c`"},
		{"block", MarkdownBlock("x\n`````\n<b>\x1b[2J", "text"), "``````text\nx\n`````\n<b>[2J\n``````"},
		{"block keeps four backticks", MarkdownBlock("plain", "text"), "````text\nplain\n````"},
		{"block drops carriage returns", MarkdownBlock("a\r\nb\rc", "text"), "````text\na\nbc\n````"},
	}
	for _, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("%s = %q; want %q", tc.name, tc.got, tc.want)
		}
	}
}
