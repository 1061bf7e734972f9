package eval

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/llmfall/llmfall/provider"
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
