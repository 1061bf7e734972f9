package shared_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/llmfall/llmfall/clock"
	"github.com/llmfall/llmfall/fallback"
	"github.com/llmfall/llmfall/internal/redistest"
	"github.com/llmfall/llmfall/provider"
	"github.com/llmfall/llmfall/provider/sim"
	"github.com/llmfall/llmfall/serve/shared"
)

// recordingClock is a fake clock that keeps every sleep asked of it and
// every duration its timers are reset to.
type recordingClock struct {
	*clock.Fake
	mu             sync.Mutex
	sleeps, resets []time.Duration
}

func newRecordingClock() *recordingClock {
	return &recordingClock{Fake: clock.NewFake(time.Unix(0, 0))}
}

func (c *recordingClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	c.sleeps = append(c.sleeps, d)
	c.mu.Unlock()
	return c.Fake.Sleep(ctx, d)
}

func (c *recordingClock) NewTimer(d time.Duration) (clock.Timer, <-chan time.Time) {
	t, ch := c.Fake.NewTimer(d)
	return recordingTimer{Timer: t, c: c}, ch
}

func (c *recordingClock) recorded() (sleeps, resets []time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.sleeps), slices.Clone(c.resets)
}

type recordingTimer struct {
	clock.Timer
	c *recordingClock
}

func (t recordingTimer) Reset(d time.Duration) bool {
	t.c.mu.Lock()
	t.c.resets = append(t.c.resets, d)
	t.c.mu.Unlock()
	return t.Timer.Reset(d)
}

// While Redis is down the subscription tries again after a wait that
// doubles from 50 ms up to 2 s: a replica neither hammers a dead Redis nor
// waits long once it is back.
func TestSubscriptionBacksOff(t *testing.T) {
	srv := redistest.Start(t)
	clk := newRecordingClock()
	r := newReplicaConfig(t, shared.Config{URL: patient(srv.URL()), Prefix: redistest.Prefix(), Resync: time.Hour, Clock: clk})
	waitTimers(t, clk.Fake, 1)
	clk.Advance(0)
	eventually(t, "the store connected", up(r))

	srv.Kill()
	want := []time.Duration{50 * time.Millisecond, 100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond,
		800 * time.Millisecond, 1600 * time.Millisecond, 2 * time.Second, 2 * time.Second}
	for i, w := range want {
		eventually(t, fmt.Sprintf("wait %d asked for", i+1), func() bool { s, _ := clk.recorded(); return len(s) > i })
		if s, _ := clk.recorded(); s[i] != w {
			t.Fatalf("the subscription's waits = %v; want %v", s, want)
		}
		waitTimers(t, clk.Fake, 2) // the wait and the resync an hour away
		clk.Advance(w)
	}
}

// Without Config.Resync a replica reads the whole state every 5 s, as
// README says.
func TestDefaultResyncPeriod(t *testing.T) {
	clk := newRecordingClock()
	newReplicaConfig(t, shared.Config{URL: patient(redistest.URL(t)), Prefix: redistest.Prefix(), Clock: clk})
	waitTimers(t, clk.Fake, 1)
	clk.Advance(0)
	eventually(t, "the periodic resync armed again", func() bool { _, r := clk.recorded(); return len(r) > 0 })
	if _, resets := clk.recorded(); resets[0] != 5*time.Second {
		t.Errorf("resync period = %v; want README's 5s", resets[0])
	}
}

// Each exchange with Redis is bounded by 250 ms timeouts, as README says,
// unless the URL sets its own.
func TestDefaultTimeouts(t *testing.T) {
	for _, tc := range []struct {
		url                     string
		dial, read, write, pool time.Duration
	}{
		{"redis://cache:6379/0", 250 * time.Millisecond, 250 * time.Millisecond, 250 * time.Millisecond, 250 * time.Millisecond},
		{"redis://cache:6379/0?dial_timeout=1s&read_timeout=2s&write_timeout=3s&pool_timeout=4s", time.Second, 2 * time.Second, 3 * time.Second, 4 * time.Second},
	} {
		s, err := shared.New(shared.Config{URL: tc.url})
		if err != nil {
			t.Fatal(err)
		}
		dial, read, write, pool := shared.Timeouts(s)
		if dial != tc.dial || read != tc.read || write != tc.write || pool != tc.pool {
			t.Errorf("%s: timeouts dial %v, read %v, write %v, pool %v; want %v, %v, %v, %v",
				tc.url, dial, read, write, pool, tc.dial, tc.read, tc.write, tc.pool)
		}
	}
}

// droppingRedis is a server that speaks enough of Redis's protocol to be
// dialled, and drops every connection at its first command it has no
// answer for: each such exchange fails as it does when Redis dies
// mid-exchange. It counts the commands it was sent, by name.
type droppingRedis struct {
	ln net.Listener
	wg sync.WaitGroup
	// answers are the scripted replies (RESP2, whole) to the commands
	// it answers, by lower-case name.
	answers map[string]string

	mu       sync.Mutex
	commands map[string]int
}

func startDroppingRedis(t *testing.T, answers map[string]string) *droppingRedis {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	d := &droppingRedis{ln: ln, answers: answers, commands: map[string]int{}}
	d.wg.Go(func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			d.wg.Go(func() { d.serve(conn) })
		}
	})
	t.Cleanup(func() {
		ln.Close()
		d.wg.Wait()
	})
	return d
}

// serve answers HELLO with an error, as a Redis before 6 does (go-redis
// then goes on in RESP2 without it), and the commands it has answers for,
// and drops the connection at any other.
func (d *droppingRedis) serve(conn net.Conn) {
	defer conn.Close()
	r := bufio.NewReader(conn)
	for {
		name, err := readCommand(r)
		if err != nil {
			return
		}
		if name == "hello" {
			io.WriteString(conn, "-ERR unknown command 'HELLO'\r\n")
			continue
		}
		d.mu.Lock()
		d.commands[name]++
		d.mu.Unlock()
		a, ok := d.answers[name]
		if !ok {
			return
		}
		io.WriteString(conn, a)
	}
}

func (d *droppingRedis) count(name string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.commands[name]
}

// readCommand reads one command (an array of bulk strings) and returns
// its name in lower case.
func readCommand(r *bufio.Reader) (string, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return "", err
	}
	n, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(line, "*")))
	if err != nil || n < 1 {
		return "", fmt.Errorf("not a command: %q", line)
	}
	var name string
	for i := range n {
		line, err := r.ReadString('\n')
		if err != nil {
			return "", err
		}
		size, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(line, "$")))
		if err != nil {
			return "", fmt.Errorf("not a bulk string: %q", line)
		}
		b := make([]byte, size+2)
		if _, err := io.ReadFull(r, b); err != nil {
			return "", err
		}
		if i == 0 {
			name = strings.ToLower(string(b[:size]))
		}
	}
	return name, nil
}

// A failed exchange is tried once: the next change or resync is its
// retry, so that the queue does not wait on go-redis's retries and their
// backoff while Redis fails. A URL's max_retries is kept.
func TestFailedExchangeIsNotRetried(t *testing.T) {
	srv := startDroppingRedis(t, nil)
	for _, tc := range []struct {
		query string
		sets  int
	}{
		{"", 1},
		{"&max_retries=2", 3},
	} {
		before := srv.count("set")
		// The clock stands still: no resync, only the change below
		// talks to Redis.
		clk := clock.NewFake(time.Unix(0, 0))
		r := newReplicaConfig(t, shared.Config{URL: patient("redis://"+srv.ln.Addr().String()+"/0") + tc.query,
			Prefix: redistest.Prefix(), Resync: time.Hour, Clock: clk})
		r.store.Publish(fallback.Change{Kind: fallback.BreakerOpened, Target: primary, Cooldown: time.Hour})
		eventually(t, "the change sent in vain", func() bool { return r.store.Status().PublishErrors == 1 })
		if got := srv.count("set") - before; got != tc.sets {
			t.Errorf("URL query %q: the change was sent %d times; want %d", tc.query, got, tc.sets)
		}
	}
}

// An opening carries how long the link has been down: when this replica's
// probe fails at the end of the cool-down, its next cool-down grows from
// the outage's start as the other replica saw it (a tenth of the outage),
// whether the opening was announced or read at a resync.
func TestHeardOutageGrowsTheNextCooldown(t *testing.T) {
	const opening = `{"from":"another-replica","kind":"opened","provider":"a","model":"a-mini","cooldown_ms":60000,"down_ms":100000}`
	for _, announced := range []bool{true, false} {
		t.Run(fmt.Sprintf("announced %v", announced), func(t *testing.T) {
			url, prefix := redistest.URL(t), redistest.Prefix()
			c := redisClient(t, url)
			ctx := context.Background()
			var set time.Time // when the opening went into Redis
			if !announced {
				set = time.Now()
				if err := c.Set(ctx, prefix+":breaker:a/a-mini", `{"from":"another-replica","down_ms":100000}`, time.Minute).Err(); err != nil {
					t.Fatal(err)
				}
			}
			engineClock, storeClock := clock.NewFake(time.Unix(0, 0)), clock.NewFake(time.Unix(0, 0))
			store, err := shared.New(shared.Config{URL: patient(url), Prefix: prefix, Resync: time.Hour, Clock: storeClock})
			if err != nil {
				t.Fatal(err)
			}
			failing := sim.New(sim.Config{Name: "a", ErrorRate: 1, ErrorClasses: []provider.Class{provider.ClassServer}, Clock: engineClock})
			eng, err := fallback.New(fallback.Config{
				Order:      []string{"a", "b"},
				Categories: []fallback.Category{{Name: "fast", Models: map[string]string{"a": "a-mini", "b": "b-haiku"}}},
				Shared:     store,
				Clock:      engineClock,
			}, map[string]provider.Provider{"a": failing, "b": sim.New(sim.Config{Name: "b", Clock: engineClock})})
			if err != nil {
				t.Fatal(err)
			}
			r := runReplica(t, store, eng)
			waitTimers(t, storeClock, 1)
			storeClock.Advance(0)
			eventually(t, "the store connected", up(r))
			if announced {
				if err := c.Publish(ctx, prefix+":changes", opening).Err(); err != nil {
					t.Fatal(err)
				}
			}
			eventually(t, "a's breaker open", func() bool { return breaker(r) == fallback.StateOpen })
			opened := time.Now()

			ask := func(after time.Duration) int64 {
				t.Helper()
				engineClock.Advance(after)
				if _, err := eng.Complete(ctx, &fallback.Request{Category: "fast", Request: provider.Request{
					Messages: []provider.Message{{Role: provider.RoleUser, Content: "hi"}}}}); err != nil {
					t.Fatalf("Complete() error = %v; want b's answer", err)
				}
				return failing.Calls()
			}
			if calls := ask(time.Minute); calls != 1 {
				t.Fatalf("a asked %d times at the end of the cool-down; want one probe", calls)
			}
			// Down 100 s before the opening, a minute since: the next
			// cool-down is 16 s.
			if calls := ask(16*time.Second - time.Millisecond); calls != 1 {
				t.Fatalf("a asked %d times before 16 s after the failed probe; want the probe alone (the outage's length lost?)", calls)
			}
			// Read at a resync, the opening's remaining cool-down is Redis's
			// TTL, which runs on the wall clock: the real time between the
			// SET above and the read counts as outage, and a tenth of it
			// lengthens the cool-down. The read was over once the breaker
			// opened, so the wall time from the SET to then bounds it
			// (milliseconds when idle; over ten seconds once, with two race
			// suites on two cores, which a fixed second of slack missed).
			var slack time.Duration
			if !announced {
				slack = opened.Sub(set)/10 + time.Millisecond // and the TTL's milliseconds
			}
			if calls := ask(time.Millisecond + slack); calls != 2 {
				t.Fatalf("a asked %d times %v after the failed probe; want a second probe", calls, 16*time.Second+slack)
			}
		})
	}
}
