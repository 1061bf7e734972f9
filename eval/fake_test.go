package eval

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/llmfall/llmfall/judge"
	"github.com/llmfall/llmfall/provider"
)

// fakeProvider answers from a function and counts what it was asked.
type fakeProvider struct {
	answer func(n int, req *provider.Request) (string, error) // n counts calls from 1
	calls  atomic.Int32

	mu          sync.Mutex
	inflight    int
	maxInflight int
	// onStart, when set, is called inside the call while it counts as in
	// flight, so that a test can hold calls open.
	onStart func(ctx context.Context)
	shared  *inflightCounter
}

// inflightCounter counts calls in flight across several fake providers.
type inflightCounter struct {
	mu       sync.Mutex
	now, max int
}

func (c *inflightCounter) add(d int) {
	if c == nil {
		return
	}
	c.mu.Lock()
	c.now += d
	c.max = max(c.max, c.now)
	c.mu.Unlock()
}

var _ provider.Provider = (*fakeProvider)(nil)

func (f *fakeProvider) Complete(ctx context.Context, req *provider.Request) (*provider.Response, error) {
	n := int(f.calls.Add(1))
	f.mu.Lock()
	f.inflight++
	f.maxInflight = max(f.maxInflight, f.inflight)
	f.mu.Unlock()
	f.shared.add(1)
	defer func() {
		f.mu.Lock()
		f.inflight--
		f.mu.Unlock()
		f.shared.add(-1)
	}()
	if f.onStart != nil {
		f.onStart(ctx)
	}
	text, err := f.answer(n, req)
	if err != nil {
		return nil, err
	}
	return &provider.Response{Text: text, FinishReason: provider.FinishStop, Model: req.Model,
		Usage: provider.Usage{InputTokens: 100, OutputTokens: 50}}, nil
}

func (f *fakeProvider) Stream(ctx context.Context, req *provider.Request) (provider.Stream, error) {
	return nil, fmt.Errorf("fake: streams are not used by eval")
}

// echo answers with the user message.
func echo(_ int, req *provider.Request) (string, error) { return req.Messages[0].Content, nil }

// fakeJudge passes a rubric when the output contains the rubric's last
// word, and a pair when both answers are equal.
type fakeJudge struct {
	rubricCalls, pairCalls atomic.Int32
	mu                     sync.Mutex
	pairs                  []judge.PairInput
	err                    error
}

var _ judge.Judge = (*fakeJudge)(nil)

func (j *fakeJudge) Rubric(ctx context.Context, in judge.RubricInput) (judge.Verdict, error) {
	j.rubricCalls.Add(1)
	if j.err != nil {
		return judge.Verdict{}, j.err
	}
	words := strings.Fields(in.Rubric)
	ok := strings.Contains(in.Output, words[len(words)-1])
	return judge.Verdict{Pass: ok, Score: boolScore(ok), Reasoning: "fake rubric", Judge: "fake"}, nil
}

func (j *fakeJudge) Consistent(ctx context.Context, in judge.PairInput) (judge.Verdict, error) {
	j.pairCalls.Add(1)
	j.mu.Lock()
	j.pairs = append(j.pairs, in)
	j.mu.Unlock()
	ok := in.Primary == in.Candidate
	return judge.Verdict{Pass: ok, Score: boolScore(ok), Reasoning: "fake pair", Judge: "fake"}, nil
}

// chains is a Chain function over fixed chains.
func chains(m map[string][]provider.Target) func(string) ([]provider.Target, error) {
	return func(cat string) ([]provider.Target, error) {
		c, ok := m[cat]
		if !ok {
			return nil, fmt.Errorf("no category %q", cat)
		}
		return c, nil
	}
}

var threeLinks = map[string][]provider.Target{"fast": {
	{Provider: "a", Model: "gpt-4.1-mini"}, {Provider: "b", Model: "claude-3-5-haiku-latest"}, {Provider: "c", Model: "gemini-2.5-flash"},
}}

// suiteOf builds a suite in memory: one prompt with n tests that each
// carry asserts (YAML flow mappings).
func suiteOf(t *testing.T, n int, asserts ...string) *Suite {
	t.Helper()
	var b strings.Builder
	b.WriteString("name: p\ncategory: fast\nprompt: \"ticket {{.id}}\"\ntests:\n")
	for i := range n {
		fmt.Fprintf(&b, "  - name: t%d\n    vars: {id: \"%d\"}\n    assert: [%s]\n", i, i, strings.Join(asserts, ", "))
	}
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"p.yaml": b.String()})
	s, err := LoadSuite([]string{dir}, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mustPlan(t testing.TB, s *Suite, opts PlanOptions) *Plan {
	t.Helper()
	if opts.Chain == nil {
		opts.Chain = chains(threeLinks)
	}
	p, err := NewPlan(s, opts)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func writeFile(path, content string) error { return os.WriteFile(path, []byte(content), 0o644) }
