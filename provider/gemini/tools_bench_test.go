package gemini

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/llmfall/llmfall/provider/wiretest"
)

// BenchmarkTranslateToolConversation is the cost this link adds to a
// 20-turn tool conversation begun on OpenAI: name lookup for every result,
// schema translation, turn merging and the JSON body (target: under 50 µs).
func BenchmarkTranslateToolConversation(b *testing.B) {
	req := wiretest.LongConversation(20, func(i, j int) string { return fmt.Sprintf("call_%dx%d", i, j) })
	req.Model = "gemini-2.5-flash"
	// wire is the translation alone (pairing by name, turns, parts, schema);
	// json adds encoding the body, which every request pays, tools or not.
	b.Run("wire", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := newGenerateContentRequest(req); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("wire+json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			w, err := newGenerateContentRequest(req)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := json.Marshal(w); err != nil {
				b.Fatal(err)
			}
		}
	})
}
