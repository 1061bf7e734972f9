package fallback

import (
	"errors"
	"slices"
	"testing"

	"github.com/llmfall/llmfall/provider"
)

func imageRequest() *Request {
	r := userRequest("fast")
	r.Messages = []provider.Message{{Role: provider.RoleUser, Content: "What is in this picture?",
		Parts: []provider.Part{{Image: &provider.Image{URL: "https://example.com/a.png"}}}}}
	return r
}

// A request with images skips the links whose model is declared text-only,
// before sending anything; a text request still uses them.
func TestTextOnlyLinksSkipImages(t *testing.T) {
	for _, stream := range []bool{false, true} {
		a, b := newFake("a"), newFake("b")
		cfg := testConfig()
		cfg.TextOnly = []Target{{Provider: "a", Model: "a-mini"}}
		e := mustNew(t, cfg, a, b, newFake("c"))
		var res *Result
		if stream {
			s, err := e.Stream(testCtx(t), imageRequest())
			if err != nil {
				t.Fatal(err)
			}
			drain(s)
			if err := s.Err(); err != nil {
				t.Fatalf("Stream: Err() = %v", err)
			}
			res = s.Result()
			s.Close()
		} else {
			var err error
			if res, err = e.Complete(testCtx(t), imageRequest()); err != nil {
				t.Fatalf("Complete() error = %v", err)
			}
		}
		if got, want := outcomes(res.Attempts), []string{"a:skipped:unsupported", "b:ok"}; !slices.Equal(got, want) {
			t.Errorf("stream %v: attempts = %v; want %v", stream, got, want)
		}
		if a.Calls() != 0 {
			t.Errorf("stream %v: text-only link called %d times; want 0", stream, a.Calls())
		}
		if !errors.Is(res.Attempts[0].Err, errTextOnly) {
			t.Errorf("skip reason = %v", res.Attempts[0].Err)
		}
	}
	a := newFake("a")
	cfg := testConfig()
	cfg.TextOnly = []Target{{Provider: "a", Model: "a-mini"}}
	e := mustNew(t, cfg, a, newFake("b"), newFake("c"))
	if res, err := e.Complete(testCtx(t), userRequest("fast")); err != nil || res.Target.Provider != "a" {
		t.Errorf("text request: Complete() = %v, %v; want served by a", res.Target, err)
	}
}

func TestEveryLinkTextOnly(t *testing.T) {
	cfg := testConfig()
	cfg.TextOnly = []Target{{Provider: "a", Model: "a-mini"}, {Provider: "b", Model: "b-haiku"}, {Provider: "c", Model: "c-flash"}}
	a, b, c := newFake("a"), newFake("b"), newFake("c")
	e := mustNew(t, cfg, a, b, c)
	res, err := e.Complete(testCtx(t), imageRequest())
	var ex *ExhaustedError
	if !errors.As(err, &ex) {
		t.Fatalf("Complete() error = %v; want *ExhaustedError", err)
	}
	if got, want := outcomes(res.Attempts), []string{"a:skipped:unsupported", "b:skipped:unsupported", "c:skipped:unsupported"}; !slices.Equal(got, want) {
		t.Errorf("attempts = %v; want %v", got, want)
	}
	if a.Calls()+b.Calls()+c.Calls() != 0 {
		t.Error("a text-only link was called")
	}
}
