package sim

import (
	"context"
	"testing"

	"github.com/llmfall/llmfall/provider"
)

func TestEstimateUsageIsCompletesUsage(t *testing.T) {
	c := New(Config{Name: "sim"})
	req := &provider.Request{Model: "m", System: "You summarise tickets.",
		Messages: []provider.Message{{Role: provider.RoleUser, Content: "Summarise: order 1182 arrived broken; refund wanted."}}}
	got := c.EstimateUsage(req)
	resp, err := c.Complete(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if got != resp.Usage || got.OutputTokens == 0 {
		t.Errorf("EstimateUsage = %+v; want Complete's %+v", got, resp.Usage)
	}
	if c.Calls() != 1 {
		t.Errorf("calls = %d; want 1 (the estimate is not a call)", c.Calls())
	}
}
