package fallback

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/llmfall/llmfall/clock"
	"github.com/llmfall/llmfall/provider"
)

// Defaults applied where a Config field is zero.
const (
	DefaultBreakerFailures    = 5
	DefaultBreakerCooldown    = 30 * time.Second
	DefaultBreakerMinCooldown = time.Second
)

// Config is everything the engine needs, mapped one to one from llmfall.yaml
// by the caller (this package knows nothing of the file). The zero value of
// every field is usable; what it means is documented on the field.
type Config struct {
	// Order is the global provider order. A category without its own
	// order uses it.
	Order []string
	// Categories are the groups of equivalent models; names must be unique.
	Categories []Category
	// Timeouts apply to every category unless it or the call overrides
	// them. Zero fields mean no limit.
	Timeouts Timeouts
	// Retries is how many times a link is retried after a fast transient
	// error (see CheckRetry) before the engine moves on. 0 moves on at once.
	// A timeout is never retried on the same link.
	Retries int
	// RetryBackoff is the wait before the first retry, doubled for each
	// further retry and jittered (see Backoff). 0 retries at once.
	RetryBackoff time.Duration
	// RetryAfterMaxWait is the longest Retry-After (of a 429 or 503) that
	// is waited out on the same link, within the total timeout, before the
	// chain moves on; a longer one moves on at once. 0 moves on at once.
	RetryAfterMaxWait time.Duration
	// CheckRetry decides which errors are retried on the same link; nil
	// means provider.DefaultCheckRetry.
	CheckRetry provider.CheckRetry
	// Backoff computes the wait before a retry; nil means
	// provider.DefaultBackoff.
	Backoff provider.Backoff
	// Rand jitters the backoff: Rand(n) is uniform in [0, n). nil means
	// math/rand/v2's Int64N. It must be safe for concurrent use.
	Rand func(n int64) int64
	// OnContentFilter makes a content_filter refusal fall back to the next
	// link; by default it is returned to the caller.
	OnContentFilter bool
	// BreakerFailures is how many consecutive failures of a target open
	// its breaker. 0 means DefaultBreakerFailures; negative disables the
	// breakers (and the Retry-After cool-down and the adaptive rate-limit
	// concurrency limits that go with them).
	BreakerFailures int
	// BreakerCooldown is the longest an open breaker waits before letting a
	// probe through. The wait is a tenth of how long the target has been
	// failing, at least BreakerMinCooldown: it grows with each failed
	// probe, and a target that comes back is used again within a tenth of
	// its outage (at default settings, a 60 s outage is noticed over within
	// 6 s of the next request). 0 means DefaultBreakerCooldown (30 s).
	BreakerCooldown time.Duration
	// BreakerMinCooldown is the shortest wait before a probe, the one after
	// a target first fails. 0 means DefaultBreakerMinCooldown (1 s); it is
	// capped at BreakerCooldown.
	BreakerMinCooldown time.Duration
	// ShouldFallback decides whether an error of a link sends the call on
	// to the next link. nil means DefaultShouldFallback (with
	// OnContentFilter applied on top). The caller's own cancellation never
	// falls back, whatever this says.
	ShouldFallback ShouldFallback
	// OnAttempt, if set, is called once for every finished attempt,
	// including skipped ones, from the goroutine driving the call. It must
	// be safe for concurrent use and should not block.
	OnAttempt func(category string, a Attempt)
	// Clock drives every timer of the engine (attempt, first-token, idle
	// and total timeouts, hedge delay, retry backoff, breaker cool-down)
	// and its attempt log; nil means clock.Real(). Tests pass a
	// *clock.Fake, the outage simulator a *clock.Virtual.
	Clock clock.Clock
	// TextOnly are the targets whose models take no images: a request
	// with images skips them, recording the attempt as skipped with class
	// unsupported, instead of sending what the provider would refuse.
	TextOnly []Target
	// Shared, if set, hears every breaker that opens or closes and every
	// manual order (SetOrder), to share them with other engines, which
	// bring them in with Apply. nil keeps all of it local.
	Shared Shared
}

// RetryPolicy is the engine's retry policy as provider.Retry, the one type
// eval and the judge share, so that a judge chain built from the same
// configuration retries as the engine does.
func (cfg *Config) RetryPolicy() provider.Retry {
	return provider.Retry{
		Max:               cfg.Retries,
		WaitMin:           cfg.RetryBackoff,
		RetryAfterMaxWait: cfg.RetryAfterMaxWait,
		CheckRetry:        cfg.CheckRetry,
		Backoff:           cfg.Backoff,
		Rand:              cfg.Rand,
	}
}

// Category is a group of models of equal capability across providers.
type Category struct {
	Name string
	// Models maps a provider name to the model it serves for this category.
	Models map[string]string
	// Providers lists the category's providers in the order the
	// configuration file lists them; it decides where the providers the
	// order does not mention go. nil (or empty) means the sorted keys of
	// Models.
	Providers []string
	// Order overrides the global order for this category; nil uses it.
	Order []string
	// Timeouts override the global ones field by field.
	Timeouts Timeouts
	// HedgeAfter, if positive, starts the next link of a stream that has
	// produced no token by then; the first to produce a token wins. It
	// applies to Stream only (Complete walks the chain one link at a time),
	// and a hedged stream does not retry a link: a failure starts the next.
	HedgeAfter time.Duration
	// StreamBuffer is the category's commit window for streams; the zero
	// value streams every token as it comes. A call may override it.
	StreamBuffer StreamBuffer
}

// StreamBuffer is a stream's commit window: the engine holds a link's output
// back until the window closes, and a failure inside it (a connection cut
// after some tokens, a stall the idle timeout catches, a stream that ends
// without a finish reason) falls back to the next link as a failure before
// the first token would, discarding what was held. The caller receives one
// complete answer from one model, never a splice of two. The price is time
// to first token: the caller sees nothing until the window closes. Either
// field closes it, whichever comes first; the zero value is no window.
type StreamBuffer struct {
	// Chunks closes the window once that many chunks have arrived; -1
	// holds the whole answer, until the link finishes.
	Chunks int
	// For closes the window once the link has streamed for that long
	// since its first token (checked as each chunk arrives).
	For time.Duration
}

// on reports whether the window holds anything back.
func (b StreamBuffer) on() bool { return b.Chunks != 0 || b.For > 0 }

// closed reports whether a window that has held n chunks over d since the
// first token is done.
func (b StreamBuffer) closed(n int, d time.Duration) bool {
	return b.Chunks > 0 && n >= b.Chunks || b.For > 0 && d >= b.For
}

// Timeouts bound a call. In every field zero means "inherit" when used as an
// override and "no limit" at the end; a negative value removes an inherited
// limit.
type Timeouts struct {
	// Attempt bounds one whole non-streaming call to one link.
	Attempt time.Duration
	// FirstToken abandons a stream (and tries the next link) that has
	// produced no token by then, counted from the request.
	FirstToken time.Duration
	// Idle is the longest gap between tokens once a stream has started;
	// a stall after the first token is an error for the caller. A stall is
	// noticed between Idle and Idle plus a sixteenth after the engine last
	// asked the link for a token; time the caller takes between tokens is
	// not counted.
	Idle time.Duration
	// Total bounds the whole call across all attempts.
	Total time.Duration
}

// merge returns t with every non-zero field of o laid over it.
func (t Timeouts) merge(o Timeouts) Timeouts {
	if o.Attempt != 0 {
		t.Attempt = o.Attempt
	}
	if o.FirstToken != 0 {
		t.FirstToken = o.FirstToken
	}
	if o.Idle != 0 {
		t.Idle = o.Idle
	}
	if o.Total != 0 {
		t.Total = o.Total
	}
	return t
}

// ResolveChain is the chain of cat under the given global order. The order
// used is cat.Order if set, else global; the chain is that order's providers
// the category has a model for, then the category's remaining providers in
// listing order. Runtime overrides (Engine.SetOrder) enter by replacing
// cat.Order or global before the call.
func ResolveChain(cat Category, global []string) []Target {
	order := global
	if len(cat.Order) > 0 {
		order = cat.Order
	}
	listing := cat.Providers
	// An empty list is no listing, as nil is: read as "none of the
	// models", it would leave the category without a chain.
	if len(listing) == 0 {
		listing = make([]string, 0, len(cat.Models))
		for p := range cat.Models {
			listing = append(listing, p)
		}
		sort.Strings(listing)
	}
	chain := make([]Target, 0, len(cat.Models))
	add := func(p string) {
		m, ok := cat.Models[p]
		if !ok || m == "" {
			return
		}
		for _, t := range chain {
			if t.Provider == p {
				return
			}
		}
		chain = append(chain, Target{Provider: p, Model: m})
	}
	for _, p := range order {
		add(p)
	}
	for _, p := range listing {
		add(p)
	}
	return chain
}

// validate collects every problem of cfg against the configured providers.
func (cfg *Config) validate(providers map[string]provider.Provider) error {
	var errs []error
	for name, p := range providers {
		if p == nil {
			errs = append(errs, fmt.Errorf("provider %q is nil", name))
		}
	}
	errs = append(errs, checkOrder("order", cfg.Order, providers)...)
	seen := make(map[string]bool, len(cfg.Categories))
	for i, c := range cfg.Categories {
		where := fmt.Sprintf("categories[%d]", i)
		if c.Name == "" {
			errs = append(errs, fmt.Errorf("%s: empty name", where))
		} else {
			where = "category " + c.Name
		}
		if seen[c.Name] {
			errs = append(errs, fmt.Errorf("%s: defined twice", where))
		}
		seen[c.Name] = true
		if len(c.Models) == 0 {
			errs = append(errs, fmt.Errorf("%s: no models", where))
		}
		for _, p := range sortedKeys(c.Models) {
			if _, ok := providers[p]; !ok {
				errs = append(errs, fmt.Errorf("%s: unknown provider %q", where, p))
			}
			if c.Models[p] == "" {
				errs = append(errs, fmt.Errorf("%s: empty model for provider %q", where, p))
			}
		}
		for _, p := range c.Providers {
			if _, ok := c.Models[p]; !ok {
				errs = append(errs, fmt.Errorf("%s: provider %q listed without a model", where, p))
			}
		}
		errs = append(errs, checkOrder(where+": order", c.Order, providers)...)
		if c.HedgeAfter < 0 {
			errs = append(errs, fmt.Errorf("%s: negative hedge_after %s", where, c.HedgeAfter))
		}
		if err := c.StreamBuffer.check(); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", where, err))
		}
	}
	if cfg.Retries < 0 {
		errs = append(errs, fmt.Errorf("negative retries %d", cfg.Retries))
	}
	if cfg.RetryBackoff < 0 || cfg.RetryAfterMaxWait < 0 || cfg.BreakerCooldown < 0 || cfg.BreakerMinCooldown < 0 {
		errs = append(errs, errors.New("negative retry_backoff, retry_after_max_wait, breaker_cooldown or breaker minimum cool-down"))
	}
	return errors.Join(errs...)
}

func (b StreamBuffer) check() error {
	if b.Chunks < -1 || b.For < 0 {
		return fmt.Errorf("stream_buffer: chunks must be -1 (the whole answer), 0 or positive and the duration not negative, got %d chunks, %s", b.Chunks, b.For)
	}
	return nil
}

func checkOrder(where string, order []string, providers map[string]provider.Provider) []error {
	var errs []error
	for i, p := range order {
		if _, ok := providers[p]; !ok {
			errs = append(errs, fmt.Errorf("%s: unknown provider %q", where, p))
		}
		if slices.Contains(order[:i], p) {
			errs = append(errs, fmt.Errorf("%s: provider %q listed twice", where, p))
		}
	}
	return errs
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
