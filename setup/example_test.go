package setup_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/llmfall/llmfall/fallback"
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
