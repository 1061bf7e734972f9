// Package fallback turns categories of equivalent models into ordered chains
// and serves requests down a chain: on an error or a timeout it moves to the
// next link, streams fall back only before their first token, and a breaker
// per target stops requests paying for a dead link. It knows providers only
// through the provider interface and nothing of configuration files or evals.
package fallback
