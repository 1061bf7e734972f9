package judge_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/llmfall/llmfall/judge"
	"github.com/llmfall/llmfall/provider"
)

// cannedModel stands in for a real adapter (openai.New, anthropic.New …):
// it always answers with the same verdict.
type cannedModel struct{ answer string }

func (m cannedModel) Complete(context.Context, *provider.Request) (*provider.Response, error) {
	return &provider.Response{Text: m.answer, Usage: provider.Usage{InputTokens: 900, OutputTokens: 60}}, nil
}

func (m cannedModel) Stream(context.Context, *provider.Request) (provider.Stream, error) {
	return nil, errors.New("not used")
}

func ExampleNew() {
	ok := cannedModel{`{"reasoning": "Names order 1182 and the refund.", "score": 0.9, "pass": true}`}
	j, err := judge.New(judge.Config{
		Chain: []judge.Link{
			{Provider: "anthropic", Model: "claude-sonnet-4-5", Client: ok, Price: judge.Price{Input: 3, Output: 15}},
			{Provider: "openai", Model: "gpt-4.1", Client: ok, Price: judge.Price{Input: 2, Output: 8}},
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	v, err := j.Rubric(context.Background(), judge.RubricInput{
		Prompt:            "Summarise the ticket: order 1182 arrived broken, I want my money back.",
		Output:            "Order 1182 arrived broken; the customer asks for a refund.",
		Rubric:            "Mentions the order number and the refund request.",
		CandidateProvider: "anthropic", // so Claude does not grade Claude
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("pass=%t score=%.1f judge=%s cost=$%.4f\n", v.Pass, v.Score, v.Judge, v.CostUSD)
	// Output: pass=true score=0.9 judge=openai/gpt-4.1 cost=$0.0023
}

func ExampleHeuristic() {
	h := &judge.Heuristic{}
	v, _ := h.Rubric(context.Background(), judge.RubricInput{
		Prompt: "Summarise the ticket: order 1182 arrived broken, I want my money back.",
		Output: "Our spring catalogue features new garden furniture.",
		Rubric: "Mentions the order number and the refund request.",
	})
	fmt.Printf("pass=%t judge=%s heuristic=%t\n", v.Pass, v.Judge, v.Heuristic)
	// Output: pass=false judge=heuristic heuristic=true
}
