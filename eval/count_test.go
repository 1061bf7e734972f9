package eval

import "testing"

func TestCount(t *testing.T) {
	for _, tc := range []struct {
		n    int
		want string
	}{{0, "0 cases"}, {1, "1 case"}, {2, "2 cases"}, {30, "30 cases"}} {
		if got := Count(tc.n, "case"); got != tc.want {
			t.Errorf("Count(%d, case) = %q; want %q", tc.n, got, tc.want)
		}
	}
}
