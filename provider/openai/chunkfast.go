package openai

import (
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// This file is the stream's fast path: a decoder written over the bytes of
// one chunk, for the shapes servers send on every token. encoding/json's
// reflection was about 7 µs a chunk, the largest share of a streamed
// request's CPU through the gateway.
//
// A chunk is untrusted input, so the fast path either decodes it exactly as
// json.Unmarshal into a zero wireChunk would or declines, and the chunk goes
// to encoding/json. Declining is always safe, so it declines everything that
// would take care to get exactly right:
//   - a top level that is not one object, or anything but space after it;
//   - a key with an escape or a non-ASCII byte: encoding/json matches keys
//     with Unicode case folding, so "uſage" fills usage. ASCII keys are
//     folded to lower case, as encoding/json matches them;
//   - a value of a type its field cannot take (encoding/json reports a type
//     error but keeps what it decoded around it);
//   - choices or tool_calls given again after a non-empty array (encoding/json
//     decodes the second array into the first's elements); a scalar given
//     twice takes the last non-null value, as there;
//   - an index that is not a plain integer of up to 9 digits, a token count
//     strconv.ParseFloat refuses;
//   - a string with invalid UTF-8, which encoding/json replaces with U+FFFD;
//   - an error that is not null (wireError decodes itself);
//   - an unknown value nested deeper than maxSkipDepth;
//   - a chunk over maxFastChunk, so the escape buffer stays small.
// Unknown keys' values are checked as JSON while skipped, because
// json.Unmarshal fails a whole chunk on a syntax error anywhere in it. A
// field added to a wire type must be added here too, or it is skipped as
// unknown: TestChunkFastPathKnowsEveryField fails until it is.

// maxSkipDepth bounds the recursion into unknown values; real chunks nest
// logprobs three deep.
const maxSkipDepth = 32

// fast decodes data into dst, which the caller has reset, and reports
// whether it did. After it declines, dst may hold part of data.
func (d *chunkDecoder) fast(data []byte, dst *wireChunk) bool {
	if len(data) > maxFastChunk {
		return false
	}
	s := chunkScanner{buf: data, d: d}
	if !s.chunk(dst) {
		return false
	}
	s.space()
	return s.pos == len(s.buf)
}

// chunkScanner reads one chunk. Each method reads one value at pos, and
// returns false to decline the chunk.
type chunkScanner struct {
	buf []byte
	pos int
	d   *chunkDecoder
}

func (s *chunkScanner) chunk(dst *wireChunk) bool {
	return s.object(func(key []byte) bool {
		switch string(key) {
		case "id":
			return s.repeated(&dst.ID, &s.d.id)
		case "model":
			return s.repeated(&dst.Model, &s.d.model)
		case "choices":
			return s.choices(&dst.Choices)
		case "usage":
			return s.usage(&dst.Usage)
		case "error":
			dst.Error = nil
			return s.null()
		}
		return s.skip(0)
	})
}

// choices reads the choices array. Null leaves an empty slice and [] may
// leave nil, where Unmarshal gives the other; decode's contract allows both,
// and the array is kept for the next chunk.
func (s *chunkScanner) choices(dst *[]wireChoice) bool {
	if s.null() {
		*dst = (*dst)[:0]
		return true
	}
	if len(*dst) > 0 {
		return false
	}
	return s.array(func() bool {
		*dst = append(*dst, wireChoice{})
		return s.choice(&(*dst)[len(*dst)-1])
	})
}

// choice, like every struct below, is read by structure.
func (s *chunkScanner) choice(dst *wireChoice) bool {
	return s.structure(func(key []byte) bool {
		switch string(key) {
		case "index":
			return s.integer(&dst.Index)
		case "delta":
			return s.answer(&dst.Delta)
		case "message":
			return s.answer(&dst.Message)
		case "finish_reason":
			return s.text(&dst.FinishReason)
		}
		return s.skip(0)
	})
}

func (s *chunkScanner) answer(dst *wireAnswer) bool {
	return s.structure(func(key []byte) bool {
		switch string(key) {
		case "content":
			return s.text(&dst.Content)
		case "refusal":
			return s.text(&dst.Refusal)
		case "tool_calls":
			return s.toolCalls(&dst.ToolCalls)
		}
		return s.skip(0)
	})
}

func (s *chunkScanner) toolCalls(dst *[]wireToolCall) bool {
	if s.null() {
		*dst = nil
		return true
	}
	if len(*dst) > 0 {
		return false
	}
	*dst = []wireToolCall{}
	return s.array(func() bool {
		*dst = append(*dst, wireToolCall{})
		return s.toolCall(&(*dst)[len(*dst)-1])
	})
}

func (s *chunkScanner) toolCall(dst *wireToolCall) bool {
	return s.structure(func(key []byte) bool {
		switch string(key) {
		case "index":
			return s.integerPtr(&dst.Index)
		case "id":
			return s.text(&dst.ID)
		case "type":
			return s.text(&dst.Type)
		case "function":
			return s.function(&dst.Function)
		}
		return s.skip(0)
	})
}

func (s *chunkScanner) function(dst *wireFunctionCall) bool {
	return s.structure(func(key []byte) bool {
		switch string(key) {
		case "name":
			return s.text(&dst.Name)
		case "arguments":
			return s.text(&dst.Arguments)
		}
		return s.skip(0)
	})
}

// usage reads null as no usage and an object into the usage already there,
// as encoding/json does with a pointer.
func (s *chunkScanner) usage(dst **wireUsage) bool {
	if s.null() {
		*dst = nil
		return true
	}
	if *dst == nil {
		*dst = new(wireUsage)
	}
	u := *dst
	return s.object(func(key []byte) bool {
		switch string(key) {
		case "prompt_tokens":
			return s.float(&u.PromptTokens)
		case "completion_tokens":
			return s.float(&u.CompletionTokens)
		}
		return s.skip(0)
	})
}

// structure reads a struct-typed field: null leaves it as it was, and an
// object is decoded into what it holds, as encoding/json does.
func (s *chunkScanner) structure(member func(key []byte) bool) bool {
	return s.null() || s.object(member)
}

// object reads an object whose keys name fields, calling member with each
// key, folded, to read its value.
func (s *chunkScanner) object(member func(key []byte) bool) bool {
	s.space()
	if !s.eat('{') {
		return false
	}
	s.space()
	if s.eat('}') {
		return true
	}
	for {
		key, ok := s.key()
		if !ok || !member(key) {
			return false
		}
		s.space()
		if s.eat('}') {
			return true
		}
		if !s.eat(',') {
			return false
		}
	}
}

// key reads `"name":` and returns the name in ASCII lower case, or nil for
// a name longer than any field's.
func (s *chunkScanner) key() ([]byte, bool) {
	s.space()
	if !s.eat('"') {
		return nil, false
	}
	n := 0
	for ; s.pos < len(s.buf) && s.buf[s.pos] != '"'; s.pos++ {
		c := s.buf[s.pos]
		if c < 0x20 || c >= utf8.RuneSelf || c == '\\' {
			return nil, false
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if n < len(s.d.key) {
			s.d.key[n] = c
		}
		n++
	}
	if !s.eat('"') {
		return nil, false
	}
	s.space()
	if !s.eat(':') {
		return nil, false
	}
	if n > len(s.d.key) {
		return nil, true
	}
	return s.d.key[:n], true
}

// array reads an array, calling elem to read each element.
func (s *chunkScanner) array(elem func() bool) bool {
	s.space()
	if !s.eat('[') {
		return false
	}
	s.space()
	if s.eat(']') {
		return true
	}
	for {
		if !elem() {
			return false
		}
		s.space()
		if s.eat(']') {
			return true
		}
		if !s.eat(',') {
			return false
		}
	}
}

// text reads a string into dst; null leaves dst as it was.
func (s *chunkScanner) text(dst *string) bool {
	if s.null() {
		return true
	}
	b, ok := s.str()
	if ok {
		*dst = string(b)
	}
	return ok
}

// repeated is text for a string every chunk of a stream repeats (id,
// model): the previous chunk's copy is reused, not allocated again.
func (s *chunkScanner) repeated(dst, last *string) bool {
	if s.null() {
		return true
	}
	b, ok := s.str()
	if !ok {
		return false
	}
	if string(b) != *last {
		*last = string(b)
	}
	*dst = *last
	return true
}

// str reads a string value and returns its bytes, which stay valid until
// the next str.
func (s *chunkScanner) str() ([]byte, bool) {
	s.space()
	if !s.eat('"') {
		return nil, false
	}
	start := s.pos
	plain := true // no escape: the value is the bytes themselves
	ascii := true
	for s.pos < len(s.buf) {
		switch c := s.buf[s.pos]; {
		case c == '"':
			raw := s.buf[start:s.pos]
			s.pos++
			// Escapes are ASCII, so checking the raw bytes checks
			// every unescaped run.
			if !ascii && !utf8.Valid(raw) {
				return nil, false
			}
			if plain {
				return raw, true
			}
			return s.unescape(raw)
		case c == '\\':
			plain = false
			if !s.skipEscape() {
				return nil, false
			}
			continue
		case c < 0x20:
			return nil, false
		case c >= utf8.RuneSelf:
			ascii = false
		}
		s.pos++
	}
	return nil, false
}

// unescape decodes raw, a string's bytes whose escapes skipEscape has
// checked, into the decoder's scratch buffer, as encoding/json's unquote
// does: a surrogate pair makes one rune, a lone surrogate U+FFFD.
func (s *chunkScanner) unescape(raw []byte) ([]byte, bool) {
	out := s.d.scratch[:0]
	for i := 0; i < len(raw); {
		c := raw[i]
		if c != '\\' {
			out = append(out, c)
			i++
			continue
		}
		switch raw[i+1] {
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r := hex4(raw[i+2:])
			i += 6
			if utf16.IsSurrogate(r) {
				r2 := rune(-1)
				if i+6 <= len(raw) && raw[i] == '\\' && raw[i+1] == 'u' {
					r2 = hex4(raw[i+2:])
				}
				if pair := utf16.DecodeRune(r, r2); pair != utf8.RuneError {
					r = pair
					i += 6
				} else {
					r = utf8.RuneError
				}
			}
			out = utf8.AppendRune(out, r)
			continue
		default: // '"', '\\', '/'
			out = append(out, raw[i+1])
		}
		i += 2
	}
	s.d.scratch = out
	return out, true
}

// hex4 decodes the four hex digits skipEscape checked.
func hex4(b []byte) rune {
	var r rune
	for _, c := range b[:4] {
		switch {
		case c <= '9':
			c -= '0'
		case c <= 'F':
			c -= 'A' - 10
		default:
			c -= 'a' - 10
		}
		r = r<<4 | rune(c)
	}
	return r
}

// skipEscape moves past one escape at pos (a backslash) and reports whether
// JSON allows it.
func (s *chunkScanner) skipEscape() bool {
	if s.pos+1 >= len(s.buf) {
		return false
	}
	switch s.buf[s.pos+1] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		s.pos += 2
		return true
	case 'u':
		if s.pos+6 > len(s.buf) {
			return false
		}
		for _, c := range s.buf[s.pos+2 : s.pos+6] {
			if !isHex(c) {
				return false
			}
		}
		s.pos += 6
		return true
	}
	return false
}

// integer reads an int field: null leaves it, and a number must be a plain
// integer of up to 9 digits, which every int holds (encoding/json refuses 1.0
// or 1e2 for an int).
func (s *chunkScanner) integer(dst *int) bool {
	if s.null() {
		return true
	}
	s.space()
	neg := s.eat('-')
	start := s.pos
	n := 0
	for s.pos < len(s.buf) && isDigit(s.buf[s.pos]) {
		n = n*10 + int(s.buf[s.pos]-'0')
		s.pos++
	}
	digits := s.pos - start
	if digits == 0 || digits > 9 || digits > 1 && s.buf[start] == '0' {
		return false
	}
	if neg {
		n = -n
	}
	*dst = n
	return true
}

// integerPtr reads a *int field: null sets it to nil, a number is stored in
// the int it points to, a new one if nil.
func (s *chunkScanner) integerPtr(dst **int) bool {
	if s.null() {
		*dst = nil
		return true
	}
	var n int
	if !s.integer(&n) {
		return false
	}
	if *dst == nil {
		*dst = new(int)
	}
	**dst = n
	return true
}

// float reads a float64 field as encoding/json does, with
// strconv.ParseFloat over the number's text; null leaves it.
func (s *chunkScanner) float(dst *float64) bool {
	if s.null() {
		return true
	}
	lit, ok := s.number()
	if !ok {
		return false
	}
	f, err := strconv.ParseFloat(string(lit), 64)
	if err != nil {
		return false
	}
	*dst = f
	return true
}

// number reads a number in JSON's grammar and returns its text.
func (s *chunkScanner) number() ([]byte, bool) {
	s.space()
	start := s.pos
	s.eat('-')
	switch {
	case s.eat('0'):
	case s.pos < len(s.buf) && '1' <= s.buf[s.pos] && s.buf[s.pos] <= '9':
		s.digits()
	default:
		return nil, false
	}
	if s.eat('.') && s.digits() == 0 {
		return nil, false
	}
	if s.eat('e') || s.eat('E') {
		if !s.eat('+') {
			s.eat('-')
		}
		if s.digits() == 0 {
			return nil, false
		}
	}
	return s.buf[start:s.pos], true
}

// digits moves past a run of digits and returns its length.
func (s *chunkScanner) digits() int {
	start := s.pos
	for s.pos < len(s.buf) && isDigit(s.buf[s.pos]) {
		s.pos++
	}
	return s.pos - start
}

// skip moves past a value of a key no field takes, checking it is JSON.
func (s *chunkScanner) skip(depth int) bool {
	s.space()
	if s.pos >= len(s.buf) {
		return false
	}
	switch s.buf[s.pos] {
	case '"':
		return s.skipString()
	case '{':
		return depth < maxSkipDepth && s.skipObject(depth+1)
	case '[':
		return depth < maxSkipDepth && s.array(func() bool { return s.skip(depth + 1) })
	case 't':
		return s.word("true")
	case 'f':
		return s.word("false")
	case 'n':
		return s.word("null")
	}
	_, ok := s.number()
	return ok
}

// skipObject moves past an object whose keys may be any string.
func (s *chunkScanner) skipObject(depth int) bool {
	s.pos++ // {
	s.space()
	if s.eat('}') {
		return true
	}
	for {
		s.space()
		if s.pos >= len(s.buf) || s.buf[s.pos] != '"' || !s.skipString() {
			return false
		}
		s.space()
		if !s.eat(':') || !s.skip(depth) {
			return false
		}
		s.space()
		if s.eat('}') {
			return true
		}
		if !s.eat(',') {
			return false
		}
	}
}

// skipString moves past the string at pos. Invalid UTF-8 is valid JSON; it
// matters only in a value that is kept.
func (s *chunkScanner) skipString() bool {
	s.pos++ // "
	for s.pos < len(s.buf) {
		switch c := s.buf[s.pos]; {
		case c == '"':
			s.pos++
			return true
		case c == '\\':
			if !s.skipEscape() {
				return false
			}
		case c < 0x20:
			return false
		default:
			s.pos++
		}
	}
	return false
}

// null moves past a null at pos, if there is one.
func (s *chunkScanner) null() bool {
	s.space()
	return s.word("null")
}

func (s *chunkScanner) word(w string) bool {
	if len(s.buf)-s.pos < len(w) || string(s.buf[s.pos:s.pos+len(w)]) != w {
		return false
	}
	s.pos += len(w)
	return true
}

func (s *chunkScanner) eat(c byte) bool {
	if s.pos < len(s.buf) && s.buf[s.pos] == c {
		s.pos++
		return true
	}
	return false
}

func (s *chunkScanner) space() {
	for s.pos < len(s.buf) {
		switch s.buf[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isHex(c byte) bool {
	return isDigit(c) || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}
