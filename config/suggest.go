package config

import (
	"strings"
	"unicode/utf8"
)

// suggest returns the candidate got was most likely meant to be: the closest
// within an edit distance of 2 (ignoring case, a swap of neighbours counting
// as one edit), else the first that got is a prefix of or that is a prefix of
// got. Earlier candidates win ties, so list the common ones first.
func suggest(got string, candidates []string) (string, bool) {
	g := strings.ToLower(got)
	best, bestDist := "", 3
	for _, c := range candidates {
		lc := strings.ToLower(c)
		// The distance is at least the difference in length: skip the work
		// (and a quadratic table for a pasted paragraph) when it cannot win.
		if abs(utf8.RuneCountInString(g)-utf8.RuneCountInString(lc)) >= bestDist {
			continue
		}
		if dist := distance(g, lc); dist < bestDist && dist < utf8.RuneCountInString(lc) {
			best, bestDist = c, dist
		}
	}
	if best != "" {
		return best, true
	}
	if len(g) < 3 {
		return "", false
	}
	for _, c := range candidates {
		lc := strings.ToLower(c)
		if len(lc) >= 3 && (strings.HasPrefix(lc, g) || strings.HasPrefix(g, lc)) {
			return c, true
		}
	}
	return "", false
}

// distance is the optimal string alignment distance between a and b:
// insertions, deletions, substitutions and transpositions of neighbours.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	// Three rolling rows: two back is needed for transpositions.
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
