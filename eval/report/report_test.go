package report

import (
	"bytes"
	"encoding/xml"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/llmfall/llmfall/eval"
	"github.com/llmfall/llmfall/provider"

	"github.com/llmfall/llmfall/clock"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs (-want +got):\n%s", name, diff)
	}
}

// reportResults is a small run with a pass, a failure on a fallback link,
// an equals failure and an errored case.
func reportResults() *eval.Results {
	usage := provider.Usage{InputTokens: 120, OutputTokens: 40}
	rs := &eval.Results{Version: 1, Results: []eval.Result{
		{Prompt: "ticket-summary", Test: "refund", Provider: "openai", Model: "gpt-4.1-mini", Position: 0,
			Output: "Order 1182 arrived broken and the customer asks for a refund.", Pass: true, Score: 1, LatencyMS: 840,
			Usage: usage, CostUSD: 0.000112, File: "prompts/ticket-summary.yaml", Line: 12,
			Assertions: []eval.AssertionResult{{Type: "icontains", Pass: true, Score: 1}}},
		{Prompt: "ticket-summary", Test: "refund", Provider: "anthropic", Model: "claude-3-5-haiku-latest", Position: 1,
			Output: "The customer is unhappy with a damaged parcel | wants it fixed.", Pass: false, Score: 0, LatencyMS: 1210,
			Usage: usage, CostUSD: 0.000256, File: "prompts/ticket-summary.yaml", Line: 12,
			Assertions: []eval.AssertionResult{{Type: "icontains", Pass: false, Score: 0, Reason: `output does not contain "refund"`}}},
		{Prompt: "intent", Test: "shipping", Provider: "openai", Model: "gpt-4.1-mini", Position: 0,
			Output: "{\"intent\": \"refund\"}", Pass: false, Score: 0, LatencyMS: 400, Usage: usage, CostUSD: 0.000112,
			File: "prompts/cases/intent.jsonl", Line: 3,
			Assertions: []eval.AssertionResult{{Type: "equals", Pass: false, Score: 0, Reason: `output does not equal "{\"intent\": \"shipping\"}"`, Want: `{"intent": "shipping"}`}}},
		{Prompt: "intent", Test: "shipping", Provider: "anthropic", Model: "claude-3-5-haiku-latest", Position: 1,
			Error: "anthropic: overloaded (HTTP 529 overloaded_error): Overloaded", File: "prompts/cases/intent.jsonl", Line: 3,
			Assertions: []eval.AssertionResult{}},
	}}
	rs.Summary.Judge = &eval.JudgeSummary{Models: map[string]int{"anthropic/claude-sonnet-4-5": 5, "openai/gpt-4.1": 1},
		Verdicts: 6, Errors: 1, Pairwise: 3, Inconsistent: 1, InconsistencyRate: 1.0 / 3, CostUSD: 0.0021}
	rs.Summarize()
	rs.Summary.DurationMS = 2450
	eval.Gate(rs, eval.GateOptions{MinPassRate: 0.9})
	return rs
}

func TestWriteMarkdown(t *testing.T) {
	var b bytes.Buffer
	if err := WriteMarkdown(&b, reportResults()); err != nil {
		t.Fatal(err)
	}
	golden(t, "report.md", b.Bytes())
}

func TestWriteTerminal(t *testing.T) {
	var b bytes.Buffer
	WriteTerminal(&b, reportResults(), TerminalOptions{})
	if strings.Contains(b.String(), "\x1b[") {
		t.Error("plain terminal report has escape sequences")
	}
	golden(t, "report.txt", b.Bytes())
}

func TestWriteJUnit(t *testing.T) {
	var b bytes.Buffer
	if err := WriteJUnit(&b, reportResults()); err != nil {
		t.Fatal(err)
	}
	var doc junitSuites
	if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatalf("JUnit output does not parse: %v\n%s", err, b.String())
	}
	type tc struct{ Suite, Name, File, Outcome string }
	var got []tc
	for _, s := range doc.Suites {
		for _, c := range s.Cases {
			outcome := "pass"
			if c.Failure != nil {
				outcome = "failure: " + c.Failure.Message
			}
			if c.Error != nil {
				outcome = "error: " + c.Error.Message
			}
			got = append(got, tc{s.Name, c.Name, c.File, outcome})
		}
	}
	want := []tc{
		{"ticket-summary", "refund @ openai/gpt-4.1-mini (link 0)", "prompts/ticket-summary.yaml", "pass"},
		{"ticket-summary", "refund @ anthropic/claude-3-5-haiku-latest (link 1)", "prompts/ticket-summary.yaml", `failure: icontains: output does not contain "refund"`},
		{"intent", "shipping @ openai/gpt-4.1-mini (link 0)", "prompts/cases/intent.jsonl", `failure: equals: output does not equal "{\"intent\": \"shipping\"}"`},
		{"intent", "shipping @ anthropic/claude-3-5-haiku-latest (link 1)", "prompts/cases/intent.jsonl", "error: anthropic: overloaded (HTTP 529 overloaded_error): Overloaded"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("test cases (-want +got):\n%s", diff)
	}
	if doc.Tests != 4 || doc.Failures != 2 || doc.Errors != 1 {
		t.Errorf("totals = %d tests, %d failures, %d errors; want 4, 2, 1", doc.Tests, doc.Failures, doc.Errors)
	}
}

func TestWriteGitHubAnnotations(t *testing.T) {
	var b bytes.Buffer
	WriteGitHubAnnotations(&b, reportResults(), "")
	want := `::error file=prompts/ticket-summary.yaml,line=12,title=ticket-summary / refund failed on anthropic/claude-3-5-haiku-latest (link 1)::icontains: output does not contain "refund"
::error file=prompts/cases/intent.jsonl,line=3,title=intent / shipping failed on openai/gpt-4.1-mini (link 0)::equals: output does not equal "{\"intent\": \"shipping\"}"
::warning file=prompts/cases/intent.jsonl,line=3,title=intent / shipping%3A anthropic/claude-3-5-haiku-latest (link 1) gave no answer::no result: anthropic: overloaded (HTTP 529 overloaded_error): Overloaded
::error title=llmfall eval gate::ticket-summary @ anthropic/claude-3-5-haiku-latest (link 1): pass rate 0%25 (0/1) is below the minimum 90%25
::error title=llmfall eval gate::intent @ openai/gpt-4.1-mini (link 0): pass rate 0%25 (0/1) is below the minimum 90%25
`
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("annotations (-want +got):\n%s", diff)
	}
	summary := filepath.Join(t.TempDir(), "summary.md")
	if err := AppendGitHubSummary(summary, reportResults()); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(summary)
	if err != nil || !strings.HasPrefix(string(got), "## llmfall eval: ❌ gate failed") {
		t.Errorf("job summary = %q, %v; want the Markdown report", got, err)
	}
}

func TestProgressPrinter(t *testing.T) {
	// Piped, a line at most every ProgressEvery of the run's clock: a case
	// finishes every second here, so lines come at 5 s, 10 s and 15 s.
	var plain bytes.Buffer
	clk := clock.NewFake(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
	p := newProgressPrinter(&plain, false, clk)
	for i := 1; i <= 18; i++ {
		clk.Advance(time.Second)
		p.Update(eval.Progress{Done: i, Total: 18, Passed: i})
	}
	p.Done()
	want := "eval: 5/18 cases done (5 passed, 0 failed, 0 errored)\n" +
		"eval: 10/18 cases done (10 passed, 0 failed, 0 errored)\n" +
		"eval: 15/18 cases done (15 passed, 0 failed, 0 errored)\n"
	if plain.String() != want {
		t.Errorf("plain progress =\n%s\nwant\n%s", plain.String(), want)
	}
	// Many cases in a burst print nothing more.
	plain.Reset()
	for i := 1; i <= 1000; i++ {
		p.Update(eval.Progress{Done: i, Total: 1000})
	}
	if plain.Len() != 0 {
		t.Errorf("a burst within %s printed:\n%s", ProgressEvery, plain.String())
	}
	var tty bytes.Buffer
	p = NewProgressPrinter(&tty, true)
	p.Update(eval.Progress{Done: 5, Total: 10, Passed: 4, Failed: 1})
	p.Done()
	if want := "\r[###############...............] 5/10  4 passed  1 failed  0 errored \r\x1b[K"; tty.String() != want {
		t.Errorf("tty progress = %q; want %q", tty.String(), want)
	}
}

func TestWriteTerminalGateLine(t *testing.T) {
	errored := eval.Result{Prompt: "p", Test: "t", Provider: "a", Model: "m", Error: "a: network: connection refused"}
	passed := eval.Result{Prompt: "p", Test: "u", Provider: "a", Model: "m", Pass: true, Score: 1}
	tests := []struct {
		name    string
		results []eval.Result
		want    string
	}{
		{"every case errored", []eval.Result{errored}, "gate: nothing to judge (no case has a grade)"},
		{"some errored", []eval.Result{errored, passed}, "gate: passed on the graded cases; 1 errored case has no grade"},
		{"all graded", []eval.Result{passed}, "gate: passed\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rs := &eval.Results{Version: eval.ResultsVersion, Results: tc.results}
			rs.Summarize()
			eval.Gate(rs, eval.GateOptions{MinPassRate: 1})
			var b strings.Builder
			WriteTerminal(&b, rs, TerminalOptions{})
			if !strings.Contains(b.String(), tc.want) {
				t.Errorf("report lacks %q:\n%s", tc.want, b.String())
			}
		})
	}
}

// maliciousResults carry a pull request's test name and a model's output
// that try to run workflow commands, break out of Markdown and drive the
// terminal.
func maliciousResults() *eval.Results {
	const name = "x\n::set-output name=gate::passed\n::error::forged <img src=x onerror=alert(1)> ```"
	rs := &eval.Results{Version: 1, Results: []eval.Result{{
		Prompt: "p\x1b]0;title\x07", Test: name, Provider: "a", Model: "m\x1b[2J",
		Output: "```\n::error::pwned\n</details><script>x</script>\x1b[2J",
		File:   "prompts/::warning::x.yaml", Line: 3,
		Assertions: []eval.AssertionResult{{Type: "contains", Reason: "output does not contain \"\n::add-mask::x\x1b[31m\""}},
	}, {
		Prompt: "p\x1b]0;title\x07", Test: "errored", Provider: "a", Model: "m",
		Error: "a: server (HTTP 500): <html>\n::error::body\x1b[2J</html>",
	}}}
	rs.Summarize()
	eval.Gate(rs, eval.GateOptions{MinPassRate: 1})
	return rs
}

// TestReportsEscapeUntrustedText: in no sink can a test name, a model
// output or a provider's error body start a workflow command, inject HTML,
// close a code fence or reach the terminal as a control sequence.
func TestReportsEscapeUntrustedText(t *testing.T) {
	rs := maliciousResults()
	var term, md, gh bytes.Buffer
	WriteTerminal(&term, rs, TerminalOptions{})
	if err := WriteMarkdown(&md, rs); err != nil {
		t.Fatal(err)
	}
	WriteGitHubAnnotations(&gh, rs, "")

	if strings.ContainsAny(term.String(), "\x1b\x07") {
		t.Errorf("terminal report carries control characters:\n%q", term.String())
	}
	for _, line := range strings.Split(term.String(), "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "::") {
			t.Errorf("terminal report line starts a workflow command: %q", line)
		}
	}
	for _, line := range strings.Split(strings.TrimSuffix(gh.String(), "\n"), "\n") {
		if !strings.HasPrefix(line, "::error ") && !strings.HasPrefix(line, "::warning ") {
			t.Errorf("annotation line is not one of ours: %q", line)
		}
		if strings.ContainsAny(line, "\x1b\x07\r") {
			t.Errorf("annotation carries control characters: %q", line)
		}
	}
	m := md.String()
	// Outside the fenced output, nothing may be HTML or a second fence.
	outside := regexp.MustCompile("(?s)````text\n.*?\n````\n").ReplaceAllString(m, "")
	for _, bad := range []string{"<img", "<script", "</details><", "\x1b", "\x07", "```"} {
		if strings.Contains(outside, bad) {
			t.Errorf("Markdown report carries %q outside the fenced output:\n%s", bad, m)
		}
	}
	// The output's own triple backticks stay inside a longer fence.
	if !strings.Contains(m, "````text\n```\n::error::pwned\n</details><script>x</script>[2J\n````\n") {
		t.Errorf("Markdown report does not fence the output:\n%s", m)
	}
	if strings.Count(outside, "<details>") != 1 || strings.Count(outside, "</details>") != 1 {
		t.Errorf("Markdown report has %d <details> and %d </details> outside the fence; want 1 each:\n%s", strings.Count(outside, "<details>"), strings.Count(outside, "</details>"), m)
	}
}

// TestIncompleteGateInEveryReport: an interrupted run's gate is incomplete
// in every report, with the number of cases not run, and never passed.
func TestIncompleteGateInEveryReport(t *testing.T) {
	passed := eval.Result{Prompt: "p", Test: "t", Provider: "a", Model: "m", Pass: true, Score: 1}
	rs := &eval.Results{Version: eval.ResultsVersion, Results: []eval.Result{passed}}
	rs.Summary.NotRun, rs.Summary.Interrupted = 4, true
	rs.Summarize()
	eval.Gate(rs, eval.GateOptions{MinPassRate: 1})
	var term, md, gh strings.Builder
	WriteTerminal(&term, rs, TerminalOptions{})
	if err := WriteMarkdown(&md, rs); err != nil {
		t.Fatal(err)
	}
	WriteGitHubAnnotations(&gh, rs, "")
	for _, tc := range []struct{ sink, got, want string }{
		{"terminal", term.String(), "gate: INCOMPLETE (interrupted: 4 cases not run; it cannot pass)"},
		{"markdown", md.String(), "## llmfall eval: ⏹️ gate incomplete (interrupted: 4 cases not run)"},
		{"annotations", gh.String(), "::error title=llmfall eval gate::gate incomplete: the run was interrupted with 4 cases not run"},
	} {
		if !strings.Contains(tc.got, tc.want) {
			t.Errorf("%s report lacks %q:\n%s", tc.sink, tc.want, tc.got)
		}
		if strings.Contains(tc.got, "gate: passed") || strings.Contains(tc.got, "gate passed") {
			t.Errorf("%s report says the gate passed:\n%s", tc.sink, tc.got)
		}
	}
}
