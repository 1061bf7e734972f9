package setup_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/llmfall/llmfall/eval"
	"github.com/llmfall/llmfall/fallback"
	"github.com/llmfall/llmfall/judge"
	"github.com/llmfall/llmfall/provider"
	"github.com/llmfall/llmfall/setup"
)

// A service builds its engine from llmfall.yaml and re-reads the file on
// SIGHUP. Offline here, so that the example needs no keys.
func Example() {
	dir, _ := os.MkdirTemp("", "llmfall-example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "llmfall.yaml")
	os.WriteFile(path, []byte(`providers:
  openai:    { type: openai }
  anthropic: { type: anthropic }
order: [openai, anthropic]
categories:
  fast: { openai: gpt-4.1-mini, anthropic: claude-3-5-haiku-latest }
`), 0o644)

	opts := setup.Options{Getenv: os.Getenv, Offline: true}
	cfg, err := setup.Load(path, opts)
	if err != nil {
		fmt.Println(err)
		return
	}
	providers, err := setup.Providers(cfg, opts)
	if err != nil {
		fmt.Println(err)
		return
	}
	engine, err := setup.Engine(cfg, providers)
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	reloader := &setup.Reloader{Path: path, Engine: engine, Options: opts}
	go reloader.Run(ctx) // reloads on every SIGHUP until ctx ends

	res, err := engine.Complete(ctx, &fallback.Request{Category: "fast", Request: provider.Request{
		Messages: []provider.Message{{Role: provider.RoleUser, Content: "Order 1182 arrived broken"}}}})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Target, res.Attempts[0].Outcome)
	// Output: openai/gpt-4.1-mini ok
}

// A service runs eval as `llmfall eval` does, with setup's wiring and no
// code of the command line: load the suite, plan it on the chains, check
// keys, run, gate. Offline here, so that the example needs no keys.
func Example_eval() {
	dir, _ := os.MkdirTemp("", "llmfall-example")
	defer os.RemoveAll(dir)
	os.WriteFile(filepath.Join(dir, "llmfall.yaml"), []byte(`providers:
  openai:    { type: openai }
  anthropic: { type: anthropic }
order: [openai, anthropic]
categories:
  fast: { openai: gpt-4.1-mini, anthropic: claude-3-5-haiku-latest }
`), 0o644)
	os.WriteFile(filepath.Join(dir, "greet.yaml"), []byte(`name: greet
category: fast
prompt: "Say hello to {{.name}}"
tests:
  - vars: { name: Ada }
    assert: [{ type: not-contains, value: "I cannot" }]
`), 0o644)

	opts := setup.Options{Getenv: os.Getenv, Offline: true}
	cfg, err := setup.Load(filepath.Join(dir, "llmfall.yaml"), opts)
	if err != nil {
		fmt.Println(err)
		return
	}
	suite, err := eval.LoadSuite([]string{filepath.Join(dir, "greet.yaml")}, setup.LoadOptions(cfg))
	if err != nil {
		fmt.Println(err)
		return
	}
	providers, err := setup.Providers(cfg, opts)
	if err != nil {
		fmt.Println(err)
		return
	}
	engine, err := setup.Engine(cfg, providers)
	if err != nil {
		fmt.Println(err)
		return
	}
	inputs := setup.Inputs(cfg, engine, opts)
	plan, err := eval.NewPlan(suite, setup.PlanOptions(cfg, engine, inputs))
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := setup.MissingKeys(cfg, setup.EvalProviders(cfg, engine, plan), opts); err != nil {
		fmt.Println(err)
		return
	}
	newJudge := func() (judge.Judge, error) { return setup.Judge(cfg, engine, providers, opts) }
	run, err := setup.RunOptions(cfg, plan, providers, newJudge, inputs, opts, setup.EvalOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	rs, err := eval.Run(context.Background(), plan, run)
	if err != nil {
		fmt.Println(err)
		return
	}
	gate := eval.Gate(rs, setup.GateOptions(cfg, suite))
	fmt.Println(len(plan.Cases), "cases, gate passed:", gate.Pass)
	// Output: 2 cases, gate passed: true
}
