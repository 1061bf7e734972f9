// Package procs runs a lightly loaded server on one P (GOMAXPROCS=1), and
// on every CPU the runtime would give it once it is busy.
//
// At light load a Go server's goroutines hand a request to one another
// many times (net/http's connection and transport goroutines, a request's
// own), and with another P idle each hand-off may wake it: a sleeping
// thread woken through a futex (on a VM, an interrupt from one virtual CPU
// to another), which then spins looking for work and sleeps again. One P
// has no other to wake. On the 2-core VM of BenchmarkGatewayLoad, at 500
// requests a second (nine alternating pairs of runs), the controller took
// the CPU the gateway adds to a streamed request from 198–343 to 152–291
// µs and its added median latency from 0.20–0.31 to 0.12–0.23 ms (README:
// "Run as a gateway", Performance). Under load the other Ps pay for
// themselves: at 2,000 requests a second one P queued requests for
// milliseconds. And on one P a request that holds the CPU for milliseconds
// (decoding an inline image) holds up every other until the scheduler
// preempts it, 10 ms later.
//
// So a Controller reads the process's CPU time and its request count
// (Request) every Window: on one P, a window that used more than Up of a
// CPU or served more than MaxRate requests a second, or a heavy request
// (Heavy), gives the process every CPU at once; on every CPU, Calm windows
// in a row under Down and MaxRate (and no heavy request) try one P again. The CPU a load uses on every
// CPU says little about what it would use on one (the wake-ups are most of
// the difference at light load, little of it under load), so a try is
// the test: a try that its first window undoes doubles the calm wanted
// before the next one (up to MaxCalm), so that a load one P cannot carry
// costs a window on one P every two minutes; a try that holds resets it.
// The try's window is a whole Window: a shorter one (25 ms was tried)
// read a collection in it as load, and failed tries kept a 500 requests/s
// benchmark on every CPU for most of its run.
package procs

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/llmfall/llmfall/clock"
)

// Config tunes a Controller; Default is the one `llmfall serve` runs.
type Config struct {
	// Window is how often the CPU time is read.
	Window time.Duration
	// Up is the CPU use, in CPUs, above which a process on one P gets
	// every CPU; Down is the use on every CPU under which a window counts
	// as calm.
	Up, Down float64
	// MaxRate is the requests a second (Request) above which the process
	// gets every CPU whatever its CPU use, and is not calm.
	MaxRate float64
	// Calm is how many calm windows in a row try one P again; a failed
	// try doubles it, up to MaxCalm.
	Calm, MaxCalm int

	// Clock times the windows; CPU is the process's CPU time so far;
	// Set puts the process on one P (true) or on the runtime's default
	// (false). Tests replace them; Start fills in the real ones.
	Clock clock.Clock
	CPU   func() time.Duration
	Set   func(one bool)
}

// Default is Start's configuration, from BenchmarkGatewayLoad on a 2-core
// VM (its process: load generator, gateway and mock upstream):
//   - a tenth of a second between reads, so that a burst (or a try that
//     fails) waits at most that long for the other CPUs;
//   - one P while the process uses under 0.3 of a CPU and serves under
//     1,000 requests a second: from 1,000 to 1,500 requests a second one P
//     still added no more latency than two (the benchmark used 0.15–0.34
//     of a CPU on it), and at 2,000 its p99 was 3–10 ms against 1.6–5.5
//     on two. The CPU alone did not tell: at 2,000 requests a second
//     without streaming the benchmark used 0.12–0.30 of a CPU on one P,
//     about what 500 streamed requests a second use (0.06–0.38), and a
//     controller without the rate kept it on one P there (p99 3.3–3.9 ms
//     against 1.6–2.0 ms on two);
//   - a try once the process has used under 0.6 of a CPU for two seconds
//     on every CPU: the same load used up to 2.1 times the CPU on two Ps
//     as on one (0.28 against 0.13 at 500 requests a second), so over 0.6
//     one P would be over 0.3 anyway;
//   - after a failed try, the next after twice the calm, at most two
//     minutes.
var Default = Config{Window: 100 * time.Millisecond, Up: 0.3, Down: 0.6, MaxRate: 1000, Calm: 20, MaxCalm: 1200}

// Controller moves the process between one P and every CPU; see the
// package comment.
type Controller struct {
	cfg Config

	mu      sync.Mutex
	one     bool          // on one P
	heavy   int           // heavy requests in flight
	calm    int           // calm windows in a row, on every CPU
	need    int           // calm windows the next try wants
	tried   bool          // the window running is the first after a try
	cpu     time.Duration // CPU time at the window's start
	reqs    uint64        // requests counted at the window's start
	at      time.Time     // the window's start
	t       clock.Timer
	stopped bool

	requests atomic.Uint64 // Request calls
}

// Start runs a Controller with Default on the real clock and the process's
// own CPU time, or returns nil where the CPU time cannot be read (the
// process then keeps the runtime's GOMAXPROCS). Call it once per process,
// and not when the user set GOMAXPROCS: the Ps are then theirs.
func Start() *Controller {
	if _, ok := cpuTime(); !ok || runtime.GOMAXPROCS(0) == 1 {
		// Without the CPU time there is nothing to decide from; on one
		// CPU, nothing to choose between.
		return nil
	}
	cfg := Default
	cfg.Clock = clock.Real()
	cfg.CPU = func() time.Duration { d, _ := cpuTime(); return d }
	cfg.Set = setProcs
	return start(cfg)
}

func start(cfg Config) *Controller {
	c := &Controller{cfg: cfg, need: cfg.Calm, cpu: cfg.CPU(), at: cfg.Clock.Now()}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = cfg.Clock.AfterFunc(cfg.Window, c.tick)
	return c
}

// setProcs is Set on the real runtime. The default is the runtime's own
// (SetDefaultGOMAXPROCS), not a count remembered at start, so that the
// runtime goes on following a container's CPU limit while it is in force.
func setProcs(one bool) {
	if one {
		runtime.GOMAXPROCS(1)
	} else {
		runtime.SetDefaultGOMAXPROCS()
	}
}

// tick ends a window: it decides from the CPU the window used, and starts
// the next.
func (c *Controller) tick() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopped {
		return
	}
	now, cpu, reqs := c.cfg.Clock.Now(), c.cfg.CPU(), c.requests.Load()
	if wall := now.Sub(c.at); wall > 0 {
		c.decide(float64(cpu-c.cpu)/float64(wall), float64(reqs-c.reqs)/wall.Seconds())
	}
	c.cpu, c.at, c.reqs = cpu, now, reqs
	c.t.Reset(c.cfg.Window)
}

// decide acts on a window that used the given CPUs and served rate
// requests a second; mu held.
func (c *Controller) decide(used, rate float64) {
	tried := c.tried
	c.tried = false
	busy := rate > c.cfg.MaxRate
	switch {
	case c.one && (used > c.cfg.Up || busy):
		if tried {
			c.need = min(2*c.need, c.cfg.MaxCalm)
		}
		c.every()
	case c.one:
		if tried {
			c.need = c.cfg.Calm
		}
	case c.heavy == 0 && used < c.cfg.Down && !busy:
		c.calm++
		if c.calm >= c.need {
			c.one, c.calm, c.tried = true, 0, true
			c.cfg.Set(true)
		}
	default:
		c.calm = 0
	}
}

// every gives the process every CPU; mu held.
func (c *Controller) every() {
	c.one, c.calm = false, 0
	c.cfg.Set(false)
}

// Request counts a request, for MaxRate. A nil Controller does nothing.
func (c *Controller) Request() {
	if c != nil {
		c.requests.Add(1)
	}
}

// Heavy tells the Controller that a request about to hold a CPU for
// milliseconds has started: the process gets every CPU at once and keeps
// them until every such request has called its done. A nil Controller
// does nothing.
func (c *Controller) Heavy() (done func()) {
	if c == nil {
		return func() {}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.heavy++
	if c.one {
		c.every()
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			c.mu.Lock()
			defer c.mu.Unlock()
			c.heavy--
		})
	}
}

// Stop ends the Controller and leaves the process on every CPU. A nil
// Controller does nothing.
func (c *Controller) Stop() {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopped {
		return
	}
	c.stopped = true
	c.t.Stop()
	if c.one {
		c.every()
	}
}
