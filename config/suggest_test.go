package config

import (
	"strings"
	"testing"
)

// distance is the optimal string alignment distance, counted in runes.
func TestDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "abc", 3},
		{"abc", "", 3},
		{"abc", "abc", 0},
		{"kitten", "sitting", 3},
		{"ab", "ba", 1},     // a swap of neighbours is one edit
		{"abcd", "acbd", 1}, // inside a word too
		{"abcdef", "badcfe", 3},
		{"ca", "abc", 3}, // alignment: a swapped pair is not edited again
		{"flaw", "lawn", 2},
		{"héllo", "hello", 1}, // runes, not bytes
	}
	for _, tc := range tests {
		if got := distance(tc.a, tc.b); got != tc.want {
			t.Errorf("distance(%q, %q) = %d; want %d", tc.a, tc.b, got, tc.want)
		}
	}
}

// suggest's rules at their edges: ties go to the earlier candidate, a
// distance as long as the candidate is no suggestion, and prefixes count
// from three characters on either side.
func TestSuggestEdges(t *testing.T) {
	tests := []struct {
		got        string
		candidates []string
		want       string
	}{
		{"tast", []string{"fast", "last"}, "fast"},
		{"tast", []string{"last", "fast"}, "last"},
		{"fst", []string{"first", "fast"}, "fast"}, // the closer, though later
		{"xy", []string{"ab"}, ""},                 // every letter replaced
		{"xyz", []string{"abc", "xyzzy"}, "xyzzy"},
		{"tim", []string{"timeouts"}, "timeouts"},
		{"ti", []string{"timeouts"}, ""},
		{"rpm_limit", []string{"rpm"}, "rpm"},
		{"hedge_after_first_token", []string{"hedge_after"}, "hedge_after"},
		{"judgement_category", []string{"ju"}, ""}, // a two-letter candidate is no prefix
	}
	for _, tc := range tests {
		got, ok := suggest(tc.got, tc.candidates)
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("suggest(%q, %q) = %q, %v; want %q", tc.got, tc.candidates, got, ok, tc.want)
		}
	}
}

// A candidate whose length differs from got's by the best distance or more
// cannot win: suggest skips it without building a distance table, so a
// pasted paragraph as a key costs no table per valid key.
func TestSuggestSkipsCandidatesTooLongOrShort(t *testing.T) {
	tests := []struct {
		got        string
		candidates []string
	}{
		{"x", []string{"abcdefghij"}},           // far shorter
		{"zzzzzzzzzzzz", []string{"abcdefghi"}}, // longer by exactly the bound
		{strings.Repeat("paste ", 1000), topKeys},
	}
	for _, tc := range tests {
		if allocs := testing.AllocsPerRun(10, func() { suggest(tc.got, tc.candidates) }); allocs != 0 {
			t.Errorf("suggest(%.20q…, %q) allocated %v times; want no distance table", tc.got, tc.candidates, allocs)
		}
	}
}
