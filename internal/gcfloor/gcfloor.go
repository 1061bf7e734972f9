// Package gcfloor keeps a long-running server's garbage collector from
// running on a small heap more often than it has to.
//
// Go sets the next collection at the live heap plus GOGC percent of it,
// and never under 4 MiB (scaled by GOGC). A gateway's live heap is small
// (a few MB) while it allocates tens of MB a second, so at the default it
// collects five times a second, and each collection takes a CPU from
// the requests for a while: on a 2-core machine that is the gateway's tail
// latency (BenchmarkGatewayLoad's p99 at 500 requests/s halves with fewer
// collections). A floor on the heap goal trades a bounded amount of memory
// for far fewer collections while the heap is small, and does nothing once
// the live heap reaches it, so memory under load is what it was.
//
// It is the tuner Uber and others describe, reduced to one rule: after
// each collection, GOGC is set so that the next goal is about the floor,
// never below the GOGC in force when it started.
package gcfloor

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// runtimeMinHeap is the runtime's smallest heap goal at GOGC=100; it
// scales with GOGC, so a GOGC above floor/runtimeMinHeap*100 would set
// a goal above the floor even for an empty heap.
const runtimeMinHeap = 4 << 20

// Percent is the GOGC that puts the next heap goal at about floor bytes,
// given the heap live after a collection and the other roots the runtime
// counts in the goal (goroutine stacks, globals): Go's goal is
// live + (live+roots)*GOGC/100. It is never below base, the GOGC the
// process runs with otherwise; a negative base (collection off) stays.
func Percent(live, roots, floor uint64, base int) int {
	if base < 0 || live >= floor || live+roots == 0 {
		return base
	}
	p := (floor - live) * 100 / (live + roots)
	p = min(p, floor*100/runtimeMinHeap)
	return max(int(p), base)
}

// tuner sets GOGC after each collection until stopped.
type tuner struct {
	floor uint64
	base  int
	// tuned, if set, hears each GOGC set (tests).
	tuned func(int)

	mu      sync.Mutex
	stopped bool
}

// sentinel is what the tuner watches being collected: one is made
// unreachable at once, so its cleanup runs after the next collection. It
// holds a pointer so that the runtime does not batch it with other small
// objects (which would delay its collection).
type sentinel struct {
	_ *byte
	_ [8]byte
}

// Start keeps the heap goal near floor bytes while the live heap is below
// it, from the next collection on, until the returned stop is called, which
// restores the GOGC in force before. Call it once per process: GOGC is
// the process's. A process whose user set GOGC should not call it.
func Start(floor uint64) (stop func()) {
	return start(floor, nil)
}

func start(floor uint64, tuned func(int)) (stop func()) {
	t := &tuner{floor: floor, base: gogc(), tuned: tuned}
	t.arm()
	return t.stop
}

// arm watches for the next collection. The runtime runs the cleanup on its
// own goroutine, so the tuner has none to own.
func (t *tuner) arm() {
	runtime.AddCleanup(new(sentinel), (*tuner).collected, t)
}

// collected runs after a collection: it sets GOGC from what the collection
// left live, and watches for the next one.
func (t *tuner) collected() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stopped {
		return
	}
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}, {Name: "/gc/scan/stack:bytes"}, {Name: "/gc/scan/globals:bytes"}}
	metrics.Read(s)
	p := Percent(s[0].Value.Uint64(), s[1].Value.Uint64()+s[2].Value.Uint64(), t.floor, t.base)
	debug.SetGCPercent(p)
	if t.tuned != nil {
		t.tuned(p)
	}
	t.arm()
}

func (t *tuner) stop() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.stopped {
		t.stopped = true
		debug.SetGCPercent(t.base)
	}
}

// gogc is the GOGC in force.
func gogc() int {
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}}
	metrics.Read(s)
	return int(s[0].Value.Uint64())
}
