package cmd

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// wireProvider is a fake provider server that answers a candidate request
// with a fixed text and a judge request (recognised by the judge's
// nonce-delimited data blocks) with a verdict, each in its provider's real
// response shape. It records who was asked to judge.
type wireProvider struct {
	answer func(text string) []byte // wraps text in the provider's response document
	text   string
	mu     sync.Mutex
	judged int
	asked  int
}

func (p *wireProvider) handler(t *testing.T) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		p.mu.Lock()
		text := p.text
		// encoding/json writes "<" as \u003c.
		switch {
		case bytes.Contains(body, []byte("Sydney")):
			// A canary's wrong answer: a judge worth its name fails it.
			text = `{"reasoning": "Off topic and false.", "score": 0.0, "pass": false}`
		case bytes.Contains(body, []byte(`\u003cdata-`)) || bytes.Contains(body, []byte("<data-")):
			p.judged++
			text = `{"reasoning": "Both answers give the order number and the refund.", "score": 0.9, "pass": true}`
		default:
			p.asked++
		}
		p.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Write(p.answer(text))
	}
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// TestEvalOverTheWire runs a suite on three real adapters against fake
// servers, graded by the real LLM judge on the same servers: no sim and no
// heuristic anywhere.
func TestEvalOverTheWire(t *testing.T) {
	providers := map[string]*wireProvider{
		"openai": {text: "Refund approved for order 1182.", answer: func(s string) []byte {
			return []byte(`{"id":"chatcmpl-w1","object":"chat.completion","created":1764000000,"model":"gpt-4.1-mini-2025-04-14","choices":[{"index":0,"message":{"role":"assistant","content":` + jsonString(s) + `,"refusal":null},"finish_reason":"stop"}],"usage":{"prompt_tokens":40,"completion_tokens":12,"total_tokens":52}}`)
		}},
		"anthropic": {text: "Order 1182: the refund is approved.", answer: func(s string) []byte {
			return []byte(`{"id":"msg_w1","type":"message","role":"assistant","model":"claude-3-5-haiku-20241022","content":[{"type":"text","text":` + jsonString(s) + `}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":40,"output_tokens":12}}`)
		}},
		"gemini": {text: "We will refund order 1182.", answer: func(s string) []byte {
			return []byte(`{"candidates":[{"content":{"parts":[{"text":` + jsonString(s) + `}],"role":"model"},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":40,"candidatesTokenCount":12,"totalTokenCount":52},"modelVersion":"gemini-2.5-flash","responseId":"w1"}`)
		}},
	}
	urls := map[string]string{}
	for name, p := range providers {
		srv := newFakeProvider(t, p.handler(t))
		urls[name] = srv.srv.URL
	}
	dir := t.TempDir()
	cfg := `providers:
  openai:    { type: openai, base_url: "` + urls["openai"] + `/v1", api_key_env: TEST_OPENAI_KEY }
  anthropic: { type: anthropic, base_url: "` + urls["anthropic"] + `", api_key_env: TEST_ANTHROPIC_KEY }
  gemini:    { type: gemini, base_url: "` + urls["gemini"] + `", api_key_env: TEST_GEMINI_KEY }
order: [openai, anthropic, gemini]
categories:
  fast:  { openai: gpt-4.1-mini, anthropic: claude-3-5-haiku-latest, gemini: gemini-2.5-flash }
  smart: { openai: gpt-4.1, anthropic: claude-sonnet-4-5, gemini: gemini-2.5-pro }
judge: { category: smart, different_provider: true }
eval:  { chain_depth: 3, min_pass_rate: 1 }
`
	prompt := `name: refund
category: fast
prompt: "Summarise: {{.ticket}}"
tests:
  - name: broken
    vars: { ticket: "Order 1182 arrived broken; I want my money back." }
    assert:
      - { type: contains, value: "1182" }
      - { type: icontains, value: refund }
      - { type: judge, rubric: "Mentions the refund for order 1182" }
      - { type: consistent }
`
	writeFiles := map[string]string{"llmfall.yaml": cfg, "prompts/refund.yaml": prompt}
	for name, content := range writeFiles {
		path := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(path), 0o755)
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(dir, "results.json")
	var stdout, stderr bytes.Buffer
	f := newFactory(testIO(strings.NewReader(""), &stdout, &stderr), testEnv)
	code := executeArgs(context.Background(), f, []string{"eval", filepath.Join(dir, "prompts"),
		"--config", filepath.Join(dir, "llmfall.yaml"), "--no-cache", "--no-progress", "--output", out})
	if code != ExitOK {
		t.Fatalf("exit code = %d; want 0\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
	}

	var doc struct {
		Results []struct {
			Provider string `json:"provider"`
			Position int    `json:"position"`
			Output   string `json:"output"`
			Pass     bool   `json:"pass"`
		} `json:"results"`
		Summary struct {
			Passed int `json:"passed"`
			Judge  struct {
				Models   map[string]int `json:"models"`
				Pairwise int            `json:"pairwise"`
				Errors   int            `json:"errors"`
			} `json:"judge"`
		} `json:"summary"`
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Results) != 3 || doc.Summary.Passed != 3 {
		t.Fatalf("results = %+v; want the three links, all passing\n%s", doc.Results, stdout.String())
	}
	for _, r := range doc.Results {
		if r.Output != providers[r.Provider].text {
			t.Errorf("%s output = %q; want its server's answer %q", r.Provider, r.Output, providers[r.Provider].text)
		}
	}
	// Every link answered once; the judge chain is smart's (openai first),
	// never the candidate's own provider: anthropic's and gemini's answers
	// go to openai, openai's to anthropic.
	for name, p := range providers {
		if p.asked != 1 {
			t.Errorf("%s answered %d candidate requests; want 1", name, p.asked)
		}
	}
	if got := doc.Summary.Judge.Models; got["openai/gpt-4.1"] == 0 || got["anthropic/claude-sonnet-4-5"] == 0 {
		t.Errorf("judge models = %v; want openai/gpt-4.1 and anthropic/claude-sonnet-4-5 (for openai's own answer)", got)
	}
	if doc.Summary.Judge.Pairwise != 2 || doc.Summary.Judge.Errors != 0 {
		t.Errorf("judge summary = %+v; want 2 pairwise verdicts (links 1 and 2) and no errors", doc.Summary.Judge)
	}
	if !strings.Contains(stdout.String(), "judge: ") || strings.Contains(stdout.String(), "offline") {
		t.Errorf("stdout should name the judges and not claim a simulation:\n%s", stdout.String())
	}
}
