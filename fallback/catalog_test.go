package fallback

import (
	"context"
	"slices"
	"testing"

	"github.com/llmfall/llmfall/provider"
	"github.com/llmfall/llmfall/provider/sim"
)

func TestCategoriesAndStreamTarget(t *testing.T) {
	providers := map[string]provider.Provider{"a": sim.New(sim.Config{Name: "a"}), "b": sim.New(sim.Config{Name: "b"})}
	e, err := New(Config{Order: []string{"b", "a"}, Categories: []Category{
		{Name: "smart", Models: map[string]string{"a": "a-large"}},
		{Name: "fast", Models: map[string]string{"a": "a-small", "b": "b-small"}},
	}}, providers)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := e.Categories(), []string{"fast", "smart"}; !slices.Equal(got, want) {
		t.Errorf("Categories() = %v; want %v", got, want)
	}
	s, err := e.Stream(context.Background(), &Request{Category: "fast", Request: provider.Request{Messages: []provider.Message{{Role: provider.RoleUser, Content: "hi"}}}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := s.Target(); got != (Target{}) {
		t.Errorf("Target() before the first token = %v; want zero", got)
	}
	if !s.Next() {
		t.Fatalf("no first token: %v", s.Err())
	}
	if got, want := s.Target(), (Target{Provider: "b", Model: "b-small"}); got != want {
		t.Errorf("Target() = %v; want %v", got, want)
	}
}
