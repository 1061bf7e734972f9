package eval

import "strconv"

// Count is n with its noun, plural unless n is 1: "1 case", "3 cases".
// Every noun the reports count takes an s.
func Count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}
