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
// through the real engine in well under a minute. The engine's timeouts and
// hedge delays are real timers, so pure virtual time would need engine
// changes. The simulation therefore splits time in two:
//
//   - Simulated time is exact and comes only from the scenario and the
//     seed: request i arrives at i/rps; each call a link receives draws its
//     fate (answer, error of some class, hang) and its latency from a hash
//     of (seed, request, link, try), never from the order goroutines run in.
//     Latencies are accounted in simulated time, not slept: an answer or an
//     error reaches the engine at once.
//   - Real time is spent only where the engine's own timers must decide:
//     a hung link blocks until the engine gives up on it. Every engine timer
//     (timeouts, hedge delay, retry backoff) is divided by Speed (1000× by
//     default: a 15 s first-token timeout fires after 15 ms); breaker
//     cool-downs and Retry-After run on the simulated clock (Config.Now).
//     A drawn answer or error slower than the first-token timeout is turned
//     into a hang, so that the engine's timer, not the simulation, times
//     it out.
//
// Breakers are state shared by all requests, so with breakers on (the
// configured policy) requests run one at a time in arrival order, with the
// breakers' clock at each request's simulated time; that fixed order is
// what makes the run repeatable. With breakers off (the naive policy)
// requests do not interact and run on a pool of workers, which only hung
// links keep busy.
//
// # What is deterministic
//
// The same scenario, configuration and seed give the same Report, field for
// field, on any machine of the same architecture: every figure comes from
// the draws and the engine's attempt logs, placed in simulated time, never
// from the wall clock. The one exception is a race the engine itself runs in real time: an answer
// that is ready at once against a compressed timer (a first-token timeout
// of 15 ms, a hedge delay of 2 ms at 1000×) can lose if the process stalls
// for longer than that timer between the two, which a loaded machine can
// cause for a handful of requests in millions. A lower Speed widens that
// margin; a higher one makes hangs cheaper.
//
// # Limits of the model
//
// Requests run one at a time when breakers are on, so a breaker learns of
// a failure before the next request arrives: the requests already in flight
// on a link when it dies (about rps × first-token timeout of them for a
// hang) are not charged, and the cost before a breaker opens is a lower
// bound. Hedges start only while a link hangs, since answers take no real
// time; a slow but live link is not hedged. Attempts are placed in
// simulated time after each call, from the engine's log: the next link
// starts when one fails, or at the hedge tick while one is silent. The total timeout is enforced by
// the engine in compressed real time, in which only hangs take time.
package simulate
