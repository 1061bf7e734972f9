package judge

import (
	"context"
	"math"
	"strings"
	"testing"
)

// The tests of this file pin the heuristic's scoring rules that issue 16's
// mutation runs found loose: each is something a user of --offline sees in
// a verdict's score or reasoning.

// A reference is concrete content and weighs 0.6 against the prompt's
// words; a rubric is partly abstract and weighs 0.4. An answer that covers
// either fully but repeats none of the prompt's words scores exactly that.
func TestHeuristicReferenceWeighsMoreThanRubric(t *testing.T) {
	const prompt = "Which city is the capital?"
	const output = "Canberra, without doubt." // no word of the prompt
	h := &Heuristic{}
	for _, tc := range []struct {
		name string
		in   RubricInput
		want float64
	}{
		{"reference", RubricInput{Prompt: prompt, Reference: "Canberra", Output: output}, 0.6},
		{"rubric", RubricInput{Prompt: prompt, Rubric: "Mentions Canberra", Output: output}, 0.4},
	} {
		v, err := h.Rubric(context.Background(), tc.in)
		if err != nil {
			t.Fatalf("%s: Rubric() error = %v", tc.name, err)
		}
		if math.Abs(v.Score-tc.want) > 1e-9 {
			t.Errorf("%s: Rubric() score = %v (%s); want %v", tc.name, v.Score, v.Reasoning, tc.want)
		}
	}
}

// The reasoning tells the user what the score missed: the words not found
// and the length penalty.
func TestHeuristicReasoningNamesMissingWordsAndLength(t *testing.T) {
	h := &Heuristic{}
	v, err := h.Rubric(context.Background(), RubricInput{Prompt: "Which city is the capital?", Reference: "Canberra", Output: "Sydney."})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"(missing: canberra)", "output of under 3 words"} {
		if !strings.Contains(v.Reasoning, want) {
			t.Errorf("Rubric() reasoning = %q; want it to contain %q", v.Reasoning, want)
		}
	}
	v, _ = h.Rubric(context.Background(), RubricInput{Prompt: "Which city is the capital?", Reference: "Canberra", Output: "The capital is Canberra."})
	if strings.Contains(v.Reasoning, "missing") || strings.Contains(v.Reasoning, "words far from") || strings.Contains(v.Reasoning, "under 3") {
		t.Errorf("Rubric() reasoning = %q; want no missing words and no length note", v.Reasoning)
	}
}

// Three-letter words carry content (VAT, GST, API): a reference of one is
// checked like any other word.
func TestHeuristicChecksThreeLetterWords(t *testing.T) {
	h := &Heuristic{}
	in := RubricInput{Prompt: "Which tax applies to the sale?", Reference: "VAT"}
	in.Output = "The sale pays VAT here."
	right, _ := h.Rubric(context.Background(), in)
	in.Output = "The sale pays GST here."
	wrong, _ := h.Rubric(context.Background(), in)
	if right.Score <= wrong.Score || !strings.Contains(wrong.Reasoning, "missing: vat") {
		t.Errorf("score with VAT %.2f, with GST %.2f (%s); want VAT higher and named missing", right.Score, wrong.Score, wrong.Reasoning)
	}
}

// Inflections meet their word at the shortest length each rule allows.
func TestStemAtShortestLengths(t *testing.T) {
	for _, group := range [][]string{
		{"ask", "asks", "asked", "asking"},
		{"fly", "flies"},
		{"bad", "badly"},
		{"cat", "cats"},
	} {
		want := stem(group[0])
		for _, w := range group[1:] {
			if got := stem(w); got != want {
				t.Errorf("stem(%q) = %q; want %q (as stem(%q))", w, got, want, group[0])
			}
		}
	}
}

// Prefer's reasoning gives each output's share of the prompt's words.
func TestHeuristicPreferReasoning(t *testing.T) {
	h := &Heuristic{}
	p, err := h.Prefer(context.Background(), PreferInput{Prompt: "Which city is the capital of Australia?",
		Output1: "The capital city is Canberra, in Australia.", Output2: "The capital is Canberra."})
	if err != nil {
		t.Fatal(err)
	}
	const want = "heuristic: prompt relevance 1.00 for output 1, 0.33 for output 2"
	if p.Choice != 1 || p.Reasoning != want {
		t.Errorf("Prefer() = choice %d, %q; want 1, %q", p.Choice, p.Reasoning, want)
	}
}
