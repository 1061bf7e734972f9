package judge

import (
	"context"
	"testing"

	"github.com/llmfall/llmfall/provider"
	"github.com/llmfall/llmfall/provider/sim"
)

// TestHeuristicOnSimOutputs runs the offline pipeline's two halves together:
// the sim's answers to a prompt must pass the heuristic on that prompt, at
// the config's default threshold, and fail on another prompt.
func TestHeuristicOnSimOutputs(t *testing.T) {
	prompts := []struct{ system, user, rubric string }{
		{"You summarise support tickets for agents.", "Summarise this ticket in two sentences:\nOrder 1182 arrived broken. I want my money back.",
			"Mentions the refund request and the order number"},
		{"You draft replies for support agents.", "Draft a short reply to this customer:\nMy parcel ORD-77 is three days late and nobody answers my emails.",
			"Apologises for the late parcel and mentions ORD-77"},
	}
	const threshold = 0.7 // llmfall.yaml's default judge threshold
	models := []string{"gpt-4.1", "gpt-4.1-mini", "claude-3-5-haiku-latest", "gemini-2.5-flash"}
	c := sim.New(sim.Config{Name: "sim"})
	h := &Heuristic{}
	for i, p := range prompts {
		other := prompts[1-i]
		var primary string
		for _, m := range models {
			resp, err := c.Complete(context.Background(), &provider.Request{Model: m, System: p.system,
				Messages: []provider.Message{{Role: provider.RoleUser, Content: p.user}}})
			if err != nil {
				t.Fatalf("sim Complete(%s) error = %v", m, err)
			}
			if primary == "" {
				primary = resp.Text
			}
			on, _ := h.Rubric(context.Background(), RubricInput{Prompt: p.system + "\n" + p.user, Output: resp.Text, Rubric: p.rubric, Threshold: threshold})
			if !on.Pass {
				t.Errorf("%s on its own prompt: %s\n  output %q; want a pass", m, on.Reasoning, resp.Text)
			}
			off, _ := h.Rubric(context.Background(), RubricInput{Prompt: other.system + "\n" + other.user, Output: resp.Text, Rubric: other.rubric, Threshold: threshold})
			if off.Pass {
				t.Errorf("%s on another prompt: %s\n  output %q; want a fail", m, off.Reasoning, resp.Text)
			}
			cv, _ := h.Consistent(context.Background(), PairInput{Prompt: p.system + "\n" + p.user, Primary: primary, Candidate: resp.Text})
			if !cv.Pass {
				t.Errorf("%s consistent with %s: %s; want a pass", m, models[0], cv.Reasoning)
			}
		}
	}
}
