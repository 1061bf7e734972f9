package cmd

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/llmfall/llmfall/judge"
)

// Each provider's real response document around a text.
var responseDoc = map[string]func(string) []byte{
	"openai": func(s string) []byte {
		return []byte(`{"id":"chatcmpl-p1","object":"chat.completion","created":1764000000,"model":"gpt-4.1-2025-04-14","choices":[{"index":0,"message":{"role":"assistant","content":` + jsonString(s) + `,"refusal":null},"finish_reason":"stop"}],"usage":{"prompt_tokens":40,"completion_tokens":12,"total_tokens":52}}`)
	},
	"anthropic": func(s string) []byte {
		return []byte(`{"id":"msg_p1","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929","content":[{"type":"text","text":` + jsonString(s) + `}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":40,"output_tokens":12}}`)
	},
	"gemini": func(s string) []byte {
		return []byte(`{"candidates":[{"content":{"parts":[{"text":` + jsonString(s) + `}],"role":"model"},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":40,"candidatesTokenCount":12,"totalTokenCount":52},"modelVersion":"gemini-2.5-flash","responseId":"p1"}`)
	},
}

// scriptedServer answers each request with reply(body, isJudge) in the
// provider's wire format, and counts calls.
func scriptedServer(t *testing.T, name string, reply func(body string, judging bool) string) (*fakeProvider, *atomic.Int32) {
	var calls atomic.Int32
	srv := newFakeProvider(t, func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		b, _ := io.ReadAll(r.Body)
		body := string(b)
		judging := strings.Contains(body, `\u003cdata-`) || strings.Contains(body, "<data-")
		w.Header().Set("Content-Type", "application/json")
		w.Write(responseDoc[name](reply(body, judging)))
	})
	return srv, &calls
}

const (
	verdictPass = `{"reasoning": "Gives the refund and the order number.", "score": 0.9, "pass": true}`
	verdictFail = `{"reasoning": "Does not answer the ticket.", "score": 0.1, "pass": false}`
)

func writeSuite(t *testing.T, files map[string]string) string {
	dir := t.TempDir()
	for name, content := range files {
		path := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(path), 0o755)
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const panelPrompt = `name: refund
category: fast
prompt: "Summarise: {{.ticket}}"
tests:
  - name: clear
    vars: { ticket: "Order 1182 arrived broken; I want my money back." }
    assert:
      - { type: judge, rubric: "Mentions the refund for the order" }
  - name: vague
    vars: { ticket: "Order 5531 is late; refund me." }
    assert:
      - { type: judge, rubric: "Mentions the refund for the order" }
`

// TestEvalPanelCatchesAPushover: a two-judge panel in which gemini's judge
// passes everything. The canaries catch it (exit 1, the judge named), the
// case the judges disagree on is written for review, and the review file
// reads as calibration examples once a person labels it.
func TestEvalPanelCatchesAPushover(t *testing.T) {
	candidate, _ := scriptedServer(t, "openai", func(body string, judging bool) string {
		if strings.Contains(body, "5531") {
			return "Maybe something about an order."
		}
		return "Refund approved for order 1182."
	})
	// A careful judge: fails the canaries' wrong answers and the vague one.
	careful, carefulCalls := scriptedServer(t, "anthropic", func(body string, judging bool) string {
		for _, bad := range []string{"Sydney", "Water boils", "Napoleon", "Maybe something"} {
			if strings.Contains(body, bad) {
				return verdictFail
			}
		}
		return verdictPass
	})
	pushover, pushoverCalls := scriptedServer(t, "gemini", func(string, bool) string { return verdictPass })
	cfg := `providers:
  openai:    { type: openai, base_url: "` + candidate.srv.URL + `/v1", api_key_env: TEST_OPENAI_KEY }
  anthropic: { type: anthropic, base_url: "` + careful.srv.URL + `", api_key_env: TEST_ANTHROPIC_KEY }
  gemini:    { type: gemini, base_url: "` + pushover.srv.URL + `", api_key_env: TEST_GEMINI_KEY }
order: [openai, anthropic, gemini]
categories:
  fast:  { openai: gpt-4.1-mini, anthropic: claude-3-5-haiku-latest, gemini: gemini-2.5-flash }
  smart: { openai: gpt-4.1, anthropic: claude-sonnet-4-5, gemini: gemini-2.5-pro, order: [anthropic, gemini, openai] }
judge: { panel: [smart, fast], min_agree: 2 }
eval:  { chain_depth: 1, min_pass_rate: 0 }
`
	dir := writeSuite(t, map[string]string{"llmfall.yaml": cfg, "prompts/refund.yaml": panelPrompt})
	review := filepath.Join(dir, "review.jsonl")
	var stdout, stderr bytes.Buffer
	f := newFactory(testIO(strings.NewReader(""), &stdout, &stderr), testEnv)
	code := executeArgs(context.Background(), f, []string{"eval", filepath.Join(dir, "prompts"),
		"--config", filepath.Join(dir, "llmfall.yaml"), "--no-cache", "--no-progress", "--review-out", review})
	if code != ExitFailed {
		t.Fatalf("exit code = %d; want %d\nstdout:\n%s\nstderr:\n%s", code, ExitFailed, stdout.String(), stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{
		// smart's chain starts at anthropic; fast's would too, so it moves
		// on to gemini: the panel spans two families.
		"panel: 2 verdicts, 1 contested",
		"anthropic/claude-sonnet-4-5 1 pass 1 fail, gemini/gemini-2.5-flash 2 pass 0 fail",
		"canaries: COMPROMISED judge gemini/gemini-2.5-flash passed 2 of 2 known-bad answers",
		"judge gemini/gemini-2.5-flash passed 2 known-bad canary answers",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	// 2 cases and 2 canaries, each judged once by each judge.
	if carefulCalls.Load() != 4 || pushoverCalls.Load() != 4 {
		t.Errorf("judge calls = anthropic %d, gemini %d; want 4 each", carefulCalls.Load(), pushoverCalls.Load())
	}

	raw, err := os.ReadFile(review)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	if len(lines) != 1 || !strings.Contains(lines[0], "Maybe something about an order.") || !strings.Contains(lines[0], "Does not answer the ticket.") {
		t.Fatalf("review file = %s; want the vague case with both judges' reasoning", raw)
	}
	// Unlabelled, calibrate says what is missing; labelled, it loads.
	if _, err := judge.LoadExamples(strings.NewReader(lines[0])); err == nil || !strings.Contains(err.Error(), `"pass"`) {
		t.Errorf("LoadExamples(unlabelled) error = %v; want the missing human verdict named", err)
	}
	labelled := strings.TrimSuffix(lines[0], "}") + `,"pass":false}`
	if ex, err := judge.LoadExamples(strings.NewReader(labelled)); err != nil || len(ex) != 1 || ex[0].Kind() != judge.KindRubric {
		t.Errorf("LoadExamples(labelled) = %+v, %v; want one rubric example", ex, err)
	}
}

// TestEvalPanelNeedsTwoOtherProviders: with only openai and anthropic, a
// panel cannot judge openai's answers from two other families: exit 2
// before any call, naming what is missing.
func TestEvalPanelNeedsTwoOtherProviders(t *testing.T) {
	never := func(string, bool) string { t.Error("no provider should be called"); return verdictPass }
	a, aCalls := scriptedServer(t, "openai", never)
	b, bCalls := scriptedServer(t, "anthropic", never)
	cfg := `providers:
  openai:    { type: openai, base_url: "` + a.srv.URL + `/v1", api_key_env: TEST_OPENAI_KEY }
  anthropic: { type: anthropic, base_url: "` + b.srv.URL + `", api_key_env: TEST_ANTHROPIC_KEY }
order: [openai, anthropic]
categories:
  fast:  { openai: gpt-4.1-mini, anthropic: claude-3-5-haiku-latest }
  smart: { openai: gpt-4.1, anthropic: claude-sonnet-4-5 }
judge: { panel: [smart, fast] }
eval:  { chain_depth: 1 }
`
	dir := writeSuite(t, map[string]string{"llmfall.yaml": cfg, "prompts/refund.yaml": panelPrompt})
	var stdout, stderr bytes.Buffer
	f := newFactory(testIO(strings.NewReader(""), &stdout, &stderr), testEnv)
	code := executeArgs(context.Background(), f, []string{"eval", filepath.Join(dir, "prompts"),
		"--config", filepath.Join(dir, "llmfall.yaml"), "--no-cache", "--no-progress"})
	if code != ExitUsage {
		t.Fatalf("exit code = %d; want %d\nstderr:\n%s", code, ExitUsage, stderr.String())
	}
	for _, want := range []string{
		"the judge panel for outputs of openai has judges from only anthropic; it needs judges from at least 2 providers other than openai",
		"configure another provider and add a judge of it to judge.panel",
	} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
		}
	}
	if aCalls.Load()+bCalls.Load() != 0 {
		t.Errorf("providers were called %d times; want none", aCalls.Load()+bCalls.Load())
	}
}

// TestEvalPanelKeysChecked: a panel judge's provider needs its key before
// any call, as a measured link's does.
func TestEvalPanelKeysChecked(t *testing.T) {
	never := func(string, bool) string { t.Error("no provider should be called"); return verdictPass }
	a, _ := scriptedServer(t, "openai", never)
	b, _ := scriptedServer(t, "anthropic", never)
	c, _ := scriptedServer(t, "gemini", never)
	cfg := `providers:
  openai:    { type: openai, base_url: "` + a.srv.URL + `/v1", api_key_env: TEST_OPENAI_KEY }
  anthropic: { type: anthropic, base_url: "` + b.srv.URL + `", api_key_env: TEST_ANTHROPIC_KEY }
  gemini:    { type: gemini, base_url: "` + c.srv.URL + `", api_key_env: PANEL_GEMINI_KEY_UNSET }
order: [openai, anthropic, gemini]
categories:
  fast:  { openai: gpt-4.1-mini, anthropic: claude-3-5-haiku-latest }
judge: { category: fast, panel: [fast, gemini/gemini-2.5-pro] }
eval:  { chain_depth: 1 }
`
	dir := writeSuite(t, map[string]string{"llmfall.yaml": cfg, "prompts/refund.yaml": panelPrompt})
	var stdout, stderr bytes.Buffer
	f := newFactory(testIO(strings.NewReader(""), &stdout, &stderr), testEnv)
	code := executeArgs(context.Background(), f, []string{"eval", filepath.Join(dir, "prompts"),
		"--config", filepath.Join(dir, "llmfall.yaml"), "--no-cache", "--no-progress"})
	if code != ExitUsage || !strings.Contains(stderr.String(), "PANEL_GEMINI_KEY_UNSET") {
		t.Errorf("exit code = %d, stderr %q; want %d naming PANEL_GEMINI_KEY_UNSET", code, stderr.String(), ExitUsage)
	}
}
