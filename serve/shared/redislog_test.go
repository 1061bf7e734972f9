package shared_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/llmfall/llmfall/clock"
	"github.com/llmfall/llmfall/fallback"
	"github.com/llmfall/llmfall/internal/redistest"
	"github.com/llmfall/llmfall/serve/shared"
)

// logLines is a log that keeps its lines.
type logLines struct {
	mu    sync.Mutex
	lines []string
}

func (l *logLines) add(line string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, line)
}

func (l *logLines) get() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.lines)
}

// While Redis is down the store fails again at every reconnection and
// every change it sends, and go-redis logs every failed dial; the log
// hears one line when Redis goes and one when it is back.
func TestOutageLogsOnceEachWay(t *testing.T) {
	srv := redistest.Start(t)
	clk := clock.NewFake(time.Unix(0, 0))
	var log logLines
	// go-redis's logger is the process's: a silent one after the test,
	// once the store has stopped (cleanups run last first).
	t.Cleanup(func() { redis.SetLogger(shared.NewRedisLog(func(string) {}, nil)) })
	redis.SetLogger(shared.NewRedisLog(log.add, clk))
	r := newReplicaConfig(t, shared.Config{URL: patient(srv.URL()), Prefix: redistest.Prefix(), Resync: time.Hour, Clock: clk, Log: log.add})
	waitTimers(t, clk, 1)
	clk.Advance(0) // the first resync, after which its timer is an hour away
	eventually(t, "the store connected", up(r))

	srv.Kill()
	// Three rounds, each a failed reconnection and a change sent in
	// vain: go-redis's pools give up dialing at their fourth failure
	// until one of their own redials, on the wall clock, gets through.
	for range 3 {
		// Armed: the resync an hour away, and the subscription's wait
		// before it tries again, which follows a failure.
		waitTimers(t, clk, 2)
		r.store.Publish(fallback.Change{Kind: fallback.BreakerClosed, Target: primary})
		eventually(t, "the change sent", func() bool { return len(log.get()) > 0 && r.store.Status().PublishErrors > 0 })
		clk.Advance(2 * time.Second)
	}
	waitTimers(t, clk, 2)
	eventually(t, "the changes sent in vain", func() bool { return r.store.Status().PublishErrors == 3 })
	got := log.get()
	if len(got) != 1 || !strings.HasPrefix(got[0], "shared state degraded, serving on local state: redis unix://") {
		t.Fatalf("log while Redis is down = %q; want one line saying the state is degraded and why", got)
	}

	srv.Restart()
	// The next reconnection finds Redis, and the resync it asks for
	// says the store is up; each look moves the clock to the next try,
	// should a starved one have failed.
	eventually(t, "the store reconnected", func() bool {
		clk.Advance(2 * time.Second)
		return r.store.Status().Up
	})
	got = log.get()
	if len(got) != 2 || !strings.HasPrefix(got[1], "shared state recovered after ") {
		t.Fatalf("log after Redis came back = %q; want the degraded line, then one saying it recovered", got)
	}
}

// go-redis's other lines are written, but one of a kind a minute.
func TestRedisLogQuietsRepeats(t *testing.T) {
	clk := clock.NewFake(time.Unix(0, 0))
	var log logLines
	l := shared.NewRedisLog(log.add, clk)
	ctx := context.Background()
	l.Printf(ctx, "redis: connection pool: failed to dial after %d attempts: %v", 1, "connection refused")
	for i := range 4 {
		l.Printf(ctx, "redis: conn[%d] rejected by hook", i)
	}
	l.Printf(ctx, "pubsub: reconnecting to new endpoint %s", "b:6379")
	clk.Advance(shared.RedisLogQuiet - time.Millisecond)
	l.Printf(ctx, "redis: conn[%d] rejected by hook", 7)
	clk.Advance(time.Millisecond)
	l.Printf(ctx, "redis: conn[%d] rejected by hook", 8)
	want := []string{
		"redis: conn[0] rejected by hook",
		"redis: pubsub: reconnecting to new endpoint b:6379",
		"redis: conn[8] rejected by hook (and 4 more like it)",
	}
	if got := log.get(); !slices.Equal(got, want) {
		t.Errorf("lines = %q; want %q", got, want)
	}
}

// After a longer outage go-redis's pool has given up dialing and fails
// every command at once, until its own redial (on the wall clock, within a
// second) gets through; the subscription dials on its own and comes back
// first. The store is back when its exchanges are, not when the
// subscription is: it says so once, instead of saying it recovered and
// then that it was degraded again.
func TestRecoveryWaitsForExchanges(t *testing.T) {
	srv := redistest.Start(t)
	clk := clock.NewFake(time.Unix(0, 0))
	var log logLines
	const resync = 10 * time.Second
	r := newReplicaConfig(t, shared.Config{URL: patient(srv.URL()), Prefix: redistest.Prefix(), Resync: resync, Clock: clk, Log: log.add})
	waitTimers(t, clk, 1)
	clk.Advance(0)
	eventually(t, "the store connected", up(r))

	srv.Kill()
	for range 6 { // resyncs failing past the pool's four failed dials
		waitTimers(t, clk, 2) // the resync and the subscription's wait
		clk.Advance(resync)
	}
	waitTimers(t, clk, 2)
	srv.Restart()
	clk.Advance(2 * time.Second) // the subscription's next try finds Redis
	eventually(t, "the store back", func() bool {
		if r.store.Status().Up {
			return true
		}
		clk.Advance(resync)
		return false
	})
	got := log.get()
	if len(got) != 2 || !strings.HasPrefix(got[0], "shared state degraded") || !strings.HasPrefix(got[1], "shared state recovered") {
		t.Fatalf("log = %q; want one line saying the state is degraded, then one saying it recovered", got)
	}
}

// An order set while Redis was away is written once Redis is back, and
// announced: the other replicas take it then, not at their next periodic
// resync (an hour away here).
func TestOrderSetWhileAwayIsAnnounced(t *testing.T) {
	srv := redistest.Start(t)
	clk := clock.NewFake(time.Unix(0, 0))
	prefix := redistest.Prefix()
	r := newReplicaConfig(t, shared.Config{URL: patient(srv.URL()), Prefix: prefix, Resync: time.Hour, Clock: clk})
	waitTimers(t, clk, 1)
	clk.Advance(0)
	eventually(t, "the store connected", up(r))
	srv.Kill()
	if err := r.eng.SetOrder("fast", []string{"b", "a"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the order sent in vain", func() bool { return r.store.Status().PublishErrors > 0 })
	srv.Restart()

	// Another replica's ear: it hears announcements only, never reads
	// the hash. Subscribed before the store can reconnect, which waits
	// on the fake clock.
	opts, err := redis.ParseURL(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(opts)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	ps := c.Subscribe(ctx, prefix+":changes")
	defer ps.Close()
	if _, err := ps.Receive(ctx); err != nil {
		t.Fatalf("subscribing: %v", err)
	}
	eventually(t, "the store reconnected", func() bool {
		clk.Advance(2 * time.Second)
		return r.store.Status().Up
	})
	msg, err := ps.ReceiveMessage(ctx)
	if err != nil {
		t.Fatalf("no announcement of the order set while Redis was away: %v", err)
	}
	var got struct {
		Kind, Category string
		Order          []string
	}
	if err := json.Unmarshal([]byte(msg.Payload), &got); err != nil || got.Kind != "order" || got.Category != "fast" || !slices.Equal(got.Order, []string{"b", "a"}) {
		t.Errorf("announcement = %s; want the order b, a for fast", msg.Payload)
	}

	// Sent, it is sent no more: another replica's later order stays.
	if err := c.HSet(ctx, prefix+":order", "fast", `["a","b"]`).Err(); err != nil {
		t.Fatal(err)
	}
	resyncNow(t, r, clk)
	if got, err := c.HGet(ctx, prefix+":order", "fast").Result(); err != nil || got != `["a","b"]` {
		t.Errorf("Redis's order for fast after a later resync = %q (%v); want the later [\"a\",\"b\"]", got, err)
	}
}
