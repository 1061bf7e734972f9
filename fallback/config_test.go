package fallback

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/llmfall/llmfall/provider"
)

func TestResolveChain(t *testing.T) {
	models := map[string]string{"openai": "gpt-4.1-mini", "anthropic": "claude-3-5-haiku-latest", "gemini": "gemini-2.5-flash"}
	tests := []struct {
		name   string
		cat    Category
		global []string
		want   []string
	}{
		{"global order", Category{Models: models, Providers: []string{"openai", "anthropic", "gemini"}},
			[]string{"gemini", "openai", "anthropic"}, []string{"gemini", "openai", "anthropic"}},
		{"category order wins", Category{Models: models, Providers: []string{"openai", "anthropic", "gemini"}, Order: []string{"anthropic"}},
			[]string{"gemini", "openai"}, []string{"anthropic", "openai", "gemini"}},
		{"order names a provider without a model", Category{Models: models, Providers: []string{"openai", "anthropic", "gemini"}},
			[]string{"local", "gemini"}, []string{"gemini", "openai", "anthropic"}},
		{"rest in listing order", Category{Models: models, Providers: []string{"gemini", "anthropic", "openai"}},
			[]string{"openai"}, []string{"openai", "gemini", "anthropic"}},
		{"no listing: sorted names", Category{Models: models}, nil, []string{"anthropic", "gemini", "openai"}},
		{"an empty listing is none", Category{Models: models, Providers: []string{}}, nil, []string{"anthropic", "gemini", "openai"}},
		{"duplicates once", Category{Models: models, Providers: []string{"openai", "anthropic", "gemini"}},
			[]string{"gemini", "gemini"}, []string{"gemini", "openai", "anthropic"}},
		{"a provider with an empty model is left out", Category{Models: map[string]string{"openai": "gpt-4.1-mini", "local": "", "gemini": "gemini-2.5-flash"}},
			[]string{"local", "gemini"}, []string{"gemini", "openai"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, tg := range ResolveChain(tc.cat, tc.global) {
				if tg.Model != models[tg.Provider] {
					t.Errorf("target %v has the wrong model", tg)
				}
				got = append(got, tg.Provider)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ResolveChain (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	cfg := Config{
		Order: []string{"a", "zz", "a"},
		Categories: []Category{
			{Name: "fast", Models: map[string]string{"a": "a-mini", "yy": "m"}},
			{Name: "fast", Models: map[string]string{"a": ""}, Order: []string{"xx"}},
			{Name: "", Models: nil, HedgeAfter: -time.Second},
		},
		Retries: -1,
	}
	_, err := New(cfg, providers(newFake("a")))
	if err == nil {
		t.Fatal("New() error = nil; want the problems listed")
	}
	for _, want := range []string{
		`order: unknown provider "zz"`,
		`order: provider "a" listed twice`,
		`category fast: unknown provider "yy"`,
		`category fast: defined twice`,
		`category fast: empty model for provider "a"`,
		`category fast: order: unknown provider "xx"`,
		`categories[2]: empty name`,
		`categories[2]: no models`,
		`negative hedge_after`,
		`negative retries`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("New() error = %q; want it to contain %q", err, want)
		}
	}
}

// TestNewRejectsEachNegativeDuration: a negative retry backoff, Retry-After
// wait or breaker cool-down is refused on its own, not only when the others
// are negative too.
func TestNewRejectsEachNegativeDuration(t *testing.T) {
	for name, set := range map[string]func(*Config){
		"retry_backoff":        func(c *Config) { c.RetryBackoff = -time.Second },
		"retry_after_max_wait": func(c *Config) { c.RetryAfterMaxWait = -time.Second },
		"breaker_cooldown":     func(c *Config) { c.BreakerCooldown = -time.Second },
		"breaker min cooldown": func(c *Config) { c.BreakerMinCooldown = -time.Second },
	} {
		cfg := testConfig()
		set(&cfg)
		_, err := New(cfg, providers(newFake("a"), newFake("b"), newFake("c")))
		if err == nil || !strings.Contains(err.Error(), "negative retry_backoff, retry_after_max_wait, breaker_cooldown or breaker minimum cool-down") {
			t.Errorf("New() with a negative %s: error = %v; want it refused", name, err)
		}
	}
}

func chainOf(t *testing.T, e *Engine, category string) []string {
	t.Helper()
	chain, err := e.Chain(category)
	if err != nil {
		t.Fatalf("Chain(%q) error = %v", category, err)
	}
	var out []string
	for _, tg := range chain {
		out = append(out, tg.Provider)
	}
	return out
}

func TestSetOrderPrecedence(t *testing.T) {
	cfg := testConfig()
	cfg.Categories = append(cfg.Categories, Category{
		Name: "smart", Models: map[string]string{"a": "a-big", "b": "b-sonnet", "c": "c-pro"},
		Providers: []string{"a", "b", "c"}, Order: []string{"b"},
	})
	e := mustNew(t, cfg, newFake("a"), newFake("b"), newFake("c"))
	steps := []struct {
		name      string
		category  string
		order     []string
		fast      []string
		smart     []string
		wantError bool
	}{
		{"configured", "", []string{"a", "b", "c"}, []string{"a", "b", "c"}, []string{"b", "a", "c"}, false},
		{"global override", "", []string{"c"}, []string{"c", "a", "b"}, []string{"b", "a", "c"}, false},
		{"category override beats its order", "smart", []string{"c", "a"}, []string{"c", "a", "b"}, []string{"c", "a", "b"}, false},
		{"clear category override", "smart", nil, []string{"c", "a", "b"}, []string{"b", "a", "c"}, false},
		{"clear global override", "", nil, []string{"a", "b", "c"}, []string{"b", "a", "c"}, false},
		{"unknown provider", "", []string{"a", "zz"}, []string{"a", "b", "c"}, []string{"b", "a", "c"}, true},
		{"unknown category", "huge", []string{"a"}, []string{"a", "b", "c"}, []string{"b", "a", "c"}, true},
	}
	for _, st := range steps {
		err := e.SetOrder(st.category, st.order)
		if (err != nil) != st.wantError {
			t.Fatalf("%s: SetOrder() error = %v; want error %v", st.name, err, st.wantError)
		}
		if diff := cmp.Diff(st.fast, chainOf(t, e, "fast")); diff != "" {
			t.Errorf("%s: fast chain (-want +got):\n%s", st.name, diff)
		}
		if diff := cmp.Diff(st.smart, chainOf(t, e, "smart")); diff != "" {
			t.Errorf("%s: smart chain (-want +got):\n%s", st.name, diff)
		}
	}
	if _, err := e.Chain("huge"); err == nil {
		t.Errorf("Chain(unknown) error = nil; want an error")
	}
}

func TestSetOrderRoutesCalls(t *testing.T) {
	e := mustNew(t, testConfig(), newFake("a"), newFake("b"), newFake("c"))
	if err := e.SetOrder("fast", []string{"c"}); err != nil {
		t.Fatal(err)
	}
	res, err := e.Complete(context.Background(), userRequest("fast"))
	if err != nil {
		t.Fatal(err)
	}
	if res.Target.Provider != "c" {
		t.Errorf("served by %v; want c after SetOrder", res.Target)
	}
}

func TestReloadKeepsBreakersAndOverrides(t *testing.T) {
	clock := newClock()
	cfg := testConfig()
	cfg.Clock = clock
	cfg.BreakerFailures = 1
	a := newFake("a", step{err: perr("a", provider.ClassServer)})
	e := mustNew(t, cfg, a, newFake("b"), newFake("c"))
	if _, err := e.Complete(context.Background(), userRequest("fast")); err != nil {
		t.Fatal(err)
	}
	if err := e.SetOrder("fast", []string{"a", "c"}); err != nil {
		t.Fatal(err)
	}

	next := testConfig()
	next.Clock = clock
	next.BreakerFailures = 1
	next.Categories[0].Models["b"] = "b-sonnet" // b's target changes
	next.Categories = append(next.Categories, Category{Name: "smart", Models: map[string]string{"b": "b-opus"}})
	if err := e.Reload(next, providers(a, newFake("b"), newFake("c"))); err != nil {
		t.Fatalf("Reload() error = %v", err)
	}
	if s, _ := e.Breaker(Target{Provider: "a", Model: "a-mini"}); s != StateOpen {
		t.Errorf("after Reload Breaker(a) = %v; want still open", s)
	}
	if diff := cmp.Diff([]string{"a", "c", "b"}, chainOf(t, e, "fast")); diff != "" {
		t.Errorf("fast chain after Reload (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"b"}, chainOf(t, e, "smart")); diff != "" {
		t.Errorf("smart chain after Reload (-want +got):\n%s", diff)
	}

	bad := testConfig()
	bad.Categories[0].Models["zz"] = "m"
	if err := e.Reload(bad, providers(a, newFake("b"), newFake("c"))); err == nil {
		t.Fatal("Reload(bad) error = nil; want an error")
	}
	if _, err := e.Chain("smart"); err != nil {
		t.Errorf("after a failed Reload Chain(smart) error = %v; want the old config kept", err)
	}
}

// TestReloadKeepsAdaptiveLimits: a reload (SIGHUP) keeps what the engine
// learned of a link's capacity: a link under an adaptive limit after 429s
// is not flooded again because the configuration file was re-read.
func TestReloadKeepsAdaptiveLimits(t *testing.T) {
	a := newFake("a")
	e := mustNew(t, testConfig(), a, newFake("b"), newFake("c"))
	lim := e.state.Load().limiters[targetA]
	// Two requests in flight, one refused: the limit is 1, and one is
	// still in flight.
	lim.acquire()
	lim.acquire()
	lim.release(provider.ClassRateLimited)
	if err := e.Reload(testConfig(), providers(a, newFake("b"), newFake("c"))); err != nil {
		t.Fatal(err)
	}
	res, err := e.Complete(context.Background(), userRequest("fast"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"a:skipped:rate_limited", "b:ok"}, outcomes(res.Attempts)); diff != "" {
		t.Errorf("attempts after the reload, a at its limit (-want +got):\n%s", diff)
	}
}

// TestRequestWithoutChainOrCategory: a request naming neither a category
// nor a chain is refused with an error that says so.
func TestRequestWithoutChainOrCategory(t *testing.T) {
	e := mustNew(t, testConfig(), newFake("a"), newFake("b"), newFake("c"))
	for _, m := range modes {
		_, _, err := m.run(e, context.Background(), userRequest(""))
		if err == nil || err.Error() != "fallback: request names neither a category nor a chain" {
			t.Errorf("%s: err = %v; want the request named neither a category nor a chain", m.name, err)
		}
	}
}

// A library caller that builds Providers as an empty, non-nil list (make,
// or a list filtered down to nothing) means no particular listing, as nil
// does: the category's models are its chain, not no chain at all.
func TestEmptyProvidersListingIsNoListing(t *testing.T) {
	cfg := Config{Categories: []Category{{Name: "fast", Models: map[string]string{"b": "b-haiku", "a": "a-mini"}, Providers: []string{}}}}
	e := mustNew(t, cfg, newFake("a"), newFake("b"))
	for _, m := range modes {
		_, res, err := m.run(e, context.Background(), userRequest("fast"))
		if err != nil {
			t.Fatalf("%s: err = %v; want the category's models called", m.name, err)
		}
		if got := outcomes(res.Attempts); len(got) != 1 || !strings.HasPrefix(got[0], "a:") {
			t.Errorf("%s: attempts = %v; want one, on a (the sorted names)", m.name, got)
		}
	}
}
