package simulate

import (
	"context"
	"errors"
	"math"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/llmfall/llmfall/provider"
)

// profile is a Profile compiled for drawing.
type profile struct {
	hang, fail float64 // u < hang hangs; u < fail errors
	classes    []provider.Class
	cum        []float64 // cumulative weights of classes, ending at 1
	median     float64   // ns
	sigma      float64
	errLatency time.Duration
	retryAfter time.Duration
	// pFail is the chance a call fails from this link's point of view:
	// a hang, an error, or an answer slower than the first-token timeout.
	pFail float64
}

// z95 is the standard normal quantile of 0.95.
const z95 = 1.6448536269514722

func compile(p Profile, firstToken time.Duration) *profile {
	c := &profile{
		hang:       p.Hang,
		fail:       min(p.Hang+p.ErrorRate, 1),
		median:     float64(p.Latency.P50),
		errLatency: p.ErrorLatency,
		retryAfter: p.RetryAfter,
	}
	if p.Latency.P50 > 0 && p.Latency.P95 > p.Latency.P50 {
		c.sigma = math.Log(float64(p.Latency.P95)/float64(p.Latency.P50)) / z95
	}
	errs := p.Errors
	if len(errs) == 0 {
		errs = map[provider.Class]float64{provider.ClassServer: 1}
	}
	total := 0.0
	for _, cl := range provider.Classes { // a fixed order, so a seed means one thing
		if w := errs[cl]; w > 0 {
			c.classes = append(c.classes, cl)
			total += w
			c.cum = append(c.cum, total)
		}
	}
	for i := range c.cum {
		c.cum[i] /= total
	}
	slow := 0.0
	if firstToken > 0 {
		slow = c.slowerThan(firstToken)
		if c.errLatency >= firstToken {
			slow = 1 // its errors arrive after the timeout too
		}
	}
	c.pFail = min(1, c.fail+(1-c.fail)*slow)
	return c
}

// slowerThan is P(latency >= d) under the log-normal.
func (p *profile) slowerThan(d time.Duration) float64 {
	if p.sigma == 0 || p.median <= 0 {
		if float64(d) <= p.median {
			return 1
		}
		return 0
	}
	z := (math.Log(float64(d)) - math.Log(p.median)) / p.sigma
	return 0.5 * math.Erfc(z/math.Sqrt2)
}

// latency draws a time to first token from a uniform u in [0, 1).
func (p *profile) latency(u float64) time.Duration {
	if p.sigma == 0 {
		return time.Duration(p.median)
	}
	u = min(max(u, 1e-12), 1-1e-12)
	z := math.Sqrt2 * math.Erfinv(2*u-1)
	return time.Duration(p.median * math.Exp(p.sigma*z))
}

func (p *profile) class(u float64) provider.Class {
	i := sort.SearchFloat64s(p.cum, u)
	return p.classes[min(i, len(p.classes)-1)]
}

// timeline is a Timeline compiled: the healthy profile and the windows.
type timeline struct {
	healthy *profile
	windows []window
}

type window struct {
	from, to time.Duration
	p        *profile
}

func compileTimeline(t *Timeline, firstToken time.Duration) *timeline {
	ct := &timeline{healthy: compile(t.Healthy, firstToken)}
	for _, w := range t.Windows {
		ct.windows = append(ct.windows, window{w.From, w.To, compile(w.Profile, firstToken)})
	}
	return ct
}

// at is the profile in force at simulated time d; the last listed window
// containing d wins.
func (t *timeline) at(d time.Duration) *profile {
	for i := len(t.windows) - 1; i >= 0; i-- {
		if w := &t.windows[i]; d >= w.from && d < w.to {
			return w.p
		}
	}
	return t.healthy
}

// Draws are a pure function of (seed, request, link, try), never of the
// order in which goroutines happen to run, so the same seed gives every
// request the same fate whatever the concurrency.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

func drawKey(seed int64, req uint64, link, try int) uint64 {
	return mix(mix(mix(uint64(seed))^req) ^ uint64(link)<<8 ^ uint64(try))
}

// unit is the stream-th uniform in [0, 1) of a draw key.
func unit(key uint64, stream uint64) float64 {
	return float64(mix(key^stream*0x632be59bd9b4e019)>>11) / (1 << 53)
}

// Uniform streams of one draw.
const (
	streamFault   = 1
	streamClass   = 2
	streamLatency = 3
)

// clock is what the links know of the engine they feed, in simulated time.
type clock struct {
	seed       int64
	firstToken time.Duration // 0: none
	hedge      time.Duration // 0: no hedging
	backoff    time.Duration
	// now, when set, is the simulated time since the start of the run that
	// the engine's breakers read; the sequential driver owns it.
	now *atomic.Int64
}

// maxLinks bounds the providers one run simulates.
const maxLinks = 32

// trace is one request's simulated time while it runs, shared by the
// links it calls through the context: it numbers each link's tries and
// moves the breakers' clock as attempts fail. (The report places attempts
// in time afterwards, from the engine's log.) Attempts of a hedged race
// run concurrently, hence the mutex.
type trace struct {
	mu      sync.Mutex
	clk     *clock
	idx     uint64
	arrival time.Duration

	// next is when, counted from arrival, the attempt triggered by the
	// last failure or timeout starts; pending says one happened since the
	// latest launch (otherwise a launch while a link hangs is a hedge).
	next    time.Duration
	pending bool
	launch  time.Duration
	hanging int
	prev    int // link id of the latest attempt, -1 for none

	won   bool
	tries [maxLinks]uint8

	// cpu, when set, is the parallel driver's token for running engine
	// code: a hung link hands it back while it waits, so that at most
	// GOMAXPROCS requests are runnable and none is starved long enough to
	// lose a race against a compressed timer it should have won.
	cpu chan struct{}
}

type traceKey struct{}

func (t *trace) reset(idx uint64, arrival time.Duration) {
	t.idx, t.arrival = idx, arrival
	t.next, t.pending, t.launch, t.hanging, t.prev = 0, true, 0, 0, -1
	t.won = false
	t.tries = [maxLinks]uint8{}
	t.publish(0)
}

// publish moves the breakers' clock, when this driver has one, to at
// (simulated time since arrival). Callers hold mu or own t alone.
func (t *trace) publish(at time.Duration) {
	if t.clk.now != nil {
		t.clk.now.Store(int64(t.arrival + at))
	}
}

// start places a new attempt of link id in simulated time and returns its
// start and try number. mu held.
func (t *trace) start(id int) (time.Duration, int) {
	try := int(t.tries[id])
	if t.tries[id] < math.MaxUint8 {
		t.tries[id]++
	}
	var at time.Duration
	switch {
	case !t.pending && t.hanging > 0 && t.clk.hedge > 0:
		// Nothing failed since the last launch while a link hangs: the
		// engine's hedge timer started this one.
		at = t.launch + t.clk.hedge
	default:
		at = t.next
		if try > 0 && t.prev == id && t.clk.backoff > 0 {
			at += t.clk.backoff << min(try-1, 16)
		}
	}
	t.launch, t.pending, t.prev = at, false, id
	t.publish(at)
	return at, try
}

// event records a failure or timeout ending at end. mu held.
func (t *trace) event(end time.Duration) {
	t.next = max(t.next, end)
	t.pending = true
	t.publish(t.next)
}

// wait blocks until ctx ends, giving up the CPU token meanwhile.
func (t *trace) wait(ctx context.Context) {
	if t.cpu != nil {
		<-t.cpu
		defer func() { t.cpu <- struct{}{} }()
	}
	<-ctx.Done()
}

// link is one simulated provider replaying its timeline.
type link struct {
	name string
	id   int
	tl   *timeline
	clk  *clock
}

var _ provider.Provider = (*link)(nil)

var errNoTrace = errors.New("simulate: link called outside a simulation run")

type outcome uint8

const (
	outAnswer outcome = iota
	outError
	outHang
)

// decide is the fate of try number try of this link for request idx
// arriving at arrival: a pure function of them and the seed, so that the
// report can replay it from the engine's attempt log whatever order
// concurrent racers called in.
func (l *link) decide(idx uint64, arrival time.Duration, try int) (outcome, *profile, time.Duration, uint64) {
	p := l.tl.at(arrival)
	key := drawKey(l.clk.seed, idx, l.id, try)
	u := unit(key, streamFault)
	ft := l.clk.firstToken
	switch {
	case u < p.hang:
		return outHang, p, 0, key
	case u < p.fail:
		if ft > 0 && p.errLatency >= ft {
			return outHang, p, 0, key
		}
		return outError, p, p.errLatency, key
	}
	ttft := p.latency(unit(key, streamLatency))
	if ft > 0 && ttft >= ft {
		// The engine would give up first: let its own timer decide.
		return outHang, p, 0, key
	}
	return outAnswer, p, ttft, key
}

// draw decides one call and moves the request's simulated clock, which the
// breakers read while the request runs.
func (l *link) draw(ctx context.Context) (*trace, outcome, *profile, time.Duration, time.Duration, uint64, error) {
	t, _ := ctx.Value(traceKey{}).(*trace)
	if t == nil {
		return nil, 0, nil, 0, 0, 0, errNoTrace
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	start, try := t.start(l.id)
	o, p, d, key := l.decide(t.idx, t.arrival, try)
	switch o {
	case outHang:
		t.hanging++
	case outError:
		t.event(start + d)
	case outAnswer:
		if !t.won {
			t.won = true
			t.publish(start + d)
		}
	}
	return t, o, p, start, d, key, nil
}

// hangEnded accounts a hung attempt the engine abandoned: at the first-token
// timeout, unless another racer had already won (a lost hedge).
func (l *link) hangEnded(t *trace, start time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.hanging--
	if t.won {
		return
	}
	t.event(start + l.clk.firstToken)
}

// Stream answers with one chunk at once in real time (its simulated time
// to first token is accounted, not slept), fails before the stream as an
// HTTP error would, or hangs inside the stream until the engine cancels it.
func (l *link) Stream(ctx context.Context, req *provider.Request) (provider.Stream, error) {
	t, o, p, start, d, key, err := l.draw(ctx)
	if err != nil {
		return nil, err
	}
	switch o {
	case outError:
		return nil, l.injected(p, key)
	case outHang:
		return &hungStream{ctx: ctx, l: l, t: t, start: start}, nil
	}
	return &answerStream{resp: provider.Response{Text: answerText, FinishReason: provider.FinishStop,
		Model: req.Model, TTFT: d, Latency: d, Usage: provider.Usage{InputTokens: 12, OutputTokens: 3}}}, nil
}

// Complete is Stream without the stream, for engines driven with Complete.
func (l *link) Complete(ctx context.Context, req *provider.Request) (*provider.Response, error) {
	t, o, p, start, d, key, err := l.draw(ctx)
	if err != nil {
		return nil, err
	}
	switch o {
	case outError:
		return nil, l.injected(p, key)
	case outHang:
		t.wait(ctx)
		l.hangEnded(t, start)
		return nil, &provider.Error{Provider: l.name, Class: provider.ClassOf(ctx.Err()), Err: ctx.Err()}
	}
	return &provider.Response{Text: answerText, FinishReason: provider.FinishStop, Model: req.Model,
		TTFT: d, Latency: d, Usage: provider.Usage{InputTokens: 12, OutputTokens: 3}}, nil
}

const answerText = "simulated answer"

// wire is how an injected error of each class reads, so that attempt logs
// of a simulation look like real ones.
var wire = map[provider.Class]struct {
	status int
	code   string
	msg    string
}{
	provider.ClassRateLimited:    {429, "rate_limit_exceeded", "Rate limit reached for requests (simulated)"},
	provider.ClassOverloaded:     {529, "overloaded_error", "Overloaded (simulated)"},
	provider.ClassServer:         {500, "server_error", "The server had an error processing your request (simulated)"},
	provider.ClassTimeout:        {504, "gateway_timeout", "upstream request timed out (simulated)"},
	provider.ClassNetwork:        {0, "connection_reset", "read: connection reset by peer (simulated)"},
	provider.ClassAuth:           {401, "invalid_api_key", "Incorrect API key provided (simulated)"},
	provider.ClassNotFound:       {404, "model_not_found", "The model does not exist (simulated)"},
	provider.ClassInvalidRequest: {400, "invalid_request_error", "Invalid request (simulated)"},
	provider.ClassContextLength:  {400, "context_length_exceeded", "Maximum context length exceeded (simulated)"},
	provider.ClassContentFilter:  {400, "content_filter", "Filtered by the content policy (simulated)"},
	provider.ClassMalformed:      {200, "", "unexpected end of JSON input (simulated)"},
	provider.ClassUnknown:        {418, "unknown_error", "unexpected response (simulated)"},
}

func (l *link) injected(p *profile, key uint64) error {
	c := p.class(unit(key, streamClass))
	w := wire[c]
	e := &provider.Error{Provider: l.name, Status: w.status, Class: c, Code: w.code, Message: w.msg}
	if c == provider.ClassRateLimited {
		e.RetryAfter = p.retryAfter
	}
	return e
}

type answerStream struct {
	resp provider.Response
	cur  provider.Chunk
	sent bool
}

func (s *answerStream) Next() bool {
	if s.sent {
		s.cur = provider.Chunk{}
		return false
	}
	s.sent = true
	s.cur = provider.Chunk{Text: answerText}
	return true
}

func (s *answerStream) Current() provider.Chunk      { return s.cur }
func (s *answerStream) Err() error                   { return nil }
func (s *answerStream) Response() *provider.Response { r := s.resp; return &r }
func (s *answerStream) Close() error                 { return nil }

// hungStream accepted the call and never sends a byte.
type hungStream struct {
	ctx   context.Context
	l     *link
	t     *trace
	start time.Duration
	err   error
	ended bool
}

func (s *hungStream) Next() bool {
	if s.ended {
		return false
	}
	s.t.wait(s.ctx)
	s.ended = true
	s.l.hangEnded(s.t, s.start)
	s.err = &provider.Error{Provider: s.l.name, Class: provider.ClassOf(s.ctx.Err()), Err: s.ctx.Err()}
	return false
}

func (s *hungStream) Current() provider.Chunk      { return provider.Chunk{} }
func (s *hungStream) Err() error                   { return s.err }
func (s *hungStream) Response() *provider.Response { return &provider.Response{} }

// Close of a stream the engine abandons without reading it still ends the
// hang, so that the trace stays balanced.
func (s *hungStream) Close() error {
	if !s.ended {
		s.ended = true
		s.l.hangEnded(s.t, s.start)
	}
	return nil
}
