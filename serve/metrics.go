package serve

import (
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/llmfall/llmfall/fallback"
	"github.com/llmfall/llmfall/serve/shared"
)

// Metrics is the gateway's Prometheus metrics, in a registry of its own (no
// global state). Every label value comes from the configuration, never from
// a client: an unknown model is counted as "unknown". The methods of a nil
// *Metrics do nothing.
type Metrics struct {
	reg         *prometheus.Registry
	requests    *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	ttft        *prometheus.HistogramVec
	inflight    prometheus.Gauge
	attempts    *prometheus.CounterVec
	attemptTTFT *prometheus.HistogramVec
	engine      atomic.Pointer[fallback.Engine]
	shared      atomic.Pointer[shared.Store]
}

// latencyBuckets span a cached answer (10 ms) to a long generation (2 min).
var latencyBuckets = []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 20, 30, 60, 120}

// NewMetrics returns the gateway's metrics, with the Go runtime's and the
// process's collectors beside them.
func NewMetrics() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "llmfall_requests_total",
			Help: "Chat requests answered, by model asked for (a category or provider/model), streaming, and HTTP status.",
		}, []string{"model", "stream", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "llmfall_request_duration_seconds", Buckets: latencyBuckets,
			Help: "Time from a chat request to the end of its answer.",
		}, []string{"model", "stream"}),
		ttft: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "llmfall_time_to_first_token_seconds", Buckets: latencyBuckets,
			Help: "Time from a streaming chat request to its first token reaching the client, fallbacks included.",
		}, []string{"model"}),
		inflight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "llmfall_requests_in_flight",
			Help: "Chat requests being served.",
		}),
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "llmfall_attempts_total",
			Help: "Attempts on each link, by outcome (ok, error, timeout, skipped, cancelled) and error class.",
		}, []string{"provider", "model", "outcome", "error_class"}),
		attemptTTFT: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "llmfall_attempt_time_to_first_token_seconds", Buckets: latencyBuckets,
			Help: "Time from the start of a streaming attempt to its first token, per link.",
		}, []string{"provider", "model"}),
	}
	m.reg.MustRegister(m.requests, m.duration, m.ttft, m.inflight, m.attempts, m.attemptTTFT,
		breakerCollector{m}, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.reg.MustRegister(sharedCollector{m})
	return m
}

// OnAttempt counts one finished attempt; it is the engine's
// fallback.Config.OnAttempt.
func (m *Metrics) OnAttempt(_ string, a fallback.Attempt) {
	if m == nil {
		return
	}
	m.attempts.WithLabelValues(a.Provider, a.Model, string(a.Outcome), string(a.Class)).Inc()
	if a.TTFT > 0 {
		m.attemptTTFT.WithLabelValues(a.Provider, a.Model).Observe(a.TTFT.Seconds())
	}
}

func (m *Metrics) begin() {
	if m != nil {
		m.inflight.Inc()
	}
}

// done records a finished request.
func (m *Metrics) done(model string, stream bool, code int, took time.Duration) {
	if m == nil {
		return
	}
	m.inflight.Dec()
	s := strconv.FormatBool(stream)
	m.requests.WithLabelValues(model, s, strconv.Itoa(code)).Inc()
	m.duration.WithLabelValues(model, s).Observe(took.Seconds())
}

func (m *Metrics) firstToken(model string, took time.Duration) {
	if m != nil {
		m.ttft.WithLabelValues(model).Observe(took.Seconds())
	}
}

// handler serves the metrics in Prometheus' text format, reading breaker
// states from eng at each scrape.
func (m *Metrics) handler(eng *fallback.Engine) http.Handler {
	m.engine.Store(eng)
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// breakerCollector reports each link's breaker as it is at the scrape.
type breakerCollector struct{ m *Metrics }

var breakerDesc = prometheus.NewDesc("llmfall_breaker_state",
	"State of each link's breaker: 0 closed, 1 open, 2 half-open.", []string{"provider", "model"}, nil)

func (c breakerCollector) Describe(ch chan<- *prometheus.Desc) { ch <- breakerDesc }

func (c breakerCollector) Collect(ch chan<- prometheus.Metric) {
	eng := c.m.engine.Load()
	if eng == nil {
		return
	}
	for _, t := range links(eng) {
		state, _ := eng.Breaker(t)
		ch <- prometheus.MustNewConstMetric(breakerDesc, prometheus.GaugeValue, float64(state), t.Provider, t.Model)
	}
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
