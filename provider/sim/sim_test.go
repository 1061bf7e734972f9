package sim

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/llmfall/llmfall/clock"
	"github.com/llmfall/llmfall/provider"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fakeClock advances only when slept on and records every sleep: a
// virtual clock on which the test's goroutine is the only one.
type fakeClock struct {
	*clock.Virtual
	mu     sync.Mutex
	sleeps []time.Duration
}

func newFakeClock() *fakeClock {
	return &fakeClock{Virtual: clock.NewVirtual(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))}
}

func (f *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	f.mu.Lock()
	f.sleeps = append(f.sleeps, d)
	f.mu.Unlock()
	return f.Virtual.Sleep(ctx, d)
}

// blockingClock is a clock that never moves: a test waits until the sim
// sleeps on it (one timer armed), then cancels.
func blockingClock() *clock.Fake { return clock.NewFake(time.Time{}) }

// watchedCtx closes asked the first time anyone waits on Done, which is how
// a test knows the sim is blocked on the context.
type watchedCtx struct {
	context.Context
	asked chan struct{}
	once  sync.Once
}

func watch(ctx context.Context) *watchedCtx {
	return &watchedCtx{Context: ctx, asked: make(chan struct{})}
}

func (w *watchedCtx) Done() <-chan struct{} {
	w.once.Do(func() { close(w.asked) })
	return w.Context.Done()
}

const ticket = "Summarise this ticket in two sentences:\n" +
	"Hi, I'm Maria Lopez (maria.lopez@example.com). Order 1182 arrived broken and I want my money back. " +
	"Tracking number ORD-77 says it was delivered on Monday."

func userReq(model, content string) *provider.Request {
	return &provider.Request{
		Model:    model,
		System:   "You summarise support tickets for agents.",
		Messages: []provider.Message{{Role: provider.RoleUser, Content: content}},
	}
}

func complete(t *testing.T, c *Client, req *provider.Request) *provider.Response {
	t.Helper()
	resp, err := c.Complete(context.Background(), req)
	if err != nil {
		t.Fatalf("Complete(%s) error: %v", req.Model, err)
	}
	return resp
}

// drain reads a stream to its end and returns its chunks.
func drain(t *testing.T, s provider.Stream) []string {
	t.Helper()
	defer s.Close()
	var got []string
	for s.Next() {
		got = append(got, s.Current().Text)
	}
	if err := s.Err(); err != nil {
		t.Fatalf("stream error: %v", err)
	}
	return got
}

func classOf(t *testing.T, err error) provider.Class {
	t.Helper()
	var pe *provider.Error
	if !errors.As(err, &pe) {
		t.Fatalf("error %v (%T) is not a *provider.Error", err, err)
	}
	return pe.Class
}

func TestCompleteDeterministic(t *testing.T) {
	models := []string{"gpt-4.1-mini", "claude-3-5-haiku-latest", "gemini-2.5-flash", "gpt-4.1", "llama3"}
	for _, model := range models {
		t.Run(model, func(t *testing.T) {
			first := complete(t, New(Config{}), userReq(model, ticket))
			// A fresh client, a different seed and sampling parameters
			// must not change the text.
			req := userReq(model, ticket)
			temp, seed := 0.9, int64(7)
			req.Temperature, req.Seed = &temp, &seed
			second := complete(t, New(Config{Seed: 99}), req)
			if first.Text != second.Text {
				t.Errorf("text differs between runs:\n%q\n%q", first.Text, second.Text)
			}
			if first.RequestID != second.RequestID || !strings.HasPrefix(first.RequestID, "sim-") {
				t.Errorf("RequestID = %q, %q; want equal, starting sim-", first.RequestID, second.RequestID)
			}
			if first.Model != model || first.FinishReason != provider.FinishStop {
				t.Errorf("Model, FinishReason = %q, %q; want %q, stop", first.Model, first.FinishReason, model)
			}
		})
	}
}

func TestModelsDifferButShareTerms(t *testing.T) {
	c := New(Config{})
	pairs := [][2]string{
		{"gpt-4.1", "claude-sonnet-4-5"},
		{"gpt-4.1-mini", "claude-3-5-haiku-latest"},
		{"gpt-4.1-mini", "gemini-2.5-flash"},
		{"gpt-4.1", "gpt-4o"},
	}
	for _, p := range pairs {
		a := complete(t, c, userReq(p[0], ticket)).Text
		b := complete(t, c, userReq(p[1], ticket)).Text
		if a == b {
			t.Errorf("%s and %s gave the same text %q", p[0], p[1], a)
		}
		for _, term := range []string{"1182", "ORD-77", "Maria Lopez", "maria.lopez@example.com", "refund", "broken"} {
			for i, text := range []string{a, b} {
				if !strings.Contains(strings.ToLower(text), strings.ToLower(term)) {
					t.Errorf("%s text %q lacks %q", p[i], text, term)
				}
			}
		}
	}
}

func TestStyles(t *testing.T) {
	tests := []struct {
		model string
		want  style
	}{
		{"gpt-4.1", style{sentences: 3, maxWords: 10}},
		{"gpt-4.1-mini", style{sentences: 2, maxWords: 6}},
		{"gpt-4.1-nano", style{sentences: 1, maxWords: 3, dropNumbers: true}},
		{"claude-3-5-haiku-latest", style{sentences: 2, maxWords: 6, opener: true}},
		{"claude-sonnet-4-5", style{sentences: 3, maxWords: 10, opener: true}},
		{"gemini-2.5-pro", style{sentences: 3, maxWords: 10, lower: true}}, // "gemini" is not "mini"
		{"gemini-2.5-flash", style{sentences: 2, maxWords: 6, lower: true}},
		{"gemini-2.5-flash-lite", style{sentences: 1, maxWords: 3, dropNumbers: true, lower: true}},
		{"mistral-small-latest", style{sentences: 2, maxWords: 6}},
		{"", style{sentences: 3, maxWords: 10}},
	}
	for _, tc := range tests {
		if got := styleOf(tc.model); got != tc.want {
			t.Errorf("styleOf(%q) = %+v; want %+v", tc.model, got, tc.want)
		}
	}
}

// TestDocumentedStyleEffects checks the promises the package comment makes
// to authors of example suites.
func TestDocumentedStyleEffects(t *testing.T) {
	c := New(Config{})
	noCount := strings.Replace(ticket, " in two sentences", "", 1)
	tests := []struct {
		model, content string
		check          func(text string) bool
		what           string
	}{
		{"gpt-4.1-nano", ticket, func(s string) bool { return !strings.Contains(s, "1182") && !strings.Contains(s, "ORD-77") }, "drops numbers and IDs"},
		{"gemini-2.5-flash-lite", ticket, func(s string) bool { return !strings.Contains(s, "1182") }, "drops numbers"},
		{"gpt-4.1-mini", ticket, func(s string) bool { return strings.Contains(s, "1182") && strings.Contains(s, "ORD-77") }, "keeps numbers and IDs"},
		{"gpt-4.1", noCount, func(s string) bool { return strings.Count(s, ". ")+1 == 3 }, "writes 3 sentences"},
		{"gpt-4.1-mini", noCount, func(s string) bool { return strings.Count(s, ". ")+1 == 2 }, "writes 2 sentences"},
		{"gpt-4.1-nano", noCount, func(s string) bool { return strings.Count(s, ". ") == 0 }, "writes 1 sentence"},
		{"gpt-4.1", ticket, func(s string) bool { return strings.Count(s, ". ")+1 == 2 }, "obeys in two sentences"},
		{"claude-sonnet-4-5", ticket, func(s string) bool {
			return strings.HasPrefix(s, "Certainly. ") || strings.HasPrefix(s, "Happy to help. ") || strings.HasPrefix(s, "Sure, here you go. ")
		}, "opens politely"},
		{"gemini-2.5-pro", ticket, func(s string) bool { return strings.Contains(s, "maria lopez") && strings.Contains(s, "ORD-77") }, "lowercases names, not IDs"},
		{"gpt-4.1", "Please draft a reply to this customer:\nHi, I'm Maria Lopez. Order 1182 never arrived.", func(s string) bool {
			return strings.HasPrefix(s, "Hi Maria,\n\n") && strings.Contains(strings.ToLower(s), "sorry") &&
				strings.HasSuffix(s, "\n\nBest regards") && strings.Contains(s, "1182") && !strings.Contains(s, "Lopez")
		}, "writes a reply"},
	}
	for _, tc := range tests {
		text := complete(t, c, userReq(tc.model, tc.content)).Text
		if !tc.check(text) {
			t.Errorf("%s: want it to %s; got %q", tc.model, tc.what, text)
		}
	}
}

func TestMaxTokensAndStop(t *testing.T) {
	c := New(Config{})
	full := complete(t, c, userReq("gpt-4.1", ticket))
	tests := []struct {
		name       string
		maxTokens  int
		stop       []string
		wantFinish provider.FinishReason
		wantText   string // "" means only check the prefix rule
	}{
		{"no limit", 0, nil, provider.FinishStop, full.Text},
		{"roomy limit", 1000, nil, provider.FinishStop, full.Text},
		{"cut", 6, nil, provider.FinishLength, ""},
		{"stop sequence", 0, []string{" 1182"}, provider.FinishStop, full.Text[:strings.Index(full.Text, " 1182")]},
		{"earliest stop wins", 0, []string{"1182", "Maria"}, provider.FinishStop, full.Text[:strings.Index(full.Text, "Maria")]},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := userReq("gpt-4.1", ticket)
			req.MaxTokens, req.Stop = tc.maxTokens, tc.stop
			resp := complete(t, c, req)
			if resp.FinishReason != tc.wantFinish {
				t.Errorf("FinishReason = %q; want %q", resp.FinishReason, tc.wantFinish)
			}
			if tc.wantText != "" && resp.Text != tc.wantText {
				t.Errorf("Text = %q; want %q", resp.Text, tc.wantText)
			}
			if !strings.HasPrefix(full.Text, resp.Text) {
				t.Errorf("Text %q is not a prefix of the full text %q", resp.Text, full.Text)
			}
			if tc.maxTokens > 0 {
				if len(resp.Text) > tc.maxTokens*4 || resp.Usage.OutputTokens > tc.maxTokens {
					t.Errorf("len(Text) = %d, OutputTokens = %d; want <= %d, <= %d", len(resp.Text), resp.Usage.OutputTokens, tc.maxTokens*4, tc.maxTokens)
				}
				if rest := full.Text[len(resp.Text):]; tc.wantFinish == provider.FinishLength && rest[0] != ' ' {
					t.Errorf("cut %q mid-word (full %q)", resp.Text, full.Text)
				}
			}
		})
	}
}

func TestUsage(t *testing.T) {
	req := userReq("gpt-4.1", ticket)
	resp := complete(t, New(Config{}), req)
	wantIn := (len(req.System) + len(ticket) + 3) / 4
	wantOut := (len(resp.Text) + 3) / 4
	if resp.Usage.InputTokens != wantIn || resp.Usage.OutputTokens != wantOut {
		t.Errorf("Usage = %+v; want {%d %d}", resp.Usage, wantIn, wantOut)
	}
}

func TestStreamMatchesComplete(t *testing.T) {
	c := New(Config{})
	contents := []string{
		ticket,
		"hi",
		"Draft a reply to this customer:\nHi, I'm Maria. Order 1182 never arrived.",
		`Reply with JSON: {"intent": "refund|shipping|other", "summary": "..."}` + "\nMy parcel is lost, café order #4521.",
	}
	for _, model := range []string{"gpt-4.1", "claude-3-5-haiku-latest", "gemini-2.5-flash-lite"} {
		for _, content := range contents {
			for _, maxTokens := range []int{0, 7} {
				req := userReq(model, content)
				req.MaxTokens = maxTokens
				want := complete(t, c, req)
				s, err := c.Stream(context.Background(), req)
				if err != nil {
					t.Fatalf("Stream: %v", err)
				}
				parts := drain(t, s)
				if got := strings.Join(parts, ""); got != want.Text {
					t.Errorf("%s: chunks join to %q; want %q", model, got, want.Text)
				}
				if len(want.Text) > 30 && len(parts) < 3 {
					t.Errorf("%s: %d chunks for %d bytes; want word-ish chunks", model, len(parts), len(want.Text))
				}
				got := s.Response()
				if got.Text != want.Text || got.FinishReason != want.FinishReason || got.Usage != want.Usage ||
					got.Model != want.Model || got.RequestID != want.RequestID {
					t.Errorf("%s: stream Response = %+v; want %+v", model, got, want)
				}
			}
		}
	}
}

func TestFakeClockTiming(t *testing.T) {
	clock := newFakeClock()
	c := New(Config{Latency: 2 * time.Second, FirstToken: 500 * time.Millisecond, TokensPerSecond: 20, Clock: clock})
	resp := complete(t, c, userReq("gpt-4.1", ticket))
	if resp.Latency != 2*time.Second || resp.TTFT != 2*time.Second {
		t.Errorf("Complete Latency, TTFT = %v, %v; want 2s, 2s", resp.Latency, resp.TTFT)
	}

	clock.sleeps = nil
	s, err := c.Stream(context.Background(), userReq("gpt-4.1", ticket))
	if err != nil {
		t.Fatal(err)
	}
	n := len(drain(t, s))
	got := s.Response()
	pace := 50 * time.Millisecond
	if want := 500 * time.Millisecond; got.TTFT != want {
		t.Errorf("TTFT = %v; want %v", got.TTFT, want)
	}
	if want := 500*time.Millisecond + time.Duration(n-1)*pace; got.Latency != want {
		t.Errorf("Latency = %v; want %v for %d chunks", got.Latency, want, n)
	}
	if len(clock.sleeps) != n || clock.sleeps[0] != 500*time.Millisecond || clock.sleeps[n-1] != pace {
		t.Errorf("sleeps = %v; want 500ms then %d × %v", clock.sleeps, n-1, pace)
	}
}

func TestZeroDelaysDoNotSleep(t *testing.T) {
	clock := newFakeClock()
	c := New(Config{Clock: clock})
	complete(t, c, userReq("gpt-4.1", ticket))
	s, err := c.Stream(context.Background(), userReq("gpt-4.1", ticket))
	if err != nil {
		t.Fatal(err)
	}
	drain(t, s)
	if len(clock.sleeps) != 0 {
		t.Errorf("sleeps = %v; want none", clock.sleeps)
	}
}

func TestValidation(t *testing.T) {
	tests := []struct {
		name string
		req  *provider.Request
	}{
		{"nil", nil},
		{"no model", userReq("", "hi")},
		{"no messages", &provider.Request{Model: "gpt-4.1"}},
		{"negative max tokens", &provider.Request{Model: "gpt-4.1", MaxTokens: -1, Messages: []provider.Message{{Role: provider.RoleUser, Content: "hi"}}}},
	}
	c := New(Config{})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.Complete(context.Background(), tc.req)
			if got := classOf(t, err); got != provider.ClassInvalidRequest {
				t.Errorf("Complete class = %q; want invalid_request", got)
			}
			_, err = c.Stream(context.Background(), tc.req)
			if got := classOf(t, err); got != provider.ClassInvalidRequest {
				t.Errorf("Stream class = %q; want invalid_request", got)
			}
		})
	}
}

func TestErrorRate(t *testing.T) {
	classes := []provider.Class{provider.ClassRateLimited, provider.ClassAuth, provider.ClassServer}
	c := New(Config{ErrorRate: 0.3, ErrorClasses: classes, Seed: 42})
	const calls = 10000
	counts := map[provider.Class]int{}
	failed := 0
	req := userReq("gpt-4.1-mini", "hi")
	for range calls {
		_, err := c.Complete(context.Background(), req)
		if err == nil {
			continue
		}
		failed++
		var pe *provider.Error
		if !errors.As(err, &pe) {
			t.Fatalf("error %v is not a *provider.Error", err)
		}
		counts[pe.Class]++
		if want := faultSpecs[pe.Class].status; pe.Status != want || pe.Provider != "sim" || pe.Message == "" {
			t.Errorf("error %+v; want status %d, provider sim and a message", pe, want)
		}
		if pe.Class == provider.ClassRateLimited && (pe.RetryAfter < time.Second || pe.RetryAfter > 5*time.Second) {
			t.Errorf("RetryAfter = %v; want 1s–5s", pe.RetryAfter)
		}
		if pe.Class != provider.ClassRateLimited && pe.RetryAfter != 0 {
			t.Errorf("%s RetryAfter = %v; want 0", pe.Class, pe.RetryAfter)
		}
	}
	if failed < 2600 || failed > 3400 {
		t.Errorf("%d of %d calls failed; want about 3000", failed, calls)
	}
	for class, n := range counts {
		if n < 700 {
			t.Errorf("class %s drawn %d times; want about 1000", class, n)
		}
	}
	if len(counts) != len(classes) {
		t.Errorf("classes drawn = %v; want exactly %v", counts, classes)
	}
	if got := c.Calls(); got != calls {
		t.Errorf("Calls() = %d; want %d", got, calls)
	}
}

func TestStreamErrorsBeforeAnyToken(t *testing.T) {
	c := New(Config{ErrorRate: 1, ErrorClasses: []provider.Class{provider.ClassOverloaded}})
	s, err := c.Stream(context.Background(), userReq("claude-3-5-haiku-latest", "hi"))
	if s != nil {
		t.Errorf("Stream returned a stream with error %v", err)
	}
	var pe *provider.Error
	if !errors.As(err, &pe) || pe.Class != provider.ClassOverloaded || pe.Status != 529 || pe.Code != "overloaded_error" {
		t.Errorf("Stream error = %#v; want overloaded 529 overloaded_error", err)
	}
}

func TestSeedGivesSameFaultSequence(t *testing.T) {
	outcomes := func(seed int64) string {
		c := New(Config{ErrorRate: 0.4, HangRate: 0, Seed: seed})
		var b strings.Builder
		for range 200 {
			_, err := c.Complete(context.Background(), userReq("gpt-4.1", "hi"))
			if err != nil {
				b.WriteString(string(provider.ClassOf(err)))
				b.WriteString(provider.RetryAfterOf(err).String())
			}
			b.WriteString(";")
		}
		return b.String()
	}
	if a, b := outcomes(1), outcomes(1); a != b {
		t.Errorf("same seed gave different fault sequences:\n%s\n%s", a, b)
	}
	if a, b := outcomes(1), outcomes(2); a == b {
		t.Errorf("seeds 1 and 2 gave the same fault sequence %s", a)
	}
}

func TestHangBlocksUntilCancel(t *testing.T) {
	for _, tc := range []struct {
		name string
		call func(ctx context.Context, c *Client) error
	}{
		{"complete", func(ctx context.Context, c *Client) error {
			_, err := c.Complete(ctx, userReq("gpt-4.1", "hi"))
			return err
		}},
		{"stream", func(ctx context.Context, c *Client) error {
			s, err := c.Stream(ctx, userReq("gpt-4.1", "hi"))
			if err != nil {
				return err
			}
			defer s.Close()
			if s.Next() {
				return errors.New("hung stream produced a chunk")
			}
			return s.Err()
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := New(Config{HangRate: 1})
			parent, cancel := context.WithCancel(context.Background())
			ctx := watch(parent)
			done := make(chan error, 1)
			go func() { done <- tc.call(ctx, c) }()
			<-ctx.asked
			select {
			case err := <-done:
				t.Fatalf("returned %v before the context ended", err)
			default:
			}
			cancel()
			if got := classOf(t, <-done); got != provider.ClassCancelled {
				t.Errorf("class = %q; want cancelled", got)
			}
		})
	}
}

func TestHangEndsWithTimeout(t *testing.T) {
	c := New(Config{HangRate: 1})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err := c.Complete(ctx, userReq("gpt-4.1", "hi"))
	if got := classOf(t, err); got != provider.ClassTimeout {
		t.Errorf("class = %q; want timeout", got)
	}
}

func TestCancelDuringWaits(t *testing.T) {
	t.Run("complete latency", func(t *testing.T) {
		clock := blockingClock()
		c := New(Config{Latency: time.Hour, Clock: clock})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() {
			_, err := c.Complete(ctx, userReq("gpt-4.1", ticket))
			done <- err
		}()
		clock.WaitTimers(1)
		cancel()
		if got := classOf(t, <-done); got != provider.ClassCancelled {
			t.Errorf("class = %q; want cancelled", got)
		}
	})
	t.Run("stream pacing", func(t *testing.T) {
		clock := blockingClock()
		c := New(Config{TokensPerSecond: 1, Clock: clock})
		ctx, cancel := context.WithCancel(context.Background())
		s, err := c.Stream(ctx, userReq("gpt-4.1", ticket))
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if !s.Next() {
			t.Fatalf("first Next = false (err %v); want the first chunk without waiting", s.Err())
		}
		first := s.Current().Text
		go func() {
			clock.WaitTimers(1)
			cancel()
		}()
		if s.Next() {
			t.Fatalf("Next after cancel = true (%q)", s.Current().Text)
		}
		if got := classOf(t, s.Err()); got != provider.ClassCancelled {
			t.Errorf("class = %q; want cancelled", got)
		}
		if got := s.Response().Text; got != first {
			t.Errorf("Response().Text = %q; want the one chunk delivered, %q", got, first)
		}
	})
	t.Run("real clock deadline", func(t *testing.T) {
		c := New(Config{Latency: time.Hour})
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := c.Complete(ctx, userReq("gpt-4.1", ticket))
		if got := classOf(t, err); got != provider.ClassTimeout {
			t.Errorf("class = %q; want timeout", got)
		}
		if waited := time.Since(start); waited > 30*time.Second {
			t.Errorf("Complete returned after %v; want promptly after the deadline", waited)
		}
	})
	t.Run("already cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		c := New(Config{})
		if _, err := c.Complete(ctx, userReq("gpt-4.1", "hi")); classOf(t, err) != provider.ClassCancelled {
			t.Errorf("Complete error = %v; want cancelled", err)
		}
		if _, err := c.Stream(ctx, userReq("gpt-4.1", "hi")); classOf(t, err) != provider.ClassCancelled {
			t.Errorf("Stream error = %v; want cancelled", err)
		}
	})
}

func TestConcurrentUse(t *testing.T) {
	reqs := []*provider.Request{userReq("gpt-4.1", ticket), userReq("claude-3-5-haiku-latest", ticket), userReq("gemini-2.5-flash", "hi")}
	serial := New(Config{})
	want := make([]string, len(reqs))
	for i, r := range reqs {
		want[i] = complete(t, serial, r).Text
	}
	c := New(Config{ErrorRate: 0.2, Seed: 3})
	const workers, each = 8, 100
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				r := reqs[(w+i)%len(reqs)]
				got := ""
				if i%2 == 0 {
					resp, err := c.Complete(context.Background(), r)
					if err != nil {
						continue
					}
					got = resp.Text
				} else {
					s, err := c.Stream(context.Background(), r)
					if err != nil {
						continue
					}
					for s.Next() {
						got += s.Current().Text
					}
					s.Close()
				}
				if got != want[(w+i)%len(reqs)] {
					errs <- errors.New("concurrent text differs: " + got)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := c.Calls(); got != workers*each {
		t.Errorf("Calls() = %d; want %d", got, workers*each)
	}
}

func TestDefaults(t *testing.T) {
	c := New(Config{ErrorRate: 7, HangRate: -1})
	if c.name != "sim" || c.cfg.ErrorRate != 1 || c.cfg.HangRate != 0 || len(c.classes) != len(DefaultErrorClasses) {
		t.Errorf("New defaults: name %q, rates %v/%v, classes %v", c.name, c.cfg.ErrorRate, c.cfg.HangRate, c.classes)
	}
	_, err := New(Config{Name: "openai", ErrorRate: 1}).Complete(context.Background(), userReq("gpt-4.1", "hi"))
	if !strings.HasPrefix(err.Error(), "openai: ") {
		t.Errorf("error %q does not name the provider", err)
	}
}
