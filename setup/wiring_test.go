package setup

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/llmfall/llmfall/config"
	"github.com/llmfall/llmfall/eval"
	"github.com/llmfall/llmfall/fallback"
	"github.com/llmfall/llmfall/judge"
)

// everyEngineKey sets each key the engine reads, none to its default.
const everyEngineKey = `providers:
  openai:    { type: openai, text_only: [gpt-4.1-mini, o3-mini] }
  anthropic: { type: anthropic }
  local:     { type: sim, text_only: [m1] }
order: [anthropic, openai]
timeouts: { attempt: 40s, first_token: 7s, idle: 9s, total: 100s }
categories:
  fast:  { openai: gpt-4.1-mini, anthropic: claude-3-5-haiku-latest, hedge_after: 2s, stream_buffer: whole, timeouts: { attempt: 20s, idle: 3s } }
  smart: { anthropic: claude-sonnet-4-5, openai: gpt-4.1, order: [openai, anthropic], stream_buffer: 20 }
  slow:  { local: m1, order: [local], stream_buffer: 2s }
fallback: { retries: 2, retry_backoff: 300ms, retry_after_max_wait: 6s, on_content_filter: true, breaker_failures: 4, breaker_cooldown: 45s, breaker_min_cooldown: 3s }
`

// EngineConfig carries every engine setting of the file, the categories'
// own included, and the engine built from it has the chains the file
// orders.
func TestEngineConfigCarriesEverySetting(t *testing.T) {
	cfg, _ := load(t, everyEngineKey)
	want := fallback.Config{
		Order:             []string{"anthropic", "openai"},
		Timeouts:          fallback.Timeouts{Attempt: 40 * time.Second, FirstToken: 7 * time.Second, Idle: 9 * time.Second, Total: 100 * time.Second},
		Retries:           2,
		RetryBackoff:      300 * time.Millisecond,
		RetryAfterMaxWait: 6 * time.Second,
		OnContentFilter:   true,
		BreakerFailures:   4, BreakerCooldown: 45 * time.Second, BreakerMinCooldown: 3 * time.Second,
		TextOnly: []fallback.Target{
			{Provider: "openai", Model: "gpt-4.1-mini"}, {Provider: "openai", Model: "o3-mini"},
			{Provider: "local", Model: "m1"},
		},
		Categories: []fallback.Category{
			{
				Name:      "fast",
				Models:    map[string]string{"openai": "gpt-4.1-mini", "anthropic": "claude-3-5-haiku-latest"},
				Providers: []string{"openai", "anthropic"},
				// The engine inherits first_token and total from the
				// global timeouts: setup passes the file's own as they are.
				Timeouts:     fallback.Timeouts{Attempt: 20 * time.Second, Idle: 3 * time.Second},
				HedgeAfter:   2 * time.Second,
				StreamBuffer: fallback.StreamBuffer{Chunks: -1}, // whole: the engine's "until the link finishes"
			},
			{
				Name:         "smart",
				Models:       map[string]string{"anthropic": "claude-sonnet-4-5", "openai": "gpt-4.1"},
				Providers:    []string{"anthropic", "openai"},
				Order:        []string{"openai", "anthropic"},
				StreamBuffer: fallback.StreamBuffer{Chunks: 20},
			},
			{
				Name:         "slow",
				Models:       map[string]string{"local": "m1"},
				Providers:    []string{"local"},
				Order:        []string{"local"},
				StreamBuffer: fallback.StreamBuffer{For: 2 * time.Second},
			},
		},
	}
	if diff := cmp.Diff(want, EngineConfig(cfg)); diff != "" {
		t.Errorf("EngineConfig() mismatch (-want +got):\n%s", diff)
	}

	eng, _ := offlineEngine(t, cfg)
	chains := map[string][]fallback.Target{
		"fast":  {{Provider: "anthropic", Model: "claude-3-5-haiku-latest"}, {Provider: "openai", Model: "gpt-4.1-mini"}},
		"smart": {{Provider: "openai", Model: "gpt-4.1"}, {Provider: "anthropic", Model: "claude-sonnet-4-5"}},
		"slow":  {{Provider: "local", Model: "m1"}},
	}
	for name, want := range chains {
		got, err := eng.Chain(name)
		if err != nil {
			t.Fatalf("Chain(%s): %v", name, err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Chain(%s) mismatch (-want +got):\n%s", name, diff)
		}
	}
}

// Engine applies each adjustment, in order, before the engine is built.
func TestEngineAppliesAdjustments(t *testing.T) {
	cfg, _ := load(t, everyEngineKey)
	ps, _ := Providers(cfg, Options{Offline: true})
	eng, err := Engine(cfg, ps,
		func(c *fallback.Config) { c.Order = []string{"local"} },
		func(c *fallback.Config) { c.Order = append(c.Order, "openai") })
	if err != nil {
		t.Fatal(err)
	}
	got, _ := eng.Chain("fast")
	want := []fallback.Target{{Provider: "openai", Model: "gpt-4.1-mini"}, {Provider: "anthropic", Model: "claude-3-5-haiku-latest"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Chain(fast) under the adjusted order [local, openai] (-want +got):\n%s", diff)
	}
}

// The judge's identity in fingerprints is the judge that will grade: the
// judge category's chain, every panel member's chain, or the heuristic
// offline; never a mix of them.
func TestInputsIdentifyTheJudge(t *testing.T) {
	const providers = `providers:
  openai:    { type: openai, base_url: "https://gw.example/v1" }
  anthropic: { type: anthropic }
order: [openai, anthropic]
categories:
  fast:  { openai: gpt-4.1-mini, anthropic: claude-3-5-haiku-latest }
  smart: { anthropic: claude-sonnet-4-5, openai: gpt-4.1 }
`
	openaiLink := eval.LinkIdentity{Name: "openai", Type: "openai", BaseURL: "https://gw.example/v1"}
	anthropicLink := eval.LinkIdentity{Name: "anthropic", Type: "anthropic"}
	smartChain := []eval.JudgeLink{{Model: "gpt-4.1", Link: openaiLink}, {Model: "claude-sonnet-4-5", Link: anthropicLink}}
	tests := []struct {
		name    string
		judge   string
		offline bool
		want    eval.JudgeIdentity
	}{
		{"the judge category", "judge: { category: smart, threshold: 0.8 }\n", false,
			eval.JudgeIdentity{Chain: smartChain, Threshold: 0.8, DifferentProvider: true}},
		{"a panel", "judge: { panel: [smart, anthropic/claude-opus-4-1], min_agree: 2, different_provider: false }\n", false,
			eval.JudgeIdentity{Panel: [][]eval.JudgeLink{smartChain, {{Model: "claude-opus-4-1", Link: anthropicLink}}},
				MinAgree: 2, Threshold: 0.7}},
		{"offline", "judge: { category: smart, threshold: 0.8 }\n", true,
			eval.JudgeIdentity{Heuristic: true, Threshold: 0.8}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, _ := load(t, providers+tc.judge)
			eng, _ := offlineEngine(t, cfg)
			in := Inputs(cfg, eng, Options{Offline: tc.offline})
			if diff := cmp.Diff(tc.want, in.Judge); diff != "" {
				t.Errorf("Inputs().Judge mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// JudgeChains are the judges as the file orders their chains, for the
// comparison of a pull request's judge with its base's.
func TestJudgeChains(t *testing.T) {
	cfg, _ := load(t, everyEngineKey+"judge: { panel: [smart, local/m2, fast] }\n")
	got, err := JudgeChains(cfg)
	if err != nil {
		t.Fatal(err)
	}
	want := []JudgeChain{
		{Name: "smart", Chain: []fallback.Target{{Provider: "openai", Model: "gpt-4.1"}, {Provider: "anthropic", Model: "claude-sonnet-4-5"}}},
		{Name: "local/m2", Chain: []fallback.Target{{Provider: "local", Model: "m2"}}},
		{Name: "fast", Chain: []fallback.Target{{Provider: "anthropic", Model: "claude-3-5-haiku-latest"}, {Provider: "openai", Model: "gpt-4.1-mini"}}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("JudgeChains() mismatch (-want +got):\n%s", diff)
	}
}

// judgedPlan plans a one-test suite in category fast whose assertion needs
// the judge when judged, else a contains check.
func judgedPlan(t *testing.T, cfg *config.Config, eng *fallback.Engine, inputs eval.Inputs, judged bool) *eval.Plan {
	t.Helper()
	dir := t.TempDir()
	assert := "{type: contains, value: hi}"
	if judged {
		assert = "{type: judge, rubric: greets}"
	}
	suite := "name: p\ncategory: fast\nprompt: \"hi\"\ntests:\n  - name: t\n    assert: [" + assert + "]\n"
	if err := os.WriteFile(filepath.Join(dir, "p.yaml"), []byte(suite), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := eval.LoadSuite([]string{dir}, LoadOptions(cfg))
	if err != nil {
		t.Fatal(err)
	}
	plan, err := eval.NewPlan(s, PlanOptions(cfg, eng, inputs))
	if err != nil {
		t.Fatal(err)
	}
	return plan
}

// RunOptions builds the judge only for a plan that needs one, names it by
// the inputs' judge identity, passes on a failure to build it, and keeps
// the answer cache where EvalOptions.CacheDir says, else in the user's
// cache directory; NoCache keeps none.
func TestRunOptionsJudgeAndCache(t *testing.T) {
	userCache := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", userCache)
	cfg, _ := load(t, base)
	eng, ps := offlineEngine(t, cfg)
	inputs := Inputs(cfg, eng, Options{})
	heuristic := &judge.Heuristic{Threshold: 0.5}
	newJudge := func() (judge.Judge, error) { return heuristic, nil }

	cacheDir := filepath.Join(t.TempDir(), "answers")
	run, err := RunOptions(cfg, judgedPlan(t, cfg, eng, inputs, true), ps, newJudge, inputs, Options{}, EvalOptions{CacheDir: cacheDir})
	if err != nil {
		t.Fatal(err)
	}
	if run.Judge != heuristic || run.JudgeID != inputs.Judge.ID() || run.JudgeID == "" {
		t.Errorf("judge %v, id %q; want newJudge's, named %q", run.Judge, run.JudgeID, inputs.Judge.ID())
	}
	if run.Cache == nil {
		t.Error("no cache; want one in EvalOptions.CacheDir")
	}
	if _, err := os.Stat(cacheDir); err != nil {
		t.Errorf("cache directory: %v; want %s made", err, cacheDir)
	}
	if _, err := os.Stat(filepath.Join(userCache, "llmfall")); err == nil {
		t.Error("the user's cache directory was used despite EvalOptions.CacheDir")
	}

	run, err = RunOptions(cfg, judgedPlan(t, cfg, eng, inputs, false), ps, nil, inputs, Options{}, EvalOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if run.Judge != nil || run.JudgeID != "" || run.Cache == nil {
		t.Errorf("judge %v, id %q, cache %v; want no judge and the default cache", run.Judge, run.JudgeID, run.Cache)
	}
	if _, err := os.Stat(filepath.Join(userCache, "llmfall", "eval")); err != nil {
		t.Errorf("default cache directory: %v; want it made under the user's cache directory", err)
	}

	run, err = RunOptions(cfg, judgedPlan(t, cfg, eng, inputs, false), ps, nil, inputs, Options{}, EvalOptions{NoCache: true, CacheDir: cacheDir})
	if err != nil || run.Cache != nil {
		t.Errorf("NoCache: cache %v, error %v; want none", run.Cache, err)
	}

	// A cache that cannot be opened stops the run before any call.
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := RunOptions(cfg, judgedPlan(t, cfg, eng, inputs, false), ps, nil, inputs, Options{}, EvalOptions{CacheDir: filepath.Join(file, "answers")}); err == nil {
		t.Error("RunOptions() with a cache directory under a file: nil error; want the cache's")
	}

	broken := errors.New("judge: no key")
	_, err = RunOptions(cfg, judgedPlan(t, cfg, eng, inputs, true), ps, func() (judge.Judge, error) { return nil, broken }, inputs, Options{}, EvalOptions{NoCache: true})
	if !errors.Is(err, broken) {
		t.Errorf("RunOptions() error = %v; want the judge's %v", err, broken)
	}
}

// MissingKeys goes through every name: one repeated, unknown or needing
// no key does not end the check of those after it.
func TestMissingKeysChecksEveryName(t *testing.T) {
	cfg := &config.Config{Providers: []config.Provider{
		{Name: "local", Type: "sim"},
		{Name: "anthropic", Type: "anthropic", APIKeyEnv: []string{"TEST_ANTHROPIC_KEY"}},
		{Name: "openai", Type: "openai", APIKeyEnv: []string{"TEST_OPENAI_KEY"}},
		{Name: "gemini", Type: "gemini", APIKeyEnv: []string{"TEST_GEMINI_KEY", "TEST_GOOGLE_KEY"}},
		{Name: "gemini2", Type: "gemini", APIKeyEnv: []string{"TEST_GEMINI_KEY", "TEST_GOOGLE_KEY"}},
	}}
	env := map[string]string{"TEST_OPENAI_KEY": "sk-test", "TEST_GOOGLE_KEY": "g-test"}
	opts := Options{Getenv: func(k string) string { return env[k] }}
	err := MissingKeys(cfg, []string{"openai", "openai", "ghost", "local", "gemini", "anthropic"}, opts)
	want := `provider "anthropic" needs an API key: TEST_ANTHROPIC_KEY is not set`
	if err == nil || err.Error() != want {
		t.Errorf("MissingKeys() = %v; want %q", err, want)
	}
	delete(env, "TEST_GOOGLE_KEY")
	err = MissingKeys(cfg, []string{"gemini", "gemini", "local", "gemini2"}, opts)
	want = `provider "gemini" needs an API key: TEST_GEMINI_KEY or TEST_GOOGLE_KEY is not set` + "\n" +
		`provider "gemini2" needs an API key: TEST_GEMINI_KEY or TEST_GOOGLE_KEY is not set`
	if err == nil || err.Error() != want {
		t.Errorf("MissingKeys() = %v; want %q", err, want)
	}
}

// EvalProviders are the plan's providers, then the judge's when an
// assertion needs the judge: the keys MissingKeys checks before a run.
func TestEvalProvidersAddTheJudgesWhenJudged(t *testing.T) {
	cfg, _ := load(t, everyEngineKey+"judge: { panel: [slow, openai/gpt-4.1] }\n")
	eng, _ := offlineEngine(t, cfg)
	inputs := Inputs(cfg, eng, Options{})
	for _, tc := range []struct {
		judged bool
		want   []string
	}{
		{false, []string{"anthropic", "openai"}},
		{true, []string{"anthropic", "openai", "local", "openai"}},
	} {
		got := EvalProviders(cfg, eng, judgedPlan(t, cfg, eng, inputs, tc.judged))
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("EvalProviders(judged %t) mismatch (-want +got):\n%s", tc.judged, diff)
		}
	}
}
