package fallback

import (
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/llmfall/llmfall/provider"
)

// A call's own hook hears of its attempts and of no other call's, even when
// two calls are in flight on one engine at once.
func TestRequestOnAttemptSeesOnlyItsCall(t *testing.T) {
	gate := make(chan struct{})
	startedA, startedB := make(chan struct{}), make(chan struct{})
	a := newFake("a", step{started: startedA, gate: gate, err: perr("a", provider.ClassServer)})
	b := newFake("b", step{started: startedB, gate: gate})
	e := mustNew(t, testConfig(), a, b, newFake("c"))

	calls := []struct {
		chain []Target
		want  []string
	}{
		{[]Target{{Provider: "a", Model: "a-mini"}, {Provider: "c", Model: "c-flash"}}, []string{"a:error", "c:ok"}},
		{[]Target{{Provider: "b", Model: "b-haiku"}}, []string{"b:ok"}},
	}
	got := make([][]string, len(calls))
	var wg sync.WaitGroup
	for i, call := range calls {
		req := userRequest("fast")
		req.Chain = call.chain
		// No lock: the hook runs on the goroutine driving its call.
		req.OnAttempt = func(a Attempt) { got[i] = append(got[i], a.Provider+":"+string(a.Outcome)) }
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := e.Stream(testCtx(t), req)
			if err != nil {
				t.Error(err)
				return
			}
			defer s.Close()
			drain(s)
		}()
	}
	// Both calls have an attempt in flight before either ends one.
	<-startedA
	<-startedB
	close(gate)
	wg.Wait()
	for i, call := range calls {
		if diff := cmp.Diff(call.want, got[i]); diff != "" {
			t.Errorf("call %d: hook calls (-want +got):\n%s", i, diff)
		}
	}
}
