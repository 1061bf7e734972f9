package sim

import (
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// kind is what sort of key term a term is; the JSON filler picks terms by kind.
type kind uint8

const (
	kindWord    kind = iota // an ordinary word of 4+ letters
	kindName                // a run of capitalised words: "Maria Lopez"
	kindNumber              // any token with a digit: 1182, ORD-77, 49.99
	kindEmail               // maria@example.com
	kindConcept             // a concept word the text implies: "refund" for "money back"
)

// term is one key term of the content, in the spelling it first appeared in.
type term struct {
	text string
	kind kind
	pos  int // byte offset in the content, so that terms keep their order of appearance
}

// concept is a word the content can imply without saying it. Words[0] is the
// word woven into prose (when prose is set); every word can also be a JSON
// option that the cues select.
type concept struct {
	words []string
	cues  []string // matched at the start of a word, case-insensitively
	prose bool
}

// concepts is deliberately small and documented in the package comment: it
// exists so that offline evals of the example support suite can pass, not to
// understand language.
var concepts = []concept{
	{words: []string{"refund", "refunds", "reimbursement"}, prose: true,
		cues: []string{"refund", "money back", "reimburs", "chargeback", "charge back", "charged twice", "double charged", "double-charged"}},
	{words: []string{"shipping", "delivery", "shipment"}, prose: true,
		cues: []string{"ship", "deliver", "package", "parcel", "tracking", "courier", "in transit", "never arrived", "not arrived", "hasn't arrived", "has not arrived", "still waiting"}},
	{words: []string{"account", "login"}, prose: true,
		cues: []string{"account", "password", "log in", "login", "sign in", "signin", "locked out", "username", "two-factor", "2fa"}},
	{words: []string{"billing", "payment", "invoice"}, prose: true,
		cues: []string{"bill", "invoice", "charged", "payment", "subscription", "credit card"}},
	{words: []string{"cancellation", "cancel"}, prose: true,
		cues: []string{"cancel", "unsubscribe", "terminate"}},
	{words: []string{"low"},
		cues: []string{"not urgent", "no rush", "no hurry", "whenever", "when you can", "when you get a chance", "just curious", "just wondering"}},
	{words: []string{"high", "urgent", "critical"},
		cues: []string{"urgent", "asap", "as soon as possible", "immediately", "right away", "emergency", "unacceptable", "furious"}},
	{words: []string{"negative"},
		cues: []string{"broken", "angry", "terrible", "awful", "disappoint", "unacceptable", "worst", "frustrat", "damaged", "furious"}},
	{words: []string{"positive"},
		cues: []string{"thank", "great", "love", "happy", "excellent", "awesome", "perfect", "pleased"}},
	{words: []string{"damaged", "defective", "damage"},
		cues: []string{"broken", "damaged", "cracked", "defective", "faulty", "smashed", "shattered"}},
	{words: []string{"technical", "bug"},
		cues: []string{"error", "crash", "bug", "not working", "doesn't work", "does not work"}},
}

// stopwords are dropped from key terms. Besides common English they hold the
// words of instructions ("summarise", "reply", "json"), which describe the
// task rather than the content.
var stopwords = sync.OnceValue(func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`a an the and or but if of to in on at by for with from as is it its be am are
		was were i me my we us our you your he she him his her they them their this that these those there here
		what which who whom when where why how all any both each few more most other some such no nor not only own
		same so than too very can will just don should now hi hello hey dear thanks thank regards please also about
		above after again against before being below between could does doing down during further have having into
		itself myself once ours over under until would yours yourself while through because cannot still since even
		much many every never always really within without upon been did had has do yes okay ok got get gets like
		make made want wants wanted need needs needed know think sure well mr mrs ms dr prof
		summarise summarize summary sentence sentences classify classification extract reply respond response draft
		write following message json below text given return output format answer label category categorise
		categorize identify determine field fields object valid keys value values string null word words short
		brief concise help nothing something anything everything`) {
		m[w] = true
	}
	return m
})

// signoffs end a line after which a capitalised word is a signature name,
// not the start of a sentence ("Thanks,\nMaria").
var signoffs = map[string]bool{
	"thanks": true, "thank you": true, "many thanks": true, "thanks again": true, "regards": true,
	"best regards": true, "kind regards": true, "warm regards": true, "best": true, "cheers": true,
	"sincerely": true, "yours sincerely": true, "best wishes": true, "all the best": true, "yours": true,
}

// extract returns the key terms of s in order of appearance, each once
// (case-insensitively).
func extract(s string) []term {
	x := extractor{src: s, seen: map[string]bool{}}
	x.scan()
	x.addConcepts()
	slices.SortStableFunc(x.terms, func(a, b term) int { return a.pos - b.pos })
	return x.terms
}

type extractor struct {
	src   string
	terms []term
	seen  map[string]bool

	// pending is a run of capitalised words that may be a name.
	pending      []string
	pendingPos   int
	pendingStart bool // the run began at a sentence start
}

func (x *extractor) add(t term) {
	k := strings.ToLower(t.text)
	if x.seen[k] {
		return
	}
	x.seen[k] = true
	if t.kind == kindName {
		// "Maria" signing off after "Maria Lopez" introduced herself is
		// the same person, not a new term.
		for _, w := range strings.Fields(k) {
			x.seen[w] = true
		}
	}
	x.terms = append(x.terms, t)
}

// scan walks the whitespace-separated tokens of the source, tracking
// sentence starts, which decide whether a capitalised word is a name.
func (x *extractor) scan() {
	s := x.src
	start := true
	lineStart := 0
	for i := 0; i < len(s); {
		wsStart, newline := i, false
		for i < len(s) {
			r, n := utf8.DecodeRuneInString(s[i:])
			if !unicode.IsSpace(r) {
				break
			}
			if r == '\n' {
				if !newline && !signoffs[strings.ToLower(strings.TrimSuffix(strings.TrimSpace(s[lineStart:wsStart]), ","))] {
					start = true
				}
				newline = true
				lineStart = i + 1
			}
			i += n
		}
		if i >= len(s) {
			break
		}
		j := i
		for j < len(s) {
			r, n := utf8.DecodeRuneInString(s[j:])
			if unicode.IsSpace(r) {
				break
			}
			j += n
		}
		x.token(s[i:j], i, start)
		start = endsSentence(s[i:j])
		i = j
	}
	x.flush()
}

// token classifies one whitespace-separated token.
func (x *extractor) token(tok string, pos int, start bool) {
	core := strings.TrimLeftFunc(tok, isEdgePunct)
	if len(core) < len(tok) {
		// Leading punctuation such as "(" ends a run of name words.
		x.flush()
		pos += len(tok) - len(core)
	}
	trimmed := strings.TrimRightFunc(core, isEdgePunct)
	brokeAfter := len(trimmed) < len(core)
	core = trimmed
	switch {
	case core == "":
	case isEmail(core):
		x.flush()
		x.add(term{text: core, kind: kindEmail, pos: pos})
	case strings.ContainsFunc(core, unicode.IsDigit):
		x.flush()
		x.add(term{text: core, kind: kindNumber, pos: pos})
	default:
		x.words(core, pos, start)
	}
	if brokeAfter {
		x.flush()
	}
}

// words handles a token without digits: one word, or several joined by
// slashes or the like ("refund/replacement").
func (x *extractor) words(core string, pos int, start bool) {
	type span struct{ from, to int }
	var pieces []span
	inWord := false
	for i, r := range core {
		letter := unicode.IsLetter(r) || (inWord && (r == '-' || r == '\'' || r == '’'))
		switch {
		case letter && !inWord:
			pieces = append(pieces, span{i, i + utf8.RuneLen(r)})
		case letter:
			pieces[len(pieces)-1].to = i + utf8.RuneLen(r)
		}
		inWord = letter
	}
	if len(pieces) != 1 {
		x.flush()
		for _, p := range pieces {
			x.ordinary(stem(core[p.from:p.to]), pos+p.from)
		}
		return
	}
	w, at := stem(core[pieces[0].from:pieces[0].to]), pos+pieces[0].from
	if isCapitalised(w) && !stopwords()[strings.ToLower(w)] && utf8.RuneCountInString(w) >= 2 {
		if len(x.pending) == 0 {
			x.pendingPos, x.pendingStart = at, start
		}
		x.pending = append(x.pending, w)
		return
	}
	x.flush()
	x.ordinary(w, at)
}

// flush ends a run of capitalised words: two or more, or one that does not
// start a sentence, make a name; a single sentence-initial word is most
// likely an ordinary word ("Order 1182 ...") and is kept in lower case.
func (x *extractor) flush() {
	if len(x.pending) == 0 {
		return
	}
	if len(x.pending) >= 2 || !x.pendingStart {
		x.add(term{text: strings.Join(x.pending, " "), kind: kindName, pos: x.pendingPos})
	} else {
		x.ordinary(strings.ToLower(x.pending[0]), x.pendingPos)
	}
	x.pending = x.pending[:0]
}

func (x *extractor) ordinary(w string, pos int) {
	w = strings.Trim(w, "-'’")
	if utf8.RuneCountInString(w) < 4 || stopwords()[strings.ToLower(w)] {
		return
	}
	x.add(term{text: w, kind: kindWord, pos: pos})
}

// addConcepts adds the prose concept words whose cues appear but which no
// term already spells out.
func (x *extractor) addConcepts() {
	lower := strings.ToLower(x.src)
	for _, c := range concepts {
		if !c.prose {
			continue
		}
		at, end := firstCue(lower, c.cues)
		if at < 0 || x.spelled(c.words[0]) {
			continue
		}
		// Placed after the cue so that "money back" reads before "refund".
		x.add(term{text: c.words[0], kind: kindConcept, pos: end})
	}
}

func (x *extractor) spelled(w string) bool {
	for _, t := range x.terms {
		if strings.Contains(strings.ToLower(t.text), w) {
			return true
		}
	}
	return false
}

// firstCue returns where the earliest cue starts and ends in lower, or -1.
func firstCue(lower string, cues []string) (at, end int) {
	at, end = -1, -1
	for _, cue := range cues {
		if i := wordIndex(lower, cue); i >= 0 && (at < 0 || i < at) {
			at, end = i, i+len(cue)
		}
	}
	return at, end
}

// wordIndex finds needle in s where it starts a word (the byte before it is
// not a letter or digit), or returns -1. Both are lower case.
func wordIndex(s, needle string) int {
	if needle == "" {
		return -1
	}
	for off := 0; ; {
		i := strings.Index(s[off:], needle)
		if i < 0 {
			return -1
		}
		i += off
		if i == 0 {
			return 0
		}
		r, _ := utf8.DecodeLastRuneInString(s[:i])
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			return i
		}
		off = i + 1
	}
}

// stem cuts a contraction or possessive: "customer's" → "customer", "I'm" → "I".
func stem(w string) string {
	if i := strings.IndexAny(w, "'’"); i > 0 {
		return w[:i]
	}
	return w
}

func isEdgePunct(r rune) bool { return unicode.IsPunct(r) || unicode.IsSymbol(r) }

func isCapitalised(w string) bool {
	r, _ := utf8.DecodeRuneInString(w)
	return unicode.IsUpper(r) && strings.ContainsFunc(w, unicode.IsLower)
}

func isEmail(s string) bool {
	at := strings.IndexByte(s, '@')
	if at <= 0 || strings.Count(s, "@") != 1 {
		return false
	}
	dot := strings.LastIndexByte(s, '.')
	return dot > at+1 && dot < len(s)-1
}

// endsSentence reports whether a token ends a sentence (or a label, like
// "Ticket:"), so that the next capitalised word is not taken for a name.
func endsSentence(tok string) bool {
	t := strings.TrimRight(tok, `"'’”)]`)
	if t == "" {
		return false
	}
	switch strings.ToLower(t) {
	case "mr.", "mrs.", "ms.", "dr.", "prof.":
		return false
	}
	switch t[len(t)-1] {
	case '.', '!', '?', ':':
		return true
	}
	return false
}
