package shared_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"github.com/llmfall/llmfall/clock"
	"github.com/llmfall/llmfall/fallback"
	"github.com/llmfall/llmfall/internal/redistest"
	"github.com/llmfall/llmfall/serve/shared"
)

var secondary = fallback.Target{Provider: "b", Model: "b-haiku"}

// redisClient is a client of the test's own on url, closed when the test
// ends: it writes to Redis what no replica announces.
func redisClient(t *testing.T, url string) *redis.Client {
	t.Helper()
	opts, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(opts)
	t.Cleanup(func() { c.Close() })
	return c
}

// startedOnFake waits for the first reads of a store whose resync runs on
// clk, and for its next periodic resync (an hour away) to be armed: from
// then on only resyncNow makes it read Redis again.
func startedOnFake(t *testing.T, r replica, clk *clock.Fake) {
	t.Helper()
	waitTimers(t, clk, 1)
	clk.Advance(0)
	eventually(t, "the store's first reads done", func() bool { return r.store.Status().Up && r.store.Status().Resyncs >= 2 })
	eventually(t, "the next periodic resync armed", func() bool { return clk.Pending() >= 1 })
}

// twoReplicas starts two replicas on one Redis: the first with its
// resync on a fake clock (startedOnFake), the second on the wall clock.
func twoReplicas(t *testing.T) (url, prefix string, clk *clock.Fake, r1, r2 replica) {
	t.Helper()
	url, prefix = redistest.URL(t), redistest.Prefix()
	clk = clock.NewFake(time.Unix(0, 0))
	r1 = newReplicaClock(t, url, prefix, clk)
	startedOnFake(t, r1, clk)
	r2 = newReplica(t, url, prefix)
	eventually(t, "replica 2 connected", up(r2))
	return url, prefix, clk, r1, r2
}

// resyncNow fires the periodic resync of a store started with
// startedOnFake, and waits for a resync to finish and the next to be armed.
func resyncNow(t *testing.T, r replica, clk *clock.Fake) {
	t.Helper()
	eventually(t, "the periodic resync armed", func() bool { return clk.Pending() >= 1 })
	before := r.store.Status().Resyncs
	clk.Advance(time.Hour)
	eventually(t, "the resync done", func() bool { return r.store.Status().Resyncs > before })
}

// A later replica reads the global order (the hash's field "*") as the
// global order, beside a category's own.
func TestLaterReplicaReadsTheGlobalOrder(t *testing.T) {
	url, prefix := redistest.URL(t), redistest.Prefix()
	r1 := newReplica(t, url, prefix)
	eventually(t, "replica 1 connected", up(r1))
	if err := r1.eng.SetOrder("", []string{"b", "a"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the order sent", func() bool { return r1.store.Status().Published == 1 })

	r2 := newReplica(t, url, prefix)
	eventually(t, "replica 2 follows the global order", func() bool { return cmp.Equal(chain(r2), []string{"b", "a"}) })
	if st := r2.store.Status(); st.ApplyErrors != 0 {
		t.Errorf("replica 2 status = %+v; want no apply errors", st)
	}
}

// What Redis holds wins at a resync, even when no message said it (a
// replica that died before announcing, a hand edit): an override removed
// there is removed here, one changed there is changed here, and neither
// is taken for stale because the last message heard was about the same
// order before the read began.
func TestResyncFollowsOrdersChangedInRedisAlone(t *testing.T) {
	url, prefix, clk, r1, r2 := twoReplicas(t)

	// Replica 1's own global order, then replica 2's order for fast,
	// which replica 1 hears last.
	if err := r1.eng.SetOrder("", []string{"b", "a"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "replica 2 follows replica 1's global order", func() bool { return cmp.Equal(chain(r2), []string{"b", "a"}) })
	if err := r2.eng.SetOrder("fast", []string{"a"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "replica 1 follows replica 2's order for fast", func() bool { return cmp.Equal(chain(r1), []string{"a", "b"}) })

	c := redisClient(t, url)
	ctx := context.Background()
	if err := c.HDel(ctx, prefix+":order", "fast").Err(); err != nil {
		t.Fatal(err)
	}
	resyncNow(t, r1, clk)
	eventually(t, "replica 1 back on the global order, fast's override gone from Redis", func() bool { return cmp.Equal(chain(r1), []string{"b", "a"}) })

	if err := c.HSet(ctx, prefix+":order", "*", `["a","b"]`).Err(); err != nil {
		t.Fatal(err)
	}
	resyncNow(t, r1, clk)
	eventually(t, "replica 1 on the global order Redis holds now", func() bool { return cmp.Equal(chain(r1), []string{"a", "b"}) })
	if st := r1.store.Status(); st.ApplyErrors != 0 {
		t.Errorf("replica 1 status = %+v; want no apply errors", st)
	}
}

// An order this replica set and Redis took is not sent again at its
// resyncs: another replica's later order stays in force.
func TestResyncLeavesALaterOrderAlone(t *testing.T) {
	url, prefix, clk, r1, r2 := twoReplicas(t)

	if err := r1.eng.SetOrder("fast", []string{"b", "a"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "replica 2 follows replica 1's order", func() bool { return cmp.Equal(chain(r2), []string{"b", "a"}) })
	if err := r2.eng.SetOrder("fast", []string{"a", "b"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "replica 1 follows replica 2's order", func() bool { return cmp.Equal(chain(r1), []string{"a", "b"}) })

	resyncNow(t, r1, clk)
	got, err := redisClient(t, url).HGet(context.Background(), prefix+":order", "fast").Result()
	if err != nil || got != `["a","b"]` {
		t.Errorf("Redis's order for fast after replica 1's resync = %q (%v); want replica 2's [\"a\",\"b\"]", got, err)
	}
	if c := chain(r2); !cmp.Equal(c, []string{"a", "b"}) {
		t.Errorf("replica 2's chain = %v; want its own order a, b", c)
	}
}

// A message heard during a resync makes stale only what the resync read
// about the same thing: a close of one link does not stop the resync from
// opening another.
func TestResyncSkipsOnlyWhatAMessageMadeStale(t *testing.T) {
	url, prefix := redistest.URL(t), redistest.Prefix()
	clk := clock.NewFake(time.Unix(0, 0))
	r1 := newReplica(t, url, prefix)
	store, err := shared.New(shared.Config{URL: patient(url), Prefix: prefix, Resync: time.Hour, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	var r3 replica // read by the hook only once armed is closed, after it is set
	armed := make(chan struct{})
	shared.SetAfterRead(store, func() {
		select {
		case <-armed:
		default:
			return
		}
		once.Do(func() {
			applied := r3.store.Status().Applied
			r1.store.Publish(fallback.Change{Kind: fallback.BreakerClosed, Target: secondary})
			// On the store's goroutine: t.Error, not t.Fatal.
			if err := waitFor("replica 3 heard the close of b during its resync", func() bool { return r3.store.Status().Applied > applied }); err != nil {
				t.Error(err)
			}
		})
	})
	r3 = startReplica(t, store)
	eventually(t, "replica 1 connected", up(r1))
	startedOnFake(t, r3, clk)

	// Another replica's open breaker for a, which only a read finds.
	if err := redisClient(t, url).Set(context.Background(), prefix+":breaker:a/a-mini", `{"from":"another-replica","down_ms":0}`, time.Hour).Err(); err != nil {
		t.Fatal(err)
	}
	close(armed)
	resyncNow(t, r3, clk)
	if got := breaker(r3); got != fallback.StateOpen {
		t.Fatalf("replica 3's breaker for a = %v after a resync that read it open and heard b close; want open", got)
	}
}

// A resync reads past what it cannot use: keys without a time to live
// (not written by a replica), breakers of links this engine does not have
// and orders that are not JSON each leave the rest of the read in force.
// Redis lists keys and Go ranges over the orders in no set order: the
// many unusable ones around the usable ones make it all but sure that some
// come first.
func TestResyncReadsPastWhatItCannotUse(t *testing.T) {
	url, prefix := redistest.URL(t), redistest.Prefix()
	clk := clock.NewFake(time.Unix(0, 0))
	r := newReplicaClock(t, url, prefix, clk)
	startedOnFake(t, r, clk)

	const unusable = 5
	c := redisClient(t, url)
	ctx := context.Background()
	pipe := c.Pipeline()
	for i := range unusable {
		pipe.Set(ctx, fmt.Sprintf("%s:breaker:x/forever-%d", prefix, i), `{"from":"another-replica","down_ms":0}`, 0)
		pipe.Set(ctx, fmt.Sprintf("%s:breaker:x/unknown-%d", prefix, i), `{"from":"another-replica","down_ms":0}`, time.Hour)
		pipe.HSet(ctx, prefix+":order", fmt.Sprintf("junk-%d", i), "not json")
	}
	pipe.Set(ctx, prefix+":breaker:a/a-mini", `{"from":"another-replica","down_ms":0}`, time.Hour)
	pipe.Set(ctx, prefix+":breaker:b/b-haiku", "not json", time.Hour)
	pipe.HSet(ctx, prefix+":order", "fast", `["b","a"]`)
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	before := r.store.Status()
	resyncNow(t, r, clk)
	// Each resync since, one at least, counts the unknown links and
	// the bad orders.
	eventually(t, "every unusable key and order counted, once a resync", func() bool {
		st := r.store.Status()
		return st.ApplyErrors-before.ApplyErrors == 2*unusable*(st.Resyncs-before.Resyncs)
	})
	b, _ := r.eng.Breaker(secondary)
	if a, c := breaker(r), chain(r); a != fallback.StateOpen || b != fallback.StateClosed || !cmp.Equal(c, []string{"b", "a"}) {
		t.Errorf("breaker for a %v, for b %v, chain %v; want a open, b closed (its key is not JSON), and b, a", a, b, c)
	}
}

// A replica does not read its own openings back: its own breaker knows
// better (here it never opened; in life it may have closed since, the
// close lost on the way to Redis).
func TestResyncSkipsThisReplicasOwnKeys(t *testing.T) {
	url, prefix := redistest.URL(t), redistest.Prefix()
	clk := clock.NewFake(time.Unix(0, 0))
	r := newReplicaClock(t, url, prefix, clk)
	startedOnFake(t, r, clk)
	r.store.Publish(fallback.Change{Kind: fallback.BreakerOpened, Target: primary, Cooldown: time.Hour})
	eventually(t, "the opening sent", func() bool { return r.store.Status().Published == 1 })
	resyncNow(t, r, clk)
	if got := breaker(r); got != fallback.StateClosed {
		t.Errorf("breaker for a = %v after a resync that read this replica's own key; want closed, as its engine has it", got)
	}
}

// A key of another type under the breakers' prefix (a hand edit: HSET)
// fails its own GET alone, with WRONGTYPE: the resync reads past it,
// counting it once a resync as unreadable, and the replica stays up with
// what the other keys say. Only an exchange that fails marks it degraded.
func TestResyncReadsPastAKeyOfAnotherType(t *testing.T) {
	url, prefix := redistest.URL(t), redistest.Prefix()
	clk := clock.NewFake(time.Unix(0, 0))
	r := newReplicaClock(t, url, prefix, clk)
	startedOnFake(t, r, clk)

	c := redisClient(t, url)
	ctx := context.Background()
	pipe := c.Pipeline()
	pipe.HSet(ctx, prefix+":breaker:x", "y", "z")
	pipe.Set(ctx, prefix+":breaker:a/a-mini", `{"from":"another-replica","down_ms":0}`, time.Hour)
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	before := r.store.Status()
	clk.Advance(time.Hour)
	eventually(t, "the resync done or failed", func() bool {
		st := r.store.Status()
		return st.Resyncs > before.Resyncs || !st.Up
	})
	st := r.store.Status()
	if !st.Up {
		t.Fatalf("status = %+v after a resync that met a hash under the breakers' prefix; want up", st)
	}
	if got := st.ApplyErrors - before.ApplyErrors; got != st.Resyncs-before.Resyncs {
		t.Errorf("apply errors grew by %d in %d resyncs; want the hash counted once a resync", got, st.Resyncs-before.Resyncs)
	}
	if got := breaker(r); got != fallback.StateOpen {
		t.Errorf("breaker for a = %v; want open, as its key in Redis says", got)
	}
}

// An exchange that fails while the breakers are read (the connection
// dropped at the GETs) still fails the resync: only Redis's answer about
// one key is read past.
func TestResyncFailsWhenReadingTheBreakersFails(t *testing.T) {
	prefix := redistest.Prefix()
	key, channel := prefix+":breaker:a/a-mini", prefix+":changes"
	srv := startDroppingRedis(t, map[string]string{
		"subscribe": fmt.Sprintf("*3\r\n$9\r\nsubscribe\r\n$%d\r\n%s\r\n:1\r\n", len(channel), channel),
		"set":       "+OK\r\n", // SETNX, sent as SET NX
		"hgetall":   "*0\r\n",
		"scan":      fmt.Sprintf("*2\r\n$1\r\n0\r\n*1\r\n$%d\r\n%s\r\n", len(key), key),
	})
	// The clock stands still: only the resyncs the store asks for itself
	// read Redis.
	clk := clock.NewFake(time.Unix(0, 0))
	r := newReplicaConfig(t, shared.Config{URL: patient("redis://" + srv.ln.Addr().String() + "/0"),
		Prefix: prefix, Resync: time.Hour, Clock: clk})
	eventually(t, "a resync done or failed", func() bool {
		st := r.store.Status()
		return st.Resyncs > 0 || strings.Contains(st.Reason, "resync")
	})
	if st := r.store.Status(); st.Up || st.Resyncs != 0 || !strings.Contains(st.Reason, "resync") || srv.count("get") == 0 {
		t.Errorf("status = %+v after the connection dropped at %d GETs; want down, no resync done, the reason the resync", st, srv.count("get"))
	}
}
