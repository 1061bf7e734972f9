// Package shared keeps the health the replicas of a gateway share in Redis:
// it is the fallback engine's fallback.Shared. A replica's breaker that
// opens or closes, and a manual order set on it, reach the others within
// milliseconds over pub/sub, and a periodic resync catches what a replica
// missed. Nothing on a request's path waits on Redis: changes leave through
// a bounded queue (dropped and counted when it is full) and come in on a
// background loop, so a Redis that is down or slow leaves each replica on
// its own local state, which it reports (Status) until Redis is back.
//
// Redis holds durations, never instants: an open breaker is a key that
// expires when the cool-down ends (SET PX), so replicas whose clocks
// disagree still agree on when a link may be tried again.
package shared

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
	"golang.org/x/sync/errgroup"

	"github.com/llmfall/llmfall/clock"
	"github.com/llmfall/llmfall/fallback"
	"github.com/llmfall/llmfall/internal/redisurl"
)

// Defaults for the Config fields whose zero value means "the default".
const (
	DefaultPrefix = "llmfall"
	// DefaultResync is how often a replica reads the whole shared state,
	// in case it missed a message.
	DefaultResync = 5 * time.Second
	// DefaultQueue is how many changes wait to be sent before more are
	// dropped.
	DefaultQueue = 1024
	// DefaultTimeout bounds each exchange with Redis (dial, read, write):
	// a slow Redis is a down one, and the replica goes on alone.
	DefaultTimeout = 250 * time.Millisecond
)

// Config is what a Store needs; only URL is required.
type Config struct {
	// URL is the Redis server: redis://, rediss:// or unix://, with the
	// query settings go-redis's ParseURL takes (its dial, read and write
	// timeouts default to DefaultTimeout here).
	URL string
	// Prefix starts every key and the channel name; "" means
	// DefaultPrefix. Gateways serving different configurations from one
	// Redis need different prefixes.
	Prefix string
	// Resync is the period of the full read; 0 means DefaultResync.
	Resync time.Duration
	// Queue is the capacity of the outgoing queue; 0 means DefaultQueue.
	Queue int
	// Clock times the resync and the waits between reconnections; nil
	// means the wall clock. Cool-downs run on the engine's clock.
	Clock clock.Clock
	// Log, if set, hears the store's changes of state, one line each:
	// when it loses Redis (saying why) and when it has Redis back. Not
	// every failed exchange in between: /readyz and the metrics tell the
	// state at any moment.
	Log func(line string)
}

// Store shares one engine's health with the other replicas' through Redis.
// Publish may be called at any time; Run connects and does the work.
type Store struct {
	cfg    Config
	opts   *redis.Options
	id     string // tells this replica's messages from the others'
	redact string // the URL as messages show it

	queue  chan fallback.Change
	resync chan struct{} // a resync is wanted now (Redis is back)

	up atomic.Bool
	// subscribed is true while the subscription is confirmed: up needs
	// it, or a replica would call itself sharing while deaf to the others.
	subscribed atomic.Bool
	reason     atomic.Pointer[string]
	// logMu guards degraded, whether the store has said it lost Redis,
	// and since when, so that each change of state is said once.
	logMu    sync.Mutex
	degraded bool
	since    time.Time
	stats    struct {
		published, publishErrors, applied, applyErrors, dropped, resyncs atomic.Uint64
	}

	// mu guards known, the orders this replica believes Redis holds
	// (by category, "" the global one), and pending, the orders set here
	// that Redis has not taken yet.
	mu      sync.Mutex
	known   map[string][]string
	pending map[string][]string

	// applyMu makes applying a message, and a resync's check-then-apply
	// of one thing it read, one step each. Messages are numbered as they
	// arrive (messages), and lastHeard holds the number of the last one about
	// each breaker and each category's order: a resync skips what it read
	// before a message about the same thing, which that message made stale
	// (a close heard between the read and its apply would otherwise be
	// undone, the breaker reopened for what was left of its cool-down).
	applyMu   sync.Mutex
	messages  atomic.Uint64
	lastHeard map[string]uint64

	// afterRead, if set, runs between a resync's reads and their apply
	// (tests: a message arriving then).
	afterRead func()
}

var _ fallback.Shared = (*Store)(nil)

// New returns a store for cfg; it connects when Run starts. Its errors
// never show the URL's password.
func New(cfg Config) (*Store, error) {
	opts, err := redisurl.Parse(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("shared: redis URL %s: %w", redisurl.Redact(cfg.URL), err)
	}
	opts.DialTimeout = cmp.Or(opts.DialTimeout, DefaultTimeout)
	opts.ReadTimeout = cmp.Or(opts.ReadTimeout, DefaultTimeout)
	opts.WriteTimeout = cmp.Or(opts.WriteTimeout, DefaultTimeout)
	opts.PoolTimeout = cmp.Or(opts.PoolTimeout, DefaultTimeout)
	opts.PoolSize = cmp.Or(opts.PoolSize, 4)
	if opts.MaxRetries == 0 {
		// A failed exchange is retried by the next change or resync,
		// not by go-redis while the queue waits.
		opts.MaxRetries = -1
	}
	// One dial per attempt: the next change or resync is the retry.
	opts.DialerRetries = 1
	opts.DisableIdentity = true // no CLIENT SETINFO: servers before 7.2 refuse it
	// No maintenance notifications (a Redis Enterprise feature), and so
	// none of the goroutines they keep.
	opts.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
	cfg.Prefix = cmp.Or(cfg.Prefix, DefaultPrefix)
	cfg.Resync = cmp.Or(cfg.Resync, DefaultResync)
	cfg.Queue = cmp.Or(cfg.Queue, DefaultQueue)
	if cfg.Clock == nil {
		cfg.Clock = clock.Real()
	}
	var id [8]byte
	rand.Read(id[:])
	s := &Store{
		cfg:       cfg,
		opts:      opts,
		id:        hex.EncodeToString(id[:]),
		redact:    redisurl.Redact(cfg.URL),
		queue:     make(chan fallback.Change, cfg.Queue),
		resync:    make(chan struct{}, 1),
		lastHeard: map[string]uint64{},
		known:     make(map[string][]string),
		pending:   make(map[string][]string),
	}
	s.setReason("not connected yet")
	return s, nil
}

// Publish queues a change for the other replicas. It never blocks: when
// the queue is full (Redis slower than the changes come) the change is
// dropped and counted, and the resync brings the others up to date later.
func (s *Store) Publish(c fallback.Change) {
	select {
	case s.queue <- c:
	default:
		s.stats.dropped.Add(1)
	}
}

// Status is whether the replica shares its state right now.
type Status struct {
	// Up is true while Redis answers; false, the replica serves on its
	// own local state.
	Up bool
	// Reason says why it is not up (the URL's password hidden).
	Reason string
	// Counts since the store was made: changes sent and sent in vain,
	// changes from other replicas applied and refused by the engine, and
	// changes dropped from a full queue, and full reads of the shared
	// state done.
	Published, PublishErrors, Applied, ApplyErrors, Dropped, Resyncs uint64
}

// Status reports the store's state and counts.
func (s *Store) Status() Status {
	st := Status{
		Up:            s.up.Load(),
		Published:     s.stats.published.Load(),
		PublishErrors: s.stats.publishErrors.Load(),
		Applied:       s.stats.applied.Load(),
		ApplyErrors:   s.stats.applyErrors.Load(),
		Dropped:       s.stats.dropped.Load(),
		Resyncs:       s.stats.resyncs.Load(),
	}
	if !st.Up {
		st.Reason = *s.reason.Load()
	}
	return st
}

// URL is the store's URL with its password hidden.
func (s *Store) URL() string { return s.redact }

func (s *Store) setReason(r string) { s.reason.Store(&r) }

// failed records an exchange with Redis that failed, and says so if it is
// the first since Redis last answered.
func (s *Store) failed(what string, err error) {
	reason := fmt.Sprintf("redis %s: %s: %v", s.redact, what, err)
	s.setReason(reason)
	s.up.Store(false)
	s.logMu.Lock()
	defer s.logMu.Unlock()
	if !s.degraded {
		s.degraded, s.since = true, s.cfg.Clock.Now()
		s.log("shared state degraded, serving on local state: " + reason)
	}
}

// answered records an exchange with Redis that worked; after an outage it
// says so and asks for a resync, which also sends the orders set in the
// meantime. Until the subscription is confirmed the store is not up: the
// confirmation asks for another exchange (heard).
func (s *Store) answered() {
	if !s.subscribed.Load() {
		return
	}
	if !s.up.Swap(true) {
		select {
		case s.resync <- struct{}{}:
		default:
		}
	}
	s.logMu.Lock()
	defer s.logMu.Unlock()
	if s.degraded {
		s.degraded = false
		s.log(fmt.Sprintf("shared state recovered after %v: sharing through %s again", s.cfg.Clock.Now().Sub(s.since).Round(time.Millisecond), s.redact))
	}
}

// heard records that the subscription works. That alone is not Redis
// back: for up to a second after a restart go-redis's pool still fails
// every command with the last failed dial (while the subscription dials
// on its own), and the store would say it recovered and then that it was
// degraded again. So, while down, it asks for a resync, whose exchange
// says whether Redis is back.
func (s *Store) heard() {
	if !s.up.Load() {
		select {
		case s.resync <- struct{}{}:
		default:
		}
	}
}

func (s *Store) log(line string) {
	if s.cfg.Log != nil {
		s.cfg.Log(line)
	}
}

// Run shares eng's health until ctx ends: it sends the queued changes,
// applies the other replicas' as they come, and resyncs. It returns nil
// once ctx has ended and everything it started has stopped, and closes the
// connection to Redis.
func (s *Store) Run(ctx context.Context, eng *fallback.Engine) error {
	client := redis.NewClient(s.opts)
	defer client.Close()
	ps := client.Subscribe(ctx, s.channel())
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		// Receive does not watch ctx: closing the subscription ends it.
		<-ctx.Done()
		ps.Close()
		return nil
	})
	g.Go(func() error { s.receive(ctx, ps, eng); return nil })
	g.Go(func() error { s.work(ctx, client, eng); return nil })
	return g.Wait()
}

// work sends the queued changes and resyncs, now and then every Resync.
func (s *Store) work(ctx context.Context, client *redis.Client, eng *fallback.Engine) {
	timer, tick := s.cfg.Clock.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case c := <-s.queue:
			s.send(ctx, client, c)
		case <-s.resync:
			s.sync(ctx, client, eng)
		case <-tick:
			s.sync(ctx, client, eng)
			timer.Reset(s.cfg.Resync)
		}
	}
}

// receive applies the other replicas' changes as they come, reconnecting
// (with a growing wait) whenever the subscription breaks.
func (s *Store) receive(ctx context.Context, ps *redis.PubSub, eng *fallback.Engine) {
	const minWait, maxWait = 50 * time.Millisecond, 2 * time.Second
	wait := minWait
	for {
		msg, err := ps.Receive(ctx)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			s.subscribed.Store(false)
			s.failed("subscribe", err)
			if s.cfg.Clock.Sleep(ctx, wait) != nil {
				return
			}
			wait = min(2*wait, maxWait)
			continue
		}
		wait = minWait
		s.subscribed.Store(true)
		s.heard()
		if m, ok := msg.(*redis.Message); ok {
			s.message(eng, m.Payload)
		}
	}
}

// message is a change on the wire, from the replica From.
type message struct {
	From     string   `json:"from"`
	Kind     string   `json:"kind"`
	Provider string   `json:"provider,omitempty"`
	Model    string   `json:"model,omitempty"`
	CoolMS   int64    `json:"cooldown_ms,omitempty"`
	DownMS   int64    `json:"down_ms,omitempty"`
	Category string   `json:"category,omitempty"`
	Order    []string `json:"order,omitempty"`
}

// breakerValue is what an open breaker's key holds; the key's time to live
// is the cool-down.
type breakerValue struct {
	From   string `json:"from"`
	DownMS int64  `json:"down_ms"`
}

// The wire names of the kinds, and the order hash's field for the global
// order (category names cannot start with "*").
const (
	kindOpened = "opened"
	kindClosed = "closed"
	kindOrder  = "order"
	globalKey  = "*"
)

func (s *Store) channel() string  { return s.cfg.Prefix + ":changes" }
func (s *Store) orderKey() string { return s.cfg.Prefix + ":order" }
func (s *Store) epochKey() string { return s.cfg.Prefix + ":epoch" }
func (s *Store) breakerPrefix() string {
	return s.cfg.Prefix + ":breaker:"
}

// breakerKey names a target's key: provider names hold no "/", so the
// first one splits it back.
func (s *Store) breakerKey(t fallback.Target) string {
	return s.breakerPrefix() + t.Provider + "/" + t.Model
}

func orderField(category string) string { return cmp.Or(category, globalKey) }

func orderCategory(field string) string {
	if field == globalKey {
		return ""
	}
	return field
}

// exchange bounds one round trip's wait: a dial, a write and a read, each
// within its timeout, and room for one more (1 s with the default 250 ms
// timeouts). It follows the configured timeouts, so a URL that allows a
// slow Redis more time is not cut short here.
func (s *Store) exchange(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, 4*max(s.opts.DialTimeout, s.opts.ReadTimeout, s.opts.WriteTimeout))
}

// send writes a local change to Redis and announces it.
func (s *Store) send(ctx context.Context, client *redis.Client, c fallback.Change) {
	m := message{From: s.id}
	ctx, cancel := s.exchange(ctx)
	defer cancel()
	pipe := client.Pipeline()
	switch c.Kind {
	case fallback.BreakerOpened:
		m.Kind, m.Provider, m.Model = kindOpened, c.Target.Provider, c.Target.Model
		m.CoolMS, m.DownMS = max(c.Cooldown.Milliseconds(), 1), c.Down.Milliseconds()
		v, _ := json.Marshal(breakerValue{From: s.id, DownMS: m.DownMS})
		pipe.Set(ctx, s.breakerKey(c.Target), v, time.Duration(m.CoolMS)*time.Millisecond)
	case fallback.BreakerClosed:
		m.Kind, m.Provider, m.Model = kindClosed, c.Target.Provider, c.Target.Model
		pipe.Del(ctx, s.breakerKey(c.Target))
	case fallback.OrderSet:
		m.Kind, m.Category, m.Order = kindOrder, c.Category, c.Order
		s.mu.Lock()
		s.pending[c.Category] = c.Order
		s.mu.Unlock()
		s.writeOrder(ctx, pipe, c.Category, c.Order)
	default:
		return
	}
	payload, _ := json.Marshal(m)
	pipe.Publish(ctx, s.channel(), payload)
	if _, err := pipe.Exec(ctx); err != nil {
		s.stats.publishErrors.Add(1)
		s.failed("publish", err)
		return
	}
	s.stats.published.Add(1)
	s.answered()
	if c.Kind == fallback.OrderSet {
		s.orderWritten(c.Category, c.Order)
	}
}

// writeOrder queues the write of one order in the hash.
func (s *Store) writeOrder(ctx context.Context, pipe redis.Pipeliner, category string, order []string) {
	if len(order) == 0 {
		pipe.HDel(ctx, s.orderKey(), orderField(category))
		return
	}
	v, _ := json.Marshal(order)
	pipe.HSet(ctx, s.orderKey(), orderField(category), v)
}

// orderWritten records that Redis holds order, unless another one was set
// here since.
func (s *Store) orderWritten(category string, order []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p, ok := s.pending[category]; ok && slices.Equal(p, order) {
		delete(s.pending, category)
	}
	s.remember(category, order)
}

// sync sends the orders set here while Redis was away (the last word is
// the last one set), then reads the whole shared state into the engine:
// every breaker another replica opened, for what is left of its
// cool-down, and every order.
func (s *Store) sync(ctx context.Context, client *redis.Client, eng *fallback.Engine) {
	ctx, cancel := s.exchange(ctx)
	defer cancel()
	// A Redis without the epoch key has lost its data (a restart without
	// persistence) or is new: the replicas hold the truth then, and the
	// first to see it writes back the orders it knows, instead of taking
	// the empty hash for every override removed.
	fresh, err := client.SetNX(ctx, s.epochKey(), s.id, 0).Result()
	if err != nil {
		s.failed("resync", err)
		return
	}
	if fresh {
		s.mu.Lock()
		for c, o := range s.known {
			if _, ok := s.pending[c]; !ok {
				s.pending[c] = o
			}
		}
		s.mu.Unlock()
	}
	if err := s.flushPending(ctx, client); err != nil {
		s.failed("resync", err)
		return
	}
	// Anything heard after this may be newer than what the reads return.
	readFrom := s.messages.Load()
	orders, err := client.HGetAll(ctx, s.orderKey()).Result()
	if err != nil {
		s.failed("resync", err)
		return
	}
	var keys []string
	iter := client.Scan(ctx, 0, s.breakerPrefix()+"*", 100).Iterator()
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	if err := iter.Err(); err != nil {
		s.failed("resync", err)
		return
	}
	pipe := client.Pipeline()
	gets := make([]*redis.StringCmd, len(keys))
	ttls := make([]*redis.DurationCmd, len(keys))
	for i, k := range keys {
		gets[i], ttls[i] = pipe.Get(ctx, k), pipe.PTTL(ctx, k)
	}
	if len(keys) > 0 {
		// Exec returns the first command's error, and Redis's answer to
		// one command (WRONGTYPE for a key of another type, a hand edit;
		// redis.Nil for a key gone since the scan) leaves the others
		// good: only an exchange that failed fails the resync.
		cmds, _ := pipe.Exec(ctx)
		if i := slices.IndexFunc(cmds, exchangeFailed); i >= 0 {
			s.failed("resync", cmds[i].Err())
			return
		}
	}
	s.answered()
	if s.afterRead != nil {
		s.afterRead()
	}
	for i, k := range keys {
		var v breakerValue
		ttl := ttls[i].Val()
		if err := gets[i].Err(); err != nil && !errors.Is(err, redis.Nil) {
			// Not a string (WRONGTYPE): unreadable, counted as a
			// message that does not parse is.
			s.stats.applyErrors.Add(1)
			continue
		}
		if gets[i].Err() != nil || json.Unmarshal([]byte(gets[i].Val()), &v) != nil || v.From == s.id || ttl <= 0 {
			// Gone since the scan, not ours to read, or this
			// replica's own: its breaker knows better.
			continue
		}
		provider, model, _ := strings.Cut(strings.TrimPrefix(k, s.breakerPrefix()), "/")
		s.applyRead(eng, readFrom, fallback.Change{Kind: fallback.BreakerOpened, Target: fallback.Target{Provider: provider, Model: model},
			Cooldown: ttl, Down: time.Duration(v.DownMS) * time.Millisecond})
	}
	s.syncOrders(eng, orders, readFrom)
	s.stats.resyncs.Add(1)
}

// exchangeFailed reports whether a pipelined command failed for want of an
// answer (the connection, a timeout) rather than by Redis's answer to it.
func exchangeFailed(c redis.Cmder) bool {
	var reply redis.Error
	return c.Err() != nil && !errors.As(c.Err(), &reply)
}

// flushPending writes and announces the orders set here that Redis has
// not taken.
func (s *Store) flushPending(ctx context.Context, client *redis.Client) error {
	s.mu.Lock()
	pending := maps.Clone(s.pending)
	s.mu.Unlock()
	if len(pending) == 0 {
		return nil
	}
	pipe := client.Pipeline()
	for c, o := range pending {
		s.writeOrder(ctx, pipe, c, o)
		// Announced as well as written: the other replicas take it now,
		// not at their next periodic resync.
		payload, _ := json.Marshal(message{From: s.id, Kind: kindOrder, Category: c, Order: o})
		pipe.Publish(ctx, s.channel(), payload)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return err
	}
	for c, o := range pending {
		s.orderWritten(c, o)
	}
	return nil
}

// syncOrders applies the orders Redis holds that differ from what this
// replica knows, and removes the overrides Redis no longer holds.
func (s *Store) syncOrders(eng *fallback.Engine, fields map[string]string, readFrom uint64) {
	want := make(map[string][]string, len(fields))
	for f, v := range fields {
		var order []string
		if json.Unmarshal([]byte(v), &order) != nil {
			s.stats.applyErrors.Add(1)
			continue
		}
		want[orderCategory(f)] = order
	}
	s.mu.Lock()
	var changes []fallback.Change
	for c, o := range want {
		if k, ok := s.known[c]; !ok || !slices.Equal(k, o) {
			changes = append(changes, fallback.Change{Kind: fallback.OrderSet, Category: c, Order: o})
		}
	}
	for c := range s.known {
		if _, ok := want[c]; !ok {
			changes = append(changes, fallback.Change{Kind: fallback.OrderSet, Category: c})
		}
	}
	s.mu.Unlock()
	for _, c := range changes {
		s.applyRead(eng, readFrom, c)
	}
}

// message applies a change another replica announced.
func (s *Store) message(eng *fallback.Engine, payload string) {
	var m message
	if err := json.Unmarshal([]byte(payload), &m); err != nil {
		s.stats.applyErrors.Add(1)
		return
	}
	if m.From == s.id {
		return
	}
	target := fallback.Target{Provider: m.Provider, Model: m.Model}
	var c fallback.Change
	switch m.Kind {
	case kindOpened:
		c = fallback.Change{Kind: fallback.BreakerOpened, Target: target,
			Cooldown: time.Duration(m.CoolMS) * time.Millisecond, Down: time.Duration(m.DownMS) * time.Millisecond}
	case kindClosed:
		c = fallback.Change{Kind: fallback.BreakerClosed, Target: target}
	case kindOrder:
		c = fallback.Change{Kind: fallback.OrderSet, Category: m.Category, Order: m.Order}
	default:
		s.stats.applyErrors.Add(1)
		return
	}
	s.applyMu.Lock()
	defer s.applyMu.Unlock()
	s.lastHeard[about(c)] = s.messages.Add(1)
	s.apply(eng, c)
}

// applyRead applies what a resync read, unless a message about the same
// breaker or order was heard since the read began (readFrom): the message
// is newer.
func (s *Store) applyRead(eng *fallback.Engine, readFrom uint64, c fallback.Change) {
	s.applyMu.Lock()
	defer s.applyMu.Unlock()
	if s.lastHeard[about(c)] > readFrom {
		return
	}
	s.apply(eng, c)
}

// about names what a change is about: one breaker, or one category's order.
func about(c fallback.Change) string {
	if c.Kind == fallback.OrderSet {
		return "order:" + c.Category
	}
	return "breaker:" + c.Target.String()
}

// apply brings one change into the engine and counts it.
func (s *Store) apply(eng *fallback.Engine, c fallback.Change) {
	if err := eng.Apply(c); err != nil {
		s.stats.applyErrors.Add(1)
		return
	}
	s.stats.applied.Add(1)
	if c.Kind == fallback.OrderSet {
		s.mu.Lock()
		s.remember(c.Category, c.Order)
		s.mu.Unlock()
	}
}

// remember records the order Redis holds for a category; mu held.
func (s *Store) remember(category string, order []string) {
	if len(order) == 0 {
		delete(s.known, category)
		return
	}
	s.known[category] = order
}
