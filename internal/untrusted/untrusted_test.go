package untrusted

import (
	"bytes"
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
		{"block", MarkdownBlock("x\n`````\n<b>\x1b[2J", "text"), "``````text\nx\n`````\n<b>[2J\n``````"},
		{"block keeps four backticks", MarkdownBlock("plain", "text"), "````text\nplain\n````"},
	}
	for _, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("%s = %q; want %q", tc.name, tc.got, tc.want)
		}
	}
}
