package eval

import (
	"context"
	"errors"
	"runtime"
	"testing"
)

// A call that gives up while waiting for a global slot neither lets
// another call in beyond the limit nor takes the slot meant for the next
// waiter: with one slot held, a cancelled waiter and a patient one, the
// patient one is served exactly when the slot is released.
func TestSlotsCancelledWaiterKeepsTheLimit(t *testing.T) {
	for _, kind := range []callKind{callGenerate, callJudge} {
		t.Run(kind.String(), func(t *testing.T) {
			s := newSlots(1)
			if err := s.acquire(context.Background(), callGenerate); err != nil {
				t.Fatal(err)
			}
			patient := make(chan error, 1)
			go func() { patient <- s.acquire(context.Background(), kind) }()
			// Wait until the patient call is queued; a call admitted at once
			// went past the limit.
			var granted chan struct{}
			for granted == nil {
				select {
				case err := <-patient:
					t.Fatalf("second call admitted with the only slot held (err %v)", err)
				default:
				}
				s.mu.Lock()
				if q := append(append([]chan struct{}{}, s.gen...), s.rest...); len(q) == 1 {
					granted = q[0]
				}
				s.mu.Unlock()
				runtime.Gosched()
			}

			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			if err := s.acquire(ctx, kind); !errors.Is(err, context.Canceled) {
				t.Fatalf("cancelled waiter: acquire() = %v; want context.Canceled", err)
			}
			select {
			case <-granted:
				t.Fatal("the cancelled waiter passed a slot on while the only slot is held")
			default:
			}

			s.release()
			select {
			case <-granted:
			default:
				t.Fatal("slot released: the waiting call was not served")
			}
			if err := <-patient; err != nil {
				t.Fatal(err)
			}
			s.release()
			if s.free != 1 || len(s.gen)+len(s.rest) != 0 {
				t.Errorf("after both released: %d free, %d waiting; want 1 free, none waiting", s.free, len(s.gen)+len(s.rest))
			}
		})
	}
}
