package anthropic

import (
	"encoding/json"
	"testing"

	"github.com/llmfall/llmfall/provider/wiretest"
)

// BenchmarkTranslateToolConversation is the cost this link adds to a
// 20-turn tool conversation begun on Gemini (no ids): id mapping, result
// pairing, turn merging and the JSON body (target: under 50 µs).
func BenchmarkTranslateToolConversation(b *testing.B) {
	req := wiretest.LongConversation(20, func(i, j int) string { return "" })
	req.Model = "claude-3-5-haiku-latest"
	// wire is the translation alone (ids, pairing, turns, parts); json adds
	// encoding the body, which every request pays, tools or not.
	b.Run("wire", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if newMessageRequest(req, false) == nil {
				b.Fatal("nil")
			}
		}
	})
	b.Run("wire+json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := json.Marshal(newMessageRequest(req, false)); err != nil {
				b.Fatal(err)
			}
		}
	})
}
