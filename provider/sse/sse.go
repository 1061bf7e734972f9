// Package sse reads Server-Sent Events as the providers send them. It owns
// framing only (lines, fields, events); what an event means is the adapter's
// business.
package sse

import (
	"bufio"
	"bytes"
	"io"
	"sync"
)

// MaxLine bounds one line of the stream. Providers put a whole JSON chunk on
// one data line; a few MB is far past any real one.
const MaxLine = 8 << 20

// Event is one dispatched event. Data joins multiple data lines with "\n".
// Data is only valid until the next call to Next.
type Event struct {
	Type string // the "event:" field; empty means "message"
	Data []byte
	ID   string
}

// Reader reads events from a stream. Lines may end in "\n", "\r\n" or "\r"
// (all three are legal SSE, and Gemini uses "\r\n").
type Reader struct {
	sc   *bufio.Scanner
	buf  *[]byte // the scanner's first buffer, from bufPool
	err  error   // what ended the stream; Next returns it from then on
	data []byte
	typ  string
	id   string
}

// bufSize is a scanner's first buffer: past any usual chunk; the scanner
// doubles it for a longer line. A 64 KB start was 60 % of the bytes a
// gateway allocated per streamed request, each zeroed and collected.
const bufSize = 4 << 10

// bufPool keeps the first buffers of ended streams for the next ones: a
// gateway starts hundreds of streams a second, and a fresh 4 KB each was
// an eighth of what it allocated per streamed request. It is a cache, not
// state: what a Reader reads never depends on it.
var bufPool = sync.Pool{New: func() any { b := make([]byte, bufSize); return &b }}

// NewReader returns a Reader over r.
func NewReader(r io.Reader) *Reader {
	sc := bufio.NewScanner(r)
	buf := bufPool.Get().(*[]byte)
	sc.Buffer(*buf, MaxLine)
	sc.Split(scanLines)
	return &Reader{sc: sc, buf: buf}
}

// Stop ends the reader early, at an end the provider signals inside the
// stream (OpenAI's data: [DONE], Anthropic's message_stop): Next returns
// io.EOF from then on, and the reader's buffer serves another stream. Call
// it from the goroutine that calls Next.
func (r *Reader) Stop() {
	if r.err == nil {
		r.end(io.EOF)
	}
}

// end records what ended the stream and gives the scanner's first buffer
// back: the scanner is never used again, so nothing else holds it (Event
// data lives in a buffer of the Reader's own).
func (r *Reader) end(err error) error {
	r.err = err
	if r.buf != nil {
		bufPool.Put(r.buf)
		r.buf = nil
	}
	return err
}

// Next returns the next event. At the end of the stream it returns io.EOF;
// an event left without its closing blank line at EOF is still dispatched,
// because a provider that drops the final blank line has still sent the
// data. A read error is returned as is (io.ErrUnexpectedEOF, a reset
// connection, a cancelled context).
func (r *Reader) Next() (Event, error) {
	if r.err != nil {
		return Event{}, r.err
	}
	r.data = r.data[:0]
	r.typ, r.id = "", ""
	hasData := false
	for r.sc.Scan() {
		line := r.sc.Bytes()
		if len(line) == 0 {
			if hasData {
				return Event{Type: r.typ, Data: r.data, ID: r.id}, nil
			}
			r.typ = ""
			continue
		}
		if line[0] == ':' { // comment, e.g. keep-alive
			continue
		}
		field, value := line, []byte(nil)
		if i := bytes.IndexByte(line, ':'); i >= 0 {
			field, value = line[:i], line[i+1:]
			if len(value) > 0 && value[0] == ' ' {
				value = value[1:]
			}
		}
		switch string(field) {
		case "data":
			if hasData {
				r.data = append(r.data, '\n')
			}
			r.data = append(r.data, value...)
			hasData = true
		case "event":
			r.typ = string(value)
		case "id":
			r.id = string(value)
		}
	}
	if err := r.sc.Err(); err != nil {
		return Event{}, r.end(err)
	}
	if hasData {
		return Event{Type: r.typ, Data: r.data, ID: r.id}, nil
	}
	return Event{}, r.end(io.EOF)
}

// scanLines splits on "\n", "\r\n" or a lone "\r".
func scanLines(data []byte, atEOF bool) (int, []byte, error) {
	if atEOF && len(data) == 0 {
		return 0, nil, nil
	}
	if i := bytes.IndexAny(data, "\r\n"); i >= 0 {
		if data[i] == '\n' {
			return i + 1, data[:i], nil
		}
		// '\r': swallow a following '\n', but we must see the next byte first.
		if i+1 < len(data) {
			if data[i+1] == '\n' {
				return i + 2, data[:i], nil
			}
			return i + 1, data[:i], nil
		}
		if atEOF {
			return i + 1, data[:i], nil
		}
		return 0, nil, nil
	}
	if atEOF {
		return len(data), data, nil
	}
	return 0, nil, nil
}
