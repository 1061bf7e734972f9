package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/llmfall/llmfall/provider"
	"github.com/llmfall/llmfall/provider/registry"
)

func parseFile(t *testing.T, rel string) (*Config, error) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", rel))
	if err != nil {
		t.Fatal(err)
	}
	return Parse(FileName, data, registry.Types())
}

// ignoreSet leaves Has's record out of whole-Config comparisons; tests of
// Has check it directly.
var ignoreSet = cmpopts.IgnoreUnexported(Config{})

func TestParseDesignExample(t *testing.T) {
	// A key in the environment must not leak into the config: Load never
	// reads it.
	t.Setenv("OPENAI_API_KEY", "sk-proj-mustnotberead")
	got, err := parseFile(t, "example.yaml")
	if err != nil {
		t.Fatalf("Parse() error = %v", err)
	}
	want := &Config{
		Path: FileName,
		Providers: []Provider{
			{Name: "openai", Type: "openai", APIKeyEnv: []string{"OPENAI_API_KEY"}, Line: 4},
			{Name: "anthropic", Type: "anthropic", APIKeyEnv: []string{"ANTHROPIC_API_KEY"}, Line: 5},
			{Name: "gemini", Type: "gemini", APIKeyEnv: []string{"GEMINI_API_KEY", "GOOGLE_API_KEY"}, Line: 6},
			{Name: "local", Type: "openai", BaseURL: "http://127.0.0.1:11434/v1", Line: 7},
		},
		Order: []string{"openai", "anthropic", "gemini"},
		Categories: []Category{
			{
				Name:      "fast",
				Models:    map[string]string{"openai": "gpt-4.1-mini", "anthropic": "claude-3-5-haiku-latest", "gemini": "gemini-2.5-flash"},
				Providers: []string{"openai", "anthropic", "gemini"},
				Line:      10,
			},
			{
				Name:      "smart",
				Models:    map[string]string{"openai": "gpt-4.1", "anthropic": "claude-sonnet-4-5", "gemini": "gemini-2.5-pro"},
				Providers: []string{"openai", "anthropic", "gemini"},
				Order:     []string{"anthropic", "openai", "gemini"},
				Line:      11,
			},
		},
		Timeouts: Timeouts{Attempt: 60 * time.Second, FirstToken: 15 * time.Second, Idle: 30 * time.Second, Total: 120 * time.Second},
		Judge:    Judge{Category: "smart", DifferentProvider: true},
		Eval:     Eval{ChainDepth: 2, Concurrency: 8, MinPassRate: 0.9},
		Pricing:  map[string]Price{},
	}
	if diff := cmp.Diff(want, got, ignoreSet); diff != "" {
		t.Errorf("Parse() mismatch (-want +got):\n%s", diff)
	}
}

func TestParseDefaults(t *testing.T) {
	got, err := parseFile(t, "minimal.yaml")
	if err != nil {
		t.Fatalf("Parse() error = %v", err)
	}
	want := &Config{
		Path: FileName,
		Providers: []Provider{
			// The trailing slash goes: adapters append their paths to it.
			{Name: "local", Type: "openai", BaseURL: "http://localhost:8080/v1", Line: 2},
		},
		Order: []string{"local"},
		Categories: []Category{{
			Name:      "chat",
			Models:    map[string]string{"local": "llama3.2"},
			Providers: []string{"local"},
			Line:      4,
		}},
		// No "smart" category: the judge uses the first one. Everything
		// else is left unset, to the packages' own defaults: config
		// repeats none of them.
		Judge:   Judge{Category: "chat"},
		Pricing: map[string]Price{},
	}
	if diff := cmp.Diff(want, got, ignoreSet); diff != "" {
		t.Errorf("Parse() mismatch (-want +got):\n%s", diff)
	}
	for _, key := range []string{"judge.threshold", "judge.different_provider", "eval.retries", "eval.min_pass_rate"} {
		if got.Has(key) {
			t.Errorf("Has(%q) = true for a file that leaves it out", key)
		}
	}
}

func TestParseEveryKey(t *testing.T) {
	got, err := parseFile(t, "full.yaml")
	if err != nil {
		t.Fatalf("Parse() error = %v", err)
	}
	global := Timeouts{Attempt: 30 * time.Second, FirstToken: 5 * time.Second, Idle: 10 * time.Second, Total: 90 * time.Second}
	want := &Config{
		Path: FileName,
		Providers: []Provider{
			{
				Name: "primary", Type: "anthropic", BaseURL: "https://llm-gateway.internal.example",
				APIKeyEnv:   []string{"GATEWAY_KEY", "ANTHROPIC_API_KEY"},
				Headers:     map[string]string{"X-Team": "search", "anthropic-beta": "prompt-caching-2024-07-31"},
				Concurrency: 4, RPM: 50, Line: 3,
			},
			{Name: "backup", Type: "gemini", APIKeyEnv: []string{"GEMINI_API_KEY", "GOOGLE_API_KEY"}, Line: 12},
			{
				Name: "chaos", Type: "sim", Line: 15,
				Sim: provider.Simulation{
					Latency: 1500 * time.Millisecond, FirstToken: 200 * time.Millisecond,
					TokensPerSecond: 80, ErrorRate: 0.25, HangRate: 0.05,
					ErrorClasses: []provider.Class{provider.ClassRateLimited, provider.ClassOverloaded, provider.ClassServer},
					Seed:         -7,
				},
			},
		},
		Order: []string{"backup"},
		Categories: []Category{
			{
				Name:      "fast",
				Models:    map[string]string{"primary": "claude-haiku-4-5", "backup": "gemini-2.5-flash-lite", "chaos": "sim-fast"},
				Providers: []string{"primary", "backup", "chaos"},
				// attempt and total from the category; the engine
				// inherits the rest from the global timeouts.
				Timeouts:   Timeouts{Attempt: 20 * time.Second, Total: 45 * time.Second},
				HedgeAfter: 2 * time.Second,
				Line:       26,
			},
			{
				Name:      "deep",
				Models:    map[string]string{"chaos": "sim-deep", "primary": "claude-opus-4-1"},
				Providers: []string{"chaos", "primary"},
				Order:     []string{"primary", "chaos"},
				Line:      32,
			},
			{
				Name:      "smart",
				Models:    map[string]string{"primary": "claude-sonnet-4-5", "backup": "gemini-2.5-pro"},
				Providers: []string{"primary", "backup"},
				Line:      36,
			},
		},
		Timeouts: global,
		Fallback: Fallback{Retries: 2, RetryBackoff: 500 * time.Millisecond, RetryAfterMaxWait: 5 * time.Second, OnContentFilter: true, BreakerFailures: 3, BreakerCooldown: time.Minute, BreakerMinCooldown: 5 * time.Second},
		Judge: Judge{Category: "deep", DifferentProvider: false, Threshold: 0.8,
			Panel: []string{"deep", "backup/other-model"}, MinAgree: 2, Canaries: 0, CanaryPolicy: "warn"},
		Eval: Eval{ChainDepth: 3, Concurrency: 2, MinPassRate: 0.95, MaxRegression: 0.05, Repeat: 3, Retries: 0,
			Gate: "paired", Alpha: 0.01},
		Pricing: map[string]Price{
			"claude-haiku-4-5": {Input: 0.9, Output: 4.5},
			"sim-fast":         {Input: 0, Output: 0},
		},
		State: State{Redis: "rediss://:hunter2@cache.internal:6380/1", KeyPrefix: "llmfall-prod"},
	}
	if diff := cmp.Diff(want, got, ignoreSet); diff != "" {
		t.Errorf("Parse() mismatch (-want +got):\n%s", diff)
	}
	if got, want := got.State.RedisRedacted(), "rediss://:xxxxx@cache.internal:6380/1"; got != want {
		t.Errorf("State.RedisRedacted() = %q; want %q", got, want)
	}
	// Zero and false set in the file are told from unset.
	for _, key := range []string{"judge.different_provider", "judge.canaries", "eval.retries", "fallback.retries"} {
		if !got.Has(key) {
			t.Errorf("Has(%q) = false; want true: the file sets it", key)
		}
	}
}

// messages splits a joined error into its messages, checking that each is
// a *Error for the file.
func messages(t *testing.T, err error) []string {
	t.Helper()
	var errs []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	} else {
		errs = []error{err}
	}
	var out []string
	for _, e := range errs {
		var ce *Error
		if !errors.As(e, &ce) {
			t.Errorf("error %q is %T; want *config.Error", e, e)
		} else if ce.File != FileName {
			t.Errorf("error %q names file %q; want %q", e, ce.File, FileName)
		}
		out = append(out, e.Error())
	}
	return out
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		file string
		want []string
	}{
		// A name with "/" reads as provider/model where a request or
		// judge.panel names a category, and the judge's chain took it so: a
		// category "o/fast" judged with provider o's model "fast".
		{"category_names", []string{
			`llmfall.yaml:4: categories: name "o/fast" must not hold "/": a request, judge.category or judge.panel reads a name with "/" as provider/model`,
			`llmfall.yaml:5: categories: a category name must not be empty`,
			`llmfall.yaml:6: categories: a category name must not be empty`,
		}},
		{"comments_only", []string{
			`llmfall.yaml: the file is empty: define providers and categories, e.g. providers: {openai: {type: openai}} and categories: {fast: {openai: gpt-4.1-mini}}`,
		}},
		{"duplicates", []string{
			`llmfall.yaml:4: providers: mapping key "openai" already defined at line 2`,
			`llmfall.yaml:7: categories: mapping key "fast" already defined at line 6`,
			`llmfall.yaml:10: categories.smart: mapping key "openai" already defined at line 9`,
			`llmfall.yaml:13: mapping key "timeouts" already defined at line 11`,
		}},
		{"durations", []string{
			`llmfall.yaml:4: categories.fast.hedge_after: must not be negative, got -1s`,
			`llmfall.yaml:6: fallback.retry_backoff: must be positive, got 0s`,
			`llmfall.yaml:7: fallback.breaker_cooldown: 30 has no unit (use e.g. 60s, 1m30s)`,
			`llmfall.yaml:9: timeouts.attempt: "sixty" is not a duration (use e.g. 60s, 1m30s)`,
			`llmfall.yaml:10: timeouts.idle: 90 has no unit (use e.g. 60s, 1m30s)`,
			`llmfall.yaml:11: timeouts.total: must not be negative, got -5s`,
			`llmfall.yaml:12: timeouts.first_token: must be a duration such as 60s or 1m30s, got a list`,
		}},
		{"empty", []string{
			`llmfall.yaml: the file is empty: define providers and categories, e.g. providers: {openai: {type: openai}} and categories: {fast: {openai: gpt-4.1-mini}}`,
		}},
		{"empty_models", []string{
			`llmfall.yaml:5: categories.none: no models (map providers to models, e.g. openai: MODEL)`,
			`llmfall.yaml:6: categories.null: no models (map providers to models, e.g. openai: MODEL)`,
			`llmfall.yaml:7: categories.only_settings: no models (map providers to models, e.g. openai: MODEL)`,
			`llmfall.yaml:9: categories.blanks.openai: must be a model name, got an empty string`,
			`llmfall.yaml:10: categories.blanks.anthropic: must be a model name, got nothing`,
			`llmfall.yaml:11: categories.nested.openai: must be a model name, got a mapping`,
		}},
		{"empty_sections", []string{
			`llmfall.yaml:1: providers: no providers defined (add e.g. openai: {type: openai})`,
			`llmfall.yaml:2: categories: no categories defined (add e.g. fast: {openai: MODEL})`,
			`llmfall.yaml:3: order: is empty (list provider names, or remove it to use the file order)`,
		}},
		{"judge_eval", []string{
			`llmfall.yaml:6: judge.different_provider: "yes please" is not true or false`,
			`llmfall.yaml:6: judge.threshold: must be between 0 and 1, got 1.2`,
			`llmfall.yaml:6: judge.category: "smrat" is not a defined category (did you mean "smart"?)`,
			`llmfall.yaml:8: eval.chain_depth: must be at least 1, got 0`,
			`llmfall.yaml:9: eval.concurrency: must be at least 1, got -1`,
			`llmfall.yaml:10: eval.min_pass_rate: "90%" is not a number (write a fraction: 0.9)`,
			`llmfall.yaml:11: eval.max_regression: must be between 0 and 1, got -0.1`,
			`llmfall.yaml:12: eval.repeat: "many" is not a whole number`,
			`llmfall.yaml:13: eval.retries: must not be negative, got -1`,
		}},
		// An alias reaching a bad value twice is reported once, even with
		// another problem of the line between; keys that are not plain
		// names; a long value shortened in the message.
		{"odd_keys", []string{
			`llmfall.yaml:2: providers.openai.text_only: must be a model name, got an empty string`,
			`llmfall.yaml:2: providers.openai.text_only: must be a model name, got a list`,
			`llmfall.yaml:3: providers: keys must be plain names, got a list`,
			`llmfall.yaml:5: providers: merge keys (<<) are not supported; write the keys out`,
			`llmfall.yaml:8: eval.gate: "a-gate-name-that-is-much-longer-than-for…" is not rate or paired`,
			`llmfall.yaml:9: judge.canary_policy: "a-policy-name-of-exactly-forty-runes-xyz" is not fail or warn`,
		}},
		// min_agree counts a panel's votes: without a panel it would do
		// nothing.
		{"min_agree", []string{
			`llmfall.yaml:7: judge.min_agree: applies to a judge panel; remove it or add a panel, e.g. panel: [smart, fast]`,
		}},
		// A bad judge listed again is reported once, as it was the first
		// time: it never joins the panel.
		{"panel", []string{
			`llmfall.yaml:6: judge.panel: "smrat" is neither a category nor provider/model (did you mean "smart"?)`,
			`llmfall.yaml:6: judge.panel: "mistral/large": "mistral" is not a defined provider (defined providers: openai, anthropic)`,
			`llmfall.yaml:6: judge.panel: "anthropic/": want provider/model, e.g. anthropic/MODEL`,
			`llmfall.yaml:6: judge.panel: "smart" is listed twice`,
			`llmfall.yaml:6: judge.min_agree: is 9 but the panel has 8 judges`,
			`llmfall.yaml:8: judge.canaries: must not be negative, got -1`,
			`llmfall.yaml:9: judge.canary_policy: "loud" is not fail or warn`,
			`llmfall.yaml:10: eval.gate: "pairwise" is not rate or paired`,
			`llmfall.yaml:10: eval.alpha: must be between 0 and 1, got 2`,
		}},
		{"keys_and_headers", []string{
			`llmfall.yaml:4: providers.openai.api_key_env: looks like an API key itself: put the key in an environment variable and name the variable here (e.g. OPENAI_API_KEY)`,
			`llmfall.yaml:6: providers.openai.headers.Authorization: a header value must be one line without control characters`,
			`llmfall.yaml:7: providers.openai.headers: "bad header" is not a valid header name`,
			`llmfall.yaml:9: providers.openai.headers: header "X-Team" is also defined as "x-team" (header names ignore case)`,
			`llmfall.yaml:10: providers.openai.headers.X-Empty: must be a header value, got nothing`,
			// net/http refuses to send a control character but a tab: every
			// call would fail with "invalid header field value".
			`llmfall.yaml:11: providers.openai.headers.X-Escape: a header value must be one line without control characters`,
			`llmfall.yaml:12: providers.openai.headers.X-Delete: a header value must be one line without control characters`,
			`llmfall.yaml:14: providers.openai.headers.X-List: must be a header value, got a list`,
			`llmfall.yaml:18: providers.gemini.api_key_env: must name an environment variable (letters, digits and '_', e.g. OPENAI_API_KEY), not hold the key`,
			`llmfall.yaml:18: providers.gemini.api_key_env: must name an environment variable, got a mapping`,
			`llmfall.yaml:19: providers.gemini.rpm: "[REDACTED]" is not a whole number`,
		}},
		{"names", []string{
			`llmfall.yaml:2: providers: "order" is reserved for category settings; give the provider another name`,
			`llmfall.yaml:3: providers: name "my provider" may hold only letters, digits, '-', '_' and '.', and must start with a letter or digit`,
			`llmfall.yaml:4: providers: name "-dash" may hold only letters, digits, '-', '_' and '.', and must start with a letter or digit`,
		}},
		{"no_categories", []string{
			`llmfall.yaml: no categories defined (add e.g. categories: {fast: {local: MODEL}})`,
		}},
		{"no_providers", []string{
			`llmfall.yaml: no providers defined (add e.g. providers: {openai: {type: openai}})`,
		}},
		{"serve", []string{
			`llmfall.yaml:6: serve.keys_env: looks like an API key itself: put the key in an environment variable and name the variable here (e.g. OPENAI_API_KEY)`,
			`llmfall.yaml:7: serve.admin_keys_env: must name an environment variable (letters, digits and '_', e.g. OPENAI_API_KEY), not hold the key`,
			`llmfall.yaml:8: serve.max_body_bytes: must be at least 1, got 0`,
			`llmfall.yaml:9: serve.max_concurrent: "lots" is not a whole number`,
			`llmfall.yaml:10: serve.drain: "forever" is not a duration (use e.g. 60s, 1m30s)`,
			`llmfall.yaml:11: serve: unknown key "port" (valid keys: keys_env, admin_keys_env, max_body_bytes, max_concurrent, drain)`,
		}},
		{"state", []string{
			`llmfall.yaml:6: state.redis: http://:xxxxx@cache:6379 is not a Redis URL go-redis can use: invalid URL scheme: http (e.g. redis://127.0.0.1:6379/0, rediss://:PASSWORD@cache.internal:6380, unix:///run/redis.sock)`,
			`llmfall.yaml:7: state.key_prefix: must be letters, digits, '_', '.' or '-' (e.g. llmfall-prod), got "llm fall"`,
			`llmfall.yaml:8: state: unknown key "ttl" (valid keys: redis, key_prefix)`,
		}},
		{"pricing", []string{
			`llmfall.yaml:6: pricing.gpt-4.1-mini: missing output (USD per 1M tokens)`,
			`llmfall.yaml:7: pricing.my-model.input: must not be negative, got -1`,
			`llmfall.yaml:7: pricing.my-model.output: "cheap" is not a number`,
			`llmfall.yaml:8: pricing.other: unknown key "currency" (valid keys: input, output)`,
			`llmfall.yaml:9: pricing: a model name must not be empty`,
			`llmfall.yaml:10: pricing.empty: missing input and output (USD per 1M tokens, e.g. {input: 0.4, output: 1.6})`,
		}},
		{"provider_fields", []string{
			`llmfall.yaml:4: providers.openai.concurrency: must not be negative, got -1`,
			`llmfall.yaml:5: providers.openai.rpm: "1.5" is not a whole number`,
			`llmfall.yaml:6: providers.openai.base_url: must be an http:// or https:// URL with a host, e.g. http://127.0.0.1:11434/v1`,
			`llmfall.yaml:7: providers.anthropic.base_url: is the host root for anthropic (e.g. https://api.anthropic.com): the adapter appends /v1/messages`,
			`llmfall.yaml:8: providers.gemini.base_url: is the host root for gemini (e.g. https://generativelanguage.googleapis.com): the adapter appends /v1beta/models/{model}:generateContent`,
			`llmfall.yaml:9: providers.groq.base_url: ends at the API root for openai (e.g. https://api.openai.com/v1): the adapter appends /chat/completions`,
			`llmfall.yaml:10: providers.proxy.base_url: must not have a query or fragment: the adapter appends its own path`,
			`llmfall.yaml:11: providers.ftp.base_url: must be an http:// or https:// URL with a host, e.g. http://127.0.0.1:11434/v1`,
			`llmfall.yaml:12: providers.hostless.base_url: must be an http:// or https:// URL with a host, e.g. http://127.0.0.1:11434/v1`,
			`llmfall.yaml:13: providers.spaced.base_url: must be an http:// or https:// URL with a host, e.g. http://127.0.0.1:11434/v1`,
			`llmfall.yaml:14: providers.unset.base_url: must be a URL, got nothing`,
		}},
		{"provider_type", []string{
			`llmfall.yaml:2: providers.openai.type: unknown provider type "opnai" (did you mean "openai"? valid types: openai, anthropic, gemini, sim)`,
			`llmfall.yaml:3: providers.claude: missing type (one of openai, anthropic, gemini, sim)`,
			`llmfall.yaml:4: providers.azure.type: unknown provider type "azure" (valid types: openai, anthropic, gemini, sim)`,
			`llmfall.yaml:5: providers.ollama: missing type (one of openai, anthropic, gemini, sim)`,
			`llmfall.yaml:6: providers.bare.type: must be a provider type, got an empty string`,
		}},
		{"quoted", []string{
			`llmfall.yaml:2: providers.openai.rpm: "60" is not a whole number (remove the quotes)`,
			`llmfall.yaml:5: judge.threshold: "0.7" is not a number (remove the quotes)`,
			`llmfall.yaml:5: judge.different_provider: "true" is not true or false (remove the quotes)`,
			// yaml.v3 reads YAML 1.1's yes and no into a bool, quoted or not.
			`llmfall.yaml:6: fallback.on_content_filter: "no" is not true or false (remove the quotes)`,
		}},
		{"references", []string{
			`llmfall.yaml:5: order: "antropic" is not a defined provider (did you mean "anthropic"?)`,
			`llmfall.yaml:5: order: "openai" is listed twice`,
			`llmfall.yaml:5: order: "mistral" is not a defined provider (defined providers: openai, anthropic, gemini)`,
			`llmfall.yaml:8: categories.fast: "opneai" is not a defined provider (did you mean "openai"?)`,
			`llmfall.yaml:10: categories.fast: "mistral" is not a defined provider (defined providers: openai, anthropic, gemini)`,
			`llmfall.yaml:11: categories.fast: unknown key "hedge_afer" (did you mean "hedge_after"?)`,
			`llmfall.yaml:15: categories.smart.order: "gemini" has no model in category "smart" (add one or drop it from the order)`,
			`llmfall.yaml:15: categories.smart.order: "anthropic" is listed twice`,
		}},
		{"shapes", []string{
			`llmfall.yaml:2: providers: must be a mapping of keys to values, got a list`,
			`llmfall.yaml:4: order: must be a list of provider names, e.g. [openai, anthropic], got "openai"`,
			`llmfall.yaml:6: categories.fast: must be a mapping of keys to values, got "gpt-4.1-mini"`,
			`llmfall.yaml:7: timeouts: must be a mapping of keys to values, got "60s"`,
			`llmfall.yaml:8: pricing: must be a mapping of keys to values, got a list`,
		}},
		{"sim_keys", []string{
			`llmfall.yaml:2: providers.openai.latency: only valid for type sim (this provider is type openai)`,
			`llmfall.yaml:2: providers.openai.seed: only valid for type sim (this provider is type openai)`,
			`llmfall.yaml:3: providers.gemini: unknown key "laetncy" (valid keys: type, base_url, api_key_env, headers, concurrency, rpm, text_only)`,
			`llmfall.yaml:6: providers.chaos: unknown key "eror_rate" (did you mean "error_rate"?)`,
			`llmfall.yaml:7: providers.chaos.error_rate: must be between 0 and 1, got 1.5`,
			`llmfall.yaml:8: providers.chaos.hang_rate: must be between 0 and 1, got -0.1`,
			`llmfall.yaml:9: providers.chaos.tokens_per_second: must not be negative, got -3`,
			`llmfall.yaml:10: providers.chaos.error_classes: unknown error class "ratelimited" (did you mean "rate_limited"? valid classes: rate_limited, overloaded, server, timeout, network, auth, not_found, invalid_request, context_length, content_filter, malformed, cancelled, unknown, unsupported)`,
			`llmfall.yaml:10: providers.chaos.error_classes: unknown error class "teapot" (valid classes: rate_limited, overloaded, server, timeout, network, auth, not_found, invalid_request, context_length, content_filter, malformed, cancelled, unknown, unsupported)`,
			`llmfall.yaml:11: providers.chaos.seed: "lucky" is not a whole number`,
		}},
		{"stream_buffer", []string{
			`llmfall.yaml:4: categories.none.stream_buffer: must be at least 1 chunk, got 0 (leave it out to stream at once)`,
			`llmfall.yaml:5: categories.negative.stream_buffer: must be at least 1 chunk, got -3 (leave it out to stream at once)`,
			`llmfall.yaml:6: categories.instant.stream_buffer: "0s" is not whole, a number of chunks or a positive duration (e.g. whole, 20, 2s)`,
			`llmfall.yaml:7: categories.soon.stream_buffer: "soon" is not whole, a number of chunks or a positive duration (e.g. whole, 20, 2s)`,
			`llmfall.yaml:8: categories.listed.stream_buffer: must be whole, a number of chunks or a duration such as 2s, got a list`,
		}},
		{"tabs", []string{
			`llmfall.yaml:4: found character that cannot start any token (indent with spaces, not tabs)`,
		}},
		{"top_list", []string{
			`llmfall.yaml:1: the top level must be a mapping of settings (providers, categories, ...), got a list`,
		}},
		{"two_docs", []string{
			`llmfall.yaml:5: a second YAML document starts here; llmfall.yaml holds one document (remove the ---)`,
		}},
		{"unclosed", []string{
			`llmfall.yaml:4: did not find expected ',' or ']'`,
		}},
		{"unknown_key", []string{
			`llmfall.yaml:6: unknown key "timeoutz" (did you mean "timeouts"?)`,
			`llmfall.yaml:7: unknown key "fallbak" (did you mean "fallback"?)`,
			`llmfall.yaml:8: eval: unknown key "chain_depht" (did you mean "chain_depth"?)`,
			`llmfall.yaml:8: eval: unknown key "conccurency" (did you mean "concurrency"?)`,
			`llmfall.yaml:9: judge: unknown key "categroy" (did you mean "category"?)`,
			`llmfall.yaml:10: unknown key "colour" (valid keys: providers, order, categories, timeouts, fallback, judge, eval, pricing, serve, state)`,
		}},
		{"unreachable", []string{
			`llmfall.yaml:8: categories.offline: none of its providers (local) is in the order [openai, anthropic]; add one to order or give the category its own order`,
		}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			cfg, err := parseFile(t, "bad/"+tc.file+".yaml")
			if err == nil {
				t.Fatalf("Parse() = %+v, nil; want errors", cfg)
			}
			if cfg != nil {
				t.Errorf("Parse() config = %+v; want nil with an error", cfg)
			}
			if diff := cmp.Diff(tc.want, messages(t, err)); diff != "" {
				t.Errorf("Parse() messages mismatch (-want +got):\n%s", diff)
			}
			// The joined error reads as one message per line, in line order.
			if got, want := err.Error(), strings.Join(tc.want, "\n"); got != want {
				t.Errorf("Error() = %q; want %q", got, want)
			}
		})
	}
}

func TestEveryBadFileHasACase(t *testing.T) {
	files, err := filepath.Glob("testdata/bad/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("Glob() = %v, %v; want files", files, err)
	}
	src, err := os.ReadFile("config_test.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".yaml")
		if !strings.Contains(string(src), `{"`+name+`", []string{`) {
			t.Errorf("testdata/bad/%s.yaml has no case in TestParseErrors", name)
		}
	}
}

// TestNoKeyInMessages puts keys where a user might paste them by mistake:
// no message may repeat one.
func TestNoKeyInMessages(t *testing.T) {
	keys := []string{
		"sk-proj-Zx81kQ2mN4pL7vR9tY3w",
		"AIzaSyD3xK9mP2qL5nR8tV1wY4zB7cE0fG6hJ",
		"hunter2-password",
	}
	tests := []struct {
		name string
		yaml string
	}{
		{"bad files", ""}, // every file under testdata/bad
		{"key as env name", "providers: {o: {type: openai, api_key_env: " + keys[0] + "}}"},
		{"key in env list", "providers: {o: {type: openai, api_key_env: [OK, " + keys[1] + "]}}"},
		{"key in a number", "providers: {o: {type: openai, rpm: " + keys[0] + "}}"},
		{"key in a duration", "timeouts: {attempt: " + keys[1] + "}"},
		{"key in a header", "providers: {o: {type: openai, headers: {Authorization: [Bearer, " + keys[0] + "]}}}"},
		{"secret in a header with a newline", "providers: {o: {type: openai, headers: {X-Auth: \"" + keys[2] + "\\n\"}}}"},
		{"credentials in base_url", "providers: {o: {type: anthropic, base_url: \"https://me:" + keys[2] + "@gw.example/v1\"}}"},
		{"password in a bad Redis URL", "state: {redis: \"redis://:" + keys[2] + "@cache/0/1\"}"},
		{"password in an unparseable Redis URL", "state: {redis: \"redis://:" + keys[2] + "@cache:port\"}"},
		{"password in the Redis URL's query", "state: {redis: \"redis://cache?password=" + keys[2] + "\"}"},
		{"secret in a bad base_url", "providers: {o: {type: openai, base_url: \"" + keys[2] + "\"}}"},
		{"key as a type", "providers: {o: {type: " + keys[1] + "}}"},
		{"key as a key", "providers: {o: {type: openai, " + keys[0] + ": 1}}"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			inputs := [][]byte{[]byte(tc.yaml + "\ncategories: {fast: {o: m}}\n")}
			if tc.yaml == "" {
				files, _ := filepath.Glob("testdata/bad/*.yaml")
				inputs = nil
				for _, f := range files {
					data, err := os.ReadFile(f)
					if err != nil {
						t.Fatal(err)
					}
					inputs = append(inputs, data)
				}
			}
			for _, in := range inputs {
				_, err := Parse(FileName, in, registry.Types())
				if err == nil {
					t.Fatalf("Parse(%q) succeeded; want an error", in)
				}
				for _, k := range keys {
					if strings.Contains(err.Error(), k) {
						t.Errorf("Parse() error %q contains the secret %q", err, k)
					}
				}
			}
		})
	}
}

func TestParseAcceptsEdgeValues(t *testing.T) {
	tests := []struct {
		name  string
		extra string
		check func(t *testing.T, c *Config)
	}{
		{"hedge_after 0s turns hedging off", "categories: {fast: {o: m, hedge_after: 0s}}", func(t *testing.T, c *Config) {
			if got := c.Categories[0].HedgeAfter; got != 0 {
				t.Errorf("HedgeAfter = %v; want 0", got)
			}
		}},
		{"stream_buffer whole, chunks or a duration", "categories: {fast: {o: m, stream_buffer: whole}, smart: {o: m, stream_buffer: 20}, slow: {o: m, stream_buffer: 2s}}", func(t *testing.T, c *Config) {
			got := []StreamBuffer{c.Categories[0].StreamBuffer, c.Categories[1].StreamBuffer, c.Categories[2].StreamBuffer}
			want := []StreamBuffer{{Whole: true}, {Chunks: 20}, {For: 2 * time.Second}}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("StreamBuffer (-want +got):\n%s", diff)
			}
		}},
		{`base_url "" keeps the adapter's`, `providers: {o: {type: openai, base_url: ""}}`, func(t *testing.T, c *Config) {
			if got := c.Providers[0].BaseURL; got != "" {
				t.Errorf("BaseURL = %q; want \"\"", got)
			}
		}},
		{"api_key_env null means none", "providers: {o: {type: openai, api_key_env: }}", func(t *testing.T, c *Config) {
			if got := c.Providers[0].APIKeyEnv; got != nil {
				t.Errorf("APIKeyEnv = %q; want nil", got)
			}
		}},
		{"api_key_env replaces the default", "providers: {o: {type: gemini, api_key_env: MY_GEMINI}}", func(t *testing.T, c *Config) {
			if diff := cmp.Diff([]string{"MY_GEMINI"}, c.Providers[0].APIKeyEnv); diff != "" {
				t.Errorf("APIKeyEnv mismatch (-want +got):\n%s", diff)
			}
		}},
		{"sim has no key", "providers: {o: {type: sim}}", func(t *testing.T, c *Config) {
			if got := c.Providers[0].APIKeyEnv; got != nil {
				t.Errorf("APIKeyEnv = %q; want nil", got)
			}
		}},
		{"rates at the bounds", "providers: {o: {type: sim, error_rate: 1, hang_rate: 0}}\njudge: {threshold: 0}\neval: {min_pass_rate: 0, max_regression: 1}", func(t *testing.T, c *Config) {
			if c.Providers[0].Sim.ErrorRate != 1 || c.Judge.Threshold != 0 || c.Eval.MinPassRate != 0 || c.Eval.MaxRegression != 1 {
				t.Errorf("got %+v, %+v, %+v; want the bounds kept", c.Providers[0].Sim, c.Judge, c.Eval)
			}
		}},
		{"yaml anchors", "providers: {o: &p {type: openai}, p: *p}\ncategories: {fast: {o: m, p: m}}", func(t *testing.T, c *Config) {
			if len(c.Providers) != 2 || c.Providers[1].Type != "openai" {
				t.Errorf("Providers = %+v; want two openai providers", c.Providers)
			}
		}},
		{"yes and no without quotes", "judge: {different_provider: no}\nfallback: {on_content_filter: yes}", func(t *testing.T, c *Config) {
			if c.Judge.DifferentProvider || !c.Fallback.OnContentFilter {
				t.Errorf("DifferentProvider, OnContentFilter = %v, %v; want false, true", c.Judge.DifferentProvider, c.Fallback.OnContentFilter)
			}
		}},
		{"a partial order puts the others after it", "providers: {o: {type: openai}, p: {type: gemini}}\norder: [p]\ncategories: {fast: {o: m, p: m}}", func(t *testing.T, c *Config) {
			if diff := cmp.Diff([]string{"p"}, c.Order); diff != "" {
				t.Errorf("Order mismatch (-want +got):\n%s", diff)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := tc.extra
			if !strings.Contains(src, "providers:") {
				src += "\nproviders: {o: {type: openai}}"
			}
			if !strings.Contains(src, "categories:") {
				src += "\ncategories: {fast: {o: m}}"
			}
			c, err := Parse(FileName, []byte(src), registry.Types())
			if err != nil {
				t.Fatalf("Parse() error = %v", err)
			}
			tc.check(t, c)
		})
	}
}

func TestLookups(t *testing.T) {
	c, err := parseFile(t, "example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if p, ok := c.Provider("gemini"); !ok || p.Type != "gemini" {
		t.Errorf("Provider(gemini) = %+v, %v; want the gemini provider", p, ok)
	}
	if p, ok := c.Provider("mistral"); ok {
		t.Errorf("Provider(mistral) = %+v, true; want false", p)
	}
	if cat, ok := c.Category("smart"); !ok || cat.Models["anthropic"] != "claude-sonnet-4-5" {
		t.Errorf("Category(smart) = %+v, %v; want the smart category", cat, ok)
	}
	if cat, ok := c.Category("cheap"); ok {
		t.Errorf("Category(cheap) = %+v, true; want false", cat)
	}
}

func TestAPIKey(t *testing.T) {
	env := map[string]string{"GOOGLE_API_KEY": "google-key", "GEMINI_API_KEY": "", "GATEWAY_KEY": "gw-key"}
	getenv := func(k string) string { return env[k] }
	tests := []struct {
		name             string
		yaml             string
		wantKey, wantEnv string
	}{
		{"default list, first empty", "{type: gemini}", "google-key", "GOOGLE_API_KEY"},
		{"default unset", "{type: openai}", "", ""},
		{"named variable", "{type: openai, api_key_env: GATEWAY_KEY}", "gw-key", "GATEWAY_KEY"},
		{"list in order", "{type: openai, api_key_env: [MISSING, GATEWAY_KEY, GOOGLE_API_KEY]}", "gw-key", "GATEWAY_KEY"},
		{"empty means no key", "{type: openai, base_url: \"http://127.0.0.1:11434/v1\", api_key_env: \"\"}", "", ""},
		{"sim needs none", "{type: sim}", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse(FileName, []byte("providers: {p: "+tc.yaml+"}\ncategories: {fast: {p: m}}\n"), registry.Types())
			if err != nil {
				t.Fatalf("Parse() error = %v", err)
			}
			key, name := c.Providers[0].APIKey(getenv)
			if key != tc.wantKey || name != tc.wantEnv {
				t.Errorf("APIKey() = %q, %q; want %q, %q", key, name, tc.wantKey, tc.wantEnv)
			}
		})
	}
}

func TestFind(t *testing.T) {
	root := t.TempDir()
	deep := filepath.Join(root, "a", "b", "c")
	mid := filepath.Join(root, "a")
	if err := os.MkdirAll(deep, 0o755); err != nil {
		t.Fatal(err)
	}
	// A directory of that name is not a config file.
	if err := os.Mkdir(filepath.Join(root, "a", "b", FileName), 0o755); err != nil {
		t.Fatal(err)
	}

	// Nothing anywhere under root: the error says where it looked and what to do.
	_, err := Find(deep)
	if err == nil {
		t.Skip("a llmfall.yaml exists above the temporary directory")
	}
	var ce *Error
	if !errors.As(err, &ce) || !errors.Is(err, ErrNotFound) {
		t.Errorf("Find() error = %#v; want a *config.Error wrapping ErrNotFound", err)
	}
	want := "llmfall.yaml: not found in " + deep + " or any parent directory (create llmfall.yaml or pass --config)"
	if err.Error() != want {
		t.Errorf("Find() error = %q; want %q", err, want)
	}

	write := func(dir string) string {
		p := filepath.Join(dir, FileName)
		if err := os.WriteFile(p, []byte("providers: {}\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	rootFile := write(root)
	for _, dir := range []string{deep, mid, root} {
		if got, err := Find(dir); err != nil || got != rootFile {
			t.Errorf("Find(%s) = %q, %v; want %q", dir, got, err, rootFile)
		}
	}
	midFile := write(mid)
	if got, err := Find(deep); err != nil || got != midFile {
		t.Errorf("Find(deep) = %q, %v; want the nearest, %q", got, err, midFile)
	}
}

// A directory on the way up that cannot be checked stops Find with the
// reason, naming the path: skipping it could pick another project's file.
// A path through a regular file is one every user can make (root reads
// unreadable directories).
func TestFindStopsAtAnUncheckableDirectory(t *testing.T) {
	file := filepath.Join(t.TempDir(), "notes.txt")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := Find(filepath.Join(file, "sub"))
	want := filepath.Join(file, "sub", FileName) + ": cannot check for a config file: not a directory"
	if err == nil || err.Error() != want {
		t.Fatalf("Find() = %q, %v; want the error %q", got, err, want)
	}
	var ce *Error
	if !errors.As(err, &ce) || !errors.Is(err, syscall.ENOTDIR) || errors.Is(err, ErrNotFound) {
		t.Errorf("Find() error = %#v; want a *config.Error wrapping ENOTDIR, not ErrNotFound", err)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "team.yaml")
	if err := os.WriteFile(path, []byte("providers: {o: {type: openai}}\ncategories: {fast: {o: m}}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path, registry.Types())
	if err != nil {
		t.Fatalf("Load() error = %v", err)
	}
	if c.Path != path {
		t.Errorf("Path = %q; want %q", c.Path, path)
	}

	// Messages name the file as it was given.
	if err := os.WriteFile(path, []byte("providers: {o: {type: openai}}\ncategories: {fast: {o: m}}\ntimeoutz: {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Load(path, registry.Types())
	if want := path + `:3: unknown key "timeoutz" (did you mean "timeouts"?)`; err == nil || err.Error() != want {
		t.Errorf("Load() error = %v; want %q", err, want)
	}

	missing := filepath.Join(dir, "nope.yaml")
	_, err = Load(missing, registry.Types())
	var ce *Error
	if !errors.As(err, &ce) || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load(missing, registry.Types()) error = %#v; want a *config.Error wrapping fs.ErrNotExist", err)
	}
	want := missing + ": cannot read config: no such file or directory (create llmfall.yaml or pass --config with an existing file)"
	if err == nil || err.Error() != want {
		t.Errorf("Load(missing, registry.Types()) error = %v; want %q", err, want)
	}
}

func TestErrorString(t *testing.T) {
	tests := []struct {
		err  *Error
		want string
	}{
		{&Error{File: "llmfall.yaml", Line: 6, Msg: "bad"}, "llmfall.yaml:6: bad"},
		{&Error{File: "conf/llmfall.yaml", Msg: "no providers defined"}, "conf/llmfall.yaml: no providers defined"},
	}
	for _, tc := range tests {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("Error() = %q; want %q", got, tc.want)
		}
	}
}

func TestSuggest(t *testing.T) {
	keys := []string{"providers", "order", "categories", "timeouts", "fallback", "judge", "eval", "pricing"}
	tests := []struct {
		got, want string
	}{
		{"timeoutz", "timeouts"},
		{"Timeouts", "timeouts"},     // case
		{"catgeories", "categories"}, // swapped neighbours
		{"provider", "providers"},
		{"ordr", "order"},
		{"time", "timeouts"},   // a prefix
		{"evaluation", "eval"}, // has a key as its prefix
		{"colour", ""},
		{"x", ""},
		{"", ""},
	}
	for _, tc := range tests {
		got, ok := suggest(tc.got, keys)
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("suggest(%q) = %q, %v; want %q", tc.got, got, ok, tc.want)
		}
	}
}
