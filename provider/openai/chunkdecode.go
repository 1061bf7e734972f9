package openai

import (
	"bytes"
	"encoding/json"
)

// maxFastChunk is the largest chunk the fast path and the reused decoder
// take. Their buffers live as long as the stream, so one huge event must not
// pin megabytes; a text delta is a few hundred bytes.
const maxFastChunk = 64 << 10

// chunkDecoder decodes the chunks of one stream. The common shapes take the
// fast path (chunkfast.go), which decodes a chunk exactly as json.Unmarshal
// would or declines it; a declined chunk goes to encoding/json.
//
// For those, json.Unmarshal allocates its
// decoder state, error context and scanner stack afresh on every call, which
// was most of a streamed chunk's allocations; a json.Decoder kept for the
// stream reuses them, and decoding into the same wireChunk reuses its choices
// array. The decoder is encoding/json's own, so a chunk it takes decodes
// exactly as Unmarshal would decode it; anything it does not take cleanly (a
// syntax or type error, bytes after the value, a chunk over maxFastChunk) is
// decoded again by json.Unmarshal, whose result and error are then used.
type chunkDecoder struct {
	src bytes.Reader
	dec *json.Decoder // nil until first use, and after a chunk it declined

	// The fast path's state: the last id and model, which every chunk of
	// a stream repeats, the buffer it unescapes strings into, and the
	// current key folded to lower case (the longest field name has 17
	// bytes). The buffers live here, not in the scanner, so that the
	// scanner stays on the stack.
	id, model string
	scratch   []byte
	key       [24]byte
}

// decode decodes data, one chunk, into dst as json.Unmarshal into a zero
// wireChunk would, except that an absent or null choices may leave an empty
// slice rather than nil.
func (d *chunkDecoder) decode(data []byte, dst *wireChunk) error {
	dst.reset()
	if d.fast(data, dst) {
		return nil
	}
	dst.reset() // of what the fast path decoded before it declined
	if d.reused(data, dst) {
		return nil
	}
	*dst = wireChunk{}
	return json.Unmarshal(data, dst)
}

// reused decodes data with the reused decoder and reports whether it did so
// cleanly.
func (d *chunkDecoder) reused(data []byte, dst *wireChunk) bool {
	if len(data) > maxFastChunk {
		return false
	}
	if d.dec == nil {
		d.dec = json.NewDecoder(&d.src)
	}
	d.src.Reset(data)
	start := d.dec.InputOffset()
	if d.dec.Decode(dst) != nil || d.dec.InputOffset()-start != int64(len(data)) {
		// The decoder may hold a sticky error or the unread rest of
		// data; start afresh on the next chunk.
		d.dec = nil
		return false
	}
	return true
}

// reset zeroes ch but keeps its choices array for the next chunk. The old
// elements are cleared because encoding/json decodes into a reused element
// without zeroing it first.
func (ch *wireChunk) reset() {
	choices := ch.Choices[:cap(ch.Choices)]
	clear(choices)
	*ch = wireChunk{Choices: choices[:0]}
}
