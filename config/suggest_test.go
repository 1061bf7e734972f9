package config

import "testing"

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
