// Package fallback turns categories of equivalent models into ordered chains
// and serves requests down a chain: on an error or a timeout it moves to the
// next link, streams fall back only before their first token, and a breaker
// per target stops requests paying for a dead link.
//
// An Engine is built from a Config (which the caller maps from llmfall.yaml)
// and the configured providers. Complete and Stream take a Request naming a
// category or an explicit chain and return the answer with its attempt log;
// Chain reports a category's targets in order, SetOrder changes the order at
// runtime and Reload swaps in a new configuration, both atomically.
//
// What falls back is decided by the error's provider.Class (see
// DefaultShouldFallback); whether a failed link is first tried again, and
// after what wait, by provider.Retry, the one retry policy eval and the
// judge share (Config.RetryPolicy). A 429 is a capacity signal: a per-target
// adaptive concurrency limit (limiter.go) sheds only the overflow down the
// chain, and the whole link cools only when most of its requests are
// refused. Four timeouts bound a call: attempt (one whole
// non-streaming call), first_token and idle (streams), and total. Hedging,
// opt-in per category, starts the next link of a stream that has produced no
// token after HedgeAfter and keeps whichever produces one first.
//
// Replicas of a gateway share what their breakers learn and their manual
// order through Config.Shared (shared.go): the engine publishes each change
// without waiting, and applies other engines' changes with Apply; the store
// (serve/shared keeps one in Redis) is not this package's.
//
// The package knows providers only through the provider interface and
// nothing of configuration files, the CLI or evals.
package fallback
