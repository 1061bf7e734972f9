package provider

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

// A short secret (a local proxy's four-character token) is still a secret:
// only shorter ones, which would blank out ordinary words, are left alone.
func TestRedactShortSecrets(t *testing.T) {
	for _, tc := range []struct {
		secret, in, want string
	}{
		{"k3y9", "proxy rejected token k3y9", "proxy rejected token [REDACTED]"},
		{"abc", "abc is too short to redact", "abc is too short to redact"},
	} {
		if got := Redact(tc.in, tc.secret); got != tc.want {
			t.Errorf("Redact(%q, %q) = %q; want %q", tc.in, tc.secret, got, tc.want)
		}
	}
}

// An API key-shaped string is redacted even when it is not one of the
// configured secrets, whichever of the two key families it belongs to.
func TestRedactKeyShapesOfEachFamily(t *testing.T) {
	for _, in := range []string{
		"upstream key sk-live0123456789abcdef was rejected",
		"upstream key AIzaSyB0123456789abcdefghijklmnop was rejected",
	} {
		if got := Redact(in); got != "upstream key [REDACTED] was rejected" {
			t.Errorf("Redact(%q) = %q; want the key replaced", in, got)
		}
	}
}

// Excerpt keeps a body of exactly MaxExcerpt bytes whole, and cuts a longer
// one at the last character boundary at or before MaxExcerpt: never longer,
// never inside a character, never a panic, whatever the bytes.
func TestExcerptBounds(t *testing.T) {
	exact := strings.Repeat("x", MaxExcerpt)
	if got := Excerpt([]byte(exact)); got != exact {
		t.Errorf("Excerpt of exactly %d bytes = %q (%d bytes); want it whole, without an ellipsis", MaxExcerpt, got, len(got))
	}
	// "é" (2 bytes) straddles the cut: it must go, not be kept whole past it.
	straddle := strings.Repeat("x", MaxExcerpt-1) + "é"
	for _, body := range []string{straddle, straddle + " and more", straddle + "é"} {
		got := Excerpt([]byte(body))
		if want := strings.Repeat("x", MaxExcerpt-1) + "…"; got != want {
			t.Errorf("Excerpt(%d bytes ending %q) = …%q (%d bytes); want %d x's and an ellipsis", len(body), body[MaxExcerpt-4:], got[max(0, len(got)-8):], len(got), MaxExcerpt-1)
		}
	}
	// A binary body (a compressed page a proxy passed on) may have no
	// character boundary at all before the cut.
	binary := strings.Repeat("\x80", 3*MaxExcerpt)
	if got := Excerpt([]byte(binary)); got != "…" || !utf8.ValidString(got) {
		t.Errorf("Excerpt of continuation bytes only = %q; want just the ellipsis", got)
	}
}

// An error whose text is its cause (a transport failure has no message of
// its own, so Error() prints the cause) shows the cause redacted, and still
// answers errors.Is about it.
func TestRedactErrorCause(t *testing.T) {
	const key = "gw-secret-0123456789"
	pe := &Error{Provider: "p", Class: ClassNetwork,
		Err: fmt.Errorf("dial https://gw.example/v1?key=%s: %w", key, context.DeadlineExceeded)}
	got := RedactError(pe, key)
	if want := "p: network: dial https://gw.example/v1?key=[REDACTED]: context deadline exceeded"; got.Error() != want {
		t.Errorf("RedactError() = %q; want %q", got, want)
	}
	if !errors.Is(got, context.DeadlineExceeded) {
		t.Errorf("RedactError() = %v; lost the cause's chain", got)
	}
}
