package provider

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// levels walks err's whole tree the way a caller printing causes would:
// errors.Unwrap, and each error of a join.
func levels(err error) []error {
	if err == nil {
		return nil
	}
	out := []error{err}
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		out = append(out, levels(u.Unwrap())...)
	case interface{ Unwrap() []error }:
		for _, e := range u.Unwrap() {
			out = append(out, levels(e)...)
		}
	}
	return out
}

// A caller that unwraps a redacted error and prints each cause (a log
// line per level, an error page) never prints the key, whether it sat in a
// URL or in a body the error quotes; and errors.Is and errors.As answer as
// on the original chain, so that the engine still classifies it.
func TestRedactedErrorChainNeverPrintsTheKey(t *testing.T) {
	const key = "gw-secret-0123456789"
	body := `{"error":{"message":"key ` + key + ` is not valid"}}`
	urlErr := func(cause error) *url.Error {
		return &url.Error{Op: "Post", URL: "https://gw.example/v1/chat?key=" + key, Err: cause}
	}

	// A real request whose deadline has passed, to a URL that carries the
	// key, through Post as an adapter sends it.
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	h := NewHTTP(HTTPConfig{Name: "gw", APIKey: key, Client: srv.Client()})
	expired, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Hour))
	defer cancel()
	_, postErr := h.Post(expired, srv.URL+"/v1/chat?key="+key, []byte(`{}`), nil)

	for _, tc := range []struct {
		name  string
		orig  error
		depth int // at least this many levels
	}{
		{"expired deadline through Post", postErr, 3},
		{"client timeout reading a body that quotes the key",
			TransportError(context.Background(), "gw", urlErr(fmt.Errorf("read body %s: %w", body, context.DeadlineExceeded))), 4},
		{"a net.Error that times out", TransportError(context.Background(), "gw", urlErr(context.DeadlineExceeded)), 3},
		{"joined causes", &Error{Provider: "gw", Class: ClassTimeout,
			Err: fmt.Errorf("stream: %w", errors.Join(fmt.Errorf("status 401: %s", body), urlErr(context.DeadlineExceeded)))}, 6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.orig == nil || !strings.Contains(tc.orig.Error(), key) {
				t.Fatalf("the original error %v does not show the key", tc.orig)
			}
			err := RedactError(tc.orig, h.Secrets...)
			all := levels(err)
			if len(all) < tc.depth {
				t.Errorf("the chain has %d levels; want at least %d", len(all), tc.depth)
			}
			for i, e := range all {
				for _, verb := range []string{"%v", "%+v", "%s", "%q"} {
					if s := fmt.Sprintf(verb, e); strings.Contains(s, key) {
						t.Errorf("level %d (%T) printed with %s shows the key: %s", i, e, verb, s)
					}
				}
			}
			if !errors.Is(err, context.DeadlineExceeded) || ClassOf(err) != ClassOf(tc.orig) {
				t.Errorf("errors.Is(DeadlineExceeded) = %t, class %q; want true, %q", errors.Is(err, context.DeadlineExceeded), ClassOf(err), ClassOf(tc.orig))
			}
			for _, other := range []error{context.Canceled, io.EOF, fs.ErrPermission} {
				if errors.Is(err, other) {
					t.Errorf("errors.Is(%v) = true; want false, as on the original", other)
				}
			}
			// Every error of the original chain is still found by
			// identity, but the *Error, which is copied.
			for i, e := range levels(tc.orig) {
				if _, copied := e.(*Error); !copied && !errors.Is(err, e) {
					t.Errorf("errors.Is(level %d of the original, %T) = false; want true", i, e)
				}
			}
			var ne, origNE net.Error
			if !errors.As(err, &ne) || !errors.As(tc.orig, &origNE) {
				t.Fatalf("errors.As(net.Error) = %v; want it found as in the original", ne)
			}
			if ne.Timeout() != origNE.Timeout() {
				t.Errorf("net.Error %v: Timeout() = %t; want the original's %t", ne, ne.Timeout(), origNE.Timeout())
			}
			if !errors.Is(ne, context.DeadlineExceeded) {
				t.Errorf("errors.Is(the net.Error, DeadlineExceeded) = false; want its original's answer")
			}
			for i, e := range levels(ne) {
				if strings.Contains(fmt.Sprint(e), key) {
					t.Errorf("level %d of the net.Error errors.As found shows the key: %v", i, e)
				}
			}
			// A caller that asks for the concrete type gets the original,
			// as errors.As promises.
			var ue, origUE *url.Error
			if errors.As(err, &ue) != errors.As(tc.orig, &origUE) || ue != origUE {
				t.Errorf("errors.As(*url.Error) = %v; want the original's %v", ue, origUE)
			}
		})
	}
}

// An *Error under another error (a wrapper an adapter added) is redacted
// as a top-level one is: errors.As finds a copy without the key.
func TestRedactErrorReachesAnErrorDownTheChain(t *testing.T) {
	const key = "gw-secret-0123456789"
	orig := &Error{Provider: "gw", Class: ClassAuth, Code: "bad_key", Message: "key " + key + " rejected", RequestID: "req-" + key}
	got := RedactError(fmt.Errorf("stream: %w", orig), key)
	var pe *Error
	if !errors.As(got, &pe) {
		t.Fatalf("errors.As(*Error) = false for %v", got)
	}
	if strings.Contains(pe.Message, key) || strings.Contains(pe.RequestID, key) || pe.Class != ClassAuth {
		t.Errorf("errors.As gave %+v; want the auth error with the key redacted from every field", *pe)
	}
	if orig.Message != "key "+key+" rejected" {
		t.Error("RedactError changed the original error; want a copy")
	}
}

// An error whose chain shows no secret is returned as it is, so that
// identity checks on it keep working; one whose text is clean but whose
// cause is not is still redacted down the chain.
func TestRedactErrorKeepsCleanChains(t *testing.T) {
	const key = "gw-secret-0123456789"
	clean := fmt.Errorf("read: %w", context.Canceled)
	if got := RedactError(clean, key); got != clean {
		t.Errorf("RedactError(%v) = %#v; want the error itself", clean, got)
	}
	hidden := &quiet{cause: errors.New("dial gw.example?key=" + key)}
	got := RedactError(hidden, key)
	for i, e := range levels(got) {
		if strings.Contains(e.Error(), key) {
			t.Errorf("level %d shows the key: %v", i, e)
		}
	}
	if len(levels(got)) != 2 {
		t.Errorf("levels = %d; want the cause kept", len(levels(got)))
	}
	var q *quiet
	if !errors.As(got, &q) || q != hidden {
		t.Errorf("errors.As(*quiet) = %v; want the original", q)
	}

	cleanJoin := &quietJoin{errors.New("no route"), errors.New("timeout")}
	if got := RedactError(cleanJoin, key); got != cleanJoin {
		t.Errorf("RedactError(a join of clean errors) = %#v; want the join itself", got)
	}
	join := &quietJoin{errors.New("no route"), errors.New("dial gw.example?key=" + key)}
	got = RedactError(join, key)
	all := levels(got)
	for i, e := range all {
		if strings.Contains(e.Error(), key) {
			t.Errorf("level %d of a join shows the key: %v", i, e)
		}
	}
	if len(all) != 3 {
		t.Errorf("levels of a join = %d; want itself and its two causes", len(all))
	}
}

// A cause's own Is and As (a library's error saying what it is) answer
// through the redaction as they do on the original.
func TestRedactErrorKeepsTheCausesOwnIsAndAs(t *testing.T) {
	const key = "gw-secret-0123456789"
	orig := &Error{Provider: "gw", Class: ClassAuth, Err: fmt.Errorf("send: %w", &gatewayError{url: "https://gw.example/?key=" + key, status: 403})}
	got := RedactError(orig, key)
	if strings.Contains(fmt.Sprint(levels(got)), key) {
		t.Errorf("RedactError() levels %v; want no key", levels(got))
	}
	if !errors.Is(got, fs.ErrPermission) {
		t.Error("errors.Is(fs.ErrPermission) = false; want the gateway error's own answer")
	}
	var st httpStatus
	if !errors.As(got, &st) || st != 403 {
		t.Errorf("errors.As(*httpStatus) = %d; want the gateway error's 403", st)
	}
}

// A net.Error that wraps several causes (every address of a host refused
// the dial) found by errors.As keeps its causes, redacted, under it.
func TestRedactedNetErrorOfSeveralCauses(t *testing.T) {
	const key = "gw-secret-0123456789"
	refused := errors.New("connection refused")
	orig := &Error{Provider: "gw", Class: ClassTimeout, Err: &dialErrors{
		url:  "https://gw.example/?key=" + key,
		errs: []error{refused, fmt.Errorf("dial gw.example?key=%s: %w", key, context.DeadlineExceeded)},
	}}
	var ne net.Error
	if !errors.As(RedactError(orig, key), &ne) || !ne.Timeout() {
		t.Fatalf("errors.As(net.Error) = %v; want the dial errors, timed out", ne)
	}
	all := levels(ne)
	if strings.Contains(fmt.Sprint(all), key) {
		t.Errorf("the net.Error's levels %v; want no key", all)
	}
	if !errors.Is(ne, refused) || !errors.Is(ne, context.DeadlineExceeded) {
		t.Errorf("errors.Is(the net.Error, each cause) = %t, %t; want both true (levels %q)", errors.Is(ne, refused), errors.Is(ne, context.DeadlineExceeded), all)
	}
}

// dialErrors is a net.Error of several causes whose text shows the URL.
type dialErrors struct {
	url  string
	errs []error
}

func (e *dialErrors) Error() string   { return "dial " + e.url + ": every address failed" }
func (e *dialErrors) Unwrap() []error { return e.errs }
func (e *dialErrors) Timeout() bool   { return true }
func (e *dialErrors) Temporary() bool { return false }

// gatewayError is a library's error whose text shows the URL with the key
// and which says, through Is and As, what it is.
type gatewayError struct {
	url    string
	status httpStatus
}

// httpStatus is the status a gatewayError hands out through As.
type httpStatus int

func (s httpStatus) Error() string { return fmt.Sprintf("HTTP %d", int(s)) }

func (e *gatewayError) Error() string        { return "refused " + e.url }
func (e *gatewayError) Is(target error) bool { return target == fs.ErrPermission }
func (e *gatewayError) As(target any) bool {
	p, ok := target.(*httpStatus)
	if ok {
		*p = e.status
	}
	return ok
}

// quietJoin is a join whose text shows none of its causes.
type quietJoin []error

func (e *quietJoin) Error() string   { return "every route failed" }
func (e *quietJoin) Unwrap() []error { return *e }

// quiet is an error whose text does not show its cause.
type quiet struct{ cause error }

func (e *quiet) Error() string { return "request failed" }
func (e *quiet) Unwrap() error { return e.cause }
