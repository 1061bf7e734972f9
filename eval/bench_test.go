package eval

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/llmfall/llmfall/judge"
	"github.com/llmfall/llmfall/provider"
	"github.com/llmfall/llmfall/provider/openai"
)

// capServer is an OpenAI-compatible server that answers every chat
// completion after a fixed delay, with at most limit requests being served
// at once (the others queue), like a provider account's concurrency.
// busy, when not nil, adds up the time requests held a slot.
func capServer(limit int, delay time.Duration, busy *atomic.Int64) *httptest.Server {
	slots := make(chan struct{}, limit)
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case slots <- struct{}{}:
		case <-r.Context().Done():
			return
		}
		start := time.Now()
		defer func() {
			if busy != nil {
				busy.Add(int64(time.Since(start)))
			}
			<-slots
		}()
		t := time.NewTimer(delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, chatCompletion("PASS: the ticket is summarised."))
	}))
}

// llmJudge is a minimal model-backed judge: one chat completion per
// verdict, passing when the model says PASS.
type llmJudge struct{ p provider.Provider }

var _ judge.Judge = (*llmJudge)(nil)

func (j *llmJudge) ask(ctx context.Context, prompt string) (judge.Verdict, error) {
	resp, err := j.p.Complete(ctx, &provider.Request{Model: "gpt-4.1", Messages: []provider.Message{{Role: provider.RoleUser, Content: prompt}}})
	if err != nil {
		return judge.Verdict{}, err
	}
	ok := strings.HasPrefix(resp.Text, "PASS")
	return judge.Verdict{Pass: ok, Score: boolScore(ok), Reasoning: resp.Text, Judge: "bench/gpt-4.1", Usage: resp.Usage}, nil
}

func (j *llmJudge) Rubric(ctx context.Context, in judge.RubricInput) (judge.Verdict, error) {
	return j.ask(ctx, "Rubric: "+in.Rubric+"\nOutput: "+in.Output)
}

func (j *llmJudge) Consistent(ctx context.Context, in judge.PairInput) (judge.Verdict, error) {
	return j.ask(ctx, "A: "+in.Primary+"\nB: "+in.Candidate)
}

// BenchmarkEvalThroughput runs 100 cases × 3 links with a contains and a
// judge assertion each (300 generations + 300 judge calls) against a local
// OpenAI-compatible server answering in 200 ms with at most C requests in
// flight, and reports the wall time against the ideal 600 / C × 200 ms
// (x-ideal), and against the time the server's slots were actually held,
// over C (x-busy): on a loaded machine a 200 ms timer fires late, which
// lengthens every call but is no time the scheduler lost.
// The work is fixed; the ideal leaves out each call's HTTP round trip and
// the scheduling of a busy machine (a few ms per call on a loaded 2-core
// machine, 20 calls in a row per slot at C=30), so compare runs at a low
// load average and over several counts. TestRunKeepsEverySlotBusy checks the
// scheduling itself in ticks, independent of the machine:
//
//	go test ./eval -run XXX -bench BenchmarkEvalThroughput -benchtime 1x -count 5
func BenchmarkEvalThroughput(b *testing.B) {
	const delay = 200 * time.Millisecond
	suite := benchSuite(b, 100)
	for _, c := range []int{10, 30} {
		b.Run(fmt.Sprintf("C=%d", c), func(b *testing.B) {
			var busy atomic.Int64
			srv := capServer(c, delay, &busy)
			defer srv.Close()
			client := openai.New(openai.Config{Name: "bench", BaseURL: srv.URL + "/v1", APIKey: "sk-bench-000000"})
			ps := map[string]provider.Provider{"a": client, "b": client, "c": client}
			limits := map[string]Limit{"a": {Concurrency: c}, "b": {Concurrency: c}, "c": {Concurrency: c}}
			ideal := time.Duration(600/c) * delay
			var worst, worstBusy time.Duration
			var peak uint64
			b.ResetTimer()
			for range b.N {
				plan := mustPlan(b, suite, PlanOptions{Depth: 3})
				busy.Store(0)
				start := time.Now()
				rs, err := Run(context.Background(), plan, RunOptions{Providers: ps, Limits: limits, Concurrency: c,
					Judge: &llmJudge{p: client}, JudgeLimit: Limit{Concurrency: c}})
				if err != nil {
					b.Fatal(err)
				}
				if wall := time.Since(start); wall > worst {
					worst, worstBusy = wall, time.Duration(busy.Load())/time.Duration(c)
				}
				if rs.Summary.Passed != 300 {
					b.Fatalf("passed = %d; want 300", rs.Summary.Passed)
				}
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.Sys)
			}
			b.ReportMetric(float64(worst)/float64(ideal), "x-ideal")
			b.ReportMetric(float64(worst)/float64(worstBusy), "x-busy")
			b.ReportMetric(worst.Seconds(), "s-wall")
			b.ReportMetric(float64(peak)/(1<<20), "MB-sys")
		})
	}
}

func benchSuite(tb testing.TB, n int) *Suite {
	tb.Helper()
	var sb strings.Builder
	sb.WriteString("name: bench\ncategory: fast\nsystem: You summarise tickets.\nprompt: \"Summarise:\\n{{.ticket}}\"\ntests:\n")
	for i := range n {
		fmt.Fprintf(&sb, "  - name: t%d\n    vars: {ticket: \"Order %d arrived broken; I want a refund.\"}\n    assert:\n      - {type: icontains, value: ticket}\n      - {type: judge, rubric: \"Summarises the ticket\"}\n", i, 1000+i)
	}
	dir := tb.TempDir()
	if err := writeFile(dir+"/bench.yaml", sb.String()); err != nil {
		tb.Fatal(err)
	}
	s, err := LoadSuite([]string{dir}, LoadOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// BenchmarkPlanFingerprints plans 1000 tests on three links with a
// baseline to compare against: the cost fingerprints add to planning.
func BenchmarkPlanFingerprints(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("name: p\ncategory: fast\nsystem: You summarise tickets.\nprompt: \"ticket {{.id}}: {{.body}}\"\ntests:\n")
	for i := range 1000 {
		fmt.Fprintf(&sb, "  - name: t%d\n    vars: {id: \"%d\", body: \"Order %d arrived broken, I want my money back.\"}\n    assert: [{type: icontains, value: refund}, {type: judge, rubric: mentions the order}, {type: consistent}]\n", i, i, i)
	}
	dir := b.TempDir()
	if err := writeFile(dir+"/p.yaml", sb.String()); err != nil {
		b.Fatal(err)
	}
	s, err := LoadSuite([]string{dir}, LoadOptions{})
	if err != nil {
		b.Fatal(err)
	}
	opts := PlanOptions{Chain: chains(threeLinks), Depth: 3, Inputs: Inputs{Judge: JudgeIdentity{Threshold: 0.7}}}
	base, err := NewPlan(s, opts)
	if err != nil {
		b.Fatal(err)
	}
	opts.Base = base.Fingerprints()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := NewPlan(s, opts); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/3000, "ns/case")
}

// BenchmarkLoadSuite loads a prompt file whose 10,000 cases come from a
// JSONL case file, every file read through the suite's os.Root.
func BenchmarkLoadSuite(b *testing.B) {
	dir := b.TempDir()
	var cases strings.Builder
	for i := range 10000 {
		fmt.Fprintf(&cases, `{"name": "t%d", "vars": {"ticket": "Order %d arrived broken"}, "assert": [{"type": "icontains", "value": "{{.ticket}}"}]}`+"\n", i, i)
	}
	if err := writeFile(dir+"/cases.jsonl", cases.String()); err != nil {
		b.Fatal(err)
	}
	if err := writeFile(dir+"/p.yaml", "category: fast\nprompt: \"Summarise:\\n{{.ticket}}\"\ntests:\n  - file: cases.jsonl\n"); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := LoadSuite([]string{dir}, LoadOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
