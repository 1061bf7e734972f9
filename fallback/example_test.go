package fallback_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/llmfall/llmfall/fallback"
	"github.com/llmfall/llmfall/provider"
)

// echo stands in for a real adapter: it answers with its name and model, or
// fails with a 503 when down.
type echo struct {
	name string
	down bool
}

var _ provider.Provider = (*echo)(nil)

func (p *echo) Complete(ctx context.Context, req *provider.Request) (*provider.Response, error) {
	if p.down {
		return nil, &provider.Error{Provider: p.name, Status: 503, Class: provider.ClassOverloaded, Message: "overloaded"}
	}
	return &provider.Response{Text: "hello from " + req.Model, FinishReason: provider.FinishStop, Model: req.Model}, nil
}

func (p *echo) Stream(ctx context.Context, req *provider.Request) (provider.Stream, error) {
	return nil, errors.New("echo does not stream")
}

func ExampleEngine_Complete() {
	cfg := fallback.Config{
		Order: []string{"openai", "anthropic"},
		Categories: []fallback.Category{{
			Name:   "fast",
			Models: map[string]string{"openai": "gpt-4.1-mini", "anthropic": "claude-3-5-haiku-latest"},
		}},
	}
	engine, err := fallback.New(cfg, map[string]provider.Provider{
		"openai":    &echo{name: "openai", down: true},
		"anthropic": &echo{name: "anthropic"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := engine.Complete(context.Background(), &fallback.Request{
		Category: "fast",
		Request:  provider.Request{Messages: []provider.Message{{Role: provider.RoleUser, Content: "hi"}}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Response.Text)
	for _, a := range res.Attempts {
		if a.Err != nil {
			fmt.Println(a.Target, a.Outcome, a.Class)
			continue
		}
		fmt.Println(a.Target, a.Outcome)
	}
	// Output:
	// hello from claude-3-5-haiku-latest
	// openai/gpt-4.1-mini error overloaded
	// anthropic/claude-3-5-haiku-latest ok
}

func ExampleEngine_SetOrder() {
	cfg := fallback.Config{
		Order: []string{"openai", "anthropic", "gemini"},
		Categories: []fallback.Category{{
			Name:      "fast",
			Models:    map[string]string{"openai": "gpt-4.1-mini", "anthropic": "claude-3-5-haiku-latest", "gemini": "gemini-2.5-flash"},
			Providers: []string{"openai", "anthropic", "gemini"},
		}},
	}
	engine, err := fallback.New(cfg, map[string]provider.Provider{
		"openai": &echo{name: "openai"}, "anthropic": &echo{name: "anthropic"}, "gemini": &echo{name: "gemini"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	// OpenAI is having a bad day: move it to the back of every chain.
	if err := engine.SetOrder("", []string{"anthropic", "gemini"}); err != nil {
		fmt.Println(err)
		return
	}
	chain, _ := engine.Chain("fast")
	fmt.Println(chain)
	// Output:
	// [anthropic/claude-3-5-haiku-latest gemini/gemini-2.5-flash openai/gpt-4.1-mini]
}
