package fallback

import (
	"errors"
	"testing"
	"time"

	"github.com/llmfall/llmfall/provider"
)

// TestExhaustedErrorMessage: the message `llmfall run` prints when a call
// fails says which chain failed, whether every link was tried or the total
// timeout cut the walk short, and each link tried with its own error, in
// the order tried.
func TestExhaustedErrorMessage(t *testing.T) {
	down := func() []*fake {
		return []*fake{
			newFake("a", step{err: perr("a", provider.ClassServer)}),
			newFake("b", step{err: perr("b", provider.ClassRateLimited)}),
			newFake("c", step{err: perr("c", provider.ClassAuth)}),
		}
	}
	for _, m := range modes {
		t.Run(m.name+"/category", func(t *testing.T) {
			e := mustNew(t, testConfig(), down()...)
			_, _, err := m.run(e, testCtx(t), userRequest("fast"))
			want := "fallback: category fast: all 3 attempts failed: a/a-mini (error: a: server: scripted server); " +
				"b/b-haiku (error: b: rate_limited: scripted rate_limited); c/c-flash (error: c: auth: scripted auth)"
			checkExhausted(t, err, want)
		})
		t.Run(m.name+"/chain", func(t *testing.T) {
			e := mustNew(t, testConfig(), down()...)
			req := userRequest("")
			req.Chain = []Target{{Provider: "c", Model: "c-pro"}}
			_, _, err := m.run(e, testCtx(t), req)
			checkExhausted(t, err, "fallback: chain: all 1 attempts failed: c/c-pro (error: c: auth: scripted auth)")
		})
		t.Run(m.name+"/total timeout", func(t *testing.T) {
			clk := newClock()
			cfg := testConfig()
			cfg.Timeouts.Total, cfg.Clock = 40*time.Millisecond, clk
			started := make(chan struct{})
			advanceOn(clk, started, 40*time.Millisecond)
			e := mustNew(t, cfg, newFake("a", step{err: perr("a", provider.ClassServer)}),
				newFake("b", step{hang: true, started: started}), newFake("c"))
			_, _, err := m.run(e, testCtx(t), userRequest("fast"))
			want := "fallback: category fast: total timeout 40ms ran out after trying a/a-mini (error: a: server: scripted server); " +
				"b/b-haiku (timeout: b: timeout: total timeout 40ms exceeded)"
			checkExhausted(t, err, want)
		})
	}
}

func checkExhausted(t *testing.T, err error, want string) {
	t.Helper()
	var ee *ExhaustedError
	if !errors.As(err, &ee) {
		t.Fatalf("err = %v; want *ExhaustedError", err)
	}
	if got := err.Error(); got != want {
		t.Errorf("Error() =\n%s\nwant\n%s", got, want)
	}
}
