package fallback

import (
	"errors"
	"slices"
	"testing"

	"github.com/llmfall/llmfall/provider"
)

// A tool-call delta is a first token: once the caller has seen one, a
// failure is an interruption, never a fallback that would splice a second
// model's calls onto the first's.
func TestStreamToolCallDeltaIsFirstToken(t *testing.T) {
	call := []provider.ToolCallDelta{{ID: "call_1", Name: "get_weather"}, {Arguments: `{"city":`}}
	tests := []struct {
		name      string
		a         step
		wantCalls int // b's calls
		wantErr   bool
		outcomes  []string
	}{
		{"failure after a tool-call delta", step{calls: call, midErr: perr("a", provider.ClassServer)}, 0, true,
			[]string{"a:error:server"}},
		{"failure before any delta", step{err: perr("a", provider.ClassServer)}, 1, false,
			[]string{"a:error:server", "b:ok"}},
		{"stream ends before any delta", step{chunks: []string{}, midErr: perr("a", provider.ClassNetwork)}, 1, false,
			[]string{"a:error:network", "b:ok"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, b := newFake("a", tc.a), newFake("b", step{calls: []provider.ToolCallDelta{{ID: "toolu_9", Name: "get_weather", Arguments: `{}`}}})
			e := mustNew(t, testConfig(), a, b, newFake("c"))
			s, err := e.Stream(testCtx(t), userRequest("fast"))
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			var ids []string
			for s.Next() {
				if tc := s.Current().ToolCall; tc != nil && tc.ID != "" {
					ids = append(ids, tc.ID)
				}
			}
			var ie *InterruptedError
			if got := errors.As(s.Err(), &ie); got != tc.wantErr {
				t.Fatalf("Err() = %v; want interrupted: %v", s.Err(), tc.wantErr)
			}
			if b.Calls() != tc.wantCalls {
				t.Errorf("b called %d times; want %d", b.Calls(), tc.wantCalls)
			}
			if got := outcomes(s.Result().Attempts); !slices.Equal(got, tc.outcomes) {
				t.Errorf("attempts = %v; want %v", got, tc.outcomes)
			}
			if tc.wantErr && (ie.Chunks != 2 || ie.Bytes != len(`{"city":`)) {
				t.Errorf("interrupted after %d chunks, %d bytes; want 2, %d", ie.Chunks, ie.Bytes, len(`{"city":`))
			}
			if len(ids) != 1 {
				t.Errorf("tool calls started: %v; want exactly one link's", ids)
			}
		})
	}
}
