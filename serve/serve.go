// Package serve is llmfall's OpenAI-compatible gateway: it takes Chat
// Completions requests over HTTP, runs them through the fallback engine and
// answers in OpenAI's shapes, saying which link answered. It owns the HTTP
// surface (auth, limits, health, metrics, the admin switchover, draining);
// chains, timeouts and breakers are the engine's, and OpenAI's wire shapes
// the OpenAI adapter's.
package serve

import (
	"cmp"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/llmfall/llmfall/clock"
	"github.com/llmfall/llmfall/fallback"
	"github.com/llmfall/llmfall/internal/gcfloor"
	"github.com/llmfall/llmfall/internal/procs"
	"github.com/llmfall/llmfall/serve/shared"
)

// Defaults for the Config fields whose zero value means "the default".
const (
	DefaultMaxBodyBytes  = 20 << 20 // room for a few inline images
	DefaultMaxConcurrent = 512
	DefaultDrain         = 30 * time.Second
)

// HeapFloor is the heap goal the `llmfall serve` process keeps while its
// live heap is smaller (internal/gcfloor): at Go's default a gateway
// collects about five times a second at 500 requests/s, and those
// collections were most of its p99 (BenchmarkGatewayLoad); with the floor,
// about twice. 16 MiB (once a second) measured 95–100 MB with 1,000 open
// streams against 90–95 MB without, too near the 100 MB budget; 8 MiB
// measured 90–97 MB. A GOGC in the environment turns it off.
const HeapFloor = 8 << 20

// StartHeapFloor keeps HeapFloor for this process, as `llmfall serve` and
// its benchmarks run, unless getenv says the user set GOGC: then GC tuning
// is theirs and nothing changes. A GOMEMLIMIT alone leaves the floor on
// (eval's GOGC of 30 gives way to either): the floor only acts while
// the heap is under 8 MiB and the runtime still holds a limit over it, so
// the two never pull apart. It returns what stops it.
func StartHeapFloor(getenv func(string) string) (stop func()) {
	if getenv("GOGC") != "" {
		return func() {}
	}
	return gcfloor.Start(HeapFloor)
}

// StartProcs runs the adaptive GOMAXPROCS of internal/procs for this
// process, as `llmfall serve` and its benchmarks run: one P while the
// process is lightly loaded, every CPU once it is busy or while a heavy
// request is in flight (give the returned Procs to Config.Procs). If
// getenv says the user set GOMAXPROCS, the Ps are theirs and it returns
// nil, as it does with one CPU. stop leaves the process on every CPU.
func StartProcs(getenv func(string) string) (p Procs, stop func()) {
	if getenv("GOMAXPROCS") != "" {
		return nil, func() {}
	}
	c := procs.Start()
	if c == nil {
		return nil, func() {}
	}
	return c, c.Stop
}

// Procs is told of each chat request (Request), for its rate, and of each
// request heavy enough to hold a CPU for milliseconds, before the gateway
// does that work, and of its end (done): on one P such a request would
// hold up every other.
type Procs interface {
	Request()
	Heavy() (done func())
}

// heavyBody is the request body from which a request counts as heavy
// (Procs): decoding JSON costs about 15 ms a megabyte
// (BenchmarkDecodeRequestImage), so from 128 KB about 2 ms, and
// re-encoding it for the upstream as much again.
const heavyBody = 128 << 10

// Config is what the gateway needs. The zero value of every field but
// Engine is usable.
type Config struct {
	Engine *fallback.Engine
	// Keys are the client keys accepted as `Authorization: Bearer KEY`
	// (spaces around a key are dropped); nil leaves the gateway open, and
	// keys that are all blank are an error.
	Keys []string
	// AdminKeys are the keys of the admin endpoints; nil turns them off.
	AdminKeys []string
	// MaxBodyBytes caps a request body (413 beyond); 0 means
	// DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// MaxConcurrent caps the chat requests served at once (429 beyond); 0
	// means DefaultMaxConcurrent.
	MaxConcurrent int
	// Drain is how long Serve waits, once its context ends, for requests
	// in flight before cutting them; 0 means DefaultDrain.
	Drain time.Duration
	// Metrics records requests and attempts; nil records nothing. Give the
	// same Metrics to the engine (Metrics.OnAttempt) to count attempts.
	Metrics *Metrics
	// Clock stamps answers' created field, times requests for the
	// metrics and times the drain; nil means the wall clock.
	Clock clock.Clock
	// Shared, if set, is the store through which the engine shares health
	// with other replicas (the engine's fallback.Config.Shared); /readyz
	// and /metrics report whether it is up.
	Shared *shared.Store
	// Procs, if set, hears of every chat request and of the heavy ones
	// (StartProcs).
	Procs Procs
}

// Server is the gateway. Its Handler is safe for concurrent use.
type Server struct {
	cfg      Config
	keys     [][sha256.Size]byte
	admin    [][sha256.Size]byte
	slots    chan struct{}
	draining atomic.Bool
	handler  http.Handler
}

// New returns a gateway over cfg.Engine.
func New(cfg Config) (*Server, error) {
	if cfg.Engine == nil {
		return nil, errors.New("serve: no engine")
	}
	cfg.MaxBodyBytes = cmp.Or(cfg.MaxBodyBytes, DefaultMaxBodyBytes)
	cfg.MaxConcurrent = cmp.Or(cfg.MaxConcurrent, DefaultMaxConcurrent)
	cfg.Drain = cmp.Or(cfg.Drain, DefaultDrain)
	if cfg.Clock == nil {
		cfg.Clock = clock.Real()
	}
	s := &Server{cfg: cfg, keys: hashKeys(cfg.Keys), admin: hashKeys(cfg.AdminKeys),
		slots: make(chan struct{}, cfg.MaxConcurrent)}
	if len(cfg.Keys) > 0 && len(s.keys) == 0 {
		// Keys that are all blank would leave the gateway open: fail
		// closed, as blank AdminKeys turn the admin endpoints off.
		return nil, errors.New("serve: every client key is blank (leave Keys nil to serve without keys)")
	}
	mux := http.NewServeMux()
	mux.Handle("POST /v1/chat/completions", s.authed(s.keys, http.HandlerFunc(s.chat)))
	mux.Handle("GET /v1/models", s.authed(s.keys, http.HandlerFunc(s.models)))
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /readyz", s.readyz)
	if cfg.Metrics != nil {
		cfg.Metrics.shared.Store(cfg.Shared)
		mux.Handle("GET /metrics", cfg.Metrics.handler(cfg.Engine))
	}
	if len(s.admin) > 0 {
		mux.Handle("POST /admin/order", s.authed(s.admin, http.HandlerFunc(s.order)))
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, &apiError{status: http.StatusNotFound, typ: "invalid_request_error", code: "unknown_url",
			msg: "unknown endpoint " + r.Method + " " + r.URL.Path + " (this gateway serves POST /v1/chat/completions and GET /v1/models)"})
	})
	s.handler = mux
	return s, nil
}

// Handler is the gateway's HTTP handler.
func (s *Server) Handler() http.Handler { return s.handler }

// hashKeys keeps the keys' SHA-256 only: comparing fixed-length digests in
// constant time leaks neither a key's bytes nor its length.
func hashKeys(keys []string) [][sha256.Size]byte {
	var out [][sha256.Size]byte
	for _, k := range keys {
		if k = strings.TrimSpace(k); k != "" {
			out = append(out, sha256.Sum256([]byte(k)))
		}
	}
	return out
}

// authed lets a request through when it carries one of keys; with no keys
// configured it lets every request through. Every key is compared, so the
// time taken does not say which one matched.
func (s *Server) authed(keys [][sha256.Size]byte, next http.Handler) http.Handler {
	if len(keys) == 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		got := sha256.Sum256([]byte(strings.TrimSpace(token)))
		match := 0
		for i := range keys {
			match |= subtle.ConstantTimeCompare(got[:], keys[i][:])
		}
		if !ok || match != 1 {
			writeError(w, &apiError{status: http.StatusUnauthorized, typ: "invalid_request_error", code: "invalid_api_key",
				msg: "missing or invalid API key: send one of the gateway's keys as Authorization: Bearer KEY"})
			return
		}
		next.ServeHTTP(w, r)
	})
}

// acquire takes a request slot, or reports that all are taken.
func (s *Server) acquire() bool {
	select {
	case s.slots <- struct{}{}:
		return true
	default:
		return false
	}
}

func (s *Server) release() { <-s.slots }

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte("ok\n"))
}

// readyz says whether to send traffic here: not while draining.
func (s *Server) readyz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if s.draining.Load() {
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte("draining\n"))
		return
	}
	w.Write([]byte("ready\n" + s.sharedReadiness()))
}

// Serve serves on ln until ctx ends, then drains: /readyz turns 503, new
// chat requests get 503, and requests in flight get up to Config.Drain to
// finish; streams still open then end with an in-band error. It returns
// nil after a drain in which everything finished, context.DeadlineExceeded
// after one cut at its deadline, and the listener's error if serving
// failed.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	// hard is every request's base context: cancelling it ends the
	// requests still running when the drain deadline passes.
	hard, cut := context.WithCancel(context.WithoutCancel(ctx))
	defer cut()
	var active sync.WaitGroup
	hs := &http.Server{
		Handler:           s.tracked(&active),
		BaseContext:       func(net.Listener) context.Context { return hard },
		ReadHeaderTimeout: 10 * time.Second,
	}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	s.draining.Store(true)
	// The deadline is the gateway's clock's, so that a test moves it.
	drainCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	deadline := s.cfg.Clock.AfterFunc(s.cfg.Drain, cancel)
	defer deadline.Stop()
	err := hs.Shutdown(drainCtx)
	if errors.Is(err, context.Canceled) {
		err = context.DeadlineExceeded
	}
	if err != nil {
		// The deadline passed: cut the requests in flight, which end
		// their streams with an in-band error, and wait for them to write it.
		cut()
		active.Wait()
		// A handler that has returned still has its response's end to
		// write (the last chunk, which net/http sends after it): closing
		// the connections now could cut that and turn the in-band error
		// into a broken stream. Wait for them to go idle, for at most a
		// second more on the gateway's clock, then close what is left.
		finishCtx, finish := context.WithCancel(context.WithoutCancel(ctx))
		grace := s.cfg.Clock.AfterFunc(time.Second, finish)
		hs.Shutdown(finishCtx)
		grace.Stop()
		finish()
		hs.Close()
	}
	<-served
	return err
}

// tracked counts the requests in flight, so that a cut drain can wait for
// them to write their last event.
func (s *Server) tracked(active *sync.WaitGroup) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		active.Add(1)
		defer active.Done()
		s.handler.ServeHTTP(w, r)
	})
}
