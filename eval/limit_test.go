package eval

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/llmfall/llmfall/provider"
)

// TestSlotsServeGenerationsFirst: a freed slot goes to a waiting generation
// before a judge call that has waited longer.
func TestSlotsServeGenerationsFirst(t *testing.T) {
	s := newSlots(1)
	if err := s.acquire(context.Background(), callGenerate); err != nil {
		t.Fatal(err)
	}
	got := make(chan callKind, 2)
	waiting := func(n int) {
		for {
			s.mu.Lock()
			q := len(s.gen) + len(s.rest)
			s.mu.Unlock()
			if q == n {
				return
			}
			runtime.Gosched()
		}
	}
	for i, kind := range []callKind{callJudge, callGenerate} {
		go func() {
			if err := s.acquire(context.Background(), kind); err != nil {
				t.Error(err)
			}
			got <- kind
			s.release()
		}()
		waiting(i + 1) // queued in this order
	}
	s.release()
	if first := <-got; first != callGenerate {
		t.Errorf("first served = %v; want %v", first, callGenerate)
	}
	<-got
}

// lockstep is a provider on which every call takes one tick. The test ends
// a tick once every call that can be in flight is (all C slots, or every
// call whose inputs are ready), by answering them all at once, so the
// number of ticks is the run's wall time in units of one call, whatever
// the machine's speed.
type lockstep struct{ started chan stepCall }

// stepCall is a call in flight on a lockstep provider: closing done answers it.
type stepCall struct {
	done    chan struct{}
	judging bool
}

func (l *lockstep) Complete(ctx context.Context, req *provider.Request) (*provider.Response, error) {
	done := make(chan struct{})
	judging := strings.HasPrefix(req.Messages[len(req.Messages)-1].Content, "Rubric:")
	select {
	case l.started <- stepCall{done, judging}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	<-done
	text := "ticket summarised"
	if judging {
		text = "PASS"
	}
	return &provider.Response{Text: text, FinishReason: provider.FinishStop, Model: req.Model}, nil
}

func (l *lockstep) Stream(context.Context, *provider.Request) (provider.Stream, error) {
	return nil, fmt.Errorf("lockstep: streams are not used by eval")
}

// TestRunKeepsEverySlotBusy: with C slots, n cases of one generation and
// one judge call each finish in ⌈2n/C⌉ ticks, the least possible: no slot
// idles at the end waiting for a late generation's judge call. (Judge calls
// first leaves generations for the end: 10 ticks here instead of 9.)
func TestRunKeepsEverySlotBusy(t *testing.T) {
	const c, tests, links = 4, 6, 3
	calls := 2 * tests * links
	s := suiteOf(t, tests, `{type: contains, value: "ticket"}`, `{type: judge, rubric: "summarises the ticket"}`)
	plan := mustPlan(t, s, PlanOptions{Depth: links})
	p := &lockstep{started: make(chan stepCall)}
	ps := map[string]provider.Provider{"a": p, "b": p, "c": p}
	// Provider and judge limits above the cap: only the cap's queues
	// decide who goes next.
	limits := map[string]Limit{"a": {Concurrency: tests}, "b": {Concurrency: tests}, "c": {Concurrency: tests}}
	global := newSlots(c)
	done := make(chan error, 1)
	go func() {
		_, err := Run(context.Background(), plan, RunOptions{Providers: ps, Limits: limits, Concurrency: c,
			Judge: &llmJudge{p: p}, JudgeLimit: Limit{Concurrency: calls}, global: global})
		done <- err
	}()
	// Every call of a tick is held until the tick ends. The calls a tick
	// can hold are the unstarted generations and the judge calls of the
	// generations answered in earlier ticks, at most c of them.
	gens := tests * links
	gensStarted, gensDone, judgesStarted, ticks := 0, 0, 0, 0
	for gensDone+judgesStarted < calls {
		ready := min(c, gens-gensStarted+gensDone-judgesStarted)
		if ready == 0 {
			break
		}
		held := make([]stepCall, 0, c)
		for len(held) < ready {
			call := <-p.started
			held = append(held, call)
			if call.judging {
				judgesStarted++
			} else {
				gensStarted++
			}
		}
		// Before the tick ends, every other ready call waits for a slot,
		// so that which goes next is the queues' choice, not a race.
		for waiting := gens - gensStarted + gensDone - judgesStarted; ; runtime.Gosched() {
			global.mu.Lock()
			q := len(global.gen) + len(global.rest)
			global.mu.Unlock()
			if q == waiting {
				break
			}
		}
		for _, call := range held {
			close(call.done)
			if !call.judging {
				gensDone++
			}
		}
		ticks++
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if want := (calls + c - 1) / c; ticks != want {
		t.Errorf("ticks = %d; want %d", ticks, want)
	}
}
