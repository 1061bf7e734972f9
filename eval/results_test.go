package eval

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/llmfall/llmfall/provider"
)

// documentResults is a small run with a pass, a failure, an errored case,
// a judge and a gate, to exercise every field of the document.
func documentResults() *Results {
	usage := provider.Usage{InputTokens: 120, OutputTokens: 40}
	rs := &Results{Version: ResultsVersion, Results: []Result{
		{Prompt: "ticket-summary", Test: "refund", Provider: "openai", Model: "gpt-4.1-mini", Position: 0,
			Output: "Order 1182: a refund.", Pass: true, Score: 1, LatencyMS: 840, Usage: usage, CostUSD: 0.000112,
			File: "prompts/ticket-summary.yaml", Line: 12, Assertions: []AssertionResult{{Type: "icontains", Pass: true, Score: 1}}},
		{Prompt: "ticket-summary", Test: "refund", Provider: "anthropic", Model: "claude-3-5-haiku-latest", Position: 1,
			Output: "A damaged parcel.", LatencyMS: 1210, Usage: usage, CostUSD: 0.000256, File: "prompts/ticket-summary.yaml", Line: 12,
			Assertions: []AssertionResult{{Type: "icontains", Reason: `output does not contain "refund"`}}},
		{Prompt: "intent", Test: "shipping", Provider: "anthropic", Model: "claude-3-5-haiku-latest", Position: 1,
			Error: "anthropic: overloaded (HTTP 529 overloaded_error): Overloaded", Assertions: []AssertionResult{}},
	}}
	rs.Summary.Judge = &JudgeSummary{Models: map[string]int{"openai/gpt-4.1": 2}, Verdicts: 2, Pairwise: 1, CostUSD: 0.0021}
	rs.Summarize()
	rs.Summary.DurationMS = 2450
	Gate(rs, GateOptions{MinPassRate: 0.9})
	return rs
}

func TestResultsRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "results.json")
	rs := documentResults()
	if err := rs.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	back, err := ReadResults(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(rs.Summary, back.Summary); diff != "" {
		t.Errorf("summary after a round trip (-want +got):\n%s", diff)
	}
	// The document's shape is a contract (docs/design.md): check the keys.
	raw, _ := os.ReadFile(path)
	for _, key := range []string{`"version": 1`, `"prompt"`, `"test"`, `"provider"`, `"model"`, `"position"`, `"output"`, `"pass"`,
		`"score"`, `"latency_ms"`, `"usage"`, `"input_tokens"`, `"cost_usd"`, `"error"`, `"assertions"`, `"type"`, `"reason"`, `"summary"`} {
		if !bytes.Contains(raw, []byte(key)) {
			t.Errorf("results.json has no %s", key)
		}
	}
	if bytes.Contains(raw, []byte(`"File"`)) || bytes.Contains(raw, []byte(`"Repeat"`)) {
		t.Error("results.json carries internal fields")
	}
}
