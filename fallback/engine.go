package fallback

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/llmfall/llmfall/clock"
	"github.com/llmfall/llmfall/provider"
)

// Engine serves requests down chains of targets. It is safe for concurrent
// use; SetOrder and Reload swap its configuration atomically, and a call in
// flight finishes on the configuration it started with.
type Engine struct {
	// mu serialises writers; readers only load the snapshot.
	mu    sync.Mutex
	state atomic.Pointer[state]
}

// state is an immutable snapshot of everything a call needs.
type state struct {
	cfg       Config
	retry     provider.Retry
	providers map[string]provider.Provider
	breakers  map[Target]*breaker // nil when breakers are disabled
	limiters  map[Target]*limiter // nil when breakers are disabled
	// globalOrder and catOrder are the runtime overrides of SetOrder.
	globalOrder []string
	catOrder    map[string][]string
	cats        map[string]*category
	textOnly    map[Target]bool
}

// category is a configured category with its chain resolved.
type category struct {
	cfg   Category
	chain []Target
	links []link
}

// link is a target with what it takes to call it.
type link struct {
	target Target
	p      provider.Provider
	b      *breaker // nil when breakers are disabled
	lim    *limiter // nil when breakers are disabled
	// textOnly: the model takes no images (Config.TextOnly).
	textOnly bool
}

// Request is one call to the engine.
type Request struct {
	// Request is what every link is asked; the engine sets Model per link
	// on a copy and leaves this one untouched.
	provider.Request
	// Category names the chain to use, and its timeouts and hedging.
	Category string
	// Chain, if set, is used instead of the category's chain. Category may
	// still be set for its timeouts.
	Chain []Target
	// Timeouts override the category's for this call, field by field.
	Timeouts Timeouts
	// StreamBuffer, if set, replaces the category's commit window for this
	// call (Stream only).
	StreamBuffer StreamBuffer
	// OnAttempt, if set, is called once for every finished attempt of this
	// call, including skipped ones, from the goroutine driving it (where
	// Config.OnAttempt hears of every call's, and must be set before New).
	// It should not block.
	OnAttempt func(Attempt)
}

// New builds an engine over the configured providers, keyed by provider name.
func New(cfg Config, providers map[string]provider.Provider) (*Engine, error) {
	e := &Engine{}
	st, err := newState(cfg, providers, nil, nil)
	if err != nil {
		return nil, err
	}
	e.state.Store(st)
	return e, nil
}

// Reload replaces the configuration and providers, as on SIGHUP. Breaker
// state is kept for targets that still exist, and runtime order overrides
// for categories that still exist. On error the engine is unchanged.
func (e *Engine) Reload(cfg Config, providers map[string]provider.Provider) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	old := e.state.Load()
	st, err := newState(cfg, providers, old.breakers, old.limiters)
	if err != nil {
		return err
	}
	st.globalOrder = old.globalOrder
	for name, order := range old.catOrder {
		if _, ok := st.cats[name]; ok {
			if st.catOrder == nil {
				st.catOrder = make(map[string][]string)
			}
			st.catOrder[name] = order
		}
	}
	st.resolve()
	e.state.Store(st)
	return nil
}

// SetOrder overrides at runtime the provider order of a category, or the
// global order when category is "". An empty order removes the override.
// Calls already in flight keep the chain they started with.
func (e *Engine) SetOrder(category string, order []string) error {
	shared, err := e.setOrder(category, order)
	if err != nil {
		return err
	}
	if shared != nil {
		shared.Publish(Change{Kind: OrderSet, Category: category, Order: slices.Clone(order)})
	}
	return nil
}

// setOrder is SetOrder without telling Config.Shared, which it returns for
// the caller to tell (after the lock is released) when the change is its
// own.
func (e *Engine) setOrder(category string, order []string) (Shared, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	old := e.state.Load()
	where := "order"
	if category != "" {
		if _, ok := old.cats[category]; !ok {
			return nil, fmt.Errorf("fallback: set order: unknown category %q", category)
		}
		where = "category " + category + ": order"
	}
	if err := errors.Join(checkOrder(where, order, old.providers)...); err != nil {
		return nil, fmt.Errorf("fallback: set order: %w", err)
	}
	st := *old
	order = append([]string(nil), order...)
	if category == "" {
		st.globalOrder = order
	} else {
		st.catOrder = maps.Clone(old.catOrder)
		if st.catOrder == nil {
			st.catOrder = make(map[string][]string)
		}
		if len(order) == 0 {
			delete(st.catOrder, category)
		} else {
			st.catOrder[category] = order
		}
	}
	st.resolve()
	e.state.Store(&st)
	return st.cfg.Shared, nil
}

// Chain returns the targets of a category in the order the engine would try
// them now, runtime overrides included.
func (e *Engine) Chain(category string) ([]Target, error) {
	c, ok := e.state.Load().cats[category]
	if !ok {
		return nil, fmt.Errorf("fallback: unknown category %q", category)
	}
	return append([]Target(nil), c.chain...), nil
}

// Breaker reports the state of a target's breaker and when the target last
// failed (zero if never). A target the engine does not know, or any target
// when breakers are disabled, reports closed.
func (e *Engine) Breaker(t Target) (BreakerState, time.Time) {
	b := e.state.Load().breakers[t]
	if b == nil {
		return StateClosed, time.Time{}
	}
	return b.snapshot()
}

func newState(cfg Config, providers map[string]provider.Provider, old map[Target]*breaker, oldLims map[Target]*limiter) (*state, error) {
	if err := cfg.validate(providers); err != nil {
		return nil, fmt.Errorf("fallback: invalid config: %w", err)
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.Real()
	}
	if cfg.BreakerFailures == 0 {
		cfg.BreakerFailures = DefaultBreakerFailures
	}
	if cfg.BreakerCooldown == 0 {
		cfg.BreakerCooldown = DefaultBreakerCooldown
	}
	if cfg.BreakerMinCooldown == 0 {
		cfg.BreakerMinCooldown = DefaultBreakerMinCooldown
	}
	cfg.BreakerMinCooldown = min(cfg.BreakerMinCooldown, cfg.BreakerCooldown)
	st := &state{
		cfg:       cfg,
		retry:     cfg.RetryPolicy(),
		providers: maps.Clone(providers),
		cats:      make(map[string]*category, len(cfg.Categories)),
	}
	if cfg.BreakerFailures > 0 {
		st.breakers = make(map[Target]*breaker)
		st.limiters = make(map[Target]*limiter)
		for _, c := range cfg.Categories {
			for p, m := range c.Models {
				t := Target{Provider: p, Model: m}
				if st.limiters[t] == nil {
					st.limiters[t] = oldLims[t]
				}
				if st.limiters[t] == nil {
					st.limiters[t] = &limiter{}
				}
				if b, ok := old[t]; ok {
					// Settings may have changed; the history (and the
					// clock, which is read without the lock) stays.
					b.mu.Lock()
					b.threshold, b.minCool, b.maxCool = cfg.BreakerFailures, cfg.BreakerMinCooldown, cfg.BreakerCooldown
					b.shared = cfg.Shared
					b.mu.Unlock()
					st.breakers[t] = b
				} else if st.breakers[t] == nil {
					b := newBreaker(cfg.BreakerFailures, cfg.BreakerMinCooldown, cfg.BreakerCooldown, cfg.Clock.Now)
					b.target, b.shared = t, cfg.Shared
					st.breakers[t] = b
				}
			}
		}
	}
	for _, c := range cfg.Categories {
		st.cats[c.Name] = &category{cfg: c}
	}
	for _, t := range cfg.TextOnly {
		if st.textOnly == nil {
			st.textOnly = make(map[Target]bool, len(cfg.TextOnly))
		}
		st.textOnly[t] = true
	}
	st.resolve()
	return st, nil
}

// resolve recomputes every category's chain under the current overrides.
// It replaces the category values rather than changing them, since older
// snapshots share them.
func (st *state) resolve() {
	global := st.cfg.Order
	if len(st.globalOrder) > 0 {
		global = st.globalOrder
	}
	cats := make(map[string]*category, len(st.cats))
	for name, old := range st.cats {
		cat := old.cfg
		if o := st.catOrder[name]; len(o) > 0 {
			cat.Order = o
		}
		c := &category{cfg: old.cfg, chain: ResolveChain(cat, global)}
		c.links = st.links(c.chain)
		cats[name] = c
	}
	st.cats = cats
}

func (st *state) links(chain []Target) []link {
	links := make([]link, len(chain))
	for i, t := range chain {
		links[i] = link{target: t, p: st.providers[t.Provider], b: st.breakers[t], lim: st.limiters[t], textOnly: st.textOnly[t]}
	}
	return links
}

// plan is what one call needs from the snapshot.
func (st *state) plan(req *Request) ([]link, Category, error) {
	var cat Category
	var links []link
	if req.Category != "" {
		c, ok := st.cats[req.Category]
		if !ok {
			return nil, cat, fmt.Errorf("fallback: unknown category %q", req.Category)
		}
		cat, links = c.cfg, c.links
	}
	if len(req.Chain) > 0 {
		for _, t := range req.Chain {
			if st.providers[t.Provider] == nil {
				return nil, cat, fmt.Errorf("fallback: chain: unknown provider %q", t.Provider)
			}
		}
		links = st.links(req.Chain)
	}
	if len(links) == 0 {
		// Only a request naming neither gets here: a category has at least
		// one model (New and Reload refuse one without), each in its chain,
		// and a chain given has a link per target.
		return nil, cat, errors.New("fallback: request names neither a category nor a chain")
	}
	return links, cat, nil
}
