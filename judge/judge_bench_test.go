package judge

import (
	"context"
	"strings"
	"testing"
)

// BenchmarkRubricOverhead measures what the LLM judge adds around one model
// call (nonce, prompt, request, parse), with a model that answers at once.
func BenchmarkRubricOverhead(b *testing.B) {
	f := &fakeJudge{name: "anthropic", reply: answers(0.9, true)}
	j, err := New(Config{Chain: chain(f)})
	if err != nil {
		b.Fatal(err)
	}
	in := RubricInput{Prompt: ticketPrompt, Output: strings.Repeat("Order 1182 arrived broken. ", 20), Rubric: "Mentions the order number"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := j.Rubric(context.Background(), in); err != nil {
			b.Fatal(err)
		}
		f.calls = f.calls[:0]
	}
}

func BenchmarkHeuristicRubric(b *testing.B) {
	h := &Heuristic{}
	in := RubricInput{Prompt: ticketPrompt, Output: strings.Repeat("Order 1182 arrived broken and the customer wants a refund. ", 20), Rubric: "Mentions the refund and the order number"}
	b.ReportAllocs()
	for b.Loop() {
		h.Rubric(context.Background(), in)
	}
}
