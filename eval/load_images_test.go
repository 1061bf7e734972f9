package eval

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/llmfall/llmfall/provider"
	"github.com/llmfall/llmfall/provider/toolspec"
)

// partsView is a message's parts as text: [image name] for an image.
func partsView(m provider.Message) string {
	var b strings.Builder
	for _, p := range m.Parts {
		if p.Image != nil {
			b.WriteString("[image " + string(p.Image.Data) + "]")
			continue
		}
		b.WriteString("(" + p.Text + ")")
	}
	return b.String()
}

// TestImagesWhereTheTemplateNamesThem: an image var goes where the template
// names it, first or last included; a var that is a mapping but not
// {image: …} stays a mapping; image vars after other vars are found.
func TestImagesWhereTheTemplateNamesThem(t *testing.T) {
	s := loadDir(t, map[string]string{
		"a.png": pngBytes + "A",
		"b.png": pngBytes + "B",
		"p.yaml": `category: fast
prompt: "{{.first}}Compare {{.order.id}} ({{.meta.image}}, {{.meta.alt}}) with{{.last}}"
tests:
  - vars:
      order: {id: ORD-7}
      meta: {image: a.png, alt: parcel}
      first: {image: a.png}
      last: {image: b.png}
    assert: [{type: no-tool-call}]
`,
	})
	tc := s.Prompts[0].Tests[0]
	want := "[image " + pngBytes + "A](Compare ORD-7 (a.png, parcel) with)[image " + pngBytes + "B]"
	if len(tc.Messages) != 1 || partsView(tc.Messages[0]) != want {
		t.Errorf("messages %+v; want one user message %s", tc.Messages, want)
	}
	if tc.User != "[image]Compare ORD-7 (a.png, parcel) with[image]" {
		t.Errorf("User = %q", tc.User)
	}
}

// TestImageMarkOfAnotherTest: the text an image var renders as, written
// into a prompt (YAML can spell a NUL), is text: it places no image the
// test did not name, nor one of a garbled index.
func TestImageMarkOfAnotherTest(t *testing.T) {
	s := loadDir(t, map[string]string{
		"a.png": pngBytes,
		"p.yaml": `category: fast
prompt: "{{.text}}{{.note}}"
tests:
  - name: own
    vars: {text: {image: a.png}, note: "\0llmfall-image-x\0"}
    assert: [{type: no-tool-call}]
  - name: other
    vars: {text: "see \0llmfall-image-0\0 here", note: ""}
    assert: [{type: no-tool-call}]
`,
	})
	own := s.Prompts[0].Tests[0]
	if want := "[image " + pngBytes + "](\x00llmfall-image-x\x00)"; len(own.Messages) != 1 || partsView(own.Messages[0]) != want {
		t.Errorf("own test: messages %+v; want %q", own.Messages, want)
	}
	other := s.Prompts[0].Tests[1]
	if other.Messages != nil || other.User != "see \x00llmfall-image-0\x00 here" {
		t.Errorf("other test: messages %+v, user %q; want its text alone", other.Messages, other.User)
	}
}

// TestImageVarProblemsAllReported: every bad image var is reported, not
// only the first.
func TestImageVarProblemsAllReported(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	writeFiles(t, dir, map[string]string{"p/p.yaml": `category: fast
prompt: "{{.a}} {{.b}} {{.c}}"
tests:
  - vars:
      c: {image: none.png}
      a: {image: 7}
      b: {image: ""}
    assert: [{type: no-tool-call}]
`})
	_, err := LoadSuite([]string{"p"}, LoadOptions{})
	want := []string{
		`p/p.yaml:5: var c: image "none.png": no such file or directory`,
		"p/p.yaml:6: var a: image must be the path of an image file or an http(s) URL",
		"p/p.yaml:7: var b: image must be the path of an image file or an http(s) URL",
	}
	if err == nil {
		t.Fatal("LoadSuite succeeded; want errors")
	}
	if diff := cmp.Diff(want, strings.Split(err.Error(), "\n")); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
}

// TestHistoryMessageTemplateErrors: each history message that does not
// render for a test is reported at the message's line, naming the test.
func TestHistoryMessageTemplateErrors(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	writeFiles(t, dir, map[string]string{"p/p.yaml": `category: fast
messages:
  - {role: user, content: "hi"}
  - {role: assistant, content: "Order {{.order}}?"}
  - {role: user, content: "{{.reply}}"}
tests:
  - {name: t1, assert: [{type: no-tool-call}]}
`})
	_, err := LoadSuite([]string{"p"}, LoadOptions{})
	want := `p/p.yaml:4: test "t1": message 2: template: message 2 content:1:8: executing "message 2 content" at <.order>: map has no entry for key "order"` + "\n" +
		`p/p.yaml:5: test "t1": message 3: template: message 3 content:1:2: executing "message 3 content" at <.reply>: map has no entry for key "reply"`
	if err == nil || err.Error() != want {
		t.Errorf("error = %v; want %s", err, want)
	}
}

// TestImageOverTheProviderCap: an image is capped at what providers take
// (toolspec.MaxImageBytes), below the suite's file cap, and refused by its
// size before it is read (the file here is sparse: nothing is written).
func TestImageOverTheProviderCap(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	writeFiles(t, dir, map[string]string{
		"p/p.yaml":  "category: fast\nprompt: \"{{.img}}\"\ntests: [{ vars: { img: { image: big.png } }, assert: [{ type: no-tool-call }] }]\n",
		"p/big.png": pngBytes,
	})
	if err := os.Truncate(filepath.Join(dir, "p/big.png"), toolspec.MaxImageBytes+1); err != nil {
		t.Fatal(err)
	}
	_, err := LoadSuite([]string{"p"}, LoadOptions{MaxFileBytes: 2 * toolspec.MaxImageBytes})
	want := fmt.Sprintf(`p/p.yaml:3: var img: image "big.png": big.png is over the size limit of %d bytes for a suite file`, toolspec.MaxImageBytes)
	if !errors.Is(err, ErrTooLarge) || err.Error() != want {
		t.Errorf("error = %v; want %s", err, want)
	}
}

// TestImageOnlyWhereProvidersTakeOne: an image var in an assistant turn or
// a tool result is refused at that message's line; providers take images
// in user messages only.
func TestImageOnlyWhereProvidersTakeOne(t *testing.T) {
	err := loadSuiteDir(t, map[string]string{"p.yaml": `category: fast
tools: [{ name: look }]
messages:
  - { role: user, content: "Look: {{.img}}" }
  - { role: assistant, content: "I see {{.img}}", tool_calls: [{ id: c1, name: look }] }
  - { role: tool, tool_call_id: c1, content: "{{.img}}" }
tests: [{ name: t1, vars: { img: { image: "https://example.com/a.png" } }, assert: [{ type: no-tool-call }] }]
`}, LoadOptions{})
	want := []string{
		`p/p.yaml:5: test "t1": message 2 (assistant) uses an image var: images go in the prompt or a user message`,
		`p/p.yaml:6: test "t1": message 3 (tool) uses an image var: images go in the prompt or a user message`,
	}
	if err == nil {
		t.Fatalf("LoadSuite succeeded; want %q", want)
	}
	if diff := cmp.Diff(want, loadErrorTexts(err)); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
}

// TestImageAfterAMarkThatIsText: a var's text that looks like an image's
// placeholder, before the test's own image var, stays text, and the image
// after it is still placed.
func TestImageAfterAMarkThatIsText(t *testing.T) {
	s := loadDir(t, map[string]string{
		"a.png": pngBytes,
		"p.yaml": `category: fast
prompt: "{{.note}} then {{.img}} end"
tests:
  - vars: {note: "\0llmfall-image-9\0", img: {image: a.png}}
    assert: [{type: no-tool-call}]
`,
	})
	tc := s.Prompts[0].Tests[0]
	if want := "(\x00llmfall-image-9\x00 then )[image " + pngBytes + "]( end)"; len(tc.Messages) != 1 || partsView(tc.Messages[0]) != want {
		t.Errorf("messages %+v; want one user message %q", tc.Messages, want)
	}
}
