package simulate

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/llmfall/llmfall/clock"
	"github.com/llmfall/llmfall/fallback"
	"github.com/llmfall/llmfall/provider"
)

// DefaultRPS is the request rate when neither the options nor the
// scenario give one.
const DefaultRPS = 50

// Options is one simulation run.
type Options struct {
	// Engine is the engine's configuration as configured. Run replaces
	// its Clock with the run's virtual one.
	Engine fallback.Config
	// Category is the chain driven; "" means the first category.
	Category string
	Scenario *Scenario
	// RPS is the request rate; 0 means the scenario's, else DefaultRPS.
	RPS float64
	// Duration overrides the scenario's simulated duration when positive.
	Duration time.Duration
	Seed     int64
	// Naive replaces the configured policy with NaivePolicy's.
	Naive bool
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
	cfg      fallback.Config // as configured, policy applied
	cat      fallback.Category
	chain    []fallback.Target
	eng      *fallback.Engine
	clk      *clock.Virtual
	links    map[string]*link
	byID     []*link        // link id → link
	pos      map[string]int // provider → chain position
	chainIDs []int          // chain position → link id
	timeouts fallback.Timeouts
	n        int
	rps      float64
	duration time.Duration
	// outageEnd is when the primary's last outage ends (see
	// Report.RecoveredAfter); 0 when it has none that ends within the run.
	outageEnd time.Duration
}

// Run drives the real engine through the scenario, one request at a time in
// arrival order on a virtual clock, and reports what users would have seen.
// It returns early with ctx's error if ctx ends.
func Run(ctx context.Context, opts Options) (*Report, error) {
	d, err := newDriver(opts)
	if err != nil {
		return nil, err
	}
	agg, err := d.run(ctx)
	if err != nil {
		return nil, err
	}
	return d.report(agg), nil
}

func newDriver(opts Options) (*driver, error) {
	if opts.Scenario == nil {
		return nil, errors.New("simulate: no scenario")
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
	d.clk = clock.NewVirtual(epoch)
	if err := d.bind(); err != nil {
		return nil, err
	}
	cfg := d.cfg
	cfg.Clock, cfg.OnAttempt = d.clk, nil
	eng, err := fallback.New(cfg, d.providers())
	if err != nil {
		return nil, fmt.Errorf("simulate: %w", err)
	}
	d.eng = eng
	return d, nil
}

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
		d.links[name] = &link{name: name, id: id, tl: compileTimeline(tl, d.timeouts.FirstToken), clk: d.clk, seed: d.opts.Seed}
		d.byID = append(d.byID, d.links[name])
	}
	d.chainIDs = make([]int, len(d.chain))
	for i, t := range d.chain {
		d.chainIDs[i] = d.links[t.Provider].id
	}
	for _, w := range d.links[d.chain[0].Provider].tl.windows {
		if w.p.fail >= 0.5 && w.to < d.duration {
			d.outageEnd = max(d.outageEnd, w.to)
		}
	}
	for _, t := range d.chain {
		l := d.links[t.Provider]
		if d.timeouts.FirstToken <= 0 && d.timeouts.Total <= 0 && l.can(func(p *profile) bool { return p.hang > 0 }) {
			return fmt.Errorf("simulate: %s hangs in this scenario, but category %s has no first_token or total timeout: hung requests would never end", t.Provider, d.cat.Name)
		}
		if d.timeouts.Idle <= 0 && d.timeouts.Total <= 0 && l.can(func(p *profile) bool { return p.stall > 0 }) {
			return fmt.Errorf("simulate: %s stalls mid-answer in this scenario, but category %s has no idle or total timeout: stalled requests would never end", t.Provider, d.cat.Name)
		}
	}
	return nil
}

// can reports whether any of the link's profiles has the property.
func (l *link) can(has func(*profile) bool) bool {
	if has(l.tl.healthy) {
		return true
	}
	for _, w := range l.tl.windows {
		if has(w.p) {
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

// run sends the requests one after another in arrival order, each
// starting at its arrival time on the virtual clock, and watches the
// breakers between requests. Breakers are state shared by requests, and
// this fixed order gives them the same history on every run.
func (d *driver) run(ctx context.Context) (*aggregate, error) {
	agg := newAggregate(len(d.chain))
	t := &trace{}
	rctx := context.WithValue(ctx, traceKey{}, t)
	req := d.request()
	states := make([]fallback.BreakerState, len(d.chain))
	for i := range d.n {
		if i%1024 == 0 && ctx.Err() != nil {
			return nil, fmt.Errorf("simulate: %w", ctx.Err())
		}
		at := d.arrival(i)
		d.clk.Set(epoch.Add(at))
		t.reset(uint64(i), at)
		s, err := d.eng.Stream(rctx, req)
		if err != nil {
			return nil, fmt.Errorf("simulate: %w", err)
		}
		for s.Next() {
		}
		err = s.Err()
		res := s.Result()
		s.Close()
		if err != nil && ctx.Err() != nil {
			return nil, fmt.Errorf("simulate: %w", ctx.Err())
		}
		d.record(t, i, res, err, agg)
		for k, target := range d.chain {
			st, _ := d.eng.Breaker(target)
			if st != fallback.StateClosed && states[k] == fallback.StateClosed {
				agg.openings++
				if k == 0 && agg.after == nil {
					agg.after = newPhase(i + 1)
				}
			}
			states[k] = st
		}
	}
	return agg, nil
}
