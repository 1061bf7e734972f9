package clock

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var t0 = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

func TestFakeFiresInOrderOnAdvance(t *testing.T) {
	f := NewFake(t0)
	var got []string
	f.AfterFunc(3*time.Second, func() { got = append(got, "c@"+f.Now().Sub(t0).String()) })
	f.AfterFunc(time.Second, func() {
		got = append(got, "a@"+f.Now().Sub(t0).String())
		// Armed while firing, and due within the same Advance.
		f.AfterFunc(time.Second, func() { got = append(got, "b@"+f.Now().Sub(t0).String()) })
	})
	stopped := f.AfterFunc(2*time.Second, func() { got = append(got, "stopped") })
	if !stopped.Stop() || stopped.Stop() {
		t.Errorf("Stop() twice = true, true; want true, false")
	}
	timer, ch := f.NewTimer(5 * time.Second)

	f.Advance(4 * time.Second)
	if want := []string{"a@1s", "b@2s", "c@3s"}; !slices.Equal(got, want) {
		t.Errorf("fired %v; want %v", got, want)
	}
	if now := f.Now().Sub(t0); now != 4*time.Second {
		t.Errorf("Now() = start+%v; want start+4s", now)
	}
	select {
	case <-ch:
		t.Fatal("NewTimer fired early")
	default:
	}
	f.Advance(time.Second)
	if v := <-ch; !v.Equal(t0.Add(5 * time.Second)) {
		t.Errorf("NewTimer sent %v; want start+5s", v)
	}
	// Reset takes back nothing here, but a value left unread is dropped.
	timer.Reset(time.Second)
	f.Advance(time.Second)
	timer.Reset(time.Second)
	select {
	case v := <-ch:
		t.Errorf("read %v after Reset; want no stale value", v)
	default:
	}
	if f.Pending() != 1 {
		t.Errorf("Pending() = %d; want 1", f.Pending())
	}
}

func TestFakeSleepAndWaitTimers(t *testing.T) {
	f := NewFake(t0)
	done := make(chan error, 1)
	go func() { done <- f.Sleep(context.Background(), time.Minute) }()
	f.WaitTimers(1)
	f.Advance(time.Minute)
	if err := <-done; err != nil {
		t.Errorf("Sleep() = %v; want nil", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	go func() { done <- f.Sleep(ctx, time.Minute) }()
	f.WaitTimers(1)
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Sleep() = %v; want context.Canceled", err)
	}
	if f.Pending() != 0 {
		t.Errorf("Pending() = %d after a cancelled sleep; want 0", f.Pending())
	}
}

// A lone goroutine's sleeps take no wall time: the clock jumps.
func TestVirtualJumpsWhenAlone(t *testing.T) {
	v := NewVirtual(t0)
	for range 3 {
		if err := v.Sleep(context.Background(), time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	if got := v.Now().Sub(t0); got != 3*time.Hour {
		t.Errorf("Now() = start+%v; want start+3h", got)
	}
}

// TestVirtualWaitsForEveryGoroutine: the clock moves only when every
// counted goroutine waits, so two sleepers wake in the order of their
// deadlines whatever the scheduler does, and an AfterFunc that cancels a
// sleeper wakes it at the AfterFunc's instant.
func TestVirtualWaitsForEveryGoroutine(t *testing.T) {
	for range 50 {
		v := NewVirtual(t0)
		tr := Track(v)
		var mu sync.Mutex
		var woke []string
		ctx, cancel := context.WithCancel(context.Background())
		v.AfterFunc(90*time.Second, cancel)
		var wg sync.WaitGroup
		for _, s := range []struct {
			name string
			d    time.Duration
			ctx  context.Context
		}{{"slow", 2 * time.Minute, context.Background()}, {"fast", time.Minute, context.Background()}, {"cancelled", time.Hour, ctx}} {
			tr.Busy()
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer tr.Idle()
				err := v.Sleep(s.ctx, s.d)
				mu.Lock()
				woke = append(woke, s.name+"@"+v.Now().Sub(t0).String()+errString(err))
				mu.Unlock()
			}()
		}
		tr.Idle() // the test goroutine waits, uncounted, for the others
		wg.Wait()
		tr.Busy()
		want := []string{"fast@1m0s", "cancelled@1m30s: context canceled", "slow@2m0s"}
		if !slices.Equal(woke, want) {
			t.Fatalf("woke %v; want %v", woke, want)
		}
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return ": " + err.Error()
}
