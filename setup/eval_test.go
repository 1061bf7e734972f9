package setup

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/llmfall/llmfall/config"
	"github.com/llmfall/llmfall/eval"
	"github.com/llmfall/llmfall/judge"
	"github.com/llmfall/llmfall/provider"
	"github.com/llmfall/llmfall/provider/sim"
)

// TestLinkIdentityKeepsNoCredential: a credential header's value decides
// nothing a fingerprint must see, and not even its hash is written out.
func TestLinkIdentityKeepsNoCredential(t *testing.T) {
	p := config.Provider{Name: "gw", Type: "openai", BaseURL: "https://gw.example/v1",
		Headers: map[string]string{"Authorization": "Bearer sk-secret-123", "X-Team": "billing"}}
	got := linkIdentity(p, false)
	want := map[string]string{"Authorization": "(credential)", "X-Team": "billing"}
	if diff := cmp.Diff(want, got.Headers); diff != "" {
		t.Errorf("headers (-want +got):\n%s", diff)
	}
	if p.Headers["Authorization"] != "Bearer sk-secret-123" {
		t.Error("linkIdentity changed the config's headers")
	}
}

// MissingKeys names the variable of each keyless provider once, and
// nothing offline.
func TestMissingKeys(t *testing.T) {
	cfg := &config.Config{Providers: []config.Provider{
		{Name: "openai", Type: "openai", APIKeyEnv: []string{"TEST_OPENAI_KEY"}},
		{Name: "anthropic", Type: "anthropic", APIKeyEnv: []string{"TEST_ANTHROPIC_KEY", "TEST_CLAUDE_KEY"}},
		{Name: "local", Type: "sim"},
	}}
	env := map[string]string{"TEST_OPENAI_KEY": "sk-test"}
	opts := Options{Getenv: func(k string) string { return env[k] }}
	err := MissingKeys(cfg, []string{"openai", "anthropic", "local", "anthropic"}, opts)
	want := `provider "anthropic" needs an API key: TEST_ANTHROPIC_KEY or TEST_CLAUDE_KEY is not set`
	if err == nil || err.Error() != want {
		t.Errorf("MissingKeys() = %v; want %q", err, want)
	}
	opts.Offline = true
	if err := MissingKeys(cfg, []string{"anthropic"}, opts); err != nil {
		t.Errorf("offline: MissingKeys() = %v; want nil", err)
	}
}

// RunOptions gives each provider its own concurrency, else the file's
// eval.concurrency, and EvalOptions.Concurrency over both; it builds no
// judge for a plan without judged assertions and keeps no cache offline.
func TestRunOptionsLimits(t *testing.T) {
	cfg := &config.Config{
		Providers: []config.Provider{
			{Name: "openai", Type: "openai", Concurrency: 2, RPM: 60},
			{Name: "anthropic", Type: "anthropic"},
		},
		Eval: config.Eval{Concurrency: 4},
	}
	noJudge := func() (judge.Judge, error) {
		t.Error("the judge was built for a plan that needs none")
		return nil, nil
	}
	tests := []struct {
		name string
		eo   EvalOptions
		want map[string]eval.Limit
	}{
		{"the file's", EvalOptions{}, map[string]eval.Limit{"openai": {Concurrency: 2, RPM: 60}, "anthropic": {Concurrency: 4}}},
		{"-j", EvalOptions{Concurrency: 1}, map[string]eval.Limit{"openai": {Concurrency: 1, RPM: 60}, "anthropic": {Concurrency: 1}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			run, err := RunOptions(cfg, &eval.Plan{}, nil, noJudge, eval.Inputs{}, Options{Offline: true}, tc.eo)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, run.Limits); diff != "" {
				t.Errorf("limits (-want +got):\n%s", diff)
			}
			if run.Cache != nil || run.Judge != nil || !run.Offline {
				t.Errorf("cache %v, judge %v, offline %v; want no cache, no judge, offline", run.Cache, run.Judge, run.Offline)
			}
		})
	}
}

// The judge's negative controls and the paired gate live in the file:
// RunOptions and GateOptions carry them, so that eval (and a service
// embedding it) runs the canaries and gates as configured.
func TestRunAndGateOptionsCarryCanariesAndPairedGate(t *testing.T) {
	cfg := &config.Config{
		Judge: config.Judge{Canaries: 3, CanaryPolicy: eval.CanaryFail},
		Eval:  config.Eval{Concurrency: 4, Gate: eval.GatePaired, Alpha: 0.01, MinPassRate: 0.9},
	}
	run, err := RunOptions(cfg, &eval.Plan{}, nil, nil, eval.Inputs{}, Options{Offline: true}, EvalOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if run.Canaries != 3 || run.CanaryPolicy != eval.CanaryFail || run.Concurrency != 4 {
		t.Errorf("run options: canaries %d, policy %q, concurrency %d; want 3, %q, 4", run.Canaries, run.CanaryPolicy, run.Concurrency, eval.CanaryFail)
	}
	g := GateOptions(cfg, &eval.Suite{})
	if !g.Paired || g.Alpha != 0.01 || g.CanaryPolicy != eval.CanaryFail || g.MinPassRate != 0.9 {
		t.Errorf("gate options = %+v; want paired at α 0.01, canary policy %q, min pass rate 0.9", g, eval.CanaryFail)
	}
}

// ServeProviders are every category's chain's providers: a gateway's key
// check covers each link a client can reach.
func TestServeProviders(t *testing.T) {
	cfg, err := Parse("llmfall.yaml", []byte(`providers:
  openai:    { type: openai }
  anthropic: { type: anthropic }
  gemini:    { type: gemini }
order: [openai, anthropic, gemini]
categories:
  fast:  { openai: gpt-4.1-mini, anthropic: claude-3-5-haiku-latest }
  smart: { gemini: gemini-2.5-pro, anthropic: claude-sonnet-4-5, order: [gemini, anthropic] }
`), Options{})
	if err != nil {
		t.Fatal(err)
	}
	providers, err := Providers(cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	eng, err := Engine(cfg, providers)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"openai", "anthropic", "gemini", "anthropic"}, ServeProviders(eng)); diff != "" {
		t.Errorf("ServeProviders (-want +got):\n%s", diff)
	}
}

// A provider of any simulated type is identified by the simulator's
// settings, as the type registry decides, not by the type's name.
func TestInputsIdentifySimulatedTypesByTheRegistry(t *testing.T) {
	types := provider.Types{
		{Name: "replay", Simulated: true, New: func(provider.Settings) provider.Provider { return nil }},
		{Name: "openai", New: func(provider.Settings) provider.Provider { return nil }},
	}
	cfg := &config.Config{Providers: []config.Provider{
		{Name: "recorded", Type: "replay", Sim: provider.Simulation{ErrorRate: 0.5}},
		{Name: "real", Type: "openai", BaseURL: "https://api.example/v1"},
	}, Categories: []config.Category{{Name: "smart", Models: map[string]string{"real": "m"}, Providers: []string{"real"}}}}
	cfg.Judge.Category = "smart"
	eng, err := Engine(cfg, map[string]provider.Provider{"recorded": sim.New(sim.Config{}), "real": sim.New(sim.Config{})})
	if err != nil {
		t.Fatal(err)
	}
	in := Inputs(cfg, eng, Options{Types: types})
	if got := in.Links["recorded"]; got.Type != "sim" || got.Settings == "" || got.BaseURL != "" {
		t.Errorf("recorded link identity = %+v; want the simulator's, with its settings", got)
	}
	if got := in.Links["real"]; got.Type != "openai" || got.Settings != "" || got.BaseURL != "https://api.example/v1" {
		t.Errorf("real link identity = %+v; want its type and endpoint", got)
	}
}
