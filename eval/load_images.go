package eval

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/llmfall/llmfall/provider"
	"github.com/llmfall/llmfall/provider/toolspec"
)

// This file puts images into a test's messages, and builds the conversation
// a test sends when it is more than one plain user message.
//
// An image is a var whose value is a mapping with the one key image: a
// path (relative to the file declaring the var, read through the suite's
// root, at most toolspec.MaxImageBytes) or an http(s) URL:
//
//	vars: { photo: { image: images/parcel.png } }
//	prompt: "Is this parcel damaged? {{.photo}}"
//
// The image goes where the template names it, between the text before and
// after it. Only the prompt and user messages take images; providers take
// none in a system prompt, an assistant turn or a tool result.

// imageMark starts the placeholder an image var renders as; the index of
// the image in the loader's list and a NUL follow. A NUL cannot come from
// a template's literal text by accident.
const imageMark = "\x00llmfall-image-"

// imageVar is an image var's value.
type imageVar struct {
	ref   string // as written
	index int    // in fileLoader.images
}

// String is the placeholder text/template prints for the var.
func (v *imageVar) String() string { return imageMark + strconv.Itoa(v.index) + "\x00" }

// MarshalJSON shows the var as written, in fingerprints: the image's bytes
// are in the test's messages, which the fingerprint covers too.
func (v *imageVar) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]string{"image": v.ref})
}

// imageVars replaces the image vars of vars, declared by n, with their
// images.
func (l *fileLoader) imageVars(n node, vars map[string]any) {
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i].Value, n.Content[i+1]
		m, ok := vars[key].(map[string]any)
		if !ok || len(m) != 1 || m["image"] == nil {
			continue
		}
		ref, ok := m["image"].(string)
		if !ok || ref == "" {
			l.errorf(n.file, val.Line, "var %s: image must be the path of an image file or an http(s) URL", key)
			continue
		}
		img, err := l.image(n.file, ref)
		if err != nil {
			l.fail(n.file, val.Line, fmt.Errorf("var %s: image %w", key, err))
			continue
		}
		l.images = append(l.images, img)
		vars[key] = &imageVar{ref: ref, index: len(l.images) - 1}
	}
}

// image reads the image ref names, from the file at display path from.
func (l *fileLoader) image(from, ref string) (*provider.Image, error) {
	if toolspec.IsURL(ref) {
		return toolspec.ImageURL(ref), nil
	}
	rel, err := filepath.Rel(l.root.dir, from)
	if err != nil {
		rel = l.name
	}
	name, err := l.root.resolve(filepath.ToSlash(rel), ref)
	if err != nil {
		return nil, err
	}
	data, err := l.root.readFileMax(name, min(l.root.maxBytes, toolspec.MaxImageBytes))
	if err != nil {
		return nil, fmt.Errorf("%q: %w", ref, err)
	}
	return toolspec.ImageData(fmt.Sprintf("%q", ref), data)
}

// converse builds t.Messages from the prompt file's history, the rendered
// prompt (when the file has one) and the images the test's vars place in
// them. It leaves t.Messages nil for a test that is one plain user
// message, so that such a test sends, and fingerprints, what it did before
// messages and images existed.
func (l *fileLoader) converse(t *Test, vars map[string]any, hasPrompt bool) bool {
	nerr := len(l.errs)
	own := map[int]bool{}
	for _, v := range vars {
		if iv, ok := v.(*imageVar); ok {
			own[iv.index] = true
		}
	}
	noImage := func(file string, line int, where, text string) {
		if strings.Contains(text, imageMark) {
			l.errorf(file, line, "test %q: %s uses an image var: images go in the prompt or a user message", t.Name, where)
		}
	}
	noImage(t.File, t.Line, "the system prompt", t.System)
	msgs := make([]provider.Message, 0, len(l.history)+1)
	for i, rm := range l.history {
		m := provider.Message{Role: rm.role, ToolCalls: rm.calls, ToolCallID: rm.callID, IsError: rm.isError}
		if rm.content != nil {
			text, err := render(rm.content, vars, l.opts.MaxPromptBytes)
			if err != nil {
				l.fail(rm.file, rm.line, fmt.Errorf("test %q: message %d: %w", t.Name, i+1, err))
				continue
			}
			if rm.role == provider.RoleUser {
				m.Content, m.Parts = l.withImages(text, own)
			} else {
				noImage(rm.file, rm.line, fmt.Sprintf("message %d (%s)", i+1, rm.role), text)
				m.Content = text
			}
		}
		msgs = append(msgs, m)
	}
	if hasPrompt {
		content, parts := l.withImages(t.User, own)
		msgs = append(msgs, provider.Message{Role: provider.RoleUser, Content: content, Parts: parts})
		if parts != nil {
			t.User = shown(parts)
		}
		if len(l.history) == 0 && parts == nil {
			return len(l.errs) == nerr
		}
	}
	t.Messages = msgs
	return len(l.errs) == nerr
}

// withImages splits rendered text at its image placeholders: the text
// itself when it has none, else parts. A placeholder for an image that is
// not the test's own stays text.
func (l *fileLoader) withImages(text string, own map[int]bool) (string, []provider.Part) {
	if !strings.Contains(text, imageMark) {
		return text, nil
	}
	var parts []provider.Part
	placed := false
	rest := text
	for {
		i := strings.Index(rest, imageMark)
		if i < 0 {
			break
		}
		after := rest[i+len(imageMark):]
		end := strings.IndexByte(after, 0)
		idx, err := strconv.Atoi(after[:max(end, 0)])
		if end < 0 || err != nil || !own[idx] {
			parts = appendText(parts, rest[:i+len(imageMark)])
			rest = after
			continue
		}
		parts = appendText(parts, rest[:i])
		parts = append(parts, provider.Part{Image: l.images[idx]})
		placed = true
		rest = after[end+1:]
	}
	if !placed {
		return text, nil
	}
	return "", appendText(parts, rest)
}

// appendText adds text to parts, joining it to a text part before it and
// dropping it when empty (providers refuse empty text blocks).
func appendText(parts []provider.Part, text string) []provider.Part {
	if text == "" {
		return parts
	}
	if n := len(parts); n > 0 && parts[n-1].Image == nil {
		parts[n-1].Text += text
		return parts
	}
	return append(parts, provider.Part{Text: text})
}

// shown is parts as text for people and the judge: [image] for an image.
func shown(parts []provider.Part) string {
	var b strings.Builder
	for _, p := range parts {
		if p.Image != nil {
			b.WriteString("[image]")
		} else {
			b.WriteString(p.Text)
		}
	}
	return b.String()
}
