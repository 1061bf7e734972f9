package sim

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/llmfall/llmfall/provider"
)

func TestExtract(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string // "kind:text"
	}{
		{"ticket", "Order 1182 arrived broken. I want my money back.",
			[]string{"word:order", "number:1182", "word:arrived", "word:broken", "word:money", "word:back", "concept:refund"}},
		{"name email id", "Hi, I'm Maria Lopez (maria.lopez@example.com). My order ORD-77 never arrived.",
			[]string{"name:Maria Lopez", "email:maria.lopez@example.com", "word:order", "number:ORD-77", "word:arrived", "concept:shipping"}},
		{"signature name is not a new term", "Where is my parcel?\n\nThanks,\nMaria",
			[]string{"word:parcel", "concept:shipping", "name:Maria"}},
		{"signature after a full name", "Maria Lopez here. Refund please.\nThanks,\nMaria",
			[]string{"name:Maria Lopez", "word:refund"}},
		{"line start is a sentence start", "Hello team\nPackage lost",
			[]string{"word:team", "word:package", "concept:shipping", "word:lost"}},
		{"punctuation and symbols", `Invoice #4521 for $49.99 ("urgent")`,
			[]string{"word:invoice", "concept:billing", "number:4521", "number:49.99", "word:urgent"}},
		{"dedupe keeps first spelling", "Refund! refund. REFUND",
			[]string{"word:refund"}},
		{"concept already spelled", "I was refunded twice for my subscription",
			[]string{"word:refunded", "word:twice", "word:subscription", "concept:billing"}},
		{"slashes split words", "refund/replacement options",
			[]string{"word:refund", "word:replacement", "word:options"}},
		{"honorific keeps the name", "Please call Dr. Ana Silva today.",
			[]string{"word:call", "name:Ana Silva", "word:today"}},
		{"stopwords and short words", "Please can you help me with this?", nil},
		{"unicode", "Café Zoë ordered crème brûlée 3 times", []string{"name:Café Zoë", "word:ordered", "word:crème", "word:brûlée", "number:3", "word:times"}},
		{"empty", "", nil},
	}
	kinds := map[kind]string{kindWord: "word", kindName: "name", kindNumber: "number", kindEmail: "email", kindConcept: "concept"}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, term := range extract(tc.in) {
				got = append(got, kinds[term.kind]+":"+term.text)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("extract(%q) mismatch (-want +got):\n%s", tc.in, diff)
			}
		})
	}
}

func TestClip(t *testing.T) {
	const text = "The message is about order and 1182. It also mentions refund."
	tests := []struct {
		name       string
		maxTokens  int
		stop       []string
		want       string
		wantFinish provider.FinishReason
	}{
		{"fits", 100, nil, text, provider.FinishStop},
		{"exact fit", (len(text) + 3) / 4, nil, text, provider.FinishStop},
		{"boundary at the limit", 5, nil, "The message is about", provider.FinishLength},
		{"word boundary", 4, nil, "The message is", provider.FinishLength},
		{"one token", 1, nil, "The", provider.FinishLength},
		{"stop", 0, []string{"."}, "The message is about order and 1182", provider.FinishStop},
		{"empty stop ignored", 0, []string{""}, text, provider.FinishStop},
		{"stop then limit", 3, []string{" about"}, "The message", provider.FinishLength},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, finish := clip(text, &provider.Request{MaxTokens: tc.maxTokens, Stop: tc.stop})
			if got != tc.want || finish != tc.wantFinish {
				t.Errorf("clip = %q, %q; want %q, %q", got, finish, tc.want, tc.wantFinish)
			}
		})
	}
}

func TestClipLongWord(t *testing.T) {
	got, finish := clip("ééééééééé", &provider.Request{MaxTokens: 1})
	if got != "éé" || finish != provider.FinishLength {
		t.Errorf("clip = %q, %q; want %q cut on a rune boundary, length", got, finish, "éé")
	}
}

func TestChunks(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", []string{}},
		{"Hi", []string{"Hi"}},
		{"Hi Maria,\n\nWe are  sorry.", []string{"Hi", " Maria,", "\n\nWe", " are", "  sorry."}},
		{" lead", []string{" lead"}},
		{`{"name":"Maria Lopez","order_id":"ORD-77"}`, []string{`{"name":"Maria`, ` Lopez","order_id":"ORD-`, `77"}`}},
	}
	for _, tc := range tests {
		got := chunks(tc.in)
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("chunks(%q) mismatch (-want +got):\n%s", tc.in, diff)
		}
		if strings.Join(got, "") != tc.in {
			t.Errorf("chunks(%q) do not join back", tc.in)
		}
	}
}

func TestSentenceCountFromPrompt(t *testing.T) {
	tests := []struct {
		instruction string
		want        int
	}{
		{"Summarise this ticket in two sentences:", 2},
		{"Summarise in 4 sentences:", 4},
		{"Give a one-sentence summary:", 1},
		{"Summarise it in a single sentence:", 1},
		{"Summarise it:", 3}, // gpt-4.1's own count
	}
	for _, tc := range tests {
		g := newGen("gpt-4.1", userReq("gpt-4.1", tc.instruction+"\nOrder 1182 arrived broken."))
		if g.sentences != tc.want {
			t.Errorf("%q: sentences = %d; want %d", tc.instruction, g.sentences, tc.want)
		}
	}
}
