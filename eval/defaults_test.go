package eval

import (
	"context"
	"testing"

	"github.com/llmfall/llmfall/provider"
)

// TestNoRetriesRetriesNothing: with NoRetries (llmfall.yaml's `retries: 0`)
// a server error is not retried: the provider is asked once.
func TestNoRetriesRetriesNothing(t *testing.T) {
	s := loadDir(t, map[string]string{"p.yaml": "name: p\ncategory: fast\nprompt: hi\ntests: [{assert: [{type: contains, value: x}]}]\n"})
	down := &fakeProvider{answer: func(int, *provider.Request) (string, error) {
		return "", &provider.Error{Provider: "a", Status: 500, Class: provider.ClassServer, Message: "boom"}
	}}
	rs, err := Run(context.Background(), mustPlan(t, s, PlanOptions{Depth: 1}),
		RunOptions{Providers: map[string]provider.Provider{"a": down}, Retries: NoRetries})
	if err != nil {
		t.Fatal(err)
	}
	if n := down.calls.Load(); n != 1 || rs.Summary.Errored != 1 {
		t.Errorf("provider called %d times, %d errored; want 1 call and the case errored", n, rs.Summary.Errored)
	}
	if got := (&RunOptions{}).RetryPolicy().Max; got != DefaultRetries {
		t.Errorf("the zero RunOptions retry %d times; want DefaultRetries, %d", got, DefaultRetries)
	}
}
