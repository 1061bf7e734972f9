package sim

import (
	"encoding/json"
	"regexp"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/llmfall/llmfall/provider"
)

// style is how a model writes, derived from its name alone (see the package
// comment for the rules).
type style struct {
	sentences   int  // content sentences when the prompt does not ask for a number
	maxWords    int  // ordinary words restated; names, numbers, emails and concepts are not capped
	dropNumbers bool // numbers and IDs are left out everywhere
	lower       bool // words and names are restated in lower case
	opener      bool // a polite sentence comes first
}

func styleOf(model string) style {
	toks := strings.FieldsFunc(strings.ToLower(model), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
	has := func(names ...string) bool {
		for _, t := range toks {
			for _, n := range names {
				if t == n {
					return true
				}
			}
		}
		return false
	}
	s := style{sentences: 3, maxWords: 10}
	switch {
	case has("nano", "lite", "tiny"):
		s = style{sentences: 1, maxWords: 3, dropNumbers: true}
	case has("mini", "haiku", "flash", "small"):
		s = style{sentences: 2, maxWords: 6}
	}
	if len(toks) > 0 {
		switch toks[0] {
		case "claude":
			s.opener = true
		case "gemini", "gemma":
			s.lower = true
		}
	}
	return s
}

// maxTerms bounds the terms woven into one answer, so that a long document
// does not turn into a list of everything in it.
const maxTerms = 24

// Sentence pools. A template's %s takes a list of terms; the first sentence
// of a reply always says sorry, which the package comment promises.
var (
	leadPool      = []string{"The message is about %s.", "This request concerns %s.", "The main points are %s.", "In short, it covers %s."}
	morePool      = []string{"It also mentions %s.", "Further details include %s.", "Other points raised are %s.", "It goes on to cover %s."}
	closePool     = []string{"No other details are given.", "Nothing else stands out.", "That covers the key points."}
	emptyPool     = []string{"The message does not include any specific details.", "There are no specific details to go on."}
	openerPool    = []string{"Certainly.", "Happy to help.", "Sure, here you go."}
	replyLeadPool = []string{"We are sorry to hear about %s.", "Sorry for the trouble with %s.", "I am sorry about the issue with %s."}
	replyMorePool = []string{"Our team is already looking into %s.", "We have noted %s and will follow up shortly.", "I have passed the details on %s to the right team."}
	replyClose    = []string{"We will update you as soon as possible.", "Thank you for your patience.", "Please let us know if there is anything else we can do."}
	replyEmpty    = []string{"We are sorry for the trouble you have had.", "Sorry to hear that things have not gone well."}
)

var sentenceCount = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?i)\b(a single|one|two|three|four|five|six|[1-6])[ -]sentences?\b`)
})

var countWords = map[string]int{"a single": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
	"1": 1, "2": 2, "3": 3, "4": 4, "5": 5, "6": 6}

var replyCues = []string{"reply to", "respond to", "response to", "write a reply", "write a response", "draft"}

// gen holds everything derived from one (model, request) pair.
type gen struct {
	st        style
	seed      uint64 // hash of model and prompt: picks templates and options
	reply     bool
	sentences int
	terms     []term // all key terms of the content, verbatim
	content   string // the content, lower case, for matching options and cues
	tmpl      *object
	json      bool
	schema    json.RawMessage // a JSON-schema response format's schema
}

func newGen(model string, req *provider.Request) *gen {
	g := &gen{st: styleOf(model), seed: promptHash(model, req)}
	user := lastUser(req.Messages)
	content := user
	if t, _, _ := findTemplate(req.System); t != nil {
		g.tmpl = t
	} else if t, from, to := findTemplate(user); t != nil {
		// The template's option words must not count as words of the content.
		g.tmpl = t
		content = user[:from] + " " + user[to:]
	}
	instruction := content
	if i := strings.IndexByte(content, '\n'); i >= 0 {
		head, rest := strings.TrimSpace(content[:i]), strings.TrimSpace(content[i+1:])
		if strings.HasSuffix(head, ":") && rest != "" {
			instruction, content = head, rest
		}
	}
	// After a tool call, the answer draws on the results as well, as a
	// model's would.
	content += toolResults(req.Messages)
	instr := strings.ToLower(req.System + "\n" + instruction)
	if f := req.Format(); f != nil && f.Type == provider.FormatJSONSchema {
		g.schema = f.Schema
	}
	g.json = req.Format() != nil || (g.tmpl != nil && strings.Contains(strings.ToLower(req.System+"\n"+user), "json"))
	for _, cue := range replyCues {
		if wordIndex(instr, cue) >= 0 {
			g.reply = true
			break
		}
	}
	g.sentences = g.st.sentences
	if m := sentenceCount().FindStringSubmatch(instr); m != nil {
		g.sentences = countWords[strings.ToLower(m[1])]
	}
	g.terms = extract(content)
	g.content = strings.ToLower(content)
	return g
}

// text is the whole answer before MaxTokens and Stop cut it.
func (g *gen) text() string {
	if v := g.schemaValue(g.schema); v != nil {
		return string(v)
	}
	if g.json {
		return g.jsonText()
	}
	return g.prose(true)
}

// selectTerms applies the style to the key terms: numbers dropped, ordinary
// words capped, names and emails left out of replies (the greeting has the
// name; a reply does not restate the customer's address).
func (g *gen) selectTerms(reply bool) []term {
	out := make([]term, 0, len(g.terms))
	words := 0
	for _, t := range g.terms {
		switch {
		case len(out) == maxTerms:
			return out
		case t.kind == kindNumber && g.st.dropNumbers:
			continue
		case reply && (t.kind == kindName || t.kind == kindEmail):
			continue
		case t.kind == kindWord:
			if words == g.st.maxWords {
				continue
			}
			words++
		}
		out = append(out, t)
	}
	return out
}

// prose writes the plain-text answer; opener says whether the style's polite
// opener may come first (JSON values go without one).
func (g *gen) prose(opener bool) string {
	terms := g.selectTerms(g.reply)
	rng := mix(g.seed)
	var b strings.Builder
	lead, more, closing, empty := leadPool, morePool, closePool, emptyPool
	if g.reply {
		lead, more, closing, empty = replyLeadPool, replyMorePool, replyClose, replyEmpty
		b.WriteString(g.greeting())
		b.WriteString("\n\n")
	}
	if opener && g.st.opener {
		if g.reply {
			b.WriteString("Thank you for reaching out. ")
		} else {
			b.WriteString(openerPool[rng.intn(len(openerPool))])
			b.WriteString(" ")
		}
	}
	n := g.sentences
	leadAt, moreAt, closeAt := rng.intn(len(lead)), rng.intn(len(more)), rng.intn(len(closing))
	for i := range n {
		part := share(terms, i, n)
		if i > 0 {
			b.WriteString(" ")
		}
		switch {
		case len(part) == 0 && i == 0:
			b.WriteString(empty[rng.intn(len(empty))])
		case len(part) == 0:
			b.WriteString(closing[closeAt%len(closing)])
			closeAt++
		case i == 0:
			b.WriteString(strings.Replace(lead[leadAt], "%s", g.list(part), 1))
		default:
			b.WriteString(strings.Replace(more[moreAt%len(more)], "%s", g.list(part), 1))
			moreAt++
		}
	}
	if g.reply {
		b.WriteString("\n\nBest regards")
	}
	return b.String()
}

// share is sentence i's part of the terms: an even split, or one term per
// sentence (and none for the rest) when there are fewer terms than sentences.
func share(terms []term, i, n int) []term {
	if len(terms) < n {
		if i < len(terms) {
			return terms[i : i+1]
		}
		return nil
	}
	return terms[i*len(terms)/n : (i+1)*len(terms)/n]
}

func (g *gen) greeting() string {
	for _, t := range g.terms {
		if t.kind == kindName {
			first, _, _ := strings.Cut(t.text, " ")
			return "Hi " + first + ","
		}
	}
	return "Hello,"
}

// list joins terms as prose does: "a", "a and b", "a, b and c".
func (g *gen) list(terms []term) string {
	var b strings.Builder
	for i, t := range terms {
		switch {
		case i == 0:
		case i == len(terms)-1:
			b.WriteString(" and ")
		default:
			b.WriteString(", ")
		}
		text := t.text
		if g.st.lower && t.kind != kindNumber && t.kind != kindEmail {
			text = strings.ToLower(text)
		}
		b.WriteString(text)
	}
	return b.String()
}

func lastUser(msgs []provider.Message) string {
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Role == provider.RoleUser {
			return msgs[i].Text()
		}
	}
	return ""
}

// toolResults is the text of the tool results after the last user message,
// each on a line of its own; "" when there are none.
func toolResults(msgs []provider.Message) string {
	from := len(msgs)
	for from > 0 && msgs[from-1].Role != provider.RoleUser {
		from--
	}
	var b strings.Builder
	for _, m := range msgs[from:] {
		if m.Role == provider.RoleTool {
			b.WriteString("\n" + m.Text())
		}
	}
	return b.String()
}

// clip applies Stop (the earliest stop sequence ends the text) and then
// MaxTokens (about four bytes a token, cut at a word boundary).
func clip(text string, req *provider.Request) (string, provider.FinishReason) {
	for _, s := range req.Stop {
		if s == "" {
			continue
		}
		if i := strings.Index(text, s); i >= 0 {
			text = text[:i]
		}
	}
	limit := req.MaxTokens * 4
	if req.MaxTokens <= 0 || len(text) <= limit {
		return text, provider.FinishStop
	}
	cut := limit
	if !isSpaceByte(text[limit]) {
		if i := strings.LastIndexAny(text[:limit], " \t\n"); i > 0 {
			cut = i
		} else {
			for cut > 0 && !utf8.RuneStart(text[cut]) {
				cut--
			}
		}
	}
	return strings.TrimRightFunc(text[:cut], unicode.IsSpace), provider.FinishLength
}

// maxChunk bounds a stream chunk, so that long unbroken text (compact JSON)
// still arrives in pieces, as real token streams do.
const maxChunk = 24

// chunks splits text into word-ish pieces, each starting with the whitespace
// before its word, that concatenate back to text exactly.
func chunks(text string) []string {
	out := make([]string, 0, len(text)/5+1)
	start := 0
	for i := 1; i < len(text); i++ {
		spaceStart := !isSpaceByte(text[i-1]) && isSpaceByte(text[i])
		if spaceStart || (i-start >= maxChunk && utf8.RuneStart(text[i])) {
			out = append(out, text[start:i])
			start = i
		}
	}
	if start < len(text) {
		out = append(out, text[start:])
	}
	return out
}

func isSpaceByte(c byte) bool { return c == ' ' || c == '\n' || c == '\t' || c == '\r' }

// tokens estimates a token count the way the package comment documents.
func tokens(n int) int { return max(1, (n+3)/4) }

// promptHash hashes what decides the text: the model and the prompt. FNV-1a
// with a separator byte that UTF-8 never contains keeps it canonical.
func promptHash(model string, req *provider.Request) uint64 {
	h := fnvOffset.str(model).str(req.System)
	for _, m := range req.Messages {
		h = h.str(string(m.Role)).str(m.Content)
	}
	if req.JSON {
		h = h.str("json")
	}
	return uint64(h)
}

type fnv uint64

const fnvOffset fnv = 14695981039346656037

func (h fnv) str(s string) fnv {
	for i := 0; i < len(s); i++ {
		h ^= fnv(s[i])
		h *= 1099511628211
	}
	h ^= 0xff
	h *= 1099511628211
	return h
}

// mix is a splitmix64 generator: a few deterministic picks from one hash,
// with no shared state.
type mix uint64

func (m *mix) next() uint64 {
	*m += 0x9e3779b97f4a7c15
	z := uint64(*m)
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

func (m *mix) intn(n int) int { return int(m.next() % uint64(n)) }
