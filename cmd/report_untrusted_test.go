package cmd

import (
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// hostile is text that would run a workflow command, inject HTML, close a
// code fence or <details>, or drive the terminal, wherever it landed as is.
const hostile = "\x1b]0;t\x07\n::error::forged <img src=x onerror=alert(1)> <script>x</script> ``` </details>\r\u202e"

// TestReportOfACraftedResultsFile: a results document is input too (a pull
// request's job may have written it). With every string in it hostile,
// and the keys of its name-keyed maps, no report that llmfall report
// writes runs a workflow command, carries HTML or a control character, or
// is malformed.
func TestReportOfACraftedResultsFile(t *testing.T) {
	dir, err := filepath.Abs(filepath.Join("testdata", "golden"))
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	clean := filepath.Join(out, "clean.json")
	if code, _, stderr := evalIn(t, dir, nil, "prompts/", "--no-cache", "--repeat", "2", "-o", clean); code != ExitFailed {
		t.Fatalf("eval: exit code %d\n%s", code, stderr)
	}
	var doc any
	if err := json.Unmarshal(mustRead(t, clean), &doc); err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(poison(doc, ""))
	if err != nil {
		t.Fatal(err)
	}
	crafted := filepath.Join(out, "crafted.json")
	if err := os.WriteFile(crafted, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{"summary": filepath.Join(out, "summary.md"), "markdown": filepath.Join(out, "report.md"),
		"html": filepath.Join(out, "report.html"), "junit": filepath.Join(out, "junit.xml")}
	env := map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": files["summary"]}
	code, stdout, stderr := llmfallWithEnv(t, env, "report", crafted, "prompts/",
		"--markdown", files["markdown"], "--html", files["html"], "--junit", files["junit"])
	if code != ExitFailed && code != ExitOK && code != ExitProviders {
		t.Fatalf("report: exit code %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "forged") {
		t.Fatalf("the report shows none of the crafted text; the test proves nothing:\n%s", stdout)
	}
	checkJobLog(t, stdout)
	if strings.ContainsAny(stdout+stderr, "\x1b\x07\r\u202e") {
		t.Errorf("report printed control characters:\nstdout %q\nstderr %q", stdout, stderr)
	}
	for _, name := range []string{"summary", "markdown"} {
		md := string(mustRead(t, files[name]))
		outside := withoutCode(md)
		for _, bad := range []string{"<img", "<script", "</details> ", "```", "\x1b", "\x07", "\r", "\u202e", "\n::error::forged"} {
			if strings.Contains(outside, bad) {
				t.Errorf("%s carries %q outside the fenced outputs:\n%s", name, bad, md)
			}
		}
	}
	page := string(mustRead(t, files["html"]))
	for _, bad := range []string{"<img src=x", "<script>x"} {
		if strings.Contains(page, bad) {
			t.Errorf("the HTML report carries %q", bad)
		}
	}
	junit := mustRead(t, files["junit"])
	for d := xml.NewDecoder(strings.NewReader(string(junit))); ; {
		if _, err := d.Token(); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Errorf("the JUnit report is not well-formed XML: %v", err)
			break
		}
	}
	if strings.ContainsAny(string(junit), "\x1b\x07") {
		t.Error("the JUnit report carries control characters")
	}
}

// withoutCode is md without its fenced blocks and code spans of four or
// more backticks, the ones llmfall quotes untrusted text in: inside them
// text shows as it is.
func withoutCode(md string) string {
	md = regexp.MustCompile("(?s)`{4,}text\n.*?\n`{4,}\n").ReplaceAllString(md, "")
	var out strings.Builder
	for {
		at := strings.Index(md, "````")
		if at < 0 {
			return out.String() + md
		}
		n := at + len(md[at:]) - len(strings.TrimLeft(md[at:], "`")) // past the run
		run := md[at:n]
		end := strings.Index(md[n:], run)
		if end < 0 {
			return out.String() + md
		}
		out.WriteString(md[:at])
		md = md[n+end+len(run):]
	}
}

// poison puts hostile in front of every string of a decoded document and
// of the keys of the maps keyed by names (not by field).
func poison(v any, key string) any {
	switch v := v.(type) {
	case map[string]any:
		byName := key == "reasons" || key == "models" || key == "inputs" || key == "prompt_min_pass_rate"
		out := map[string]any{}
		for k, x := range v {
			nk := k
			if byName {
				nk = hostile + k
			}
			out[nk] = poison(x, k)
		}
		return out
	case []any:
		for i, x := range v {
			v[i] = poison(x, key)
		}
	case string:
		return hostile + v
	}
	return v
}

// checkJobLog fails t when a line of a job log outside a stop-commands
// block is a workflow command other than llmfall's own annotations.
func checkJobLog(t *testing.T, log string) {
	t.Helper()
	token := ""
	for line := range strings.Lines(log) {
		cmd := strings.TrimSpace(line)
		switch {
		case token == "" && strings.HasPrefix(cmd, "::stop-commands::"):
			token = strings.TrimPrefix(cmd, "::stop-commands::")
		case token != "" && cmd == "::"+token+"::":
			token = ""
		case token != "":
		case !strings.HasPrefix(cmd, "::") && !strings.Contains(cmd, "##["):
		case strings.HasPrefix(cmd, "::error ") || strings.HasPrefix(cmd, "::warning "):
			// Its properties end at the first "::": the crafted text
			// must not end them early (the message may say anything).
			props, _, _ := strings.Cut(cmd[2:], "::")
			if _, props, _ = strings.Cut(props, " "); strings.Contains(props, ":") {
				t.Errorf("an annotation's properties are not escaped: %q", cmd)
			}
		default:
			t.Errorf("a line outside the stop-commands block runs a workflow command: %q", line)
		}
	}
	if token != "" {
		t.Errorf("the stop-commands block is never closed:\n%s", log)
	}
}
