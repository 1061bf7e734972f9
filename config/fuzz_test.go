package config

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/llmfall/llmfall/provider/registry"
)

// FuzzParse checks that no input panics and that every outcome keeps Parse's
// promises: a config that passes validation is usable, and a failure is a
// list of *Error values in line order.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.yaml")
	bad, _ := filepath.Glob("testdata/bad/*.yaml")
	for _, p := range append(files, bad...) {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("a: &a [*a]"))
	f.Add([]byte("providers: {o: &x {type: sim}, p: *x}\ncategories: {c: {o: m, p: *x}}"))
	f.Add([]byte("providers: {o: {type: openai, <<: {rpm: 1}}}"))

	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse(FileName, data, registry.Types())
		if err != nil {
			if cfg != nil {
				t.Fatalf("Parse() = %+v, %v; want nil config with an error", cfg, err)
			}
			checkErrors(t, err)
			return
		}
		checkConfig(t, cfg)
	})
}

func checkErrors(t *testing.T, err error) {
	errs := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	}
	last := 0
	for _, e := range errs {
		var ce *Error
		if !errors.As(e, &ce) || ce.File != FileName || ce.Msg == "" {
			t.Fatalf("error %q (%T) is not a *config.Error for %s with a message", e, e, FileName)
		}
		if ce.Line < last {
			t.Fatalf("errors out of line order: %v", err)
		}
		last = ce.Line
	}
}

func checkConfig(t *testing.T, cfg *Config) {
	if len(cfg.Providers) == 0 || len(cfg.Categories) == 0 {
		t.Fatalf("valid config without providers or categories: %+v", cfg)
	}
	for _, p := range cfg.Providers {
		if !slices.Contains(registry.Types().Names(), p.Type) {
			t.Fatalf("provider %q has type %q", p.Name, p.Type)
		}
	}
	for _, name := range cfg.Order {
		if _, ok := cfg.Provider(name); !ok {
			t.Fatalf("order names undefined provider %q", name)
		}
	}
	for _, c := range cfg.Categories {
		if len(c.Providers) == 0 || len(c.Models) != len(c.Providers) {
			t.Fatalf("category %q: providers %q, models %q", c.Name, c.Providers, c.Models)
		}
		for _, p := range append(slices.Clone(c.Providers), c.Order...) {
			if _, ok := cfg.Provider(p); !ok || c.Models[p] == "" {
				t.Fatalf("category %q lists %q without a provider or model", c.Name, p)
			}
		}
		if c.Timeouts.Attempt < 0 || c.Timeouts.FirstToken < 0 || c.Timeouts.Idle < 0 || c.Timeouts.Total < 0 {
			t.Fatalf("category %q has negative timeouts %+v", c.Name, c.Timeouts)
		}
	}
	if _, ok := cfg.Category(cfg.Judge.Category); !ok {
		t.Fatalf("judge category %q is not defined", cfg.Judge.Category)
	}
}
