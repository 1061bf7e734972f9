package gcfloor

import (
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

func TestPercent(t *testing.T) {
	const mib = 1 << 20
	for _, tc := range []struct {
		name             string
		live, roots, flr uint64
		base, want       int
	}{
		// 16 MiB floor: GOGC at most 400, where the runtime's own
		// minimum (4 MiB × GOGC/100) reaches the floor.
		{"empty heap: the runtime minimum is the floor", 0, 512 << 10, 16 * mib, 100, 400},
		{"small heap: capped where the minimum reaches the floor", 2 * mib, 0, 16 * mib, 100, 400},
		{"goal lands on the floor", 4 * mib, 2 * mib, 16 * mib, 100, 200},
		{"roots count in the goal", 4 * mib, 4 * mib, 16 * mib, 100, 150},
		{"near the floor: never below base", 12 * mib, 1 * mib, 16 * mib, 100, 100},
		{"at the floor: base", 16 * mib, 0, 16 * mib, 100, 100},
		{"above the floor: base", 64 * mib, 1 * mib, 16 * mib, 100, 100},
		{"a higher base wins", 4 * mib, 2 * mib, 16 * mib, 300, 300},
		{"collection off stays off", 1 * mib, 0, 16 * mib, -1, -1},
		{"GOGC=0 is a base like any other", 4 * mib, 2 * mib, 16 * mib, 0, 200},
		{"nothing measured: base", 0, 0, 16 * mib, 100, 100},
	} {
		if got := Percent(tc.live, tc.roots, tc.flr, tc.base); got != tc.want {
			t.Errorf("%s: Percent(%d, %d, %d, %d) = %d, want %d", tc.name, tc.live, tc.roots, tc.flr, tc.base, got, tc.want)
		}
	}
}

// TestStartTunesAfterEachCollectionAndStopRestores runs the tuner on this
// process: GOGC rises after a collection of a small heap, keeps being set
// after each later one, and stop puts the old GOGC back for good.
func TestStartTunesAfterEachCollectionAndStopRestores(t *testing.T) {
	old := debug.SetGCPercent(100)
	defer debug.SetGCPercent(old)

	tuned := make(chan int, 1)
	stop := start(1<<30, func(p int) { tuned <- p })
	for range 2 {
		runtime.GC()
		// The cleanup runs once the collection found the sentinel
		// unreachable; each collection arms the next. The deadline only
		// turns a tuner that never runs into a failure, not a hang.
		var p int
		select {
		case p = <-tuned:
		case <-time.After(time.Minute):
			t.Fatal("no GOGC set a minute after a collection")
		}
		if p <= 100 || gogc() != p {
			t.Fatalf("after a collection of a small heap with a 1 GiB floor: GOGC %d (tuner said %d), want above 100", gogc(), p)
		}
	}
	stop()
	if got := gogc(); got != 100 {
		t.Fatalf("after stop: GOGC %d, want the 100 it started with", got)
	}
	runtime.GC()
	runtime.GC()
	if got := gogc(); got != 100 {
		t.Fatalf("collections after stop: GOGC %d, want 100 (the tuner stopped)", got)
	}
	select {
	case p := <-tuned:
		t.Fatalf("the tuner set GOGC %d after stop", p)
	default:
	}
}
