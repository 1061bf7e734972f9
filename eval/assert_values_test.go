package eval

import (
	"strings"
	"testing"
)

// The report shows a failed equals as a diff of the expected text against
// the output; nothing else has one: a passing equals, a negated one (whose
// value is what the output must not be) and the other types.
func TestOnlyAFailedEqualsHasADiff(t *testing.T) {
	for _, tc := range []struct {
		assert, out, want string
	}{
		{`{type: equals, value: "Order 1182 is refunded."}`, "Order 1182 is lost.", "Order 1182 is refunded."},
		{`{type: equals, value: "Order 1182 is refunded."}`, "Order 1182 is refunded.", ""},
		{`{type: not-equals, value: "Order 1182 is refunded."}`, "Order 1182 is refunded.", ""},
		{`{type: not-equals, value: "Order 1182 is refunded."}`, "Order 1182 is lost.", ""},
		{`{type: contains, value: refunded}`, "Order 1182 is lost.", ""},
	} {
		r := parseAssertion(t, tc.assert).Check(Output{Text: tc.out})
		if r.Want != tc.want {
			t.Errorf("%s on %q: Want = %q; want %q", tc.assert, tc.out, r.Want, tc.want)
		}
	}
}

// A list assertion needs a list of at least one value: contains-all of no
// values would pass every output, contains-any of none fail every one.
func TestListAssertionsNeedValues(t *testing.T) {
	const want = "needs a value that is a list of strings"
	for _, src := range []string{
		`{type: contains-all}`,
		`{type: contains-all, value: []}`,
		`{type: icontains-any, value: []}`,
		`{type: contains-any, value: refund}`,
		`{type: contains-all, value: {refund: yes}}`,
	} {
		got := assertionErrors(t, src)
		if strings.Count(got, "t.yaml:") != 1 || !strings.Contains(got, want) {
			t.Errorf("loading %s: errors %s; want one error saying it %s", src, got, want)
		}
	}
	if got := assertionErrors(t, `{type: contains-all, value: [refund]}`); got != "[]" {
		t.Errorf("loading a one-value list: errors %s; want none", got)
	}
}
