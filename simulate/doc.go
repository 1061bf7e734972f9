// Package simulate answers "what would this outage have done to us?": it
// drives the real fallback engine, configured as in production, with
// simulated links that replay a scenario (per-link timelines of error
// rates, error classes, latency and hangs), and reports what users would
// have seen: failures, which link served whom, failovers, added latency,
// time lost on dead links, breaker openings and hedges won. It knows
// nothing of the command line or of llmfall.yaml; the caller maps the
// configuration to a fallback.Config.
//
// # Time
//
// A day of traffic at 50 requests/s is 4.32 M requests, and it has to run
// through the real engine in well under a minute. Everything runs on a
// virtual clock (clock.Virtual), which the engine's timers (timeouts, hedge
// delay, retry backoff, breaker cool-downs) and the simulated links share:
// a link waits its drawn latency on it, a hung link waits until the
// engine's timer cancels it, and the clock jumps to the next timer as soon
// as every goroutine of the request (the caller, and hedged racers) waits.
// No wall-clock time is spent waiting, and no outcome depends on how fast
// the machine is or how goroutines are scheduled.
//
// Requests run one at a time in arrival order, each starting at its arrival
// time (request i arrives at i/rps): breakers are state shared by requests,
// and only a fixed order gives them the same history on every run.
//
// # What is deterministic
//
// The same scenario, configuration and seed give the same Report, field for
// field, on any machine of the same architecture: each call a link receives
// draws its fate (answer, error of some class, hang) and its latency from a
// hash of (seed, request, link, try), and every time in the report is read
// from the engine's attempt log in virtual time. Latency distributions are
// kept as histograms with buckets 1.6% wide, so percentiles are exact to
// that precision.
//
// # Limits of the model
//
// Requests run one at a time, so a breaker learns of a failure before the
// next request arrives: the requests already in flight on a link when it
// dies (about rps × first-token timeout of them for a hang) are not
// charged, and the cost before a breaker opens is a lower bound.
package simulate
