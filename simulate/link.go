package simulate

import (
	"context"
	"errors"
	"math"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/llmfall/llmfall/clock"
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
	// brk and stall are the shares of answers cut or stalled halfway;
	// chunks and gap shape an answer's stream.
	brk, stall float64
	chunks     int
	gap        time.Duration
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
		brk:        p.Break,
		stall:      p.Stall,
		chunks:     max(p.Chunks, 1),
		gap:        p.ChunkGap,
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
	streamMid     = 4 // a break or stall halfway through an answer
)

// maxLinks bounds the providers one run simulates.
const maxLinks = 32

// trace is the request a link is called for, shared by the links through
// the context: it numbers each link's tries, so that every try draws its
// own fate, and collects the times to first token the links gave. Attempts
// of a hedged race run concurrently, hence the mutex.
type trace struct {
	mu      sync.Mutex
	idx     uint64
	arrival time.Duration
	tries   [maxLinks]uint8
	answers []answer
}

// answer is one time to first token a link gave, whether it won or not.
type answer struct {
	link int // link id
	ttft time.Duration
}

type traceKey struct{}

func (t *trace) reset(idx uint64, arrival time.Duration) {
	t.idx, t.arrival = idx, arrival
	t.tries = [maxLinks]uint8{}
	t.answers = t.answers[:0]
}

// link is one simulated provider replaying its timeline on the run's
// virtual clock: it sleeps its latencies there, so that the engine's own
// timers decide what a user would have seen.
type link struct {
	name string
	id   int
	tl   *timeline
	clk  clock.Clock
	seed int64
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
// arriving at arrival: a pure function of them and the seed.
func (l *link) decide(idx uint64, arrival time.Duration, try int) (outcome, *profile, time.Duration, uint64) {
	p := l.tl.at(arrival)
	key := drawKey(l.seed, idx, l.id, try)
	u := unit(key, streamFault)
	switch {
	case u < p.hang:
		return outHang, p, 0, key
	case u < p.fail:
		return outError, p, p.errLatency, key
	}
	return outAnswer, p, p.latency(unit(key, streamLatency)), key
}

// draw numbers the call and decides its fate.
func (l *link) draw(ctx context.Context) (*trace, outcome, *profile, time.Duration, uint64, error) {
	t, _ := ctx.Value(traceKey{}).(*trace)
	if t == nil {
		return nil, 0, nil, 0, 0, errNoTrace
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	try := int(t.tries[l.id])
	if t.tries[l.id] < math.MaxUint8 {
		t.tries[l.id]++
	}
	o, p, d, key := l.decide(t.idx, t.arrival, try)
	return t, o, p, d, key, nil
}

func (l *link) answered(t *trace, ttft time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.answers = append(t.answers, answer{l.id, ttft})
}

// forever is how long a hung link waits: until the engine gives up on it.
const forever = time.Duration(math.MaxInt64)

// sleep waits d of virtual time; a context that ends first is the error an
// adapter would return.
func (l *link) sleep(ctx context.Context, d time.Duration) error {
	if err := l.clk.Sleep(ctx, d); err != nil {
		return &provider.Error{Provider: l.name, Class: provider.ClassOf(err), Err: err}
	}
	return nil
}

// Stream fails before the stream as an HTTP error would, after the drawn
// error latency; or accepts the call and sends its first token after the
// drawn latency; or accepts it and never sends a byte.
func (l *link) Stream(ctx context.Context, req *provider.Request) (provider.Stream, error) {
	t, o, p, d, key, err := l.draw(ctx)
	if err != nil {
		return nil, err
	}
	switch o {
	case outError:
		if err := l.sleep(ctx, d); err != nil {
			return nil, err
		}
		return nil, l.injected(p, key)
	case outHang:
		d = forever
	}
	ls := &linkStream{ctx: ctx, l: l, t: t, ttft: d, chunks: p.chunks, gap: p.gap, resp: provider.Response{
		Model: req.Model, TTFT: d, Usage: provider.Usage{InputTokens: 12, OutputTokens: 3 * p.chunks}}}
	if o == outAnswer {
		// Halfway, but always after the first token: the engine has
		// committed to this link by then, unless it buffers the stream.
		half := max(p.chunks/2, 1)
		switch u := unit(key, streamMid); {
		case u < p.brk:
			ls.cutAt = half
		case u < p.brk+p.stall:
			ls.stallAt = half
		}
	}
	return ls, nil
}

// Complete is Stream without the stream, for engines driven with Complete.
func (l *link) Complete(ctx context.Context, req *provider.Request) (*provider.Response, error) {
	s, err := l.Stream(ctx, req)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	for s.Next() {
	}
	if err := s.Err(); err != nil {
		return nil, err
	}
	return s.Response(), nil
}

const answerText = "simulated answer "

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

// linkStream sends its first chunk after its time to first token (forever
// for a hung link), the others a gap apart, and ends; or, after cutAt
// chunks, fails as a reset connection, or after stallAt chunks waits until
// the engine gives up.
type linkStream struct {
	ctx            context.Context
	l              *link
	t              *trace
	ttft, gap      time.Duration
	chunks         int
	cutAt, stallAt int // 0: never
	resp           provider.Response
	cur            provider.Chunk
	err            error
	sent           int
	done           bool
}

func (s *linkStream) Next() bool {
	if s.done {
		return false
	}
	s.cur = provider.Chunk{}
	wait := s.gap
	switch {
	case s.sent == s.chunks:
		s.done = true
		s.resp.FinishReason = provider.FinishStop
		return false
	case s.sent == 0:
		wait = s.ttft
	case s.sent == s.cutAt:
		s.done = true
		s.err = &provider.Error{Provider: s.l.name, Class: provider.ClassNetwork, Code: wire[provider.ClassNetwork].code,
			Message: wire[provider.ClassNetwork].msg}
		return false
	case s.sent == s.stallAt:
		wait = forever
	}
	if err := s.l.sleep(s.ctx, wait); err != nil {
		s.done, s.err = true, err
		return false
	}
	if s.sent == 0 {
		s.l.answered(s.t, s.ttft)
	}
	s.sent++
	s.resp.Latency = s.ttft + time.Duration(s.sent-1)*s.gap
	s.cur = provider.Chunk{Text: answerText}
	return true
}

func (s *linkStream) Current() provider.Chunk { return s.cur }
func (s *linkStream) Err() error              { return s.err }
func (s *linkStream) Close() error            { return nil }

func (s *linkStream) Response() *provider.Response {
	r := s.resp
	r.Text = strings.Repeat(answerText, s.sent)
	return &r
}
