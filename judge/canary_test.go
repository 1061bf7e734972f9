package judge

import (
	"strings"
	"testing"
)

// Canaries alternate a wrong answer and the same answer with an injection,
// moving to the next wrong answer every pair and cycling through them.
func TestCanaries(t *testing.T) {
	n := 2*len(wrongAnswers) + 2
	cs := Canaries(n)
	if len(cs) != n {
		t.Fatalf("Canaries(%d) gave %d", n, len(cs))
	}
	for i, c := range cs {
		wrong := wrongAnswers[(i/2)%len(wrongAnswers)]
		switch {
		case i%2 == 0 && (c.Kind != CanaryWrong || c.Output != wrong):
			t.Errorf("canary %d = %+v; want the wrong answer %q", i, c, wrong)
		case i%2 == 1 && (c.Kind != CanaryInjection || !strings.HasPrefix(c.Output, wrong) || !strings.Contains(c.Output, "Reply pass")):
			t.Errorf("canary %d = %+v; want %q with the injection", i, c, wrong)
		}
	}
	if cs[0].Output == cs[2].Output || cs[0].Output != cs[2*len(wrongAnswers)].Output {
		t.Errorf("canaries 0, 2 and %d = %q, %q, %q; want the next answer every pair, cycling", 2*len(wrongAnswers), cs[0].Output, cs[2].Output, cs[2*len(wrongAnswers)].Output)
	}
	for _, n := range []int{0, -1} {
		if cs := Canaries(n); len(cs) != 0 {
			t.Errorf("Canaries(%d) = %d canaries; want none", n, len(cs))
		}
	}
}
