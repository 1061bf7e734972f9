package sse

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

type ev struct{ typ, data, id string }

// readAll reads events until io.EOF. It reads at most max events and one
// more call, so that a reader that never reports the end fails the test
// instead of hanging it.
func readAll(t *testing.T, r io.Reader, max int) ([]ev, error) {
	t.Helper()
	rd := NewReader(r)
	var out []ev
	for range max + 1 {
		e, err := rd.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, ev{e.Type, string(e.Data), e.ID})
	}
	t.Fatalf("reader gave %d events and no io.EOF: %v", len(out), out)
	return nil, nil
}

func TestReader(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []ev
	}{
		{"openai style", "data: {\"a\":1}\n\ndata: [DONE]\n\n", []ev{{"", `{"a":1}`, ""}, {"", "[DONE]", ""}}},
		{"anthropic named events with ping", "event: message_start\ndata: {}\n\nevent: ping\ndata: {\"type\": \"ping\"}\n\n",
			[]ev{{"message_start", "{}", ""}, {"ping", `{"type": "ping"}`, ""}}},
		{"gemini crlf framing", "data: {\"x\":1}\r\n\r\ndata: {\"x\":2}\r\n\r\n", []ev{{"", `{"x":1}`, ""}, {"", `{"x":2}`, ""}}},
		{"lone cr", "data: a\r\rdata: b\r\r", []ev{{"", "a", ""}, {"", "b", ""}}},
		{"multi-line data", "data: a\ndata: b\n\n", []ev{{"", "a\nb", ""}}},
		{"comments and no space", ": keep-alive\ndata:x\nid: 7\n\n", []ev{{"", "x", "7"}}},
		{"event without data is dropped", "event: ping\n\ndata: y\n\n", []ev{{"", "y", ""}}},
		{"missing final blank line", "data: last", []ev{{"", "last", ""}}},
		{"empty", "", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := readAll(t, strings.NewReader(tc.in), len(tc.want))
			if err != nil {
				t.Fatalf("Next() error = %v", err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %d events %v; want %d %v", len(got), got, len(tc.want), tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("event %d = %+v; want %+v", i, got[i], tc.want[i])
				}
			}
			// Framing must not depend on how the bytes arrive.
			got2, err := readAll(t, iotest.OneByteReader(strings.NewReader(tc.in)), len(tc.want))
			if err != nil || len(got2) != len(got) {
				t.Fatalf("one byte at a time: got %v, %v; want %v", got2, err, got)
			}
			for i := range got2 {
				if got2[i] != got[i] {
					t.Errorf("one byte at a time: event %d = %+v; want %+v", i, got2[i], got[i])
				}
			}
		})
	}
}

// TestReaderLongLines: the buffer starts small and grows for a line longer
// than it (a tool call's arguments in one chunk), whether the line arrives
// whole or in pieces.
func TestReaderLongLines(t *testing.T) {
	for _, tc := range []struct {
		name string
		size int
		r    func(io.Reader) io.Reader
	}{
		{"whole", 300 << 10, func(r io.Reader) io.Reader { return r }},
		{"in pieces", 10 << 10, iotest.HalfReader},
	} {
		long := strings.Repeat("x", tc.size)
		body := "data: short\n\ndata: " + long + "\n\ndata: after\n\n"
		got, err := readAll(t, tc.r(strings.NewReader(body)), 3)
		if err != nil || len(got) != 3 || got[0].data != "short" || got[1].data != long || got[2].data != "after" {
			t.Errorf("%s: %d events, %v", tc.name, len(got), err)
		}
	}
}

func TestReaderPropagatesReadError(t *testing.T) {
	boom := errors.New("connection reset")
	r := io.MultiReader(strings.NewReader("data: a\n\ndata: partial"), iotest.ErrReader(boom))
	rd := NewReader(r)
	if e, err := rd.Next(); err != nil || string(e.Data) != "a" {
		t.Fatalf("first Next() = %q, %v; want a, nil", e.Data, err)
	}
	if _, err := rd.Next(); !errors.Is(err, boom) {
		t.Fatalf("second Next() error = %v; want %v", err, boom)
	}
}

func FuzzReader(f *testing.F) {
	f.Add("data: a\n\nevent: x\ndata: b\r\n\r\n")
	f.Add("data: a\r\rdata:\n\n:c\n")
	f.Fuzz(func(t *testing.T, s string) {
		rd := NewReader(strings.NewReader(s))
		for i := 0; i < len(s)+2; i++ {
			if _, err := rd.Next(); err != nil {
				return
			}
		}
		t.Fatalf("reader did not end on %q", s)
	})
}

func BenchmarkReader(b *testing.B) {
	chunk := "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\" word\"}}]}\n\n"
	body := strings.Repeat(chunk, 100)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		rd := NewReader(strings.NewReader(body))
		for {
			if _, err := rd.Next(); err != nil {
				break
			}
		}
	}
}

// A Reader that has ended keeps saying why, without reading again: its
// scanner's buffer has gone back to the pool for the next stream, which
// reads its own events whole.
func TestReaderAfterItsEnd(t *testing.T) {
	boom := errors.New("connection reset")
	for _, tc := range []struct {
		name string
		r    io.Reader
		want error
	}{
		{"EOF", strings.NewReader("data: a\n\n"), io.EOF},
		{"read error", io.MultiReader(strings.NewReader("data: a\n\n"), iotest.ErrReader(boom)), boom},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rd := NewReader(tc.r)
			if e, err := rd.Next(); err != nil || string(e.Data) != "a" {
				t.Fatalf("first Next() = %q, %v; want a", e.Data, err)
			}
			for range 3 {
				if _, err := rd.Next(); !errors.Is(err, tc.want) {
					t.Fatalf("Next() after the end = %v; want %v", err, tc.want)
				}
			}
			next, err := readAll(t, strings.NewReader("data: "+strings.Repeat("b", 5000)+"\n\ndata: c\n\n"), 2)
			if err != nil || len(next) != 2 || len(next[0].data) != 5000 || next[1].data != "c" {
				t.Fatalf("the next stream read %d events (%v); want its two", len(next), err)
			}
		})
	}
}

// Stop ends a reader at an end the provider signals in the stream: what
// follows is not read.
func TestReaderStop(t *testing.T) {
	rd := NewReader(strings.NewReader("data: a\n\ndata: after the end\n\n"))
	if e, err := rd.Next(); err != nil || string(e.Data) != "a" {
		t.Fatalf("Next() = %q, %v; want a", e.Data, err)
	}
	rd.Stop()
	rd.Stop()
	if e, err := rd.Next(); err != io.EOF {
		t.Fatalf("Next() after Stop = %q, %v; want io.EOF", e.Data, err)
	}
}
