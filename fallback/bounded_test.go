package fallback

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/llmfall/llmfall/provider"
)

// Tests that a call ends, written to fail at once (or, where only the wall
// clock can tell a hang, within hangBound) instead of hanging the suite. Go
// runs a package's test files in name order, and this file comes first: a
// run with -failfast (as gremlins' are) stops on these instead of on the
// first test that hangs. (Examples still run after a failure, -failfast or
// not.)

// hangBound is how long a call that ends in microseconds gets before a test
// calls it hung: far above any delay load can cause, as testCtx's.
const hangBound = 20 * time.Second

// TestFailedLinkIsLeft: a link whose error is not worth retrying is asked
// once; the call moves on to the next link and ends. A second attempt at the
// failed link cancels the call (from the OnAttempt hook), so that an engine
// retrying it for ever fails this test at once rather than spinning.
func TestFailedLinkIsLeft(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			cfg := testConfig()
			cfg.Clock = newClock()
			e := mustNew(t, cfg, newFake("a", step{err: perr("a", provider.ClassServer)}), newFake("b"), newFake("c"))
			ctx, cancel := context.WithCancel(testCtx(t))
			defer cancel()
			asked := 0
			req := userRequest("fast")
			req.OnAttempt = func(a Attempt) {
				if a.Provider == "a" {
					if asked++; asked > 1 {
						cancel()
					}
				}
			}
			text, res, err := m.run(e, ctx, req)
			if err != nil || text != "ok from b/b-haiku" {
				t.Fatalf("text = %q, err = %v; want b's answer (a asked %d times)", text, err, asked)
			}
			if diff := cmp.Diff([]string{"a:error:server", "b:ok"}, outcomes(res.Attempts)); diff != "" {
				t.Errorf("attempts (-want +got):\n%s", diff)
			}
		})
	}
}

// TestHedgedStreamEnds: a hedged stream whose racers have all reported
// ends, won or lost. Nothing the test controls can unblock a race that
// waits for a result no racer will send, so the bound is the wall clock's.
func TestHedgedStreamEnds(t *testing.T) {
	tests := []struct {
		name string
		a, b step
		want []string
	}{
		{"the second link wins", step{err: perr("a", provider.ClassServer)}, step{}, []string{"a:error:server", "b:ok"}},
		{"every link fails", step{err: perr("a", provider.ClassServer)}, step{err: perr("b", provider.ClassServer)},
			[]string{"a:error:server", "b:error:server", "c:error:server"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := hedgeConfig(time.Hour) // never reached: the fake clock stands still
			cfg.Clock = newClock()
			c := newFake("c")
			if tc.b.err != nil {
				c = down("c")
			}
			e := mustNew(t, cfg, newFake("a", tc.a), newFake("b", tc.b), c)
			ended := make(chan *Result, 1)
			go func() {
				_, res, _ := modes[1].run(e, testCtx(t), userRequest("fast"))
				ended <- res
			}()
			select {
			case res := <-ended:
				if diff := cmp.Diff(tc.want, outcomes(res.Attempts)); diff != "" {
					t.Errorf("attempts (-want +got):\n%s", diff)
				}
			case <-time.After(hangBound):
				t.Fatalf("the hedged stream has not ended after %s: its race waits for a result no racer will send", hangBound)
			}
		})
	}
}
