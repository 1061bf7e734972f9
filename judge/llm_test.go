package judge

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/llmfall/llmfall/provider"
)

func TestNewValidates(t *testing.T) {
	ok := &fakeJudge{name: "anthropic", reply: answers(1, true)}
	tests := []struct {
		name    string
		cfg     Config
		wantErr bool
	}{
		{"valid", Config{Chain: chain(ok)}, false},
		{"empty chain", Config{}, true},
		{"link without client", Config{Chain: []Link{{Provider: "openai", Model: "gpt-4.1"}}}, true},
		{"link without model", Config{Chain: []Link{{Provider: "openai", Client: ok}}}, true},
		{"threshold above 1", Config{Chain: chain(ok), Threshold: 1.5}, true},
		{"negative threshold", Config{Chain: chain(ok), Threshold: -0.1}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.cfg)
			if (err != nil) != tc.wantErr {
				t.Errorf("New() error = %v; want error %t", err, tc.wantErr)
			}
		})
	}
}

func TestRubricJudgeSelection(t *testing.T) {
	type script map[string]func(*provider.Request) (*provider.Response, error)
	tests := []struct {
		name      string
		different bool
		candidate string
		replies   script // per provider; default: a passing answer
		chain     []string
		wantJudge string
		wantCalls map[string]int
		wantErr   error // ErrNoJudge, or errJudgesFailed for *Error
	}{
		{
			name: "candidate's own provider is skipped", different: true, candidate: "openai",
			chain: []string{"openai", "anthropic", "gemini"}, wantJudge: "anthropic/anthropic-judge",
			wantCalls: map[string]int{"openai": 0, "anthropic": 1, "gemini": 0},
		},
		{
			name: "first link judges when the candidate is of another provider", different: true, candidate: "gemini",
			chain: []string{"openai", "anthropic", "gemini"}, wantJudge: "openai/openai-judge",
			wantCalls: map[string]int{"openai": 1, "anthropic": 0, "gemini": 0},
		},
		{
			name: "same provider allowed when not asked for a different one", different: false, candidate: "openai",
			chain: []string{"openai", "anthropic"}, wantJudge: "openai/openai-judge",
			wantCalls: map[string]int{"openai": 1, "anthropic": 0},
		},
		{
			name: "falls back past an overloaded judge", different: true, candidate: "openai",
			chain: []string{"openai", "anthropic", "gemini"}, replies: script{"anthropic": fails("anthropic", 529)},
			wantJudge: "gemini/gemini-judge", wantCalls: map[string]int{"openai": 0, "anthropic": 1, "gemini": 1},
		},
		{
			name: "falls back past a judge that answers in prose", different: true, candidate: "openai",
			chain: []string{"openai", "anthropic", "gemini"}, replies: script{"anthropic": says("The answer is good. PASS.")},
			wantJudge: "gemini/gemini-judge", wantCalls: map[string]int{"openai": 0, "anthropic": 1, "gemini": 1},
		},
		{
			name: "never falls back onto the candidate's provider", different: true, candidate: "openai",
			chain:   []string{"anthropic", "openai", "gemini"},
			replies: script{"anthropic": fails("anthropic", 500), "gemini": fails("gemini", 429)},
			wantErr: errJudgesFailed, wantCalls: map[string]int{"openai": 0, "anthropic": 1, "gemini": 1},
		},
		{
			name: "no judge of another provider", different: true, candidate: "openai",
			chain: []string{"openai"}, wantErr: ErrNoJudge, wantCalls: map[string]int{"openai": 0},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fakes := map[string]*fakeJudge{}
			var links []*fakeJudge
			for _, p := range tc.chain {
				reply := tc.replies[p]
				if reply == nil {
					reply = answers(0.9, true)
				}
				fakes[p] = &fakeJudge{name: p, reply: reply}
				links = append(links, fakes[p])
			}
			j := mustNew(t, Config{Chain: chain(links...), AllowSameProvider: !tc.different})
			v, err := j.Rubric(context.Background(), RubricInput{
				Prompt: "Summarise the ticket", Output: "Order 1182 is broken.", Rubric: "Mentions the order number",
				CandidateProvider: tc.candidate,
			})
			switch {
			case tc.wantErr == ErrNoJudge:
				if !errors.Is(err, ErrNoJudge) {
					t.Errorf("Rubric() error = %v; want ErrNoJudge", err)
				}
			case tc.wantErr == errJudgesFailed:
				var je *Error
				if !errors.As(err, &je) {
					t.Fatalf("Rubric() error = %v; want *Error", err)
				}
				if got, want := len(je.Attempts), tc.wantCalls["anthropic"]+tc.wantCalls["gemini"]; got != want {
					t.Errorf("attempts = %d; want %d", got, want)
				}
			case err != nil:
				t.Fatalf("Rubric() error = %v", err)
			}
			if err != nil && v.Pass {
				t.Errorf("Rubric() failed with a passing verdict %+v", v)
			}
			if got := v.Judge; got != tc.wantJudge {
				t.Errorf("Verdict.Judge = %q; want %q", got, tc.wantJudge)
			}
			for p, want := range tc.wantCalls {
				if got := len(fakes[p].requests()); got != want {
					t.Errorf("calls to %s = %d; want %d", p, got, want)
				}
			}
		})
	}
}

// errJudgesFailed stands for "a *Error" in test tables.
var errJudgesFailed = errors.New("every judge failed")

func TestRubricStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	first := &fakeJudge{name: "anthropic", reply: func(*provider.Request) (*provider.Response, error) {
		cancel()
		return nil, context.Canceled
	}}
	second := &fakeJudge{name: "gemini", reply: answers(1, true)}
	j := mustNew(t, Config{Chain: chain(first, second)})
	_, err := j.Rubric(ctx, RubricInput{Prompt: "p", Output: "o", Rubric: "r"})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Rubric() error = %v; want context.Canceled", err)
	}
	if got := len(second.requests()); got != 0 {
		t.Errorf("calls to the next judge after cancel = %d; want 0", got)
	}
}

func TestRubricRequestAndThreshold(t *testing.T) {
	tests := []struct {
		name      string
		score     float64
		pass      bool
		cfgThresh float64
		inThresh  float64
		want      bool
	}{
		{"pass above default threshold", 0.8, true, 0, 0, true},
		{"judge says fail despite a high score", 0.8, false, 0, 0, false},
		{"judge says pass but score under default", 0.3, true, 0, 0, false},
		{"input threshold lowers the bar", 0.3, true, 0, 0.25, true},
		{"config threshold raises the bar", 0.8, true, 0.9, 0, false},
		{"input threshold beats config", 0.8, true, 0.9, 0.7, true},
		{"score exactly at the default threshold passes", DefaultThreshold, true, 0, 0, true},
		{"score exactly at the input threshold passes", 0.25, true, 0, 0.25, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeJudge{name: "anthropic", reply: answers(tc.score, tc.pass)}
			j := mustNew(t, Config{Chain: []Link{{Provider: "anthropic", Model: "claude-sonnet-4-5", Client: f, Price: Price{Input: 3, Output: 15}}}, Threshold: tc.cfgThresh})
			v, err := j.Rubric(context.Background(), RubricInput{Prompt: "p", Output: "o", Rubric: "r", Threshold: tc.inThresh})
			if err != nil {
				t.Fatalf("Rubric() error = %v", err)
			}
			if v.Pass != tc.want {
				t.Errorf("Verdict.Pass = %t; want %t", v.Pass, tc.want)
			}
			if v.Score != tc.score {
				t.Errorf("Verdict.Score = %v; want %v", v.Score, tc.score)
			}
			if want := (1000*3 + 100*15) / 1e6; v.CostUSD != want {
				t.Errorf("Verdict.CostUSD = %v; want %v", v.CostUSD, want)
			}
			reqs := f.requests()
			if len(reqs) != 1 {
				t.Fatalf("judge calls = %d; want 1", len(reqs))
			}
			r := reqs[0]
			if r.Temperature == nil || *r.Temperature != 0 {
				t.Errorf("Request.Temperature = %v; want 0", r.Temperature)
			}
			if !r.JSON {
				t.Error("Request.JSON = false; want true")
			}
			if r.Model != "claude-sonnet-4-5" || r.MaxTokens != DefaultMaxTokens {
				t.Errorf("Request model, max tokens = %q, %d; want claude-sonnet-4-5, %d", r.Model, r.MaxTokens, DefaultMaxTokens)
			}
			if !strings.Contains(r.System, `{"reasoning":`) || strings.Index(r.System, `"reasoning"`) > strings.Index(r.System, `"pass"`) {
				t.Errorf("system prompt does not ask for reasoning before the verdict:\n%s", r.System)
			}
		})
	}
}

// orderJudge answers a two-answer question by looking at which answer came
// first, as a position-biased or a fair judge would.
func orderJudge(decide func(a, b string) (float64, bool)) func(*provider.Request) (*provider.Response, error) {
	return func(req *provider.Request) (*provider.Response, error) {
		bl := blockRE.FindAllStringSubmatch(req.Messages[0].Content, -1)
		var a, b string
		for _, m := range bl {
			switch m[2] {
			case "answer A":
				a = m[3]
			case "answer B":
				b = m[3]
			}
		}
		score, pass := decide(a, b)
		return textResponse(answerJSON("compared A and B", score, pass)), nil
	}
}

func TestConsistentBothOrders(t *testing.T) {
	const primary, candidate = "Refund order 1182.", "Order 1182 should be refunded."
	tests := []struct {
		name             string
		decide           func(a, b string) (float64, bool)
		wantPass         bool
		wantInconsistent bool
		wantScore        float64
	}{
		{"both orders agree: equivalent", func(a, b string) (float64, bool) { return 0.9, true }, true, false, 0.9},
		{"both orders agree: different", func(a, b string) (float64, bool) { return 0.1, false }, false, false, 0.1},
		{"passes only with the primary first", func(a, b string) (float64, bool) {
			if a == primary {
				return 0.8, true
			}
			return 0.2, false
		}, false, true, 0.5},
		{"passes only with the candidate first", func(a, b string) (float64, bool) {
			if a == candidate {
				return 0.8, true
			}
			return 0.2, false
		}, false, true, 0.5},
		{"one order under the threshold", func(a, b string) (float64, bool) {
			if a == primary {
				return 0.9, true
			}
			return 0.3, true
		}, false, true, 0.6},
		// A high score is not a pass: the judge's own fail in either order
		// fails the pair.
		{"judge fails the primary-first order despite a high score", func(a, b string) (float64, bool) {
			return 0.9, a != primary
		}, false, true, 0.9},
		{"judge fails the candidate-first order despite a high score", func(a, b string) (float64, bool) {
			return 0.9, a != candidate
		}, false, true, 0.9},
		{"both orders exactly at the threshold pass", func(a, b string) (float64, bool) { return DefaultThreshold, true }, true, false, DefaultThreshold},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeJudge{name: "gemini", reply: orderJudge(tc.decide)}
			j := mustNew(t, Config{Chain: chain(f)})
			v, err := j.Consistent(context.Background(), PairInput{
				Prompt: "Summarise", Primary: primary, Candidate: candidate,
				PrimaryProvider: "openai", CandidateProvider: "anthropic",
			})
			if err != nil {
				t.Fatalf("Consistent() error = %v", err)
			}
			if v.Pass != tc.wantPass || v.Inconsistent != tc.wantInconsistent {
				t.Errorf("Verdict pass, inconsistent = %t, %t; want %t, %t", v.Pass, v.Inconsistent, tc.wantPass, tc.wantInconsistent)
			}
			if diff := v.Score - tc.wantScore; diff > 1e-9 || diff < -1e-9 {
				t.Errorf("Verdict.Score = %v; want %v", v.Score, tc.wantScore)
			}
			if want := (provider.Usage{InputTokens: 2000, OutputTokens: 200}); v.Usage != want {
				t.Errorf("Verdict.Usage = %+v; want %+v", v.Usage, want)
			}
			// Both orders reached the judge.
			var firsts []string
			for _, r := range f.requests() {
				firsts = append(firsts, blocks(t, r.Messages[0].Content)["answer A"])
			}
			if len(firsts) != 2 || firsts[0] == firsts[1] {
				t.Errorf("answers shown first = %q; want the primary once and the candidate once", firsts)
			}
		})
	}
}

func TestConsistentFallsBackWithBothOrders(t *testing.T) {
	// The first judge answers one order and fails the other: its half
	// verdict must not be mixed with another judge's.
	flaky := &fakeJudge{name: "anthropic", reply: func(req *provider.Request) (*provider.Response, error) {
		if strings.Contains(req.Messages[0].Content, "name=\"answer A\">\nsecond") {
			return nil, &provider.Error{Provider: "anthropic", Status: 529, Class: provider.ClassOverloaded}
		}
		return textResponse(answerJSON("ok", 0.9, true)), nil
	}}
	steady := &fakeJudge{name: "gemini", reply: answers(0.2, false)}
	j := mustNew(t, Config{Chain: chain(flaky, steady)})
	v, err := j.Consistent(context.Background(), PairInput{Prompt: "p", Primary: "first", Candidate: "second", CandidateProvider: "openai"})
	if err != nil {
		t.Fatalf("Consistent() error = %v", err)
	}
	if v.Judge != "gemini/gemini-judge" || v.Pass || v.Inconsistent {
		t.Errorf("Verdict = %+v; want gemini's consistent fail", v)
	}
	if got := len(steady.requests()); got != 2 {
		t.Errorf("calls to the fallback judge = %d; want both orders (2)", got)
	}
}

func TestConsistentSelection(t *testing.T) {
	tests := []struct {
		name      string
		chain     []string
		wantJudge string
	}{
		{"avoids both answers' providers", []string{"openai", "anthropic", "gemini"}, "gemini/gemini-judge"},
		{"primary's provider when nothing else is left", []string{"anthropic", "openai"}, "openai/openai-judge"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var fakes []*fakeJudge
			for _, p := range tc.chain {
				fakes = append(fakes, &fakeJudge{name: p, reply: answers(1, true)})
			}
			j := mustNew(t, Config{Chain: chain(fakes...)})
			v, err := j.Consistent(context.Background(), PairInput{
				Prompt: "p", Primary: "a", Candidate: "b", PrimaryProvider: "openai", CandidateProvider: "anthropic",
			})
			if err != nil {
				t.Fatalf("Consistent() error = %v", err)
			}
			if v.Judge != tc.wantJudge {
				t.Errorf("Verdict.Judge = %q; want %q", v.Judge, tc.wantJudge)
			}
		})
	}
}

func TestPreferBothOrders(t *testing.T) {
	const good, bad = "Canberra.", "Sydney, the largest city."
	tests := []struct {
		name             string
		out1, out2       string
		decide           func(a, b string) (float64, bool)
		wantChoice       int
		wantInconsistent bool
	}{
		{"fair judge, better first", good, bad, func(a, b string) (float64, bool) { return 0.9, a == good }, 1, false},
		{"fair judge, better second", bad, good, func(a, b string) (float64, bool) { return 0.9, a == good }, 2, false},
		{"always prefers the first shown", good, bad, func(a, b string) (float64, bool) { return 0.7, true }, 0, true},
		{"always prefers the second shown", good, bad, func(a, b string) (float64, bool) { return 0.3, false }, 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeJudge{name: "openai", reply: orderJudge(tc.decide)}
			j := mustNew(t, Config{Chain: chain(f)})
			p, err := j.Prefer(context.Background(), PreferInput{Prompt: "Capital of Australia?", Output1: tc.out1, Output2: tc.out2})
			if err != nil {
				t.Fatalf("Prefer() error = %v", err)
			}
			if p.Choice != tc.wantChoice || p.Inconsistent != tc.wantInconsistent {
				t.Errorf("Preference choice, inconsistent = %d, %t; want %d, %t", p.Choice, p.Inconsistent, tc.wantChoice, tc.wantInconsistent)
			}
			if got := len(f.requests()); got != 2 {
				t.Errorf("judge calls = %d; want 2", got)
			}
		})
	}
}
