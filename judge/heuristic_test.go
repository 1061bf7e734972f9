package judge

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const ticketPrompt = "You summarise support tickets for agents.\nSummarise this ticket in two sentences:\nOrder 1182 arrived broken. I want my money back."

func TestHeuristicRubric(t *testing.T) {
	tests := []struct {
		name      string
		in        RubricInput
		wantPass  bool
		wantScore float64 // checked when > 0
	}{
		{
			name: "on topic and covering the rubric",
			in: RubricInput{Prompt: ticketPrompt, Rubric: "Mentions the refund request and the order number",
				Output: "The customer's order 1182 arrived broken. They request a refund of their money."},
			wantPass: true,
		},
		{
			// The offline sim restates the prompt's key terms in template
			// sentences; that must pass even where it misses a rubric word.
			name: "sim-style answer that restates the key terms",
			in: RubricInput{Prompt: ticketPrompt, Rubric: "Mentions the refund request and the order number",
				Output: "The message is about Order, 1182, arrived, broken. It also mentions want, money, back."},
			wantPass: true,
		},
		{
			name: "off topic",
			in: RubricInput{Prompt: ticketPrompt, Rubric: "Mentions the refund request and the order number",
				Output: "Our spring catalogue features new garden furniture and outdoor lighting."},
			wantPass: false,
		},
		{
			// Relevance saturates: a score never exceeds 1.
			name: "rubric of meta words only, every prompt word restated",
			in: RubricInput{Prompt: ticketPrompt, Rubric: "The answer is helpful and clear.",
				Output: "Summarise support tickets for agents: order 1182 arrived broken, the customer wants money back, in two sentences."},
			wantPass: true,
		},
		{
			name:     "empty output",
			in:       RubricInput{Prompt: ticketPrompt, Rubric: "Mentions the order number", Output: "   "},
			wantPass: false, wantScore: 0,
		},
		{
			name: "terse answer without the key terms",
			in: RubricInput{Prompt: ticketPrompt, Rubric: "Mentions the refund request and the order number",
				Output: "Customer unhappy."},
			wantPass: false,
		},
		{
			name: "reference matched",
			in: RubricInput{Prompt: "What is the capital of Australia? Answer in one sentence.", Reference: "Canberra",
				Rubric: "Names the capital correctly", Output: "The capital of Australia is Canberra."},
			wantPass: true,
		},
		{
			name: "reference missed",
			in: RubricInput{Prompt: "What is the capital of Australia? Answer in one sentence.", Reference: "Canberra",
				Rubric: "Names the capital correctly", Output: "The capital of Australia is Sydney."},
			wantPass: false,
		},
		{
			name: "input threshold applies",
			in: RubricInput{Prompt: ticketPrompt, Rubric: "Mentions the refund request and the order number",
				Output: "The customer's order 1182 arrived broken. They request a refund of their money.", Threshold: 0.99},
			wantPass: false,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// 0.5, not DefaultThreshold: these cases were chosen around
			// it, and some score between it and the default.
			h := &Heuristic{Threshold: 0.5}
			v, err := h.Rubric(context.Background(), tc.in)
			if err != nil {
				t.Fatalf("Rubric() error = %v", err)
			}
			if v.Pass != tc.wantPass {
				t.Errorf("Rubric() pass = %t (score %.2f: %s); want %t", v.Pass, v.Score, v.Reasoning, tc.wantPass)
			}
			if tc.wantScore == 0 && !tc.wantPass && strings.TrimSpace(tc.in.Output) == "" && v.Score != 0 {
				t.Errorf("Rubric() score = %v; want 0", v.Score)
			}
			if v.Score < 0 || v.Score > 1 {
				t.Errorf("Rubric() score = %v; want within 0..1", v.Score)
			}
			if v.Judge != HeuristicName || !v.Heuristic || !strings.HasPrefix(v.Reasoning, "heuristic") {
				t.Errorf("Rubric() = %+v; want it labelled as the heuristic", v)
			}
			again, _ := h.Rubric(context.Background(), tc.in)
			if diff := cmp.Diff(v, again); diff != "" {
				t.Errorf("Rubric() not deterministic (-first +second):\n%s", diff)
			}
		})
	}
}

func TestHeuristicKeywordListScoresBelowSentences(t *testing.T) {
	h := &Heuristic{}
	in := RubricInput{Prompt: ticketPrompt, Rubric: "Mentions the refund and the order number"}
	in.Output = "refund 1182"
	list, _ := h.Rubric(context.Background(), in)
	in.Output = "Order 1182 arrived broken, and the customer wants a refund."
	prose, _ := h.Rubric(context.Background(), in)
	if list.Score >= prose.Score {
		t.Errorf("keyword list score %.2f ≥ sentence score %.2f; want lower", list.Score, prose.Score)
	}
}

func TestHeuristicConsistent(t *testing.T) {
	tests := []struct {
		name               string
		primary, candidate string
		want               bool
	}{
		{"paraphrase", "Order 1182 arrived broken and the customer is asking for a refund of the money.",
			"The customer wants their money back because order 1182 arrived broken.", true},
		{"sim styles of two models",
			"The message is about Order, 1182, arrived, broken, want, money, back. That covers the key points.",
			"Certainly. In short, it covers Order, 1182, arrived, broken, money. Nothing else stands out.", true},
		{"unrelated", "Order 1182 arrived broken and the customer is asking for a refund.",
			"Our opening hours are nine to five on weekdays.", false},
		{"both empty", "", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := &Heuristic{Threshold: 0.5} // as in TestHeuristicRubric
			v, err := h.Consistent(context.Background(), PairInput{Prompt: ticketPrompt, Primary: tc.primary, Candidate: tc.candidate})
			if err != nil {
				t.Fatalf("Consistent() error = %v", err)
			}
			if v.Pass != tc.want {
				t.Errorf("Consistent() pass = %t (%s); want %t", v.Pass, v.Reasoning, tc.want)
			}
			swapped, _ := h.Consistent(context.Background(), PairInput{Prompt: ticketPrompt, Primary: tc.candidate, Candidate: tc.primary})
			if swapped.Score != v.Score {
				t.Errorf("Consistent() score %v, swapped %v; want symmetric", v.Score, swapped.Score)
			}
			if v.Inconsistent || v.Judge != HeuristicName || !v.Heuristic {
				t.Errorf("Consistent() = %+v; want a consistent heuristic verdict", v)
			}
		})
	}
}

func TestHeuristicPrefer(t *testing.T) {
	on := "Order 1182 arrived broken; the customer wants their money back."
	off := "We sell garden furniture."
	h := &Heuristic{}
	for _, tc := range []struct {
		out1, out2 string
		want       int
	}{{on, off, 1}, {off, on, 2}, {on, on, 0}} {
		p, err := h.Prefer(context.Background(), PreferInput{Prompt: ticketPrompt, Output1: tc.out1, Output2: tc.out2})
		if err != nil {
			t.Fatalf("Prefer() error = %v", err)
		}
		if p.Choice != tc.want || p.Judge != HeuristicName || !p.Heuristic {
			t.Errorf("Prefer(%q, %q) = %+v; want choice %d from the heuristic", tc.out1, tc.out2, p, tc.want)
		}
	}
}

func TestStem(t *testing.T) {
	for _, group := range [][]string{
		{"refund", "refunds", "refunded", "refunding"},
		{"summarise", "summarize", "summarised"},
		{"arrive", "arrived", "arrives"},
		{"ticket", "tickets"},
		{"address", "addresses"},
	} {
		want := stem(group[0])
		for _, w := range group[1:] {
			if got := stem(w); got != want {
				t.Errorf("stem(%q) = %q; want %q (as stem(%q))", w, got, want, group[0])
			}
		}
	}
	if got := stem("1182"); got != "1182" {
		t.Errorf("stem(1182) = %q; want it unchanged", got)
	}
}

// TestDefaultThreshold pins the one default threshold to what README
// documents for judge.threshold; config and setup repeat no copy of it.
func TestDefaultThreshold(t *testing.T) {
	if DefaultThreshold != 0.7 {
		t.Errorf("DefaultThreshold = %v; want 0.7, as README documents", DefaultThreshold)
	}
	h := &Heuristic{}
	v, err := h.Rubric(context.Background(), RubricInput{Prompt: ticketPrompt, Rubric: "Mentions the refund request and the order number",
		Output: "The customer's order 1182 arrived broken. They request a refund of their money."})
	if err != nil {
		t.Fatal(err)
	}
	if v.Pass != (v.Score >= 0.7) {
		t.Errorf("Rubric() pass = %t at score %.2f; want the pass decided at 0.7", v.Pass, v.Score)
	}
}

// An answer identical to the primary scores 1, and a score exactly at the
// threshold passes: even the strictest threshold, 1, lets it through.
func TestHeuristicIdenticalPassesStrictestThreshold(t *testing.T) {
	const answer = "Order 1182 arrived broken and the customer is asking for a refund."
	h := &Heuristic{Threshold: 1}
	v, err := h.Consistent(context.Background(), PairInput{Prompt: ticketPrompt, Primary: answer, Candidate: answer})
	if err != nil {
		t.Fatalf("Consistent() error = %v", err)
	}
	if v.Score != 1 || !v.Pass {
		t.Errorf("Consistent() score, pass = %v, %t (%s); want 1, true", v.Score, v.Pass, v.Reasoning)
	}
}
