package serve

import (
	"github.com/prometheus/client_golang/prometheus"
)

// sharedReadiness is the line /readyz adds when replicas share health.
// Readiness stays 200 when Redis is away: the replica serves on its own
// breakers and order, as it would with no Redis configured, and failing
// readiness would take every replica out of rotation at once, turning the
// loss of shared health into a full outage. The line says it, for people
// and probes that want to know.
func (s *Server) sharedReadiness() string {
	sh := s.cfg.Shared
	if sh == nil {
		return ""
	}
	st := sh.Status()
	if st.Up {
		return "shared state: ok (" + sh.URL() + ")\n"
	}
	return "shared state: degraded, serving on local state (" + st.Reason + ")\n"
}

// sharedCollector reports the shared state's health and counts at each
// scrape; nothing when the gateway shares no state.
type sharedCollector struct{ m *Metrics }

var (
	sharedUpDesc = prometheus.NewDesc("llmfall_shared_state_up",
		"1 while the replica shares breaker state and the manual order through Redis, 0 while it serves on its local state alone.", nil, nil)
	sharedPublishedDesc = prometheus.NewDesc("llmfall_shared_state_published_total",
		"Local changes (breakers opened or closed, manual orders) sent to the other replicas.", nil, nil)
	sharedPublishErrorsDesc = prometheus.NewDesc("llmfall_shared_state_publish_errors_total",
		"Local changes that could not be sent (Redis unreachable or slow).", nil, nil)
	sharedAppliedDesc = prometheus.NewDesc("llmfall_shared_state_applied_total",
		"Changes from other replicas applied to this one.", nil, nil)
	sharedApplyErrorsDesc = prometheus.NewDesc("llmfall_shared_state_apply_errors_total",
		"Changes from other replicas this one could not apply (unreadable, or naming a link or provider it does not have).", nil, nil)
	sharedDroppedDesc = prometheus.NewDesc("llmfall_shared_state_dropped_total",
		"Local changes dropped because the queue to Redis was full.", nil, nil)
	sharedResyncsDesc = prometheus.NewDesc("llmfall_shared_state_resyncs_total",
		"Full reads of the shared state from Redis, which catch what pub/sub missed.", nil, nil)
)

func (c sharedCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{sharedUpDesc, sharedPublishedDesc, sharedPublishErrorsDesc, sharedAppliedDesc, sharedApplyErrorsDesc, sharedDroppedDesc, sharedResyncsDesc} {
		ch <- d
	}
}

func (c sharedCollector) Collect(ch chan<- prometheus.Metric) {
	sh := c.m.shared.Load()
	if sh == nil {
		return
	}
	st := sh.Status()
	up := 0.0
	if st.Up {
		up = 1
	}
	ch <- prometheus.MustNewConstMetric(sharedUpDesc, prometheus.GaugeValue, up)
	for _, v := range []struct {
		d *prometheus.Desc
		n uint64
	}{
		{sharedPublishedDesc, st.Published}, {sharedPublishErrorsDesc, st.PublishErrors},
		{sharedAppliedDesc, st.Applied}, {sharedApplyErrorsDesc, st.ApplyErrors}, {sharedDroppedDesc, st.Dropped},
		{sharedResyncsDesc, st.Resyncs},
	} {
		ch <- prometheus.MustNewConstMetric(v.d, prometheus.CounterValue, float64(v.n))
	}
}
