//go:build unix

package procs

import (
	"os"
	"runtime"
	"syscall"
	"testing"
	"time"
)

// TestCPUTimeIsUserAndSystem: on unix the CPU time is always known (Start
// would otherwise leave GOMAXPROCS alone), and it counts the time spent in
// the kernel as well as the process's own: a gateway spends much of its CPU
// in system calls (the network), which is load all the same.
func TestCPUTimeIsUserAndSystem(t *testing.T) {
	// A failure detector only: system calls move the system time by the
	// kernel's tick, a few milliseconds.
	deadline := time.Now().Add(time.Minute)
	var ru syscall.Rusage
	for {
		if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
			t.Fatalf("getrusage: %v", err)
		}
		if ru.Stime.Nano() > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no system time after a minute of system calls")
		}
		for range 1000 {
			os.Getpid()
			_, _ = os.Stat(".")
		}
	}
	d, ok := cpuTime()
	if !ok {
		t.Fatal("cpuTime: not known on unix")
	}
	// Read after ru: at least its user and system time together.
	if want := time.Duration(ru.Utime.Nano() + ru.Stime.Nano()); d < want {
		t.Fatalf("cpuTime = %v; want at least the user and system time read before it, %v", d, want)
	}
}

// TestStartRunsOnUnix: where the CPU time can be read and there is more
// than one P to choose from, Start runs a Controller, and stopping it at
// once leaves the Ps as they were; on one P it runs none.
func TestStartRunsOnUnix(t *testing.T) {
	if runtime.GOMAXPROCS(0) > 1 {
		c := Start()
		if c == nil {
			t.Fatal("Start() = nil on unix with more than one P; want a Controller")
		}
		c.Stop()
	}
	prev := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(prev)
	if c := Start(); c != nil {
		c.Stop()
		t.Fatal("Start() on one P ran a Controller; want none: there is nothing to choose")
	}
}
