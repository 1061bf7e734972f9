package serve

import (
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/llmfall/llmfall/fallback"
	"github.com/llmfall/llmfall/internal/promtext"
)

// Metrics is the gateway's Prometheus metrics, its own (no global state).
// Every label value comes from the configuration, never from a client: an
// unknown model is counted as "unknown". The methods of a nil *Metrics do
// nothing.
type Metrics struct {
	requests    *promtext.Family
	duration    *promtext.Family
	ttft        *promtext.Family
	inflight    *promtext.Family
	attempts    *promtext.Family
	attemptTTFT *promtext.Family
	engine      atomic.Pointer[fallback.Engine]
}

// latencyBuckets span a cached answer (10 ms) to a long generation (2 min).
var latencyBuckets = []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 20, 30, 60, 120}

// NewMetrics returns the gateway's metrics; a scrape adds the Go runtime's
// and the process's (promtext.Runtime) beside them.
func NewMetrics() *Metrics {
	m := &Metrics{
		requests: promtext.NewFamily("llmfall_requests_total",
			"Chat requests answered, by model asked for (a category or provider/model), streaming, and HTTP status.",
			promtext.Counter, []string{"model", "stream", "code"}),
		duration: promtext.NewFamily("llmfall_request_duration_seconds",
			"Time from a chat request to the end of its answer.",
			promtext.Histogram, []string{"model", "stream"}, latencyBuckets...),
		ttft: promtext.NewFamily("llmfall_time_to_first_token_seconds",
			"Time from a streaming chat request to its first token reaching the client, fallbacks included.",
			promtext.Histogram, []string{"model"}, latencyBuckets...),
		inflight: promtext.NewFamily("llmfall_requests_in_flight", "Chat requests being served.",
			promtext.Gauge, nil),
		attempts: promtext.NewFamily("llmfall_attempts_total",
			"Attempts on each link, by outcome (ok, error, timeout, skipped, cancelled) and error class.",
			promtext.Counter, []string{"provider", "model", "outcome", "error_class"}),
		attemptTTFT: promtext.NewFamily("llmfall_attempt_time_to_first_token_seconds",
			"Time from the start of a streaming attempt to its first token, per link.",
			promtext.Histogram, []string{"provider", "model"}, latencyBuckets...),
	}
	m.inflight.Set(0)
	return m
}

// OnAttempt counts one finished attempt; it is the engine's
// fallback.Config.OnAttempt.
func (m *Metrics) OnAttempt(_ string, a fallback.Attempt) {
	if m == nil {
		return
	}
	m.attempts.Add(1, a.Provider, a.Model, string(a.Outcome), string(a.Class))
	if a.TTFT > 0 {
		m.attemptTTFT.Observe(a.TTFT.Seconds(), a.Provider, a.Model)
	}
}

func (m *Metrics) begin() {
	if m != nil {
		m.inflight.Add(1)
	}
}

// done records a finished request.
func (m *Metrics) done(model string, stream bool, code int, took time.Duration) {
	if m == nil {
		return
	}
	m.inflight.Add(-1)
	s := strconv.FormatBool(stream)
	m.requests.Add(1, model, s, strconv.Itoa(code))
	m.duration.Observe(took.Seconds(), model, s)
}

func (m *Metrics) firstToken(model string, took time.Duration) {
	if m != nil {
		m.ttft.Observe(took.Seconds(), model)
	}
}

// handler serves the metrics in Prometheus' text format, reading breaker
// states from eng at each scrape.
func (m *Metrics) handler(eng *fallback.Engine) http.Handler {
	m.engine.Store(eng)
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", promtext.ContentType)
		fams := []*promtext.Family{m.requests, m.duration, m.ttft, m.inflight, m.attempts, m.attemptTTFT, breakers(m.engine.Load())}
		promtext.Write(w, append(fams, promtext.Runtime()...)...)
	})
}

// breakers is each link's breaker as it is at the scrape.
func breakers(eng *fallback.Engine) *promtext.Family {
	f := promtext.NewFamily("llmfall_breaker_state", "State of each link's breaker: 0 closed, 1 open, 2 half-open.",
		promtext.Gauge, []string{"provider", "model"})
	if eng == nil {
		return f
	}
	for _, t := range links(eng) {
		state, _ := eng.Breaker(t)
		f.Set(float64(state), t.Provider, t.Model)
	}
	return f
}

// links are every category's links, each once, in category then chain order.
func links(eng *fallback.Engine) []fallback.Target {
	var out []fallback.Target
	seen := make(map[fallback.Target]bool)
	for _, cat := range eng.Categories() {
		chain, _ := eng.Chain(cat)
		for _, t := range chain {
			if !seen[t] {
				seen[t] = true
				out = append(out, t)
			}
		}
	}
	return out
}
