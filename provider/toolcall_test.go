package provider

import (
	"context"
	"io"
	"reflect"
	"testing"
	"time"
)

func TestChunkStreamAssemblesToolCalls(t *testing.T) {
	events := []Chunk{
		{},
		{ToolCall: &ToolCallDelta{Index: 0, ID: "call_1", Name: "get_weather"}},
		{ToolCall: &ToolCallDelta{Index: 0, Arguments: `{"city":`}},
		{ToolCall: &ToolCallDelta{Index: 1, ID: "call_2", Name: "noargs"}},
		{ToolCall: &ToolCallDelta{Index: 0, Arguments: `"Paris"}`}},
	}
	i := 0
	s := NewChunkStream(context.Background(), "p", nil, time.Now(), func(meta *Response) (Chunk, error) {
		if i == len(events) {
			meta.FinishReason = FinishToolCalls
			return Chunk{}, io.EOF
		}
		i++
		return events[i-1], nil
	})
	n := 0
	for s.Next() {
		if s.Current().ToolCall == nil {
			t.Fatalf("chunk %d: Current() = %+v; want a tool-call delta", n, s.Current())
		}
		n++
	}
	if err := s.Err(); err != nil || n != 4 {
		t.Fatalf("Next() gave %d chunks, Err() = %v; want 4, nil", n, err)
	}
	r := s.Response()
	want := []ToolCall{
		{ID: "call_1", Name: "get_weather", Arguments: []byte(`{"city":"Paris"}`)},
		{ID: "call_2", Name: "noargs", Arguments: []byte(`{}`)},
	}
	if !reflect.DeepEqual(r.ToolCalls, want) {
		t.Errorf("Response().ToolCalls = %s; want %s", r.ToolCalls, want)
	}
	if r.TTFT <= 0 {
		t.Errorf("TTFT = %v; want the time of the first tool-call delta", r.TTFT)
	}
}

func TestChunkStreamTruncatedArgumentsStayJSON(t *testing.T) {
	sent := false
	s := NewChunkStream(context.Background(), "p", nil, time.Now(), func(*Response) (Chunk, error) {
		if sent {
			return Chunk{}, io.ErrUnexpectedEOF
		}
		sent = true
		return Chunk{ToolCall: &ToolCallDelta{ID: "c", Name: "f", Arguments: `{"a": 1`}}, nil
	})
	for s.Next() {
	}
	if s.Err() == nil || ClassOf(s.Err()) != ClassNetwork {
		t.Fatalf("Err() = %v; want a network error", s.Err())
	}
	if got := string(s.Response().ToolCalls[0].Arguments); got != `"{\"a\": 1"` {
		t.Errorf("Arguments = %s; want the raw text as a JSON string", got)
	}
}

func TestArgumentsObject(t *testing.T) {
	for in, want := range map[string]string{
		``:          `{}`,
		`null`:      `{}`,
		` {"a":1} `: `{"a":1}`,
		`[1,2]`:     `{"arguments":[1,2]}`,
		`"x"`:       `{"arguments":"x"}`,
	} {
		if got := string(ArgumentsObject([]byte(in))); got != want {
			t.Errorf("ArgumentsObject(%q) = %s; want %s", in, got, want)
		}
	}
}

func TestMessageParts(t *testing.T) {
	img := &Image{URL: "https://example.com/a.png"}
	m := Message{Role: RoleUser, Content: "look:", Parts: []Part{{Image: img}, {Text: " and?"}}}
	if got := m.AllParts(); len(got) != 3 || got[0].Text != "look:" || got[1].Image != img {
		t.Errorf("AllParts() = %+v", got)
	}
	if got := m.Text(); got != "look: and?" {
		t.Errorf("Text() = %q; want %q", got, "look: and?")
	}
	r := Request{Messages: []Message{{Content: "hi"}, m}}
	if !r.HasImages() {
		t.Error("HasImages() = false; want true")
	}
}

func TestRequestFormat(t *testing.T) {
	if f := (&Request{}).Format(); f != nil {
		t.Errorf("Format() of a plain request = %+v; want nil", f)
	}
	if f := (&Request{JSON: true}).Format(); f == nil || f.Type != FormatJSONObject {
		t.Errorf("Format() with JSON = %+v; want json_object", f)
	}
	rf := &ResponseFormat{Type: FormatJSONSchema, Schema: []byte(`{"type":"object"}`)}
	if f := (&Request{JSON: true, ResponseFormat: rf}).Format(); f != rf {
		t.Errorf("Format() = %+v; want the ResponseFormat", f)
	}
	if f := (&Request{JSON: true, ResponseFormat: &ResponseFormat{Type: FormatText}}).Format(); f != nil {
		t.Errorf("Format() with text format = %+v; want nil", f)
	}
}
