package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"

	"github.com/llmfall/llmfall/eval"
)

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Time     string      `xml:"time,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	File      string        `xml:"file,attr,omitempty"`
	Line      int           `xml:"line,attr,omitempty"`
	Time      string        `xml:"time,attr"`
	Failure   *junitProblem `xml:"failure"`
	Error     *junitProblem `xml:"error"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

func seconds(ms int64) string { return fmt.Sprintf("%.3f", float64(ms)/1000) }

// WriteJUnit writes one testsuite per prompt and one testcase per prompt ×
// test × link (× repeat), for CI systems that show JUnit reports.
func WriteJUnit(w io.Writer, rs *eval.Results) error {
	doc := junitSuites{Name: "llmfall eval", Time: seconds(rs.Summary.DurationMS)}
	index := map[string]int{}
	for _, r := range rs.Results {
		i, ok := index[r.Prompt]
		if !ok {
			i = len(doc.Suites)
			index[r.Prompt] = i
			doc.Suites = append(doc.Suites, junitSuite{Name: r.Prompt})
		}
		s := &doc.Suites[i]
		name := fmt.Sprintf("%s @ %s (link %d)", r.Test, r.Link(), r.Position)
		if r.Repeat > 0 {
			name += fmt.Sprintf(" #%d", r.Repeat+1)
		}
		c := junitCase{Name: name, Classname: r.Prompt, File: r.File, Line: r.Line, Time: seconds(r.LatencyMS)}
		switch {
		case r.Errored():
			c.Error = &junitProblem{Message: r.Error, Type: "error", Text: r.Error}
			s.Errors++
		case !r.Pass:
			c.Failure = failureOf(r)
			s.Failures++
		}
		s.Tests++
		s.Cases = append(s.Cases, c)
	}
	var total int64
	for i := range doc.Suites {
		s := &doc.Suites[i]
		doc.Tests += s.Tests
		doc.Failures += s.Failures
		doc.Errors += s.Errors
		var ms int64
		for _, r := range rs.Results {
			if r.Prompt == s.Name {
				ms += r.LatencyMS
			}
		}
		total += ms
		s.Time = seconds(ms)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return fmt.Errorf("writing junit: %w", err)
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("writing junit: %w", err)
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func failureOf(r eval.Result) *junitProblem {
	var reasons []string
	for _, a := range r.Assertions {
		if !a.Pass {
			reasons = append(reasons, a.Type+": "+a.Reason)
		}
	}
	msg := strings.Join(reasons, "; ")
	if msg == "" {
		msg = fmt.Sprintf("score %.2f below the test's threshold", r.Score)
	}
	return &junitProblem{Message: msg, Type: "assertion", Text: msg + "\n\noutput:\n" + r.Output}
}
