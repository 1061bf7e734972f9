package simulate

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/llmfall/llmfall/fallback"
	"github.com/llmfall/llmfall/provider"
)

// Defaults applied where an Options field is zero.
const (
	DefaultRPS   = 50
	DefaultSpeed = 1000
	// DefaultWorkers is how many requests the parallel driver keeps in
	// flight; only hung links hold one for long.
	DefaultWorkers = 512
)

// Options is one simulation run.
type Options struct {
	// Engine is the engine's configuration as configured, in real
	// durations; Run compresses it.
	Engine fallback.Config
	// Category is the chain driven; "" means the first category.
	Category string
	Scenario *Scenario
	// RPS is the request rate; 0 means the scenario's, else DefaultRPS.
	RPS float64
	// Duration overrides the scenario's simulated duration when positive.
	Duration time.Duration
	// Speed divides every timer of the engine (timeouts, hedge delay, retry
	// backoff); 0 means DefaultSpeed. Breaker cool-downs and Retry-After
	// run on the simulated clock and need no compression.
	Speed float64
	Seed  int64
	// Naive replaces the configured policy with NaivePolicy's.
	Naive bool
	// Workers bounds requests in flight when the policy lets requests run
	// in parallel; 0 means DefaultWorkers.
	Workers int
}

// NaivePolicy is the policy llmfall started from: fall back on any error or
// timeout, with no breaker, no hedging and no retries. --compare runs it
// beside the configured one.
func NaivePolicy(cfg fallback.Config) fallback.Config {
	cfg.BreakerFailures = -1
	cfg.Retries = 0
	cfg.ShouldFallback = nil
	cfg.Categories = slices.Clone(cfg.Categories)
	for i := range cfg.Categories {
		cfg.Categories[i].HedgeAfter = 0
	}
	return cfg
}

// epoch is the simulated clock's zero; only differences matter.
var epoch = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// driver is one run's fixed setup.
type driver struct {
	opts     Options
	cfg      fallback.Config // as configured (real durations), policy applied
	cat      fallback.Category
	chain    []fallback.Target
	eng      *fallback.Engine
	clk      *clock
	links    map[string]*link
	pos      map[string]int // provider → chain position
	chainIDs []int          // chain position → link id
	timeouts fallback.Timeouts
	n        int
	rps      float64
	duration time.Duration
	hedge    time.Duration
}

// Run drives the real engine through the scenario and reports what users
// would have seen. It returns early with ctx's error if ctx ends.
func Run(ctx context.Context, opts Options) (*Report, error) {
	d, err := newDriver(opts)
	if err != nil {
		return nil, err
	}
	recs := make([]record, d.n)
	var agg *aggregate
	if d.sequential() {
		agg, err = d.runSequential(ctx, recs)
	} else {
		agg, err = d.runParallel(ctx, recs)
	}
	if err != nil {
		return nil, err
	}
	return d.report(recs, agg), nil
}

func newDriver(opts Options) (*driver, error) {
	if opts.Scenario == nil {
		return nil, errors.New("simulate: no scenario")
	}
	if opts.Speed == 0 {
		opts.Speed = DefaultSpeed
	}
	if opts.Speed < 1 {
		return nil, fmt.Errorf("simulate: speed %v: must be at least 1", opts.Speed)
	}
	if opts.Workers <= 0 {
		opts.Workers = DefaultWorkers
	}
	d := &driver{opts: opts, cfg: opts.Engine}
	if opts.Naive {
		d.cfg = NaivePolicy(opts.Engine)
	}
	if len(d.cfg.Categories) == 0 {
		return nil, errors.New("simulate: the configuration has no category")
	}
	d.cat = d.cfg.Categories[0]
	if opts.Category != "" {
		i := slices.IndexFunc(d.cfg.Categories, func(c fallback.Category) bool { return c.Name == opts.Category })
		if i < 0 {
			return nil, fmt.Errorf("simulate: unknown category %q", opts.Category)
		}
		d.cat = d.cfg.Categories[i]
	}
	d.chain = fallback.ResolveChain(d.cat, d.cfg.Order)
	if len(d.chain) == 0 {
		return nil, fmt.Errorf("simulate: category %q has an empty chain", d.cat.Name)
	}
	d.timeouts = effective(d.cfg.Timeouts, d.cat.Timeouts)
	d.hedge = d.cat.HedgeAfter
	d.rps = opts.RPS
	if d.rps == 0 {
		d.rps = opts.Scenario.RPS
	}
	if d.rps == 0 {
		d.rps = DefaultRPS
	}
	if d.rps < 0 {
		return nil, fmt.Errorf("simulate: rps %v: must be positive", d.rps)
	}
	d.duration = opts.Scenario.Duration
	if opts.Duration > 0 {
		d.duration = opts.Duration
	}
	d.n = int(d.duration.Seconds() * d.rps)
	if d.n < 1 {
		return nil, fmt.Errorf("simulate: %s at %v requests/s is no request at all", d.duration, d.rps)
	}
	d.clk = &clock{seed: opts.Seed, firstToken: d.timeouts.FirstToken, backoff: d.cfg.RetryBackoff}
	if d.hedge > 0 && len(d.chain) > 1 {
		d.clk.hedge = d.hedge
	}
	if d.sequential() {
		d.clk.now = new(atomic.Int64)
	}
	if err := d.bind(); err != nil {
		return nil, err
	}
	eng, err := fallback.New(d.compressed(), d.providers())
	if err != nil {
		return nil, fmt.Errorf("simulate: %w", err)
	}
	d.eng = eng
	return d, nil
}

// sequential reports whether requests must run one at a time: breakers
// are state shared between requests, and only a fixed order of requests
// gives them the same history on every run.
func (d *driver) sequential() bool { return d.cfg.BreakerFailures >= 0 }

// effective is the category's timeouts over the global ones, with a
// negative value meaning no limit, as the engine reads them.
func effective(global, cat fallback.Timeouts) fallback.Timeouts {
	pick := func(g, c time.Duration) time.Duration {
		if c != 0 {
			g = c
		}
		return max(g, 0)
	}
	return fallback.Timeouts{
		Attempt:    pick(global.Attempt, cat.Attempt),
		FirstToken: pick(global.FirstToken, cat.FirstToken),
		Idle:       pick(global.Idle, cat.Idle),
		Total:      pick(global.Total, cat.Total),
	}
}

// bind gives every provider the engine knows a link, the chain's links
// their scenario timelines, and checks the scenario fits the chain.
func (d *driver) bind() error {
	d.pos = make(map[string]int, len(d.chain))
	for i, t := range d.chain {
		d.pos[t.Provider] = i
	}
	timelines := make([]*Timeline, len(d.chain))
	var errs []error
	sc := d.opts.Scenario
	for i := range sc.Links {
		tl := &sc.Links[i]
		where := fmt.Sprintf("scenario %s: links[%d]", sc.Name, i)
		if tl.line > 0 {
			where = fmt.Sprintf("scenario %s: line %d", sc.Name, tl.line)
		}
		p := tl.Link - 1
		if tl.Provider != "" {
			var ok bool
			if p, ok = d.pos[tl.Provider]; !ok {
				errs = append(errs, fmt.Errorf("%s: provider %q is not in the chain of %s (%s)", where, tl.Provider, d.cat.Name, chainString(d.chain)))
				continue
			}
		}
		if p < 0 || p >= len(d.chain) {
			errs = append(errs, fmt.Errorf("%s: link %d: the chain of %s has %d links (%s)", where, tl.Link, d.cat.Name, len(d.chain), chainString(d.chain)))
			continue
		}
		if timelines[p] != nil {
			errs = append(errs, fmt.Errorf("%s: link %d (%s) is described twice", where, p+1, d.chain[p].Provider))
			continue
		}
		timelines[p] = tl
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	names := providerNames(d.cfg)
	if len(names) > maxLinks {
		return fmt.Errorf("simulate: %d providers; at most %d can be simulated", len(names), maxLinks)
	}
	healthy := &Timeline{Healthy: DefaultProfile}
	d.links = make(map[string]*link, len(names))
	for id, name := range names {
		tl := healthy
		if p, ok := d.pos[name]; ok && timelines[p] != nil {
			tl = timelines[p]
		}
		d.links[name] = &link{name: name, id: id, tl: compileTimeline(tl, d.timeouts.FirstToken), clk: d.clk}
	}
	d.chainIDs = make([]int, len(d.chain))
	for i, t := range d.chain {
		d.chainIDs[i] = d.links[t.Provider].id
	}
	if d.timeouts.FirstToken <= 0 && d.timeouts.Total <= 0 {
		for _, t := range d.chain {
			if d.links[t.Provider].canHang() {
				return fmt.Errorf("simulate: %s hangs in this scenario, but category %s has no first_token or total timeout: hung requests would never end", t.Provider, d.cat.Name)
			}
		}
	}
	return nil
}

func (l *link) canHang() bool {
	if l.tl.healthy.hang > 0 {
		return true
	}
	for _, w := range l.tl.windows {
		if w.p.hang > 0 {
			return true
		}
	}
	return false
}

func chainString(chain []fallback.Target) string {
	s := ""
	for i, t := range chain {
		if i > 0 {
			s += " → "
		}
		s += t.String()
	}
	return s
}

// providerNames is every provider the configuration mentions, sorted, so
// that link ids (and with them the draws) do not depend on map order.
func providerNames(cfg fallback.Config) []string {
	set := map[string]bool{}
	for _, p := range cfg.Order {
		set[p] = true
	}
	for _, c := range cfg.Categories {
		for p := range c.Models {
			set[p] = true
		}
		for _, p := range c.Order {
			set[p] = true
		}
	}
	names := make([]string, 0, len(set))
	for p := range set {
		names = append(names, p)
	}
	slices.Sort(names)
	return names
}

func (d *driver) providers() map[string]provider.Provider {
	m := make(map[string]provider.Provider, len(d.links))
	for name, l := range d.links {
		m[name] = l
	}
	return m
}

// compressed is the engine configuration with every real timer divided by
// the speed and the breakers on the simulated clock.
func (d *driver) compressed() fallback.Config {
	cfg := d.cfg
	s := d.opts.Speed
	cfg.Timeouts = compressTimeouts(cfg.Timeouts, s)
	cfg.RetryBackoff = compress(cfg.RetryBackoff, s)
	cfg.Categories = slices.Clone(cfg.Categories)
	for i := range cfg.Categories {
		c := &cfg.Categories[i]
		c.Timeouts = compressTimeouts(c.Timeouts, s)
		c.HedgeAfter = compress(c.HedgeAfter, s)
	}
	cfg.OnAttempt = nil
	if now := d.clk.now; now != nil {
		cfg.Now = func() time.Time { return epoch.Add(time.Duration(now.Load())) }
	}
	return cfg
}

// compress divides d by s, keeping its sign and keeping a set limit set.
func compress(d time.Duration, s float64) time.Duration {
	if d == 0 {
		return 0
	}
	c := time.Duration(float64(d) / s)
	switch {
	case d > 0 && c == 0:
		return 1
	case d < 0 && c == 0:
		return -1
	}
	return c
}

func compressTimeouts(t fallback.Timeouts, s float64) fallback.Timeouts {
	return fallback.Timeouts{
		Attempt:    compress(t.Attempt, s),
		FirstToken: compress(t.FirstToken, s),
		Idle:       compress(t.Idle, s),
		Total:      compress(t.Total, s),
	}
}

// arrival is when request i arrives: evenly spaced at the request rate.
func (d *driver) arrival(i int) time.Duration {
	return time.Duration(float64(i) * float64(time.Second) / d.rps)
}

// request is what every simulated user asks.
func (d *driver) request() *fallback.Request {
	return &fallback.Request{Category: d.cat.Name, Request: provider.Request{
		Messages: []provider.Message{{Role: provider.RoleUser, Content: "Summarise this ticket: the parcel arrived broken."}},
	}}
}

// runSequential runs requests one after another in arrival order, with the
// breakers' clock at each request's simulated time, and watches the
// breakers between requests.
func (d *driver) runSequential(ctx context.Context, recs []record) (*aggregate, error) {
	agg := newAggregate(len(d.chain))
	t := &trace{clk: d.clk}
	rctx := context.WithValue(ctx, traceKey{}, t)
	req := d.request()
	states := make([]fallback.BreakerState, len(d.chain))
	for i := range recs {
		if i%1024 == 0 && ctx.Err() != nil {
			return nil, fmt.Errorf("simulate: %w", ctx.Err())
		}
		if err := d.one(rctx, t, req, i, &recs[i], agg); err != nil {
			return nil, err
		}
		for k, target := range d.chain {
			st, _ := d.eng.Breaker(target)
			if st != fallback.StateClosed && states[k] == fallback.StateClosed {
				agg.openings++
				if k == 0 && agg.firstOpen < 0 {
					agg.firstOpen = i
				}
			}
			states[k] = st
		}
	}
	return agg, nil
}

// runParallel runs requests on a pool of workers. It is used only when no
// state links requests (no breakers), so every request's fate depends on
// its own draws alone and the result is the same in any order.
func (d *driver) runParallel(ctx context.Context, recs []record) (*aggregate, error) {
	workers := min(d.opts.Workers, len(recs), max(runtime.GOMAXPROCS(0), 1)*256)
	aggs := make([]*aggregate, workers)
	errs := make([]error, workers)
	var next atomic.Int64
	var wg sync.WaitGroup
	cpu := make(chan struct{}, max(runtime.GOMAXPROCS(0), 1))
	for w := range workers {
		aggs[w] = newAggregate(len(d.chain))
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := &trace{clk: d.clk, cpu: cpu}
			rctx := context.WithValue(ctx, traceKey{}, t)
			req := d.request()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(recs) {
					return
				}
				if ctx.Err() != nil {
					errs[w] = fmt.Errorf("simulate: %w", ctx.Err())
					return
				}
				cpu <- struct{}{}
				err := d.one(rctx, t, req, i, &recs[i], aggs[w])
				<-cpu
				if err != nil {
					errs[w] = err
					return
				}
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("simulate: %w", err)
	}
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	agg := newAggregate(len(d.chain))
	for _, a := range aggs {
		agg.merge(a)
	}
	return agg, nil
}

// one sends request i through the engine and records what happened.
func (d *driver) one(ctx context.Context, t *trace, req *fallback.Request, i int, rec *record, agg *aggregate) error {
	t.reset(uint64(i), d.arrival(i))
	s, err := d.eng.Stream(ctx, req)
	if err != nil {
		return fmt.Errorf("simulate: %w", err)
	}
	for s.Next() {
	}
	err = s.Err()
	res := s.Result()
	s.Close()
	if err != nil && ctx.Err() != nil {
		return fmt.Errorf("simulate: %w", ctx.Err())
	}
	d.record(t, res, err, rec, agg)
	return nil
}
