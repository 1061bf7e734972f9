package sim

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/llmfall/llmfall/clock"
	"github.com/llmfall/llmfall/provider"
)

// Config sets up a simulated provider. The zero value is a fast, faultless
// provider named "sim" on the wall clock.
type Config struct {
	// Name is the provider name used in errors; "" means "sim". Offline mode
	// gives each sim the name of the provider it stands in for.
	Name string
	// Latency is the time to the whole answer for Complete; 0 is instant.
	Latency time.Duration
	// FirstToken is the time to the first chunk of a Stream; 0 is instant.
	FirstToken time.Duration
	// TokensPerSecond paces a Stream after its first chunk, one chunk
	// counting as one token; 0 means no pacing.
	TokensPerSecond float64
	// ErrorRate (0–1) is the share of calls that fail with an error drawn
	// from ErrorClasses.
	ErrorRate float64
	// ErrorClasses is the mix errors are drawn from, uniformly; list a
	// class twice to double its share. nil means rate_limited, server,
	// overloaded and timeout.
	ErrorClasses []provider.Class
	// HangRate (0–1) is the share of calls that never answer until their
	// context ends: a hung link. Hangs take their share before errors.
	HangRate float64
	// Seed seeds fault injection only; the text never depends on it.
	Seed int64
	// Clock is the time source for latency and pacing; nil means
	// clock.Real(). The engine's clock can be shared, so that a test or
	// simulation moves both at once.
	Clock clock.Clock
}

// DefaultErrorClasses is the error mix used when Config.ErrorClasses is nil:
// the transient failures a fallback engine exists for.
var DefaultErrorClasses = []provider.Class{
	provider.ClassRateLimited, provider.ClassServer, provider.ClassOverloaded, provider.ClassTimeout,
}

// Client is a simulated provider. It is safe for concurrent use.
type Client struct {
	name      string
	cfg       Config
	clock     clock.Clock
	classes   []provider.Class
	calls     atomic.Int64
	faultsOff bool

	mu  sync.Mutex // guards rng, so that a seed gives one fault sequence
	rng *rand.Rand
}

var _ provider.Provider = (*Client)(nil)

// New returns a simulated provider. Rates outside 0–1 and negative
// durations are clamped.
func New(cfg Config) *Client {
	if cfg.Name == "" {
		cfg.Name = "sim"
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.Real()
	}
	cfg.ErrorRate = min(max(cfg.ErrorRate, 0), 1)
	cfg.HangRate = min(max(cfg.HangRate, 0), 1)
	cfg.Latency = max(cfg.Latency, 0)
	cfg.FirstToken = max(cfg.FirstToken, 0)
	cfg.TokensPerSecond = max(cfg.TokensPerSecond, 0)
	classes := cfg.ErrorClasses
	if len(classes) == 0 {
		classes = DefaultErrorClasses
	}
	return &Client{
		name:      cfg.Name,
		cfg:       cfg,
		clock:     cfg.Clock,
		classes:   append([]provider.Class(nil), classes...),
		faultsOff: cfg.ErrorRate == 0 && cfg.HangRate == 0,
		rng:       rand.New(rand.NewPCG(uint64(cfg.Seed), 0x9e3779b97f4a7c15)),
	}
}

// Calls returns how many Complete and Stream calls the client has received,
// failed ones included.
func (c *Client) Calls() int64 { return c.calls.Load() }

// Complete answers req after Config.Latency, or fails as the fault draw says.
func (c *Client) Complete(ctx context.Context, req *provider.Request) (*provider.Response, error) {
	hang, err := c.begin(ctx, req)
	if err != nil {
		return nil, err
	}
	start := c.clock.Now()
	if hang {
		<-ctx.Done()
		return nil, c.ctxError(ctx.Err())
	}
	text, calls, finish := answer(req)
	if err := c.wait(ctx, c.cfg.Latency); err != nil {
		return nil, err
	}
	latency := c.clock.Now().Sub(start)
	return &provider.Response{
		Text:         text,
		ToolCalls:    calls,
		FinishReason: finish,
		Usage:        usage(req, text),
		Model:        req.Model,
		RequestID:    requestID(c.name, req),
		Latency:      latency,
		TTFT:         latency,
	}, nil
}

// Stream returns a stream of the same text Complete gives, in word-ish
// chunks: the first after Config.FirstToken, the rest paced by
// Config.TokensPerSecond. Injected errors come from Stream itself; a hang
// happens inside the stream, before its first chunk, as a link that accepted
// the call and then went silent.
func (c *Client) Stream(ctx context.Context, req *provider.Request) (provider.Stream, error) {
	hang, err := c.begin(ctx, req)
	if err != nil {
		return nil, err
	}
	start := c.clock.Now()
	text, calls, finish := answer(req)
	var parts []provider.Chunk
	for _, p := range chunks(text) {
		parts = append(parts, provider.Chunk{Text: p})
	}
	for i, tc := range calls {
		// A call streams as OpenAI's do: its id and name, then its
		// arguments in pieces.
		parts = append(parts, provider.Chunk{ToolCall: &provider.ToolCallDelta{Index: i, ID: tc.ID, Name: tc.Name}})
		args := string(tc.Arguments)
		half := len(args) / 2
		parts = append(parts, provider.Chunk{ToolCall: &provider.ToolCallDelta{Index: i, Arguments: args[:half]}},
			provider.Chunk{ToolCall: &provider.ToolCallDelta{Index: i, Arguments: args[half:]}})
	}
	var pace time.Duration
	if c.cfg.TokensPerSecond > 0 {
		pace = time.Duration(float64(time.Second) / c.cfg.TokensPerSecond)
	}
	next := 0
	step := func(meta *provider.Response) (provider.Chunk, error) {
		if next == 0 {
			meta.Model, meta.RequestID = req.Model, requestID(c.name, req)
			if hang {
				<-ctx.Done()
				return provider.Chunk{}, c.ctxError(ctx.Err())
			}
		}
		if next == len(parts) {
			meta.FinishReason, meta.Usage = finish, usage(req, text)
			return provider.Chunk{}, io.EOF
		}
		d := pace
		if next == 0 {
			d = c.cfg.FirstToken
		}
		if err := c.wait(ctx, d); err != nil {
			return provider.Chunk{}, err
		}
		next++
		return parts[next-1], nil
	}
	s := provider.NewChunkStream(ctx, c.name, nil, time.Now(), step)
	return &clockStream{Stream: s, clock: c.clock, start: start}, nil
}

// begin counts the call, draws its fault and checks what a real provider
// would reject before answering. The draw comes first so that every call
// consumes the same randomness whatever happens to it.
func (c *Client) begin(ctx context.Context, req *provider.Request) (hang bool, err error) {
	c.calls.Add(1)
	hang, class, retry := c.draw()
	if err := ctx.Err(); err != nil {
		return false, c.ctxError(err)
	}
	if err := c.validate(req); err != nil {
		return false, err
	}
	if class != "" {
		return false, c.injected(class, retry, req)
	}
	return hang, nil
}

// draw decides one call's fault: a hang, an error class (with the
// Retry-After a rate limit would carry), or neither.
func (c *Client) draw() (hang bool, class provider.Class, retry time.Duration) {
	if c.faultsOff {
		return false, "", 0
	}
	c.mu.Lock()
	u := c.rng.Float64()
	k := c.rng.IntN(len(c.classes))
	secs := 1 + c.rng.IntN(5)
	c.mu.Unlock()
	switch {
	case u < c.cfg.HangRate:
		return true, "", 0
	case u < c.cfg.HangRate+c.cfg.ErrorRate:
		return false, c.classes[k], time.Duration(secs) * time.Second
	}
	return false, "", 0
}

func (c *Client) validate(req *provider.Request) error {
	msg := ""
	switch {
	case req == nil:
		msg = "request: missing"
	case req.Model == "":
		msg = "model: required"
	case len(req.Messages) == 0:
		msg = "messages: at least one message is required"
	case req.MaxTokens < 0:
		msg = "max_tokens: must be positive, got " + strconv.Itoa(req.MaxTokens)
	default:
		return nil
	}
	return &provider.Error{Provider: c.name, Status: 400, Class: provider.ClassInvalidRequest,
		Code: "invalid_request_error", Message: msg}
}

// wait sleeps d on the client's clock; a context that ends first turns into
// a cancelled or timeout error.
func (c *Client) wait(ctx context.Context, d time.Duration) error {
	var err error
	if d > 0 {
		err = c.clock.Sleep(ctx, d)
	} else {
		err = ctx.Err()
	}
	if err != nil {
		return c.ctxError(err)
	}
	return nil
}

func (c *Client) ctxError(err error) error {
	return &provider.Error{Provider: c.name, Class: provider.ClassOf(err), Err: err}
}

// faultSpec is how a class of injected error looks on the wire of a real
// provider, so that logs and reports of a simulation read like real ones.
type faultSpec struct {
	status  int
	code    string
	message string
}

var faultSpecs = map[provider.Class]faultSpec{
	provider.ClassRateLimited:    {429, "rate_limit_exceeded", "Rate limit reached for requests (simulated)"},
	provider.ClassOverloaded:     {529, "overloaded_error", "Overloaded (simulated)"},
	provider.ClassServer:         {500, "server_error", "The server had an error while processing your request (simulated)"},
	provider.ClassTimeout:        {504, "gateway_timeout", "upstream request timed out (simulated)"},
	provider.ClassNetwork:        {0, "connection_reset", "read: connection reset by peer (simulated)"},
	provider.ClassAuth:           {401, "invalid_api_key", "Incorrect API key provided (simulated)"},
	provider.ClassNotFound:       {404, "model_not_found", "The model does not exist or you do not have access to it (simulated)"},
	provider.ClassInvalidRequest: {400, "invalid_request_error", "Invalid request (simulated)"},
	provider.ClassContextLength:  {400, "context_length_exceeded", "This model's maximum context length was exceeded (simulated)"},
	provider.ClassContentFilter:  {400, "content_filter", "The response was filtered by the content policy (simulated)"},
	provider.ClassMalformed:      {200, "", "unexpected end of JSON input (simulated)"},
	provider.ClassCancelled:      {0, "", "request cancelled (simulated)"},
	provider.ClassUnknown:        {418, "unknown_error", "unexpected response (simulated)"},
}

func (c *Client) injected(class provider.Class, retry time.Duration, req *provider.Request) *provider.Error {
	spec, ok := faultSpecs[class]
	if !ok {
		spec = faultSpec{code: string(class), message: "simulated failure"}
	}
	e := &provider.Error{Provider: c.name, Status: spec.status, Class: class, Code: spec.code,
		Message: spec.message, RequestID: requestID(c.name, req)}
	if class == provider.ClassRateLimited {
		e.RetryAfter = retry
	}
	return e
}

// usage estimates tokens at four bytes each, as the package comment says.
func usage(req *provider.Request, text string) provider.Usage {
	n := len(req.System)
	for _, m := range req.Messages {
		n += len(m.Content)
	}
	return provider.Usage{InputTokens: tokens(n), OutputTokens: tokens(len(text))}
}

// requestID is deterministic like the text, so that golden files of
// simulated runs stay stable.
func requestID(name string, req *provider.Request) string {
	h := fnv(promptHash(req.Model, req)).str(name)
	return fmt.Sprintf("sim-%012x", uint64(h)>>16)
}

// clockStream reports TTFT and latency on the client's clock rather than the
// wall clock provider.NewStream uses, so that virtual time in simulations
// shows in the numbers.
type clockStream struct {
	provider.Stream
	clock          clock.Clock
	start          time.Time
	ttft, latency  time.Duration
	started, ended bool
}

func (s *clockStream) Next() bool {
	ok := s.Stream.Next()
	switch {
	case ok && !s.started:
		s.started = true
		s.ttft = s.clock.Now().Sub(s.start)
	case !ok && !s.ended:
		s.ended = true
		s.latency = s.clock.Now().Sub(s.start)
	}
	return ok
}

func (s *clockStream) Response() *provider.Response {
	r := s.Stream.Response()
	r.TTFT = s.ttft
	r.Latency = s.latency
	if !s.ended {
		r.Latency = s.clock.Now().Sub(s.start)
	}
	return r
}
