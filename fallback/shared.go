package fallback

import (
	"fmt"
	"time"
)

// Shared is where an engine tells other engines (the replicas of a
// gateway) what it learned about its links, so that one replica's
// discovery of an outage spares the others their timeouts. The engine
// calls Publish; the store brings what other engines published back in
// with Engine.Apply. This package knows no store: serve/shared keeps one in
// Redis.
type Shared interface {
	// Publish hears a change this engine made: a breaker that opened (or
	// whose cool-down restarted), one that closed, a manual order. It is
	// called on the goroutine of the request or admin call that made the
	// change, with no lock held, and must not block: a store queues the
	// change (dropping it when the queue is full) and sends it on its own
	// goroutine, so that no request ever waits on the store.
	Publish(Change)
}

// ChangeKind says what a Change reports.
type ChangeKind uint8

// The kinds of change an engine shares.
const (
	// BreakerOpened: Target is unavailable for Cooldown from now, and has
	// been failing for Down.
	BreakerOpened ChangeKind = iota + 1
	// BreakerClosed: a probe of Target succeeded; it is back.
	BreakerClosed
	// OrderSet: the manual order of Category ("" for the global order) is
	// now Order; an empty Order removes the override.
	OrderSet
)

func (k ChangeKind) String() string {
	switch k {
	case BreakerOpened:
		return "breaker-opened"
	case BreakerClosed:
		return "breaker-closed"
	case OrderSet:
		return "order-set"
	}
	return "unknown"
}

// Change is one thing an engine learned or was told. Durations are relative
// to the moment of the change, never instants, so that engines whose clocks
// disagree still agree on how long a link stays open.
type Change struct {
	Kind   ChangeKind
	Target Target
	// Cooldown is how long from now the target takes no requests (an open
	// breaker's wait before its next probe, or a provider's Retry-After).
	Cooldown time.Duration
	// Down is how long the target has been failing; it keeps the
	// cool-down growing with the outage on the engines that hear of it.
	Down     time.Duration
	Category string
	Order    []string
}

// Apply brings in a change another engine made, without publishing it
// again: a breaker opened elsewhere opens here for the same cool-down (a
// longer local one is kept), one closed elsewhere closes here, an order
// set elsewhere is set here. Cool-downs run on this engine's clock
// (Config.Clock). It is safe to call while calls are in flight.
func (e *Engine) Apply(c Change) error {
	switch c.Kind {
	case BreakerOpened, BreakerClosed:
		b := e.state.Load().breakers[c.Target]
		if b == nil {
			return fmt.Errorf("fallback: apply %s: no breaker for %s (not a link of this engine's categories, or breakers are off)", c.Kind, c.Target)
		}
		b.observe(c)
		return nil
	case OrderSet:
		_, err := e.setOrder(c.Category, c.Order)
		return err
	}
	return fmt.Errorf("fallback: apply: unknown change kind %d", c.Kind)
}
