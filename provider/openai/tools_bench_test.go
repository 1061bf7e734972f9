package openai

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/llmfall/llmfall/provider/wiretest"
)

// BenchmarkTranslateToolConversation is the cost this link adds to a
// 20-turn tool conversation begun on Anthropic: id mapping, result pairing
// and the JSON body (target: under 50 µs).
func BenchmarkTranslateToolConversation(b *testing.B) {
	req := wiretest.LongConversation(20, func(i, j int) string { return fmt.Sprintf("toolu_01A%dB%d", i, j) })
	req.Model = "gpt-4.1-mini"
	c := New(Config{})
	// wire is the translation alone (ids, pairing, turns, parts); json adds
	// encoding the body, which every request pays, tools or not.
	b.Run("wire", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if c.wireRequest(req, whole) == nil {
				b.Fatal("nil")
			}
		}
	})
	b.Run("wire+json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := json.Marshal(c.wireRequest(req, whole)); err != nil {
				b.Fatal(err)
			}
		}
	})
}
