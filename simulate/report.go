package simulate

import (
	"encoding/json"
	"errors"
	"math"
	"slices"
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
	Speed     float64

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
	// what the primary, healthy, would have given the same requests; Added
	// is Latency less Baseline, percentile by percentile (negative where a
	// backup link is faster).
	Latency, Added, Baseline Percentiles
	// AfterBreakerOpen covers the requests that arrived after the first
	// link's breaker first opened; nil when it never did.
	AfterBreakerOpen *Phase
	// DeadLinkWait is the total time requests spent on links that then
	// failed them, before being served or failing.
	DeadLinkWait    time.Duration
	BreakerOpenings int
	HedgesWon       int
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
		Speed              float64           `json:"speed"`
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
	}{
		Scenario: r.Scenario, Policy: r.Policy, Category: r.Category, Chain: r.Chain, Seed: r.Seed,
		RPS: r.RPS, SimulatedSeconds: r.Simulated.Seconds(), Speed: r.Speed,
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
	return json.Marshal(doc)
}

// record is one request's outcome, kept compact: a day at 50 requests/s
// is 4.32 M of them. Times are in microseconds of simulated time.
type record struct {
	ttft   int32 // served: first token; failed: until it failed
	wait   int32
	served int8 // chain position, or -1
	flags  uint8
}

const (
	flagFailover uint8 = 1 << iota
	flagSkipped
	flagHedgeWon
	flagExhausted
	flagInterrupted
	flagStopped
)

func micros(d time.Duration) int32 {
	return int32(min(max(d.Microseconds(), math.MinInt32), math.MaxInt32))
}

// aggregate is what the driver counts besides the records.
type aggregate struct {
	links   []linkCount
	answers [][]int32 // per chain position: own times to first token, µs
	// openings counts breakers seen going from closed to open or
	// half-open; firstOpen is the request after which the first link's
	// breaker first opened, -1 for never.
	openings  int
	firstOpen int
}

type linkCount struct {
	attempts, errors, timeouts, skipped, hedgesLost int
}

func newAggregate(links int) *aggregate {
	return &aggregate{links: make([]linkCount, links), answers: make([][]int32, links), firstOpen: -1}
}

func (a *aggregate) merge(b *aggregate) {
	for i := range a.links {
		x, y := &a.links[i], b.links[i]
		x.attempts += y.attempts
		x.errors += y.errors
		x.timeouts += y.timeouts
		x.skipped += y.skipped
		x.hedgesLost += y.hedgesLost
		a.answers[i] = append(a.answers[i], b.answers[i]...)
	}
	a.openings += b.openings
}

// record reads one finished request from the engine's result and the
// trace's simulated times.
func (d *driver) record(t *trace, res *fallback.Result, err error, rec *record, agg *aggregate) {
	*rec = record{served: -1}
	var first string
	for i, a := range res.Attempts {
		if i == 0 {
			first = a.Provider
		} else if a.Provider != first {
			rec.flags |= flagFailover
		}
		p, ok := d.pos[a.Provider]
		if !ok {
			continue
		}
		lc := &agg.links[p]
		switch a.Outcome {
		case fallback.OutcomeSkipped:
			lc.skipped++
			rec.flags |= flagSkipped
			continue
		case fallback.OutcomeError:
			lc.errors++
		case fallback.OutcomeTimeout:
			lc.timeouts++
		case fallback.OutcomeCancelled:
			lc.hedgesLost++
			rec.flags |= flagHedgeWon
		}
		lc.attempts++
	}
	tl := d.replay(t, res, agg)
	if err != nil {
		rec.flags &^= flagHedgeWon
		var ex *fallback.ExhaustedError
		var ie *fallback.InterruptedError
		switch {
		case errors.As(err, &ex):
			rec.flags |= flagExhausted
		case errors.As(err, &ie):
			rec.flags |= flagInterrupted
		default:
			rec.flags |= flagStopped
		}
		rec.ttft = micros(tl.end)
		rec.wait = rec.ttft
		return
	}
	rec.served = int8(d.pos[res.Target.Provider])
	rec.ttft = micros(tl.winAt)
	rec.wait = micros(tl.winStart)
}

// placed is a request's attempts replayed in simulated time.
type placed struct {
	winAt    time.Duration // the first token reached the caller
	winStart time.Duration // the serving attempt started
	end      time.Duration // the last failure ended
}

// replay places the attempts of the engine's log (in launch order) in
// simulated time, each with the fate its draw gave it. The engine starts
// the next link when one fails, or, hedging, when HedgeAfter passes with a
// link still silent; which links it tried and how each attempt ended are
// the engine's own record. Doing this after the call, rather than as the
// links are called, keeps the times independent of the order in which
// racing goroutines happened to reach the links.
func (d *driver) replay(t *trace, res *fallback.Result, agg *aggregate) placed {
	type span struct {
		start, end time.Duration
		hang       bool
		open       bool // a hang still running when the call ended
	}
	var spansBuf [8]span
	spans := spansBuf[:0]
	var failBuf [8]time.Duration
	failures := failBuf[:0] // failure ends not yet followed by a launch
	var tries [maxLinks]uint8
	var out placed
	hedge, ft := d.clk.hedge, d.clk.firstToken
	lastLaunch, prev := time.Duration(0), -1
	for _, a := range res.Attempts {
		if a.Outcome == fallback.OutcomeSkipped {
			continue
		}
		l := d.links[a.Provider]
		try := int(tries[l.id])
		tries[l.id]++
		o, _, dur, _ := l.decide(t.idx, t.arrival, try)
		start := time.Duration(0)
		if len(spans) > 0 {
			start = d.nextLaunch(lastLaunch, &failures, hedge, func(tick time.Duration) bool {
				for _, s := range spans {
					if s.hang && s.start <= tick && (s.open || tick < s.end) {
						return true
					}
				}
				return false
			})
			if try > 0 && prev == l.id && hedge == 0 && d.clk.backoff > 0 {
				start += d.clk.backoff << min(try-1, 16)
			}
		}
		lastLaunch, prev = start, l.id
		if o == outAnswer {
			if p, ok := d.pos[a.Provider]; ok {
				agg.answers[p] = append(agg.answers[p], micros(dur))
			}
		}
		sp := span{start: start, hang: o == outHang}
		switch {
		case a.Outcome == fallback.OutcomeOK:
			out.winAt, out.winStart = start+dur, start
		case a.Outcome == fallback.OutcomeTimeout || o == outHang && a.Outcome != fallback.OutcomeCancelled:
			// A hang ends at the first-token timeout (a drawn answer
			// the engine timed out anyway is counted the same way).
			sp.end = start + ft
			sp.hang = true
			failures = append(failures, sp.end)
		case a.Outcome == fallback.OutcomeCancelled:
			sp.open = true
		default:
			sp.end = start + dur
			failures = append(failures, sp.end)
		}
		out.end = max(out.end, sp.end)
		spans = append(spans, sp)
	}
	return out
}

// nextLaunch is when the engine starts its next link: at the earliest
// failure not yet followed by a launch, or at the hedge tick if one comes
// first while a link is still silent.
func (d *driver) nextLaunch(last time.Duration, failures *[]time.Duration, hedge time.Duration, silent func(time.Duration) bool) time.Duration {
	at, from := time.Duration(math.MaxInt64), -1
	for i, f := range *failures {
		if f < at {
			at, from = f, i
		}
	}
	if hedge > 0 {
		if tick := last + hedge; tick < at && silent(tick) {
			at, from = tick, -1
		}
	}
	if from >= 0 {
		fs := *failures
		*failures = append(fs[:from], fs[from+1:]...)
	}
	if at == time.Duration(math.MaxInt64) {
		return last
	}
	return at
}

// baseline is the time to first token the healthy primary would have
// given request i: the same draw its first try makes.
func (d *driver) baseline(i uint64) time.Duration {
	id := d.chainIDs[0]
	return d.links[d.chain[0].Provider].tl.healthy.latency(unit(drawKey(d.clk.seed, i, id, 0), streamLatency))
}

func (d *driver) report(recs []record, agg *aggregate) *Report {
	r := &Report{
		Scenario: d.opts.Scenario.Name, Policy: "configured", Category: d.cat.Name,
		Chain: d.chain, Seed: d.opts.Seed, RPS: d.rps, Simulated: d.duration, Speed: d.opts.Speed,
		Requests: len(recs), FailedBy: map[string]int{}, BreakerOpenings: agg.openings,
	}
	if d.opts.Naive {
		r.Policy = "naive"
	}
	served := make([]int, len(d.chain))
	var lat, base []int32
	var waitTotal int64
	expected := 0.0
	for i := range recs {
		rec := &recs[i]
		waitTotal += int64(rec.wait)
		if rec.flags&flagFailover != 0 {
			r.Failovers++
		}
		if rec.flags&flagSkipped != 0 {
			r.BreakerSkips++
		}
		if rec.flags&flagHedgeWon != 0 {
			r.HedgesWon++
		}
		base = append(base, micros(d.baseline(uint64(i))))
		p := 1.0
		at := d.arrival(i)
		for _, t := range d.chain {
			p *= d.links[t.Provider].tl.at(at).pFail
		}
		expected += p
		switch {
		case rec.served >= 0:
			r.Served++
			served[rec.served]++
			lat = append(lat, rec.ttft)
		case rec.flags&flagExhausted != 0:
			r.FailedBy["exhausted"]++
		case rec.flags&flagInterrupted != 0:
			r.FailedBy["interrupted"]++
		default:
			r.FailedBy["not_fallen_back"]++
		}
	}
	r.Failed = r.Requests - r.Served
	r.FailedRate = float64(r.Failed) / float64(r.Requests)
	r.ExpectedFailedRate = expected / float64(r.Requests)
	r.Latency, r.Baseline = percentiles(lat), percentiles(base)
	r.Added = r.Latency.minus(r.Baseline)
	r.DeadLinkWait = time.Duration(waitTotal) * time.Microsecond
	for k, t := range d.chain {
		lc := agg.links[k]
		r.Links = append(r.Links, LinkReport{
			Target: t, Served: served[k], Share: float64(served[k]) / float64(r.Requests),
			Attempts: lc.attempts, Errors: lc.errors, Timeouts: lc.timeouts, Skipped: lc.skipped,
			HedgesLost: lc.hedgesLost, Latency: percentiles(agg.answers[k]),
		})
	}
	if agg.firstOpen >= 0 {
		r.AfterBreakerOpen = d.phase(recs, agg.firstOpen+1, r.Baseline)
	}
	return r
}

// phase reports the requests from index from on.
func (d *driver) phase(recs []record, from int, baseline Percentiles) *Phase {
	p := &Phase{From: d.arrival(from), Requests: len(recs) - from}
	var lat []int32
	for _, rec := range recs[from:] {
		if rec.served < 0 {
			p.Failed++
			continue
		}
		lat = append(lat, rec.ttft)
	}
	p.Latency = percentiles(lat)
	p.Added = p.Latency.minus(baseline)
	return p
}

// minus is p less q, percentile by percentile.
func (p Percentiles) minus(q Percentiles) Percentiles {
	return Percentiles{P50: p.P50 - q.P50, P95: p.P95 - q.P95, P99: p.P99 - q.P99}
}

// percentiles sorts xs (microseconds) in place and takes nearest ranks.
func percentiles(xs []int32) Percentiles {
	if len(xs) == 0 {
		return Percentiles{}
	}
	slices.Sort(xs)
	rank := func(q float64) time.Duration {
		i := int(math.Ceil(q*float64(len(xs)))) - 1
		return time.Duration(xs[min(max(i, 0), len(xs)-1)]) * time.Microsecond
	}
	return Percentiles{P50: rank(0.50), P95: rank(0.95), P99: rank(0.99)}
}
