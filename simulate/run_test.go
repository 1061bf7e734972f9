package simulate

import (
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/llmfall/llmfall/fallback"
)

var update = flag.Bool("update", false, "rewrite golden files")

func builtin(t testing.TB, name string) *Scenario {
	t.Helper()
	sc, err := Builtin(name)
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

func run(t testing.TB, opts Options) *Report {
	t.Helper()
	if opts.Engine.Categories == nil {
		opts.Engine = testConfig()
	}
	r, err := Run(context.Background(), opts)
	if err != nil {
		t.Fatalf("Run(%s): %v", opts.Scenario.Name, err)
	}
	return r
}

// checkAccounting fails t unless every request is counted exactly once.
func checkAccounting(t *testing.T, r *Report) {
	t.Helper()
	if r.Served+r.Failed != r.Requests {
		t.Errorf("served %d + failed %d = %d; want requests %d", r.Served, r.Failed, r.Served+r.Failed, r.Requests)
	}
	served := 0
	for _, l := range r.Links {
		served += l.Served
	}
	if served != r.Served {
		t.Errorf("links served %d in all; want %d", served, r.Served)
	}
	failed := 0
	for _, n := range r.FailedBy {
		failed += n
	}
	if failed != r.Failed {
		t.Errorf("failed_by adds up to %d; want %d", failed, r.Failed)
	}
	if want := int(r.Simulated.Seconds() * r.RPS); r.Requests != want {
		t.Errorf("requests = %d; want %d (%s at %v/s)", r.Requests, want, r.Simulated, r.RPS)
	}
}

func TestRunDeterministicAndAddsUp(t *testing.T) {
	for _, name := range Builtins() {
		for _, naive := range []bool{false, true} {
			policy := map[bool]string{false: "configured", true: "naive"}[naive]
			t.Run(name+"/"+policy, func(t *testing.T) {
				opts := Options{Scenario: builtin(t, name), Duration: 10 * time.Minute, RPS: 20, Seed: 7, Naive: naive}
				if name == "seed" {
					opts.Duration = 14 * time.Hour // reach into the outage at 9h
					opts.RPS = 2
				}
				first := run(t, opts)
				checkAccounting(t, first)
				second := run(t, opts)
				if diff := cmp.Diff(first, second); diff != "" {
					t.Errorf("same scenario and seed, different reports (-first +second):\n%s", diff)
				}
			})
		}
	}
}

func TestRunSeedChangesDraws(t *testing.T) {
	opts := Options{Scenario: builtin(t, "degraded"), Duration: 10 * time.Minute, RPS: 20, Seed: 1}
	a := run(t, opts)
	opts.Seed = 2
	b := run(t, opts)
	if a.Links[0].Errors == b.Links[0].Errors && a.Latency == b.Latency {
		t.Errorf("seeds 1 and 2 gave the same errors (%d) and latency (%+v); want different draws", a.Links[0].Errors, a.Latency)
	}
}

// TestHangBreakerVsNaive is the acceptance test: with the primary
// hung, once the breaker opens users wait no longer than the second link
// takes itself, while the naive policy pays the whole first-token timeout
// on every request.
func TestHangBreakerVsNaive(t *testing.T) {
	opts := Options{Scenario: builtin(t, "hang"), Duration: 10 * time.Minute, Seed: 3}
	cfg := run(t, opts)
	opts.Naive = true
	naive := run(t, opts)
	firstToken := testConfig().Timeouts.FirstToken

	after := cfg.AfterBreakerOpen
	if after == nil {
		t.Fatal("AfterBreakerOpen = nil; want the breaker to open on a hung primary")
	}
	own := cfg.Links[1].Latency.P99
	if got, limit := after.Latency.P99, own+own/10; got > limit {
		t.Errorf("configured p99 after the breaker opened = %s; want within 10%% of the second link's own p99 %s", got, own)
	}
	if after.Failed != 0 || cfg.Failed != 0 {
		t.Errorf("configured failed %d (%d after opening); want 0", cfg.Failed, after.Failed)
	}
	if got := naive.Latency.P50; got < firstToken {
		t.Errorf("naive p50 latency = %s; want at least the first-token timeout %s", got, firstToken)
	}
	if got := naive.Added.P50; got < firstToken*95/100 {
		t.Errorf("naive p50 added latency = %s; want about the first-token timeout %s", got, firstToken)
	}
	if got, want := naive.Links[0].Timeouts, naive.Requests; got != want {
		t.Errorf("naive timeouts on the hung primary = %d; want every request, %d", got, want)
	}
	// The breaker lets one probe through per cool-down, after the
	// threshold of failures that opened it.
	limit := 5 + int(opts.Duration/(30*time.Second)) + 1
	if got := cfg.Links[0].Attempts; got > limit {
		t.Errorf("configured attempts on the hung primary = %d; want at most %d", got, limit)
	}
}

func TestOutageAndFlappingBreakers(t *testing.T) {
	tests := []struct {
		scenario     string
		wantOpenings int
	}{
		{"outage", 1},    // opens once and stays open
		{"flapping", 10}, // once per down phase
	}
	for _, tc := range tests {
		t.Run(tc.scenario, func(t *testing.T) {
			r := run(t, Options{Scenario: builtin(t, tc.scenario), Seed: 1})
			checkAccounting(t, r)
			if r.BreakerOpenings != tc.wantOpenings {
				t.Errorf("breaker openings = %d; want %d", r.BreakerOpenings, tc.wantOpenings)
			}
			if r.Failed != 0 {
				t.Errorf("failed = %d; want 0 with two healthy links behind the primary", r.Failed)
			}
		})
	}
}

func TestExpectedFailedRate(t *testing.T) {
	r := run(t, Options{Scenario: builtin(t, "degraded"), Duration: 10 * time.Minute, RPS: 10, Seed: 1})
	// 5% × 3% × 2%, plus the primary's tiny share of answers slower than
	// the first-token timeout.
	want := 0.05 * 0.03 * 0.02
	if got := r.ExpectedFailedRate; got < want || got > want*1.01 {
		t.Errorf("expected failed rate = %g; want %g (+1%%)", got, want)
	}
}

// TestHedgeWinsOverHang: with hedging after 2 s and no breaker, every
// request's hung primary loses to the second link, 2 s late.
func TestHedgeWinsOverHang(t *testing.T) {
	cfg := testConfig()
	cfg.BreakerFailures = -1
	cfg.Categories[0].HedgeAfter = 2 * time.Second
	r := run(t, Options{Engine: cfg, Scenario: builtin(t, "hang"), Duration: 5 * time.Minute, RPS: 10, Seed: 1})
	checkAccounting(t, r)
	if r.HedgesWon != r.Requests {
		t.Errorf("hedges won = %d; want every request, %d", r.HedgesWon, r.Requests)
	}
	if got := r.Links[0].HedgesLost; got != r.Requests {
		t.Errorf("primary hedges lost = %d; want %d", got, r.Requests)
	}
	own := r.Links[1].Latency.P50
	if got, want := r.Latency.P50, 2*time.Second+own; got < want-want/10 || got > want+want/10 {
		t.Errorf("p50 latency = %s; want about hedge delay + second link's p50 = %s", got, want)
	}
}

func TestRunErrors(t *testing.T) {
	noTimeouts := testConfig()
	noTimeouts.Timeouts = fallbackTimeoutsNone()
	// A configuration handed to Run directly is not validated first: a
	// category whose models are all blank resolves to no chain at all.
	noModels := testConfig()
	noModels.Categories[0].Models = map[string]string{"openai": ""}
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"unknown category", Options{Scenario: builtin(t, "outage"), Category: "nope"}, `simulate: unknown category "nope"`},
		{"link past the chain", Options{Scenario: mustParse(t, "links:\n  - link: 4\n    error_rate: 1\n")},
			"scenario t: line 4: link 4: the chain of fast has 3 links (openai/gpt-4.1-mini → anthropic/claude-3-5-haiku-latest → gemini/gemini-2.5-flash)"},
		{"provider not in chain", Options{Scenario: mustParse(t, "links:\n  - provider: mistral\n    error_rate: 1\n")},
			`scenario t: line 4: provider "mistral" is not in the chain of fast (openai/gpt-4.1-mini → anthropic/claude-3-5-haiku-latest → gemini/gemini-2.5-flash)`},
		{"hang without timeouts", Options{Engine: noTimeouts, Scenario: builtin(t, "hang")},
			"simulate: openai hangs in this scenario, but category fast has no first_token or total timeout: hung requests would never end"},
		{"no requests", Options{Scenario: builtin(t, "outage"), Duration: time.Second, RPS: 0.5}, "simulate: 1s at 0.5 requests/s is no request at all"},
		{"empty chain", Options{Engine: noModels, Scenario: builtin(t, "outage")}, `simulate: category "fast" has an empty chain`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.opts.Engine.Categories == nil {
				tc.opts.Engine = testConfig()
			}
			_, err := Run(context.Background(), tc.opts)
			if err == nil || err.Error() != tc.want {
				t.Errorf("Run() error = %v; want %s", err, tc.want)
			}
		})
	}
}

func TestRunCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, naive := range []bool{false, true} {
		_, err := Run(ctx, Options{Engine: testConfig(), Scenario: builtin(t, "hang"), Naive: naive})
		if err == nil || err.Error() != "simulate: context canceled" {
			t.Errorf("Run(cancelled, naive %v) error = %v; want simulate: context canceled", naive, err)
		}
	}
}

func TestReportJSONGolden(t *testing.T) {
	r := run(t, Options{Scenario: builtin(t, "flapping"), Duration: 15 * time.Minute, RPS: 10, Seed: 42})
	got, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", "flapping.golden.json")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("report JSON differs from %s (-want +got):\n%s", path, diff)
	}
}

// TestRecoveryScenario: the primary is down for 60 s at one request every
// 4 s; with the default breaker it serves again within 10 s of coming back,
// and the report says when.
func TestRecoveryScenario(t *testing.T) {
	r := run(t, Options{Scenario: builtin(t, "recovery"), Seed: 1})
	checkAccounting(t, r)
	if r.RecoveredAfter == nil {
		t.Fatal("RecoveredAfter = nil; want the primary back after its outage")
	}
	if got := *r.RecoveredAfter; got < 0 || got > 10*time.Second {
		t.Errorf("primary served again %s after its outage ended; want within 10 s", got)
	}
	if r.Failed != 0 {
		t.Errorf("failed = %d; want 0", r.Failed)
	}
}

// TestBrokenStreams: streams cut or stalled after their first token reach
// the user as interruptions (the engine has committed to the link), a stall
// only once the idle timeout gave up on it; a slow but live primary is
// hedged when the category hedges.
func TestBrokenStreams(t *testing.T) {
	sc := mustParse(t, `links:
  - link: 1
    latency: { p50: 3s, p95: 8s }
    chunks: 20
    chunk_gap: 100ms
    break: 0.1
    stall: 0.05
`)
	r := run(t, Options{Scenario: sc, Seed: 1, RPS: 20, Duration: 10 * time.Minute})
	checkAccounting(t, r)
	// 12,000 requests, 15% of them broken or stalled: about 1,800.
	if got := r.FailedBy["interrupted"]; got < 1500 || got > 2100 || got != r.Failed {
		t.Errorf("interrupted = %d of %d failed; want about 1,800, and every failure an interruption", got, r.Failed)
	}
	if r.Links[0].Timeouts == 0 || r.Links[0].Errors == 0 {
		t.Errorf("primary timeouts %d, errors %d; want both (stalls end at the idle timeout, cuts as errors)", r.Links[0].Timeouts, r.Links[0].Errors)
	}

	cfg := testConfig()
	cfg.Categories[0].HedgeAfter = 2 * time.Second
	h := run(t, Options{Engine: cfg, Scenario: sc, Seed: 1, RPS: 20, Duration: 10 * time.Minute})
	checkAccounting(t, h)
	t.Logf("no hedging: failed %d, p50 %s; hedge_after 2s: failed %d, p50 %s, hedges won %d, breaker openings %d",
		r.Failed, r.Latency.P50, h.Failed, h.Latency.P50, h.HedgesWon, h.BreakerOpenings)
	if h.HedgesWon < h.Requests/10 || h.Latency.P50 >= r.Latency.P50 {
		t.Errorf("hedges won = %d of %d, p50 %s (%s without); want many with a primary at 3 s p50 and hedge_after 2s, and a lower p50",
			h.HedgesWon, h.Requests, h.Latency.P50, r.Latency.P50)
	}
	if h.Failed >= r.Failed {
		t.Errorf("failed with hedging %d; want fewer than without (%d): hedges win before the primary breaks", h.Failed, r.Failed)
	}

	// With the whole answer held back, a broken stream falls back to the
	// next link instead of reaching the user: no interruption at all.
	cfg = testConfig()
	cfg.Categories[0].StreamBuffer = fallback.StreamBuffer{Chunks: -1}
	w := run(t, Options{Engine: cfg, Scenario: sc, Seed: 1, RPS: 20, Duration: 10 * time.Minute})
	checkAccounting(t, w)
	if w.Failed != 0 || w.Links[1].Served < r.FailedBy["interrupted"] {
		t.Errorf("with a commit window: failed %d, second link served %d; want 0 failed and the broken streams (%d) served by the next link",
			w.Failed, w.Links[1].Served, r.FailedBy["interrupted"])
	}
	// The price: the user's first token is the whole answer, 1.9 s of
	// chunks after the primary's own first token.
	if got, min := w.Latency.P50, r.Latency.P50+1900*time.Millisecond; got < min {
		t.Errorf("p50 with a commit window = %s; want at least %s (the window)", got, min)
	}
}

func TestScenarioStreamFieldErrors(t *testing.T) {
	_, err := Parse("t.yaml", []byte("name: t\nduration: 1m\nlinks:\n  - link: 1\n    chunks: 0\n    break: 0.5\n    stall: 0.6\n"))
	for _, want := range []string{"t.yaml:5: links[0]: chunks: must be at least 1, got 0", "t.yaml:6: links[0]: break + stall is 1.1, more than 1"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse() error = %v; want it to contain %q", err, want)
		}
	}
	noIdle := testConfig()
	noIdle.Timeouts = fallback.Timeouts{FirstToken: time.Second}
	_, err = Run(context.Background(), Options{Engine: noIdle, Scenario: mustParse(t, "links:\n  - link: 1\n    stall: 0.1\n")})
	if want := "simulate: openai stalls mid-answer in this scenario, but category fast has no idle or total timeout: stalled requests would never end"; err == nil || err.Error() != want {
		t.Errorf("Run() error = %v; want %s", err, want)
	}
}
