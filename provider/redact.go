package provider

import (
	"errors"
	"net"
	"net/http"
	"reflect"
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
//
// The redaction reaches down the whole chain: an *Error is copied with its
// fields and its cause redacted, and any other error that shows a secret,
// itself or further down, is wrapped so that it and every error unwrapped
// from it print redacted, while errors.Is and errors.As still find the
// originals (see redactedError). An error whose chain shows none is
// returned as it is.
func RedactError(err error, secrets ...string) error {
	if err == nil {
		return nil
	}
	if pe, ok := err.(*Error); ok {
		r := *pe
		r.Code = Redact(pe.Code, secrets...)
		r.Message = Redact(pe.Message, secrets...)
		r.RequestID = Redact(pe.RequestID, secrets...)
		r.Err = RedactError(pe.Err, secrets...)
		return &r
	}
	if !carries(err, secrets) {
		return err
	}
	redact := func(err error) error { return RedactError(err, secrets...) }
	r := redactedError{msg: Redact(err.Error(), secrets...), err: err, redact: redact}
	if _, ok := err.(interface{ Unwrap() []error }); ok {
		return &redactedJoin{r}
	}
	return &r
}

// carries reports whether err or any error in its chain prints a secret,
// or is an *Error, whose fields RedactError redacts whether printed or not.
func carries(err error, secrets []string) bool {
	if err == nil {
		return false
	}
	if _, ok := err.(*Error); ok {
		return true
	}
	if msg := err.Error(); Redact(msg, secrets...) != msg {
		return true
	}
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		return carries(u.Unwrap(), secrets)
	case interface{ Unwrap() []error }:
		for _, e := range u.Unwrap() {
			if carries(e, secrets) {
				return true
			}
		}
	}
	return false
}

// redactedError stands for one error of a chain that shows a secret: it
// prints the redacted text, and unwraps to the next error of the chain
// redacted the same way, so that a caller walking the chain and printing
// each cause never prints a key. Is and As answer for the original at
// this level, so that errors.Is(err, context.Canceled) and the net.Error
// checks work as on the original chain.
type redactedError struct {
	msg string
	err error // the original at this level
	// redact is RedactError with the secrets: a closure, so that no field
	// holds a secret that %#v could print.
	redact func(error) error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.redact(errors.Unwrap(e.err)) }

// Is is errors.Is's test of the original at this level (its chain is
// walked through Unwrap). errors.Is never asks about a nil target.
func (e *redactedError) Is(target error) bool {
	if reflect.TypeOf(target).Comparable() && e.err == target {
		return true
	}
	x, ok := e.err.(interface{ Is(error) bool })
	return ok && x.Is(target)
}

func (e *redactedError) As(target any) bool { return e.as(e, target) }

// as is errors.As's test of the original at this level. A target of an
// interface type (error, net.Error) gets a stand-in that prints redacted;
// only a target of the original's own concrete type gets the original, as
// errors.As promises: such a caller asked for its fields.
func (e *redactedError) as(self error, target any) bool {
	v := reflect.ValueOf(target).Elem() // errors.As has checked: a non-nil pointer
	if !reflect.TypeOf(e.err).AssignableTo(v.Type()) {
		x, ok := e.err.(interface{ As(any) bool })
		return ok && x.As(target)
	}
	if v.Kind() == reflect.Interface {
		if ne, ok := e.err.(net.Error); ok {
			self = redactedNetError{netError: ne, r: self}
		}
		if reflect.TypeOf(self).AssignableTo(v.Type()) {
			v.Set(reflect.ValueOf(self))
			return true
		}
	}
	v.Set(reflect.ValueOf(e.err))
	return true
}

// redactedJoin is redactedError for an error that wraps several
// (errors.Join, fmt.Errorf with several %w).
type redactedJoin struct{ redactedError }

func (e *redactedJoin) Unwrap() []error {
	errs := e.err.(interface{ Unwrap() []error }).Unwrap()
	out := make([]error, len(errs))
	for i, err := range errs {
		out[i] = e.redact(err)
	}
	return out
}

func (e *redactedJoin) As(target any) bool { return e.as(e, target) }

// redactedNetError is what errors.As gives a net.Error target for a
// redacted net.Error: the original's Timeout, and the redacted error at its
// level as text and cause.
type redactedNetError struct {
	netError       // Timeout (and the deprecated Temporary) of the original
	r        error // the *redactedError or *redactedJoin
}

// netError names the embedded field: a field called Error would clash
// with the method.
type netError = net.Error

func (e redactedNetError) Error() string { return e.r.Error() }
func (e redactedNetError) Unwrap() error { return e.r }
