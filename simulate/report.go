package simulate

import (
	"encoding/json"
	"errors"
	"time"

	"github.com/llmfall/llmfall/fallback"
)

// Report is what users would have seen during a scenario. Every figure is
// in simulated time and follows from the draws and the engine's decisions,
// never from wall-clock measurements.
type Report struct {
	Scenario string
	// Policy is "configured" or "naive".
	Policy   string
	Category string
	Chain    []fallback.Target
	Seed     int64
	RPS      float64
	// Simulated is the span of simulated time the requests arrived in.
	Simulated time.Duration

	// Requests were sent; each was either Served or Failed.
	Requests, Served, Failed int
	FailedRate               float64
	// ExpectedFailedRate is the failure rate if the links failed
	// independently and the engine tried each in turn: the mean over
	// requests of the product of every link's failure chance at the time.
	ExpectedFailedRate float64
	// FailedBy splits Failed: "exhausted" (every link failed),
	// "interrupted" (a stream failed after its first token) and
	// "not_fallen_back" (an error the policy returns to the caller).
	FailedBy map[string]int

	Links []LinkReport
	// Failovers counts requests that went past the link they started on,
	// BreakerSkips those that skipped at least one open breaker on the way.
	Failovers, BreakerSkips int
	// Latency is the time to first token of served requests; Baseline is
	// what the primary, healthy, would have given every request (the same
	// draw as its first try). Added is the distribution of each served
	// request's own difference, its time to first token less its baseline:
	// what a user waited beyond a healthy primary. It is negative where a
	// backup link answered faster than the primary would have, and is not
	// Latency less Baseline percentile by percentile (a difference of
	// percentiles is no percentile of the differences).
	Latency, Added, Baseline Percentiles
	// AfterBreakerOpen covers the requests that arrived after the first
	// link's breaker first opened; nil when it never did.
	AfterBreakerOpen *Phase
	// DeadLinkWait is the total time requests spent on links that then
	// failed them, before being served or failing.
	DeadLinkWait    time.Duration
	BreakerOpenings int
	HedgesWon       int
	// RecoveredAfter is how long after the primary's last outage ended
	// (the end of its last window failing at least half its calls) the
	// primary served a request again; nil when the scenario has no such
	// window or the primary never served after it.
	RecoveredAfter *time.Duration
}

// LinkReport is one link of the chain.
type LinkReport struct {
	fallback.Target
	// Served is how many requests this link answered, Share its part of
	// all requests.
	Served int
	Share  float64
	// Attempts counts calls made; Errors and Timeouts the failed ones,
	// Skipped the times its open breaker was passed over, HedgesLost its
	// calls cancelled because another link answered first.
	Attempts, Errors, Timeouts, Skipped, HedgesLost int
	// Latency is the link's own time to first token over every answer it
	// gave, won or not.
	Latency Percentiles
}

// Phase is the report of a stretch of the run.
type Phase struct {
	// From is the simulated time the stretch starts at.
	From     time.Duration
	Requests int
	Failed   int
	Latency  Percentiles
	Added    Percentiles
}

// Percentiles of a latency distribution, nearest-rank.
type Percentiles struct {
	P50, P95, P99 time.Duration
}

// MarshalJSON writes milliseconds: {"p50_ms":…,"p95_ms":…,"p99_ms":…}.
func (p Percentiles) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		P50 int64 `json:"p50_ms"`
		P95 int64 `json:"p95_ms"`
		P99 int64 `json:"p99_ms"`
	}{p.P50.Milliseconds(), p.P95.Milliseconds(), p.P99.Milliseconds()})
}

// MarshalJSON writes the report with snake_case names and durations in
// seconds or milliseconds, as named.
func (r *Report) MarshalJSON() ([]byte, error) {
	type link struct {
		Provider   string      `json:"provider"`
		Model      string      `json:"model"`
		Served     int         `json:"served"`
		Share      float64     `json:"share"`
		Attempts   int         `json:"attempts"`
		Errors     int         `json:"errors"`
		Timeouts   int         `json:"timeouts"`
		Skipped    int         `json:"skipped"`
		HedgesLost int         `json:"hedges_lost"`
		Latency    Percentiles `json:"latency"`
	}
	type phase struct {
		FromSeconds float64     `json:"from_seconds"`
		Requests    int         `json:"requests"`
		Failed      int         `json:"failed"`
		Latency     Percentiles `json:"latency"`
		Added       Percentiles `json:"added_latency"`
	}
	doc := struct {
		Scenario           string            `json:"scenario"`
		Policy             string            `json:"policy"`
		Category           string            `json:"category"`
		Chain              []fallback.Target `json:"chain"`
		Seed               int64             `json:"seed"`
		RPS                float64           `json:"rps"`
		SimulatedSeconds   float64           `json:"simulated_seconds"`
		Requests           int               `json:"requests"`
		Served             int               `json:"served"`
		Failed             int               `json:"failed"`
		FailedRate         float64           `json:"failed_rate"`
		ExpectedFailedRate float64           `json:"expected_failed_rate_independent"`
		FailedBy           map[string]int    `json:"failed_by"`
		Links              []link            `json:"links"`
		Failovers          int               `json:"failovers"`
		BreakerSkips       int               `json:"breaker_skips"`
		Latency            Percentiles       `json:"latency"`
		Added              Percentiles       `json:"added_latency"`
		Baseline           Percentiles       `json:"healthy_primary_latency"`
		AfterBreakerOpen   *phase            `json:"after_breaker_open"`
		DeadLinkWait       float64           `json:"dead_link_wait_seconds"`
		BreakerOpenings    int               `json:"breaker_openings"`
		HedgesWon          int               `json:"hedges_won"`
		RecoveredAfter     *float64          `json:"primary_recovered_after_seconds,omitempty"`
	}{
		Scenario: r.Scenario, Policy: r.Policy, Category: r.Category, Chain: r.Chain, Seed: r.Seed,
		RPS: r.RPS, SimulatedSeconds: r.Simulated.Seconds(),
		Requests: r.Requests, Served: r.Served, Failed: r.Failed, FailedRate: r.FailedRate,
		ExpectedFailedRate: r.ExpectedFailedRate, FailedBy: r.FailedBy,
		Failovers: r.Failovers, BreakerSkips: r.BreakerSkips,
		Latency: r.Latency, Added: r.Added, Baseline: r.Baseline,
		DeadLinkWait: r.DeadLinkWait.Seconds(), BreakerOpenings: r.BreakerOpenings, HedgesWon: r.HedgesWon,
	}
	for _, l := range r.Links {
		doc.Links = append(doc.Links, link{l.Provider, l.Model, l.Served, l.Share, l.Attempts, l.Errors,
			l.Timeouts, l.Skipped, l.HedgesLost, l.Latency})
	}
	if p := r.AfterBreakerOpen; p != nil {
		doc.AfterBreakerOpen = &phase{p.From.Seconds(), p.Requests, p.Failed, p.Latency, p.Added}
	}
	if r.RecoveredAfter != nil {
		s := r.RecoveredAfter.Seconds()
		doc.RecoveredAfter = &s
	}
	return json.Marshal(doc)
}

// aggregate is everything the run counts, request by request, in a size
// that does not grow with the number of requests.
type aggregate struct {
	links  []linkCount
	served []int
	// failedBy counts failures by kind (see Report.FailedBy).
	failedBy                           map[string]int
	failovers, breakerSkips, hedgesWon int
	latency, baseline                  histogram
	added                              signedHistogram
	waitTotal                          time.Duration
	expected                           float64
	// openings counts breakers seen going from closed to open or
	// half-open; after covers the requests after the first link's
	// breaker first opened, nil until it does.
	openings int
	after    *phase
	// recovered is when, counted from the end of the primary's last
	// outage, the primary first served again; -1 until it does.
	recovered time.Duration
}

type linkCount struct {
	attempts, errors, timeouts, skipped, hedgesLost int
	// latency is the link's own time to first token over every answer it
	// gave, won or not.
	latency histogram
}

// phase accumulates the requests from one index on.
type phase struct {
	from     int
	requests int
	failed   int
	latency  histogram
	added    signedHistogram
}

func newPhase(from int) *phase { return &phase{from: from} }

func newAggregate(links int) *aggregate {
	return &aggregate{links: make([]linkCount, links), served: make([]int, links), failedBy: map[string]int{}, recovered: -1}
}

// record counts one finished request from the engine's result, whose
// attempt log is in the run's virtual time, and the trace's answers.
func (d *driver) record(t *trace, i int, res *fallback.Result, err error, agg *aggregate) {
	failover, skipped, hedgeWon := false, false, false
	var end time.Duration
	for k, a := range res.Attempts {
		if k > 0 && a.Provider != res.Attempts[0].Provider {
			failover = true
		}
		end = max(end, a.Start+a.Duration)
		p, ok := d.pos[a.Provider]
		if !ok {
			continue
		}
		lc := &agg.links[p]
		switch a.Outcome {
		case fallback.OutcomeSkipped:
			lc.skipped++
			skipped = true
			continue
		case fallback.OutcomeError:
			lc.errors++
		case fallback.OutcomeTimeout:
			lc.timeouts++
		case fallback.OutcomeCancelled:
			lc.hedgesLost++
			hedgeWon = true
		}
		lc.attempts++
	}
	for _, a := range t.answers {
		if p, ok := d.pos[d.byID[a.link].name]; ok {
			agg.links[p].latency.add(a.ttft)
		}
	}
	if failover {
		agg.failovers++
	}
	if skipped {
		agg.breakerSkips++
	}
	at := d.arrival(i)
	p := 1.0
	for _, target := range d.chain {
		p *= d.links[target.Provider].tl.at(at).pFail
	}
	agg.expected += p
	baseline := d.baseline(uint64(i))
	agg.baseline.add(baseline)
	ph := agg.after
	if ph != nil {
		ph.requests++
	}
	if err != nil {
		var ex *fallback.ExhaustedError
		var ie *fallback.InterruptedError
		switch {
		case errors.As(err, &ex):
			agg.failedBy["exhausted"]++
		case errors.As(err, &ie):
			agg.failedBy["interrupted"]++
		default:
			agg.failedBy["not_fallen_back"]++
		}
		agg.waitTotal += end
		if ph != nil {
			ph.failed++
		}
		return
	}
	if hedgeWon {
		agg.hedgesWon++
	}
	win := res.Attempts[len(res.Attempts)-1]
	for _, a := range res.Attempts {
		if a.Outcome == fallback.OutcomeOK {
			win = a
		}
	}
	pos := d.pos[res.Target.Provider]
	agg.served[pos]++
	if pos == 0 && agg.recovered < 0 && d.outageEnd > 0 && at >= d.outageEnd {
		agg.recovered = at + win.Start + win.TTFT - d.outageEnd
	}
	ttft := win.Start + win.TTFT
	agg.latency.add(ttft)
	agg.added.add(ttft - baseline)
	agg.waitTotal += win.Start
	if ph != nil {
		ph.latency.add(ttft)
		ph.added.add(ttft - baseline)
	}
}

// baseline is the time to first token the healthy primary would have
// given request i: the same draw its first try makes.
func (d *driver) baseline(i uint64) time.Duration {
	id := d.chainIDs[0]
	return d.links[d.chain[0].Provider].tl.healthy.latency(unit(drawKey(d.opts.Seed, i, id, 0), streamLatency))
}

func (d *driver) report(agg *aggregate) *Report {
	r := &Report{
		Scenario: d.opts.Scenario.Name, Policy: "configured", Category: d.cat.Name,
		Chain: d.chain, Seed: d.opts.Seed, RPS: d.rps, Simulated: d.duration,
		Requests: d.n, FailedBy: agg.failedBy, BreakerOpenings: agg.openings,
		Failovers: agg.failovers, BreakerSkips: agg.breakerSkips, HedgesWon: agg.hedgesWon,
	}
	if d.opts.Naive {
		r.Policy = "naive"
	}
	for _, n := range agg.served {
		r.Served += n
	}
	r.Failed = r.Requests - r.Served
	r.FailedRate = float64(r.Failed) / float64(r.Requests)
	r.ExpectedFailedRate = agg.expected / float64(r.Requests)
	r.Latency, r.Baseline = agg.latency.percentiles(), agg.baseline.percentiles()
	r.Added = agg.added.percentiles()
	r.DeadLinkWait = agg.waitTotal.Truncate(time.Microsecond)
	for k, t := range d.chain {
		lc := &agg.links[k]
		r.Links = append(r.Links, LinkReport{
			Target: t, Served: agg.served[k], Share: float64(agg.served[k]) / float64(r.Requests),
			Attempts: lc.attempts, Errors: lc.errors, Timeouts: lc.timeouts, Skipped: lc.skipped,
			HedgesLost: lc.hedgesLost, Latency: lc.latency.percentiles(),
		})
	}
	if agg.recovered >= 0 {
		r.RecoveredAfter = &agg.recovered
	}
	if ph := agg.after; ph != nil {
		lat := ph.latency.percentiles()
		r.AfterBreakerOpen = &Phase{From: d.arrival(ph.from), Requests: ph.requests, Failed: ph.failed,
			Latency: lat, Added: ph.added.percentiles()}
	}
	return r
}
