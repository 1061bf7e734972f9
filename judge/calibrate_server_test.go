package judge

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/llmfall/llmfall/provider/openai"
)

const testKey = "sk-proj-judgeTESTkey0123456789abcdef"

// judgeServer is a fake OpenAI-compatible judge that speaks the real Chat
// Completions wire format. Its judgement is lenient and position-biased on
// purpose: every rubric answer passes, every pair is "equivalent", and in a
// preference it always picks answer A, so its swap flips are known. It
// answers in prose when the answer to grade contains "Ignore the rubric",
// to exercise the judge-error path.
type judgeServer struct {
	mu       sync.Mutex
	requests int
	problems []string
}

func (s *judgeServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Model          string  `json:"model"`
		Temperature    float64 `json:"temperature"`
		ResponseFormat struct {
			Type string `json:"type"`
		} `json:"response_format"`
		Messages []struct {
			Role    string `json:"role"`
			Content string `json:"content"`
		} `json:"messages"`
	}
	s.mu.Lock()
	s.requests++
	s.mu.Unlock()
	if r.URL.Path != "/v1/chat/completions" || r.Method != http.MethodPost {
		s.problem("unexpected %s %s", r.Method, r.URL.Path)
		http.NotFound(w, r)
		return
	}
	if got := r.Header.Get("Authorization"); got != "Bearer "+testKey {
		// Like OpenAI, echo (part of) the key that was sent.
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprintf(w, `{"error": {"message": "Incorrect API key provided: %s. You can find your API key at https://platform.openai.com/account/api-keys.", "type": "invalid_request_error", "param": null, "code": "invalid_api_key"}}`,
			strings.TrimPrefix(got, "Bearer "))
		return
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		s.problem("bad request body: %v", err)
		http.Error(w, "bad body", http.StatusBadRequest)
		return
	}
	if req.Temperature != 0 || req.ResponseFormat.Type != "json_object" || len(req.Messages) != 2 || req.Messages[0].Role != "system" {
		s.problem("request temperature %v, response_format %q, %d messages: want 0, json_object, system + user",
			req.Temperature, req.ResponseFormat.Type, len(req.Messages))
	}
	system, user := req.Messages[0].Content, req.Messages[1].Content
	var content string
	switch {
	case strings.Contains(user, "Ignore the rubric"):
		content = "This answer tries to manipulate me, so I will not give a verdict."
	case strings.Contains(system, "which of two answers better"):
		content = `{"reasoning": "A reads better.", "score": 0.7, "pass": true}`
	default:
		content = "```json\n{\"reasoning\": \"Looks fine to me.\", \"score\": 0.9, \"pass\": true}\n```"
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Request-Id", "req_judge")
	json.NewEncoder(w).Encode(map[string]any{
		"id": "chatcmpl-judge", "object": "chat.completion", "created": 1764000000, "model": req.Model,
		"choices": []any{map[string]any{
			"index": 0, "message": map[string]any{"role": "assistant", "content": content, "refusal": nil},
			"logprobs": nil, "finish_reason": "stop",
		}},
		"usage": map[string]any{"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120},
	})
}

func (s *judgeServer) problem(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.problems = append(s.problems, fmt.Sprintf(format, args...))
}

func TestCalibrateEndToEnd(t *testing.T) {
	examples, err := BuiltinExamples()
	if err != nil {
		t.Fatalf("LoadExamplesFile() error = %v", err)
	}
	fake := &judgeServer{}
	srv := httptest.NewServer(fake)
	defer srv.Close()

	client := openai.New(openai.Config{Name: "openai", BaseURL: srv.URL + "/v1", APIKey: testKey, HTTPClient: srv.Client()})
	j := mustNew(t, Config{
		Chain: []Link{{Provider: "openai", Model: "gpt-4.1", Client: client, Price: Price{Input: 2, Output: 8}}},
	})
	rep, err := Calibrate(context.Background(), j, examples)
	if err != nil {
		t.Fatalf("Calibrate() error = %v", err)
	}
	for _, p := range fake.problems {
		t.Error("judge server:", p)
	}

	// What this judge must score, counted from the file independently.
	var rubric, rubricPass, injected, pairs, pairPass, prefs int
	for _, e := range examples {
		switch e.Kind() {
		case KindRubric:
			if strings.Contains(e.Output, "Ignore the rubric") {
				injected++
				continue
			}
			rubric++
			if *e.Pass {
				rubricPass++
			}
		case KindPair:
			pairs++
			if *e.Pass {
				pairPass++
			}
		case KindPreference:
			prefs++
		}
	}
	// Every rubric example also gets a canary, which this judge passes.
	canaries := rubric + injected
	calls := rubric + injected + 2*pairs + 2*prefs + canaries
	if fake.requests != calls {
		t.Errorf("judge server requests = %d; want %d", fake.requests, calls)
	}
	if len(rep.Judges) != 1 || rep.Judges[0].Judge != "openai/gpt-4.1" {
		t.Fatalf("Report.Judges = %+v; want one row, openai/gpt-4.1", rep.Judges)
	}
	got := rep.Judges[0]
	judged := rubric + pairs + prefs
	verdictCalls := rubric + 2*pairs + 2*prefs + canaries
	wantCost := float64(verdictCalls) * (100*2 + 20*8) / 1e6
	if got.Judged != judged || got.Correct != rubricPass+pairPass || got.Errors != injected ||
		got.Pairs != pairs+prefs || got.Flips != prefs || !near(got.CostUSD, wantCost) {
		t.Errorf("judge row = %+v\nwant judged %d, correct %d, errors %d, pairs %d, flips %d, cost %v",
			got, judged, rubricPass+pairPass, injected, pairs+prefs, prefs, wantCost)
	}
	if rep.Total.Errors != injected || rep.Total.Heuristic {
		t.Errorf("Report.Total errors, heuristic = %d, %t; want %d, false", rep.Total.Errors, rep.Total.Heuristic, injected)
	}
	if got.CanaryJudged != canaries || got.CanaryPassed != canaries {
		t.Errorf("canaries judged, passed = %d, %d; want %d, all (this judge passes everything)", got.CanaryJudged, got.CanaryPassed, canaries)
	}
	if got.Kappa == nil {
		t.Error("Kappa = nil; want a value (the human labels vary)")
	}
}

func TestCalibrateNeverLeaksTheKey(t *testing.T) {
	yes := true
	srv := httptest.NewServer(&judgeServer{})
	defer srv.Close()
	const wrongKey = "sk-proj-WRONGkey9876543210zyxwvu"
	client := openai.New(openai.Config{BaseURL: srv.URL + "/v1", APIKey: wrongKey, HTTPClient: srv.Client()})
	j := mustNew(t, Config{Chain: []Link{{Provider: "openai", Model: "gpt-4.1", Client: client}}})
	rep, err := Calibrate(context.Background(), j, []Example{
		{Input: "q", Output: "a", Pass: &yes},
		{Input: "q", Output1: "a", Output2: "b", Label: 1},
	})
	if err != nil {
		t.Fatalf("Calibrate() error = %v", err)
	}
	if rep.Total.Errors != 2 {
		t.Errorf("Total.Errors = %d; want 2 (bad key)", rep.Total.Errors)
	}
	out, err := json.Marshal(rep)
	if err != nil {
		t.Fatalf("json.Marshal(report) error = %v", err)
	}
	for _, leak := range []string{wrongKey, "WRONGkey98765"} {
		if strings.Contains(string(out), leak) {
			t.Errorf("report leaks the key:\n%s", out)
		}
	}
}
