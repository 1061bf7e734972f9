package sim

import (
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// A template is the JSON-object-looking shape a prompt asks for, parsed
// leniently (bare keys and values, single quotes, trailing commas) because
// prompts are written for people: {"intent": refund|shipping, "urgency": "low|high"}.
// Fields keep their order so that the answer lists keys as the prompt did.
type object struct{ fields []field }

type field struct {
	key string
	val value
}

type vkind uint8

const (
	vString vkind = iota // "..." or '...'
	vBare                // anything else up to , } ] or a newline: refund|other, 0.0, true, <number>
	vObject
	vArray
)

type value struct {
	kind vkind
	text string
	obj  *object
	arr  []value
}

// maxDepth bounds nesting, so that a pathological prompt cannot recurse deeply.
const maxDepth = 8

// findTemplate returns the first parseable object with at least one field in
// s and the byte range it spans, or nil.
func findTemplate(s string) (*object, int, int) {
	for off := 0; off < len(s); {
		i := strings.IndexByte(s[off:], '{')
		if i < 0 {
			return nil, 0, 0
		}
		i += off
		p := parser{s: s, i: i}
		if o, ok := p.object(); ok && len(o.fields) > 0 {
			return o, i, p.i
		}
		off = i + 1
	}
	return nil, 0, 0
}

type parser struct {
	s     string
	i     int
	depth int
}

func (p *parser) ws() {
	for p.i < len(p.s) && isSpaceByte(p.s[p.i]) {
		p.i++
	}
}

func (p *parser) peek() byte {
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

func (p *parser) object() (*object, bool) {
	if p.depth == maxDepth {
		return nil, false
	}
	p.depth++
	defer func() { p.depth-- }()
	p.i++ // '{'
	o := &object{}
	for {
		p.ws()
		if p.peek() == '}' {
			p.i++
			return o, true
		}
		key, ok := p.key()
		if !ok {
			return nil, false
		}
		p.ws()
		if p.peek() != ':' {
			return nil, false
		}
		p.i++
		p.ws()
		v, ok := p.value()
		if !ok {
			return nil, false
		}
		o.fields = append(o.fields, field{key: key, val: v})
		p.ws()
		switch p.peek() {
		case ',':
			p.i++
		case '}':
			p.i++
			return o, true
		default:
			return nil, false
		}
	}
}

func (p *parser) key() (string, bool) {
	if c := p.peek(); c == '"' || c == '\'' {
		return p.str()
	}
	j := p.i
	for j < len(p.s) && (p.s[j] >= utf8.RuneSelf || p.s[j] == '_' || p.s[j] == '-' ||
		unicode.IsLetter(rune(p.s[j])) || unicode.IsDigit(rune(p.s[j]))) {
		j++
	}
	if j == p.i {
		return "", false
	}
	k := p.s[p.i:j]
	p.i = j
	return k, true
}

// str reads a quoted string on one line. A backslash keeps the byte after
// it (\" gives "), which is all a template's option lists and placeholders need.
func (p *parser) str() (string, bool) {
	q := p.s[p.i]
	var b strings.Builder
	for j := p.i + 1; j < len(p.s); j++ {
		c := p.s[j]
		switch {
		case c == q:
			p.i = j + 1
			return b.String(), true
		case c == '\n':
			return "", false
		case c == '\\' && j+1 < len(p.s):
			j++
			c = p.s[j]
		}
		b.WriteByte(c)
	}
	return "", false
}

func (p *parser) value() (value, bool) {
	switch p.peek() {
	case '"', '\'':
		s, ok := p.str()
		return value{kind: vString, text: s}, ok
	case '{':
		o, ok := p.object()
		return value{kind: vObject, obj: o}, ok
	case '[':
		return p.array()
	}
	j := p.i
	for j < len(p.s) && !strings.ContainsRune(",}]\n", rune(p.s[j])) {
		j++
	}
	t := strings.TrimSpace(p.s[p.i:j])
	p.i = j
	return value{kind: vBare, text: t}, t != ""
}

func (p *parser) array() (value, bool) {
	p.i++ // '['
	v := value{kind: vArray}
	for {
		p.ws()
		if p.peek() == ']' {
			p.i++
			return v, true
		}
		if p.i >= len(p.s) {
			return v, false
		}
		e, ok := p.value()
		if !ok {
			return v, false
		}
		v.arr = append(v.arr, e)
		p.ws()
		switch p.peek() {
		case ',':
			p.i++
		case ']':
			p.i++
			return v, true
		default:
			return v, false
		}
	}
}

// Key vocabularies, matched against the words of a key ("orderId" and
// "order_id" are both order + id). The package comment lists them.
var (
	scoreKeys = []string{"confidence", "score", "probability", "certainty", "likelihood"}
	emailKeys = []string{"email", "mail"}
	idKeys    = []string{"id", "ids", "number", "num", "no", "phone", "code", "ref", "reference", "sku", "zip",
		"postcode", "amount", "total", "price", "quantity", "qty", "count"}
	nameKeys = []string{"name", "customer", "person", "sender", "contact", "author", "who"}
	textKeys = []string{"summary", "reason", "reasoning", "reply", "answer", "text", "response", "message",
		"explanation", "description", "comment", "note", "notes", "draft", "body", "issue", "problem",
		"rationale", "justification"}
	// defaultOptions are chosen when no option is named or cued: a real
	// classifier falls back to its catch-all, not to a random label.
	defaultOptions = []string{"other", "none", "unknown", "misc", "miscellaneous", "general", "n/a", "neutral",
		"medium", "normal", "moderate"}
	numberPlaceholders = []string{"number", "int", "integer", "float", "double", "<number>", "<int>", "<integer>"}
)

// jsonText is the JSON-mode answer: the template filled in, or
// {"answer", "keywords"} when the prompt shows none.
func (g *gen) jsonText() string {
	var b strings.Builder
	if g.tmpl != nil {
		g.writeObject(&b, g.tmpl)
		return b.String()
	}
	b.WriteString(`{"answer":`)
	writeString(&b, g.prose(false))
	b.WriteString(`,"keywords":`)
	g.writeList(&b, g.selectTerms(false))
	b.WriteString("}")
	return b.String()
}

func (g *gen) writeObject(b *strings.Builder, o *object) {
	b.WriteByte('{')
	for i, f := range o.fields {
		if i > 0 {
			b.WriteByte(',')
		}
		writeString(b, f.key)
		b.WriteByte(':')
		g.writeValue(b, f.key, f.val)
	}
	b.WriteByte('}')
}

// writeValue fills one key; the order of the cases is the precedence the
// package comment documents.
func (g *gen) writeValue(b *strings.Builder, key string, v value) {
	toks := keyWords(key)
	bare := v.kind == vBare
	switch {
	case v.kind == vObject:
		g.writeObject(b, v.obj)
	case v.kind == vArray:
		g.writeArray(b, key, toks, v)
	case isBoolOptions(v.text):
		writeMaybeQuoted(b, strconv.FormatBool(g.mentions(toks)), !bare)
	case strings.Contains(v.text, "|"):
		o := g.choose(key, strings.Split(v.text, "|"))
		writeMaybeQuoted(b, o, !bare || !isLiteral(o))
	case hasAny(toks, scoreKeys):
		b.WriteString(g.score(key))
	case hasAny(toks, emailKeys):
		writeString(b, firstText(g.pick(kindEmail)))
	case hasAny(toks, idKeys):
		g.writeID(b, v)
	case hasAny(toks, nameKeys):
		writeString(b, g.name(toks))
	case bare && (v.text == "true" || v.text == "false"):
		b.WriteString(strconv.FormatBool(g.mentions(toks)))
	case bare && isNumberTemplate(v.text):
		g.writeID(b, v)
	case hasAny(toks, textKeys):
		writeString(b, g.prose(false))
	default:
		writeString(b, joinTerms(g.selectTerms(false)))
	}
}

func (g *gen) writeArray(b *strings.Builder, key string, toks []string, v value) {
	if len(v.arr) > 0 && v.arr[0].kind == vObject {
		b.WriteByte('[')
		g.writeObject(b, v.arr[0].obj)
		b.WriteByte(']')
		return
	}
	if len(v.arr) > 0 && strings.Contains(v.arr[0].text, "|") {
		b.WriteByte('[')
		for i, o := range g.chooseAll(key, strings.Split(v.arr[0].text, "|")) {
			if i > 0 {
				b.WriteByte(',')
			}
			writeString(b, o)
		}
		b.WriteByte(']')
		return
	}
	switch {
	case hasAny(toks, emailKeys):
		g.writeList(b, g.pick(kindEmail))
	case hasAny(toks, idKeys):
		g.writeList(b, g.pick(kindNumber))
	case hasAny(toks, nameKeys):
		g.writeList(b, g.pick(kindName))
	default:
		g.writeList(b, g.selectTerms(false))
	}
}

func (g *gen) writeList(b *strings.Builder, terms []term) {
	b.WriteByte('[')
	for i, t := range terms {
		if i > 0 {
			b.WriteByte(',')
		}
		writeString(b, t.text)
	}
	b.WriteByte(']')
}

// writeID writes the first number or ID; when the template shows a number,
// the first numeric term as a JSON number, or 0.
func (g *gen) writeID(b *strings.Builder, v value) {
	ids := g.pick(kindNumber)
	if v.kind != vBare || !isNumberTemplate(v.text) {
		writeString(b, firstText(ids))
		return
	}
	for _, t := range ids {
		if _, err := strconv.ParseFloat(t.text, 64); err == nil {
			b.WriteString(t.text)
			return
		}
	}
	b.WriteString("0")
}

// pick returns the terms of one kind, honouring the style's dropNumbers.
func (g *gen) pick(k kind) []term {
	if k == kindNumber && g.st.dropNumbers {
		return nil
	}
	var out []term
	for _, t := range g.terms {
		if t.kind == k {
			out = append(out, t)
		}
	}
	return out
}

// name fills a name key: the first name found, or its first or last word for
// keys like first_name and last_name.
func (g *gen) name(toks []string) string {
	n := firstText(g.pick(kindName))
	words := strings.Fields(n)
	switch {
	case len(words) == 0:
		return ""
	case hasAny(toks, []string{"first", "given"}):
		return words[0]
	case hasAny(toks, []string{"last", "family", "surname"}):
		return words[len(words)-1]
	}
	return n
}

// score is a deterministic confidence in 0.50–0.99 for this model, prompt and key.
func (g *gen) score(key string) string {
	m := mix(fnv(g.seed).str(key))
	return strconv.FormatFloat(0.5+float64(m.intn(50))/100, 'f', 2, 64)
}

// mentions decides a boolean key: true when a word of the key starts a word
// of the content, or names a concept whose cues appear ("refund_requested"
// after "I want my money back").
func (g *gen) mentions(toks []string) bool {
	for _, t := range toks {
		if len(t) < 4 || stopwords()[t] {
			continue
		}
		if wordIndex(g.content, t) >= 0 {
			return true
		}
		for _, c := range concepts {
			if slices.Contains(c.words, t) {
				if at, _ := firstCue(g.content, c.cues); at >= 0 {
					return true
				}
			}
		}
	}
	return false
}

// choose picks one of options: the one named earliest in the content, else
// the one whose cue comes earliest, else a catch-all option, else one chosen
// by hashing model, prompt and key.
func (g *gen) choose(key string, options []string) string {
	opts := trimAll(options)
	if o := g.match(opts); len(o) > 0 {
		return o[0]
	}
	for _, o := range opts {
		if slices.Contains(defaultOptions, strings.ToLower(o)) {
			return o
		}
	}
	m := mix(fnv(g.seed).str(key))
	return opts[m.intn(len(opts))]
}

// chooseAll is choose for a list: every option named or cued, in order of
// appearance, or the single choice when none is.
func (g *gen) chooseAll(key string, options []string) []string {
	if o := g.match(trimAll(options)); len(o) > 0 {
		return o
	}
	return []string{g.choose(key, options)}
}

// match returns the options named in the content, in order of appearance;
// when none is named, those cued.
func (g *gen) match(opts []string) []string {
	type hit struct {
		opt string
		at  int
	}
	var named, cued []hit
	for _, o := range opts {
		lo := strings.ToLower(o)
		if lo == "" || slices.Contains(defaultOptions, lo) {
			continue
		}
		if at := wordIndex(g.content, lo); at >= 0 {
			named = append(named, hit{o, at})
			continue
		}
		for _, c := range concepts {
			if !slices.Contains(c.words, lo) {
				continue
			}
			if at, _ := firstCue(g.content, c.cues); at >= 0 {
				cued = append(cued, hit{o, at})
				break
			}
		}
	}
	hits := named
	if len(hits) == 0 {
		hits = cued
	}
	slices.SortStableFunc(hits, func(a, b hit) int { return a.at - b.at })
	out := make([]string, len(hits))
	for i, h := range hits {
		out[i] = h.opt
	}
	return out
}

func trimAll(options []string) []string {
	out := make([]string, 0, len(options))
	for _, o := range options {
		if o = strings.TrimSpace(o); o != "" {
			out = append(out, o)
		}
	}
	if len(out) == 0 {
		out = append(out, "")
	}
	return out
}

// keyWords splits a key into lower-case words at separators and camel-case
// humps: "orderId" and "order_id" are both [order id].
func keyWords(key string) []string {
	var out []string
	var cur []rune
	var prev rune
	flush := func() {
		if len(cur) > 0 {
			out = append(out, strings.ToLower(string(cur)))
			cur = cur[:0]
		}
	}
	for _, r := range key {
		switch {
		case !unicode.IsLetter(r) && !unicode.IsDigit(r):
			flush()
		case unicode.IsUpper(r) && unicode.IsLower(prev):
			flush()
			cur = append(cur, r)
		default:
			cur = append(cur, r)
		}
		prev = r
	}
	flush()
	return out
}

func hasAny(toks, set []string) bool {
	for _, t := range toks {
		if slices.Contains(set, t) {
			return true
		}
	}
	return false
}

func isBoolOptions(s string) bool {
	a, b, ok := strings.Cut(s, "|")
	a, b = strings.TrimSpace(a), strings.TrimSpace(b)
	return ok && (a == "true" && b == "false" || a == "false" && b == "true")
}

func isNumberTemplate(s string) bool {
	if _, err := strconv.ParseFloat(s, 64); err == nil {
		return true
	}
	return slices.Contains(numberPlaceholders, strings.ToLower(s))
}

// isLiteral reports whether a chosen bare option is itself a JSON literal
// (true, 3, null) that can be written unquoted.
func isLiteral(s string) bool {
	if s == "true" || s == "false" || s == "null" {
		return true
	}
	_, err := strconv.ParseFloat(s, 64)
	return err == nil
}

func firstText(ts []term) string {
	if len(ts) == 0 {
		return ""
	}
	return ts[0].text
}

func joinTerms(ts []term) string {
	parts := make([]string, len(ts))
	for i, t := range ts {
		parts[i] = t.text
	}
	return strings.Join(parts, ", ")
}

func writeMaybeQuoted(b *strings.Builder, s string, quote bool) {
	if quote {
		writeString(b, s)
		return
	}
	b.WriteString(s)
}

// writeString writes s as a JSON string. It escapes only what JSON requires
// (and no HTML), replacing invalid UTF-8 as encoding/json does.
func writeString(b *strings.Builder, s string) {
	const hex = "0123456789abcdef"
	b.WriteByte('"')
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, n := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && n == 1 {
				b.WriteString(`\ufffd`)
			} else {
				b.WriteString(s[i : i+n])
			}
			i += n
			continue
		}
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\t':
			b.WriteString(`\t`)
		case c == '\r':
			b.WriteString(`\r`)
		case c < 0x20:
			b.WriteString(`\u00`)
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&0xf])
		default:
			b.WriteByte(c)
		}
		i++
	}
	b.WriteByte('"')
}
