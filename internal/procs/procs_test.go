package procs

import (
	"os"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/llmfall/llmfall/clock"
)

const window = 100 * time.Millisecond

// rig is a Controller on a fake clock whose CPU time the test spends, and
// which records every Set.
type rig struct {
	t   *testing.T
	clk *clock.Fake
	c   *Controller

	mu   sync.Mutex
	cpu  time.Duration
	sets []bool // true: one P
	// rate is the requests a second each window serves.
	rate float64
}

func newRig(t *testing.T) *rig {
	r := &rig{t: t, clk: clock.NewFake(time.Unix(1700000000, 0))}
	r.c = start(Config{Window: window, Up: 0.3, Down: 0.4, MaxRate: 1000, Calm: 3, MaxCalm: 12, Clock: r.clk,
		CPU: func() time.Duration { r.mu.Lock(); defer r.mu.Unlock(); return r.cpu },
		Set: func(one bool) { r.mu.Lock(); defer r.mu.Unlock(); r.sets = append(r.sets, one) }})
	t.Cleanup(r.c.Stop)
	return r
}

// windows lets windows pass in which the process uses the given CPUs and
// serves r.rate requests a second.
func (r *rig) windows(used ...float64) {
	for _, u := range used {
		for range int(r.rate * window.Seconds()) {
			r.c.Request()
		}
		r.mu.Lock()
		r.cpu += time.Duration(u * float64(window))
		r.mu.Unlock()
		r.clk.Advance(window)
	}
}

// want checks the Sets made since the last want.
func (r *rig) want(sets ...bool) {
	r.t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if !slices.Equal(r.sets, sets) {
		r.t.Fatalf("sets = %v; want %v (true: one P)", r.sets, sets)
	}
	r.sets = nil
}

func TestCalmWindowsMoveToOnePAndLoadMovesBack(t *testing.T) {
	r := newRig(t)
	r.windows(0.1, 0.39)
	r.want() // starts on every CPU, and two calm windows are not yet three
	r.windows(0.2)
	r.want(true)
	r.windows(0.3, 0.25)
	r.want() // at Up is not over it
	r.windows(0.31)
	r.want(false)
}

func TestABusyWindowStartsTheCalmAgain(t *testing.T) {
	r := newRig(t)
	r.windows(0.1, 0.1, 0.4, 0.1, 0.1) // at Down is not calm
	r.want()
	r.windows(0.1)
	r.want(true)
}

func TestAFailedTryDoublesTheCalmWanted(t *testing.T) {
	r := newRig(t)
	r.windows(0.1, 0.1, 0.1)
	r.want(true)
	r.windows(0.5) // the try fails at once
	r.want(false)
	r.windows(0.1, 0.1, 0.1, 0.1, 0.1)
	r.want() // six calm windows wanted now
	r.windows(0.1)
	r.want(true)
	r.windows(0.5)
	r.want(false)
	r.windows(slices.Repeat([]float64{0.1}, 11)...)
	r.want()
	r.windows(0.1)
	r.want(true)
	r.windows(0.5) // twelve is MaxCalm: the next try wants twelve again
	r.want(false)
	r.windows(slices.Repeat([]float64{0.1}, 11)...)
	r.want()
	r.windows(0.1)
	r.want(true)
}

func TestATryThatHoldsResetsTheCalmWanted(t *testing.T) {
	r := newRig(t)
	r.windows(0.1, 0.1, 0.1, 0.5) // a failed try: six wanted
	r.want(true, false)
	r.windows(slices.Repeat([]float64{0.1}, 6)...)
	r.want(true)
	// The try held its window: a load from the very next window on is no
	// failed try (and the calm wanted is three again).
	r.windows(0.1, 0.5)
	r.want(false)
	r.windows(0.1, 0.1, 0.1)
	r.want(true)
}

// TestARateOverMaxRateKeepsEveryCPU: however little CPU the windows use,
// one serving more than MaxRate requests a second moves the process off
// one P, and breaks the calm; at MaxRate is not over it.
func TestARateOverMaxRateKeepsEveryCPU(t *testing.T) {
	r := newRig(t)
	r.rate = 1000
	r.windows(0.1, 0.1, 0.1)
	r.want(true)
	r.rate = 1010
	r.windows(0.1)
	r.want(false) // the try's own window: a failed try, six calm windows wanted
	r.windows(0.1, 0.1, 0.1)
	r.rate = 500
	r.windows(0.1, 0.1, 0.1, 0.1, 0.1)
	r.want() // the busy windows broke the calm
	r.windows(0.1)
	r.want(true)
	r.windows(0.1) // the try holds
	r.rate = 2000
	r.windows(0.1)
	r.want(false)
}

func TestHeavyGivesEveryCPUUntilDone(t *testing.T) {
	r := newRig(t)
	r.windows(0.1, 0.1, 0.1)
	r.want(true)
	done := r.c.Heavy()
	r.want(false) // at once, not at the window's end
	other := r.c.Heavy()
	r.want() // already on every CPU
	r.windows(0.1, 0.1, 0.1, 0.1, 0.1)
	r.want()
	done()
	done() // once only: the other is still in flight
	r.windows(0.1, 0.1, 0.1, 0.1)
	r.want()
	other()
	r.windows(0.1, 0.1)
	r.want()
	r.windows(0.1)
	r.want(true)
}

func TestStopLeavesEveryCPU(t *testing.T) {
	r := newRig(t)
	r.windows(0.1, 0.1, 0.1)
	r.want(true)
	r.c.Stop()
	r.want(false)
	if n := r.clk.Pending(); n != 0 {
		t.Errorf("%d timers armed after Stop; want 0", n)
	}
	r.windows(0.1, 0.1, 0.1, 0.1)
	r.c.Stop()
	r.c.Heavy()()
	r.want()

	var none *Controller // where Start could not read the CPU time
	none.Heavy()()
	none.Stop()
}

// TestSetProcsMovesTheRuntime: the real Set puts the process on one P, and
// back on the runtime's default.
func TestSetProcsMovesTheRuntime(t *testing.T) {
	before := runtime.GOMAXPROCS(0)
	defer runtime.GOMAXPROCS(before)
	setProcs(true)
	if n := runtime.GOMAXPROCS(0); n != 1 {
		t.Fatalf("GOMAXPROCS = %d after setProcs(true); want 1", n)
	}
	setProcs(false)
	if os.Getenv("GOMAXPROCS") == "" && runtime.GOMAXPROCS(0) != before {
		t.Fatalf("GOMAXPROCS = %d after setProcs(false); want the default %d", runtime.GOMAXPROCS(0), before)
	}
}

// TestCPUTimeCounts: the process's CPU time grows as it works.
func TestCPUTimeCounts(t *testing.T) {
	start, ok := cpuTime()
	if !ok {
		t.Skip("no CPU time on this OS")
	}
	// A failure detector only: any work at all moves the count (its tick
	// is the kernel's, a few milliseconds).
	deadline := time.Now().Add(time.Minute)
	x := 0
	for now, _ := cpuTime(); now <= start; now, _ = cpuTime() {
		for i := range 1 << 16 {
			x += i
		}
		if time.Now().After(deadline) {
			t.Fatalf("CPU time stayed %v for a minute of work", start)
		}
	}
	_ = x
}

// TestDefaultIsDocumented: Default is what its comment promises: a read
// every tenth of a second, one P under 0.3 of a CPU and 1,000 requests a
// second, a try after two seconds under 0.6 on every CPU, and at most two
// minutes between tries.
func TestDefaultIsDocumented(t *testing.T) {
	d := Default
	if d.Window != 100*time.Millisecond {
		t.Errorf("Window %v; want 100ms", d.Window)
	}
	if d.Up != 0.3 || d.Down != 0.6 || d.MaxRate != 1000 {
		t.Errorf("Up %v, Down %v, MaxRate %v; want 0.3, 0.6, 1000", d.Up, d.Down, d.MaxRate)
	}
	if calm, most := time.Duration(d.Calm)*d.Window, time.Duration(d.MaxCalm)*d.Window; calm != 2*time.Second || most != 2*time.Minute {
		t.Errorf("calm before a try %v, at most %v; want 2s, 2m0s", calm, most)
	}
}
