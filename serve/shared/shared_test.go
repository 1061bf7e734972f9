package shared_test

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"

	"github.com/llmfall/llmfall/clock"
	"github.com/llmfall/llmfall/fallback"
	"github.com/llmfall/llmfall/internal/redistest"
	"github.com/llmfall/llmfall/provider"
	"github.com/llmfall/llmfall/provider/sim"
	"github.com/llmfall/llmfall/serve/shared"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

var primary = fallback.Target{Provider: "a", Model: "a-mini"}

// replica is an engine sharing its health through a running store.
type replica struct {
	eng   *fallback.Engine
	store *shared.Store
}

// newReplica starts a store on url under prefix, with an engine over it,
// both stopped when the test ends. Its periodic resync is an hour away:
// what reaches it during a test comes over pub/sub, or from the resync
// it starts with.
func newReplica(t testing.TB, url, prefix string) replica {
	return newReplicaClock(t, url, prefix, nil)
}

// newReplicaClock is newReplica with the store's resync on clk (nil: the
// wall clock).
func newReplicaClock(t testing.TB, url, prefix string, clk clock.Clock) replica {
	t.Helper()
	return newReplicaConfig(t, shared.Config{URL: patient(url), Prefix: prefix, Resync: time.Hour, Clock: clk})
}

// patient is url with go-redis's dial, read and write timeouts far above
// the store's 250 ms, so that a test process starved on a loaded machine
// does not take its own slowness for Redis failing. A killed server still
// fails at once (the socket is gone).
func patient(url string) string {
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	return url + sep + "dial_timeout=30s&read_timeout=30s&write_timeout=30s"
}

// newReplicaConfig is newReplica with the store's whole Config.
func newReplicaConfig(t testing.TB, cfg shared.Config) replica {
	t.Helper()
	store, err := shared.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return startReplica(t, store)
}

// startReplica gives store an engine and runs it until the test ends.
func startReplica(t testing.TB, store *shared.Store) replica {
	t.Helper()
	providers := map[string]provider.Provider{
		"a": sim.New(sim.Config{Name: "a"}), "b": sim.New(sim.Config{Name: "b"}),
	}
	eng, err := fallback.New(fallback.Config{
		Order:      []string{"a", "b"},
		Categories: []fallback.Category{{Name: "fast", Models: map[string]string{"a": "a-mini", "b": "b-haiku"}}},
		Shared:     store,
	}, providers)
	if err != nil {
		t.Fatal(err)
	}
	return runReplica(t, store, eng)
}

// runReplica runs store for eng until the test ends.
func runReplica(t testing.TB, store *shared.Store, eng *fallback.Engine) replica {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		store.Run(ctx, eng)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return replica{eng: eng, store: store}
}

// eventually waits for cond, which a real Redis between two stores decides:
// there is no event to wait on across it. The deadline is far above the
// milliseconds it takes, so that load cannot trip it.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	if err := waitFor(what, cond); err != nil {
		t.Fatal(err)
	}
}

// waitFor is eventually for a goroutine other than the test's, which must
// not call t.Fatal.
func waitFor(what string, cond func() bool) error {
	deadline := time.Now().Add(30 * time.Second)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			return fmt.Errorf("after 30 s still not: %s", what)
		}
		<-tick.C
	}
	return nil
}

// waitTimers is clk.WaitTimers with a deadline far above what it takes,
// so that a store that never arms its timers (its subscription stopped, or
// its clock not the one given) fails the test instead of hanging it.
func waitTimers(t testing.TB, clk *clock.Fake, n int) {
	t.Helper()
	armed := make(chan struct{})
	go func() {
		clk.WaitTimers(n)
		close(armed)
	}()
	select {
	case <-armed:
	case <-time.After(30 * time.Second):
		t.Fatalf("after 30 s still fewer than %d timers armed on the fake clock", n)
	}
}

func up(r replica) func() bool { return func() bool { return r.store.Status().Up } }

func breaker(r replica) fallback.BreakerState {
	s, _ := r.eng.Breaker(primary)
	return s
}

func chain(r replica) []string {
	ts, _ := r.eng.Chain("fast")
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.Provider
	}
	return out
}

// A breaker one replica opens opens on the other until Redis's key expires,
// closes there when it closes here, and a manual order follows; a replica
// that starts later reads what is in force from Redis.
func TestStoresShareBreakersAndOrder(t *testing.T) {
	url, prefix := redistest.URL(t), redistest.Prefix()
	r1, r2 := newReplica(t, url, prefix), newReplica(t, url, prefix)
	eventually(t, "both stores connected", func() bool { return up(r1)() && up(r2)() })

	r1.store.Publish(fallback.Change{Kind: fallback.BreakerOpened, Target: primary, Cooldown: time.Hour})
	eventually(t, "replica 2's breaker open", func() bool { return breaker(r2) == fallback.StateOpen })
	if err := r1.eng.SetOrder("fast", []string{"b", "a"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "replica 2's order set", func() bool { return cmp.Equal(chain(r2), []string{"b", "a"}) })

	r3 := newReplica(t, url, prefix)
	eventually(t, "replica 3 synced", func() bool {
		return breaker(r3) == fallback.StateOpen && cmp.Equal(chain(r3), []string{"b", "a"})
	})

	r2.store.Publish(fallback.Change{Kind: fallback.BreakerClosed, Target: primary})
	if err := r2.eng.SetOrder("fast", nil); err != nil {
		t.Fatal(err)
	}
	eventually(t, "replica 3 closed and back to the configured order", func() bool {
		return breaker(r3) == fallback.StateClosed && cmp.Equal(chain(r3), []string{"a", "b"})
	})
	// Replica 1 opened its breaker only through the store (the test
	// published for it), so its engine hears the close too.
	eventually(t, "replica 1 back to the configured order", func() bool { return cmp.Equal(chain(r1), []string{"a", "b"}) })

	st := r1.store.Status()
	if st.Published != 2 || st.PublishErrors != 0 || st.Dropped != 0 || st.ApplyErrors != 0 {
		t.Errorf("replica 1 status = %+v; want 2 published and no errors", st)
	}
}

// What a replica missed (here: written to Redis with no message at all)
// reaches it at the next periodic resync: an open breaker for what is left
// of its key's time to live, an order.
func TestResyncCatchesWhatWasMissed(t *testing.T) {
	url, prefix := redistest.URL(t), redistest.Prefix()
	clk := clock.NewFake(time.Unix(0, 0))
	r := newReplicaClock(t, url, prefix, clk)
	// Past the two reads a store makes as it starts (one when its
	// resync timer first fires, one when it first connects): only a
	// periodic one can see what follows.
	waitTimers(t, clk, 1)
	clk.Advance(0)
	eventually(t, "the store's first reads done", func() bool { return r.store.Status().Resyncs >= 2 })
	eventually(t, "the next periodic resync armed", func() bool { return clk.Pending() >= 1 })
	opts, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(opts)
	defer c.Close()
	ctx := context.Background()
	if err := c.Set(ctx, prefix+":breaker:a/a-mini", `{"from":"another-replica","down_ms":5000}`, time.Hour).Err(); err != nil {
		t.Fatal(err)
	}
	if err := c.HSet(ctx, prefix+":order", "fast", `["b","a"]`).Err(); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Hour)
	eventually(t, "the missed changes applied", func() bool {
		return breaker(r) == fallback.StateOpen && cmp.Equal(chain(r), []string{"b", "a"})
	})
}

// A replica whose Redis is unreachable says so, with the URL's password
// hidden, and Publish never waits on it: what the queue cannot hold is
// dropped and counted.
func TestUnreachableRedis(t *testing.T) {
	const password = "hunter2-password"
	// Port 1 on loopback: nothing listens there, so a dial fails at once.
	r := newReplica(t, "redis://:"+password+"@127.0.0.1:1/0", redistest.Prefix())
	eventually(t, "the store tried Redis", func() bool { return !strings.Contains(r.store.Status().Reason, "not connected yet") })
	st := r.store.Status()
	if st.Up || !strings.Contains(st.Reason, "connection refused") || !strings.Contains(st.Reason, "redis://:xxxxx@127.0.0.1:1/0") {
		t.Errorf("Status() = %+v; want down, saying the connection was refused at the redacted URL", st)
	}
	if strings.Contains(st.Reason, password) || strings.Contains(r.store.URL(), password) {
		t.Errorf("the password shows: reason %q, URL %q", st.Reason, r.store.URL())
	}
}

func TestPublishDropsWhenTheQueueIsFull(t *testing.T) {
	store, err := shared.New(shared.Config{URL: "redis://127.0.0.1:1", Queue: 2})
	if err != nil {
		t.Fatal(err)
	}
	// Not running: nothing takes from the queue.
	for range 5 {
		store.Publish(fallback.Change{Kind: fallback.BreakerClosed, Target: primary})
	}
	if got := store.Status().Dropped; got != 3 {
		t.Errorf("Dropped = %d; want 3 of 5 past a queue of 2", got)
	}
}

func TestNewHidesThePassword(t *testing.T) {
	_, err := shared.New(shared.Config{URL: "redis://:hunter2-password@cache/not-a-db"})
	if err == nil || strings.Contains(err.Error(), "hunter2") || !strings.Contains(err.Error(), "invalid database number") {
		t.Errorf("New() error = %v; want the bad database named and the password hidden", err)
	}
}

// BenchmarkPropagation is the time from one replica's Publish to the other
// replica's breaker changing, through a real Redis.
func BenchmarkPropagation(b *testing.B) {
	url, prefix := redistest.URL(b), redistest.Prefix()
	r1, r2 := newReplica(b, url, prefix), newReplica(b, url, prefix)
	for !r1.store.Status().Up || !r2.store.Status().Up {
		runtime.Gosched()
	}
	b.ResetTimer()
	for i := range b.N {
		want, kind := fallback.StateOpen, fallback.BreakerOpened
		if i%2 == 1 {
			want, kind = fallback.StateClosed, fallback.BreakerClosed
		}
		r1.store.Publish(fallback.Change{Kind: kind, Target: primary, Cooldown: time.Hour})
		for breaker(r2) != want {
			time.Sleep(20 * time.Microsecond) // a busy loop would starve the stores
		}
	}
}

// A close heard while a resync was between reading Redis and applying what
// it read wins over the read: the resync must not reopen the breaker from
// the key the close has since deleted. (It did: the replica skipped a
// healthy primary for what was left of the cool-down, here an hour.)
func TestResyncDoesNotUndoAChangeHeardSinceItsRead(t *testing.T) {
	url, prefix := redistest.URL(t), redistest.Prefix()
	clk := clock.NewFake(time.Unix(0, 0))
	r1 := newReplica(t, url, prefix)

	var once sync.Once
	var r3 replica // read by the hook only once armed is closed, after it is set
	store, err := shared.New(shared.Config{URL: patient(url), Prefix: prefix, Resync: time.Hour, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	armed := make(chan struct{})
	shared.SetAfterRead(store, func() {
		select {
		case <-armed:
		default:
			return // the store's first reads, before the breaker opened
		}
		once.Do(func() {
			r1.store.Publish(fallback.Change{Kind: fallback.BreakerClosed, Target: primary})
			// On the store's goroutine: t.Error, not t.Fatal.
			if err := waitFor("replica 3 heard the close during its resync", func() bool { return breaker(r3) == fallback.StateClosed }); err != nil {
				t.Error(err)
			}
		})
	})
	r3 = startReplica(t, store)
	eventually(t, "both stores connected", func() bool { return up(r1)() && up(r3)() })
	waitTimers(t, clk, 1)
	clk.Advance(0)
	eventually(t, "replica 3's first reads done", func() bool { return r3.store.Status().Resyncs >= 2 })

	r1.store.Publish(fallback.Change{Kind: fallback.BreakerOpened, Target: primary, Cooldown: time.Hour})
	eventually(t, "replica 3's breaker open", func() bool { return breaker(r3) == fallback.StateOpen })
	resyncs := r3.store.Status().Resyncs
	close(armed)
	eventually(t, "the next periodic resync armed", func() bool { return clk.Pending() >= 1 })
	clk.Advance(time.Hour)
	eventually(t, "the resync done", func() bool { return r3.store.Status().Resyncs > resyncs })
	if got := breaker(r3); got != fallback.StateClosed {
		t.Fatalf("replica 3's breaker = %v after a resync that read it open before hearing it close; want closed", got)
	}
}
