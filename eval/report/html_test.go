package report

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/llmfall/llmfall/eval"
)

func TestWordDiff(t *testing.T) {
	for _, tc := range []struct {
		name, old, new string
		want           []Segment
	}{
		{"same", "a b c", "a b c", []Segment{{0, "a b c"}}},
		{"one word replaced", "the order was broken", "the parcel was broken",
			[]Segment{{0, "the "}, {'-', "order "}, {'+', "parcel "}, {0, "was broken"}}},
		{"inserted", "asks for a refund", "asks politely for a refund",
			[]Segment{{0, "asks "}, {'+', "politely "}, {0, "for a refund"}}},
		{"removed at the end", "refund now please", "refund now",
			[]Segment{{0, "refund now"}, {'-', "please"}}},
		{"whitespace is not a difference", "a b\nc", "a\nb c", []Segment{{0, "a\nb c"}}},
		{"empty old", "", "new text", []Segment{{'+', "new text"}}},
		{"empty new", "old text", "", []Segment{{'-', "old text"}}},
		{"reordered", "a b c d", "c d a b",
			[]Segment{{'-', "a b "}, {0, "c d "}, {'+', "a b"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := WordDiff(tc.old, tc.new)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("WordDiff(%q, %q) (-want +got):\n%s", tc.old, tc.new, diff)
			}
			// The shared and added segments give back the new text.
			var b strings.Builder
			for _, s := range got {
				if s.Op != '-' {
					b.WriteString(s.Text)
				}
			}
			if b.String() != tc.new {
				t.Errorf("new text from the diff = %q; want %q", b.String(), tc.new)
			}
		})
	}
}

// TestWordDiffBounded: two long unrelated outputs are shown as replaced
// whole instead of filling a table of len(a)×len(b) cells.
func TestWordDiffBounded(t *testing.T) {
	a := strings.Repeat("alpha ", 3000)
	b := strings.Repeat("beta ", 3000)
	got := WordDiff(a, b)
	want := []Segment{{'-', a}, {'+', b}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("WordDiff of long texts (-want +got):\n%s", diff)
	}
}

func htmlOf(t *testing.T, rs *eval.Results, opts HTMLOptions) string {
	t.Helper()
	var b bytes.Buffer
	if err := WriteHTML(&b, rs, opts); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestWriteHTMLEscapesUntrustedText: a test name and a model output with a
// <script> in them, an attribute breakout and an error body with markup all
// reach the page as text.
func TestWriteHTMLEscapesUntrustedText(t *testing.T) {
	rs := maliciousResults()
	rs.Results[0].Test = `<script>alert("name")</script>" onmouseover="alert(1)`
	rs.Results[0].Output = "<script>alert('output')</script><img src=x onerror=alert(2)>"
	rs.Results[0].Input = "</pre><script>alert('prompt')</script>"
	rs.Summarize()
	page := htmlOf(t, rs, HTMLOptions{})
	if got := strings.Count(page, "<script"); got != 1 {
		t.Errorf("page has %d <script elements; want 1 (its own):\n%s", got, page)
	}
	for _, bad := range []string{"<img", `" onmouseover="`, "</pre><script"} {
		if strings.Contains(page, bad) {
			t.Errorf("page carries %q unescaped", bad)
		}
	}
	for _, want := range []string{
		"&lt;script&gt;alert(&#34;name&#34;)&lt;/script&gt;&#34; onmouseover=&#34;alert(1)",
		"&lt;script&gt;alert(&#39;output&#39;)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;",
		"&lt;/pre&gt;&lt;script&gt;alert(&#39;prompt&#39;)&lt;/script&gt;",
		"a: server (HTTP 500): &lt;html&gt;",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks the escaped text %q", want)
		}
	}
}

func TestWriteHTMLSelfContained(t *testing.T) {
	page := htmlOf(t, reportResults(), HTMLOptions{})
	// Nothing is fetched: no external script, stylesheet, image or font.
	if m := regexp.MustCompile(`(?i)(src|href)="(https?:)?//|@import|url\(`).FindString(page); m != "" {
		t.Errorf("page loads something from outside: %q", m)
	}
	for _, want := range []string{
		`<meta name="viewport"`,
		"gate failed",
		`<a href="#p0">ticket-summary</a>`,
		"$0.0003", // the ticket-summary fallback's cost
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
}

func TestHTMLPageGroupsCases(t *testing.T) {
	rs := reportResults()
	rs.Results[0].Input = "Summarise this ticket"
	base := reportResults()
	base.Results[1].Pass = true // the fallback passed in the baseline
	p := newHTMLPage(rs, HTMLOptions{Baseline: base})
	if len(p.Sections) != 2 {
		t.Fatalf("%d sections; want 2", len(p.Sections))
	}
	g := p.Sections[0].Groups[0]
	if g.Test != "refund" || len(g.Links) != 2 || g.Status != "fail" || g.Input != "Summarise this ticket" {
		t.Errorf("first case = %+v; want refund on 2 links, failed, with its prompt", g)
	}
	if g.Links[0].Diff != nil {
		t.Errorf("the primary has a diff: %v", g.Links[0].Diff)
	}
	if len(g.Links[1].Diff) == 0 {
		t.Error("the fallback has no diff from the primary")
	}
	if !g.Changed || g.Links[0].Changed || !g.Links[1].Changed || g.Links[1].Baseline != "passed in the baseline" {
		t.Errorf("changed: case %v, links %v %v (%q); want the fallback changed from passed", g.Changed, g.Links[0].Changed, g.Links[1].Changed, g.Links[1].Baseline)
	}
	if p.Cases != 2 || p.Failed != 2 || p.Errored != 1 || p.Changed != 1 {
		t.Errorf("counts cases %d failed %d errored %d changed %d; want 2 2 1 1", p.Cases, p.Failed, p.Errored, p.Changed)
	}
}
