package provider

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// scripted is a step function over a list of events: text, "BAD" for an
// event that does not decode, "EOF" for the clean end.
func scripted(events ...string) StepFunc {
	i := 0
	return func(meta *Response) (string, error) {
		if i >= len(events) {
			return "", io.EOF
		}
		ev := events[i]
		i++
		switch ev {
		case "BAD":
			return "", MalformedEvent("p", 200, errors.New("unexpected end of JSON input"))
		case "EOF":
			meta.FinishReason = FinishStop
			return "", io.EOF
		}
		return ev, nil
	}
}

func TestStreamMalformedEvents(t *testing.T) {
	tests := []struct {
		name       string
		events     []string
		wantChunks []string
		wantBad    int
		wantErr    bool // ends as malformed
	}{
		{"a bad event mid-stream is skipped and counted", []string{"Order", "BAD", " 1182", "EOF"}, []string{"Order", " 1182"}, 1, false},
		{"three are skipped", []string{"A", "BAD", "B", "BAD", "BAD", "C", "EOF"}, []string{"A", "B", "C"}, 3, false},
		{"a fourth ends the stream", []string{"A", "BAD", "BAD", "B", "BAD", "BAD", "C", "EOF"}, []string{"A", "B"}, 4, true},
		{"before the first token one ends it", []string{"BAD", "A", "EOF"}, nil, 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := NewStream(context.Background(), "p", nil, time.Now(), scripted(tc.events...))
			var got []string
			for s.Next() {
				got = append(got, s.Current().Text)
			}
			if diff := cmp.Diff(tc.wantChunks, got); diff != "" {
				t.Errorf("chunks (-want +got):\n%s", diff)
			}
			if r := s.Response(); r.MalformedEvents != tc.wantBad || r.Text != strings.Join(tc.wantChunks, "") {
				t.Errorf("Response() = text %q, %d malformed events; want %q, %d", r.Text, r.MalformedEvents, strings.Join(tc.wantChunks, ""), tc.wantBad)
			}
			if got := ClassOf(s.Err()); (got == ClassMalformed) != tc.wantErr || (!tc.wantErr && s.Err() != nil) {
				t.Errorf("Err() = %v; want malformed: %t", s.Err(), tc.wantErr)
			}
		})
	}
}

// TestStreamMalformedEventAfterToolCall: a tool-call delta is a first token
// as much as text is, so a bad event after one is skipped too.
func TestStreamMalformedEventAfterToolCall(t *testing.T) {
	events := []func(*Response) (Chunk, error){
		func(*Response) (Chunk, error) {
			return Chunk{ToolCall: &ToolCallDelta{Index: 0, ID: "call_1", Name: "refund", Arguments: `{"order":`}}, nil
		},
		func(*Response) (Chunk, error) { return Chunk{}, MalformedEvent("p", 200, errors.New("bad chunk")) },
		func(*Response) (Chunk, error) {
			return Chunk{ToolCall: &ToolCallDelta{Index: 0, Arguments: `1182}`}}, nil
		},
		func(meta *Response) (Chunk, error) { meta.FinishReason = FinishToolCalls; return Chunk{}, io.EOF },
	}
	i := 0
	s := NewChunkStream(context.Background(), "p", nil, time.Now(), func(meta *Response) (Chunk, error) {
		ev := events[i]
		i++
		return ev(meta)
	})
	for s.Next() {
	}
	if err := s.Err(); err != nil {
		t.Fatalf("Err() = %v; want nil", err)
	}
	r := s.Response()
	if r.MalformedEvents != 1 || len(r.ToolCalls) != 1 || string(r.ToolCalls[0].Arguments) != `{"order":1182}` {
		t.Errorf("Response() = %d malformed events, calls %+v; want 1, one call with {\"order\":1182}", r.MalformedEvents, r.ToolCalls)
	}
}

func TestResponseEmpty(t *testing.T) {
	tests := []struct {
		r    *Response
		want bool
	}{
		{&Response{FinishReason: FinishStop}, true},
		{&Response{FinishReason: FinishOther}, true},
		{&Response{}, true},
		{&Response{Text: "x", FinishReason: FinishStop}, false},
		{&Response{FinishReason: FinishToolCalls}, false},
		{&Response{FinishReason: FinishStop, ToolCalls: []ToolCall{{ID: "call_1", Name: "refund", Arguments: []byte(`{}`)}}}, false},
		{&Response{FinishReason: FinishContentFilter}, false},
		{&Response{FinishReason: FinishLength}, false},
	}
	for _, tc := range tests {
		if got := tc.r.Empty(); got != tc.want {
			t.Errorf("%+v.Empty() = %t; want %t", *tc.r, got, tc.want)
		}
	}
}
