package provider

import (
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"
)

// keyLike matches strings shaped like the providers' API keys, including the
// partly masked copies that OpenAI's 401 body echoes ("sk-4sJHr****w8ZP").
// Compiled on first use, like every regexp here: start-up is for commands
// that never redact.
var keyLike = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`\b(?:sk-(?:ant-|proj-|svcacct-)?[A-Za-z0-9_\-\*]{6,}|AIza[0-9A-Za-z_\-]{20,})`)
})

// Redact removes every secret and anything shaped like an API key from s.
// Adapters run provider messages through it before they reach an error, so
// that a key never reaches output, logs or result files.
func Redact(s string, secrets ...string) string {
	for _, sec := range secrets {
		if len(sec) >= 4 {
			s = strings.ReplaceAll(s, sec, "[REDACTED]")
		}
	}
	if !strings.Contains(s, "sk-") && !strings.Contains(s, "AIza") {
		return s
	}
	return keyLike().ReplaceAllString(s, "[REDACTED]")
}

// MaxExcerpt bounds how much of a body that is not an error document (a
// proxy's HTML page, plain text) an error message keeps.
const MaxExcerpt = 200

// Excerpt is body on one line, with secrets and key-shaped strings redacted
// and then cut to MaxExcerpt bytes at a character boundary. Redacting before
// cutting matters: a key that straddled the cut would otherwise survive as a
// fragment too short to be recognised.
func Excerpt(body []byte, secrets ...string) string {
	s := Redact(strings.Join(strings.Fields(string(body)), " "), secrets...)
	if len(s) <= MaxExcerpt {
		return s
	}
	cut := MaxExcerpt
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// credentialHeaders carry secrets when a config sets them, for a gateway or
// a proxy in front of a provider.
var credentialHeaders = []string{"Authorization", "Proxy-Authorization", "X-Api-Key", "Api-Key", "X-Goog-Api-Key"}

// Secrets is what an adapter must redact from every message: its key and
// the values of the credential headers its config adds.
func Secrets(key string, headers map[string]string) []string {
	var out []string
	if key != "" {
		out = append(out, key)
	}
	for k, v := range headers {
		if v == "" || !slices.Contains(credentialHeaders, http.CanonicalHeaderKey(k)) {
			continue
		}
		out = append(out, v)
		if token, ok := strings.CutPrefix(v, "Bearer "); ok {
			out = append(out, token)
		}
	}
	return out
}

// RedactError is err with secrets and key-shaped strings removed from every
// text it carries. Every error leaves an adapter through it, applied once by
// Redacting (Complete, Stream and the error that ends a stream), so that no
// field, present or added later, can carry a key out: redacting field by
// field at each place an error is built is how keys leaked before.
func RedactError(err error, secrets ...string) error {
	if err == nil {
		return nil
	}
	if pe, ok := err.(*Error); ok {
		r := *pe
		r.Code = Redact(pe.Code, secrets...)
		r.Message = Redact(pe.Message, secrets...)
		r.RequestID = Redact(pe.RequestID, secrets...)
		if pe.Err != nil {
			r.Err = RedactError(pe.Err, secrets...)
		}
		return &r
	}
	msg := err.Error()
	if red := Redact(msg, secrets...); red != msg {
		return &redactedError{msg: red, err: err}
	}
	return err
}

// redactedError shows a redacted message but still unwraps, so that
// errors.Is(err, context.Canceled) and net.Error checks keep working.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }
