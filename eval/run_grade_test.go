package eval

import (
	"context"
	"errors"
	"math"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/llmfall/llmfall/judge"
	"github.com/llmfall/llmfall/provider"
)

// A case's score is its assertions' scores weighted by `weight`; with a
// test `threshold` the score decides the case (a failed assertion may be
// outweighed), without one every assertion must pass. The answer is
// "ticket 1", so `contains: ticket` passes and `contains: refund` fails.
func TestRunGradesByWeightsAndThreshold(t *testing.T) {
	s := loadDir(t, map[string]string{"p.yaml": `name: p
category: fast
prompt: "ticket {{.id}}"
tests:
  - name: outweighed
    vars: {id: "1"}
    threshold: 0.6
    assert: [{type: contains, value: ticket, weight: 3}, {type: contains, value: refund}]
  - name: exactly-at-threshold
    vars: {id: "1"}
    threshold: 0.75
    assert: [{type: contains, value: ticket, weight: 3}, {type: contains, value: refund}]
  - name: below-threshold
    vars: {id: "1"}
    threshold: 0.8
    assert: [{type: contains, value: ticket, weight: 3}, {type: contains, value: refund}]
  - name: no-threshold
    vars: {id: "1"}
    assert: [{type: contains, value: ticket, weight: 3}, {type: contains, value: refund}]
  - name: two-thirds
    vars: {id: "1"}
    threshold: 0.6666666666666666
    assert: [{type: contains, value: ticket, weight: 2}, {type: contains, value: refund}]
  - name: weightless-pass
    vars: {id: "1"}
    assert: [{type: contains, value: ticket, weight: 0}]
  - name: weightless-fail
    vars: {id: "1"}
    threshold: 0.5
    assert: [{type: contains, value: refund, weight: 0}]
`})
	ps, _ := fakes(echo)
	rs, err := Run(context.Background(), mustPlan(t, s, PlanOptions{Depth: 1}), RunOptions{Providers: ps})
	if err != nil {
		t.Fatal(err)
	}
	type grade struct {
		Test  string
		Score float64
		Pass  bool
	}
	var got []grade
	for _, r := range rs.Results {
		got = append(got, grade{r.Test, r.Score, r.Pass})
	}
	want := []grade{
		{"outweighed", 0.75, true},
		{"exactly-at-threshold", 0.75, true},
		{"below-threshold", 0.75, false},
		{"no-threshold", 0.75, false},
		{"two-thirds", 2.0 / 3, true},
		// Weight 0 everywhere: the score is the verdict's 1 or 0, never 0/0.
		{"weightless-pass", 1, true},
		{"weightless-fail", 0, false},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("grades (-want +got):\n%s", diff)
	}
	if s := rs.Summary; s.Passed != 4 || s.Failed != 3 {
		t.Errorf("summary %d passed, %d failed; want 4 and 3", s.Passed, s.Failed)
	}
}

// Progress is told once per finished case, one call at a time, with running
// counts that add up to Done and end at the summary's.
func TestRunProgressCountsEachFinishedCase(t *testing.T) {
	plan := mustPlan(t, suiteOf(t, 3, `{type: contains, value: "ticket 1"}`), PlanOptions{Depth: 2})
	ps, _ := fakes(echo)
	ps["b"] = &fakeProvider{answer: func(n int, req *provider.Request) (string, error) {
		if req.Messages[0].Content == "ticket 2" {
			return "", &provider.Error{Provider: "b", Status: 404, Class: provider.ClassNotFound, Message: "model not found"}
		}
		return echo(n, req)
	}}
	var (
		inside atomic.Int32
		calls  []Progress
	)
	rs, err := Run(context.Background(), plan, RunOptions{Providers: ps, Progress: func(p Progress) {
		if inside.Add(1) != 1 {
			t.Error("Progress called while another call is in progress")
		}
		defer inside.Add(-1)
		calls = append(calls, p)
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(calls) != 6 {
		t.Fatalf("Progress called %d times; want 6, once per case", len(calls))
	}
	var prev Progress
	for i, p := range calls {
		if p.Done != i+1 || p.Total != 6 || p.Passed+p.Failed+p.Errored != p.Done {
			t.Errorf("call %d: %+v; want done %d of 6, counts adding up to it", i+1, p, i+1)
		}
		// The case just finished moved exactly its own count.
		want := prev
		switch {
		case p.Last == nil:
			t.Fatalf("call %d: no Last result", i+1)
		case p.Last.Errored():
			want.Errored++
		case p.Last.Pass:
			want.Passed++
		default:
			want.Failed++
		}
		if p.Passed != want.Passed || p.Failed != want.Failed || p.Errored != want.Errored {
			t.Errorf("call %d after %s@%s (pass %v, error %q): %d/%d/%d; want %d/%d/%d", i+1, p.Last.Test, p.Last.Provider,
				p.Last.Pass, p.Last.Error, p.Passed, p.Failed, p.Errored, want.Passed, want.Failed, want.Errored)
		}
		prev = p
	}
	last := calls[len(calls)-1]
	if last.Passed != 2 || last.Failed != 3 || last.Errored != 1 {
		t.Errorf("last progress %d passed, %d failed, %d errored; want 2, 3, 1", last.Passed, last.Failed, last.Errored)
	}
	if s := rs.Summary; s.Passed != last.Passed || s.Failed != last.Failed || s.Errored != last.Errored {
		t.Errorf("summary %+v disagrees with the last progress %+v", s, last)
	}
}

// blockingJudge answers rubrics at once, but for the output block, whose
// call waits for release, then for its context's end.
type blockingJudge struct {
	block   string
	release <-chan struct{}
	onBlock func()
}

func (j *blockingJudge) Rubric(ctx context.Context, in judge.RubricInput) (judge.Verdict, error) {
	if in.Output == j.block {
		<-j.release
		j.onBlock()
		<-ctx.Done()
		return judge.Verdict{}, &provider.Error{Provider: "j", Class: provider.ClassTimeout, Message: ctx.Err().Error()}
	}
	return judge.Verdict{Pass: true, Score: 1, Reasoning: "fine", Judge: "j/m"}, nil
}

func (j *blockingJudge) Consistent(context.Context, judge.PairInput) (judge.Verdict, error) {
	return judge.Verdict{}, errors.New("not used")
}

// Ctrl-C while a case waits for its verdict: that case did not finish (not
// run, not an error of the link or of the judge), the finished one is
// kept, and the run claims no pass.
func TestRunInterruptedWhileJudging(t *testing.T) {
	plan := mustPlan(t, suiteOf(t, 2, `{type: judge, rubric: "ticket"}`), PlanOptions{Depth: 1})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	firstDone := make(chan struct{})
	var once sync.Once
	j := &blockingJudge{block: "ticket 1", release: firstDone, onBlock: cancel}
	ps, _ := fakes(echo)
	rs, err := Run(ctx, plan, RunOptions{Providers: ps, Judge: j, Progress: func(p Progress) {
		once.Do(func() { close(firstDone) })
	}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run error = %v; want context.Canceled", err)
	}
	s := rs.Summary
	if s.Total != 1 || s.Passed != 1 || s.Errored != 0 || s.NotRun != 1 || !s.Interrupted {
		t.Errorf("summary %d run (%d passed, %d errored), %d not run, interrupted %v; want 1 passed, 1 not run, interrupted",
			s.Total, s.Passed, s.Errored, s.NotRun, s.Interrupted)
	}
	if len(rs.Results) != 1 || rs.Results[0].Test != "t0" || !rs.Results[0].Pass {
		t.Errorf("results = %+v; want t0's pass alone", rs.Results)
	}
	if s.Judge == nil || s.Judge.Errors != 0 || s.Judge.Verdicts != 1 {
		t.Errorf("judge summary = %+v; want 1 verdict and no judge error (the call was cancelled)", s.Judge)
	}
	if g := Gate(rs, GateOptions{}); g.Pass || g.Status != GateIncomplete {
		t.Errorf("gate = %+v; want incomplete, not passed", g)
	}
}

// modelProvider answers "ticket" as model, reporting its own latency.
type modelProvider struct {
	model   string
	latency int // ms; 0 reports none
}

func (p *modelProvider) Complete(_ context.Context, req *provider.Request) (*provider.Response, error) {
	return &provider.Response{Text: req.Messages[0].Content, FinishReason: provider.FinishStop, Model: p.model,
		Usage: provider.Usage{InputTokens: 1000, OutputTokens: 500}, Latency: time.Duration(p.latency) * time.Millisecond}, nil
}

func (p *modelProvider) Stream(context.Context, *provider.Request) (provider.Stream, error) {
	return nil, errors.New("fake: streams are not used by eval")
}

// A link's model name is priced when it has a price; when it has none (a
// deployment name, an alias), the model the provider says answered is; a
// latency the provider measured is the one recorded.
func TestRunPricesTheAnsweringModel(t *testing.T) {
	s := suiteOf(t, 1, `{type: contains, value: "ticket"}`, `{type: cost, threshold: 1}`)
	plan := mustPlan(t, s, PlanOptions{Depth: 3, Chain: chains(map[string][]provider.Target{"fast": {
		{Provider: "a", Model: "my-deployment"}, {Provider: "b", Model: "gpt-4.1-mini"}, {Provider: "c", Model: "my-alias"},
	}})})
	ps := map[string]provider.Provider{
		"a": &modelProvider{model: "gpt-4.1-mini-2025-04-14", latency: 1500},
		"b": &modelProvider{model: "ft:private-model"},
		"c": &modelProvider{},
	}
	rs, err := Run(context.Background(), plan, RunOptions{Providers: ps, Prices: Prices(nil).WithDefaults()})
	if err != nil {
		t.Fatal(err)
	}
	price := (1000*0.40 + 500*1.60) / 1e6 // gpt-4.1-mini
	type row struct {
		Provider string
		Cost     float64
		Pass     bool
	}
	var got []row
	for _, r := range rs.Results {
		got = append(got, row{r.Provider, math.Round(r.CostUSD*1e9) / 1e9, r.Pass})
	}
	want := []row{{"a", price, true}, {"b", price, true}, {"c", 0, false}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("costs (-want +got):\n%s", diff)
	}
	if r := rs.Results[0]; r.LatencyMS != 1500 {
		t.Errorf("latency = %d ms; want the provider's 1500", r.LatencyMS)
	}
}

// A cached answer is graded as the answer was: with the latency it took,
// so a latency assertion gives the same verdict from the cache.
func TestRunCachedAnswerKeepsItsLatency(t *testing.T) {
	s := suiteOf(t, 1, `{type: contains, value: "ticket"}`, `{type: latency, threshold: 1000}`)
	cache, err := OpenCache(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ps := map[string]provider.Provider{"a": &modelProvider{model: "gpt-4.1-mini", latency: 1500}}
	for _, run := range []string{"first", "cached"} {
		rs, err := Run(context.Background(), mustPlan(t, s, PlanOptions{Depth: 1}), RunOptions{Providers: ps, Cache: cache})
		if err != nil {
			t.Fatal(err)
		}
		r := rs.Results[0]
		if r.Cached != (run == "cached") || r.LatencyMS != 1500 || r.Pass || r.Assertions[1].Reason != "latency 1500 ms is over 1000 ms" {
			t.Errorf("%s run: cached %v, latency %d ms, pass %v, %+v; want 1500 ms and the latency check failed",
				run, r.Cached, r.LatencyMS, r.Pass, r.Assertions)
		}
	}
}

// verdictJudge gives each rubric the verdict named by the output.
type verdictJudge map[string]judge.Verdict

func (j verdictJudge) Rubric(_ context.Context, in judge.RubricInput) (judge.Verdict, error) {
	return j[in.Output], nil
}

func (j verdictJudge) Consistent(context.Context, judge.PairInput) (judge.Verdict, error) {
	return judge.Verdict{}, errors.New("not used")
}

// A judge assertion passes on a passing verdict only: a failing verdict
// fails the case, and so does a passing one that changed when the judge
// saw the answers the other way round, which the reason says.
func TestRunJudgeVerdicts(t *testing.T) {
	plan := mustPlan(t, suiteOf(t, 3, `{type: judge, rubric: "summarises the ticket"}`), PlanOptions{Depth: 1})
	j := verdictJudge{
		"ticket 0": {Pass: false, Score: 0.2, Reasoning: "no summary", Judge: "j/m"},
		"ticket 1": {Pass: true, Score: 0.9, Reasoning: "a summary", Judge: "j/m"},
		"ticket 2": {Pass: true, Score: 0.8, Reasoning: "a summary", Judge: "j/m", Inconsistent: true},
	}
	ps, _ := fakes(echo)
	rs, err := Run(context.Background(), plan, RunOptions{Providers: ps, Judge: j})
	if err != nil {
		t.Fatal(err)
	}
	var got []AssertionResult
	for _, r := range rs.Results {
		if r.Pass != r.Assertions[0].Pass {
			t.Errorf("%s: case pass %v, assertion pass %v; want the same", r.Test, r.Pass, r.Assertions[0].Pass)
		}
		got = append(got, r.Assertions[0])
	}
	want := []AssertionResult{
		{Type: "judge", Pass: false, Score: 0.2, Reason: "no summary"},
		{Type: "judge", Pass: true, Score: 0.9, Reason: "a summary"},
		{Type: "judge", Pass: false, Score: 0.8, Reason: "inconsistent verdict (changed when the answers were swapped): a summary"},
	}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(AssertionResult{})); diff != "" {
		t.Errorf("judge assertions (-want +got):\n%s", diff)
	}
}
