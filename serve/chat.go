package serve

import (
	"bytes"
	"crypto/rand"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/llmfall/llmfall/fallback"
	"github.com/llmfall/llmfall/provider"
	"github.com/llmfall/llmfall/provider/openai"
)

// Headers that say which link answered and how many attempts it took
// (skipped links included).
const (
	HeaderProvider = "X-Llmfall-Provider"
	HeaderModel    = "X-Llmfall-Model" // provider/model of the link
	HeaderAttempts = "X-Llmfall-Attempts"
)

// retryBusy is the Retry-After of a gateway at its limits: long enough for
// a request in flight to end, short enough not to idle the client.
const retryBusy = time.Second

// chat serves POST /v1/chat/completions.
func (s *Server) chat(w http.ResponseWriter, r *http.Request) {
	start := s.cfg.Clock.Now()
	label, stream := "unknown", false
	rec := &recorder{ResponseWriter: w}
	s.cfg.Metrics.begin()
	defer func() { s.cfg.Metrics.done(label, stream, rec.code(), s.cfg.Clock.Now().Sub(start)) }()
	w = rec

	if s.draining.Load() {
		writeError(w, &apiError{status: http.StatusServiceUnavailable, typ: "server_error", code: "shutting_down",
			msg: "the gateway is shutting down; retry on another replica", retryAfter: retryBusy})
		return
	}
	if !s.acquire() {
		writeError(w, &apiError{status: http.StatusTooManyRequests, typ: "requests", code: "gateway_busy",
			msg: "the gateway is serving " + strconv.Itoa(s.cfg.MaxConcurrent) + " requests already (serve.max_concurrent)", retryAfter: retryBusy})
		return
	}
	defer s.release()
	if s.cfg.Procs != nil {
		s.cfg.Procs.Request()
	}
	body, err := readBody(w, r, s.cfg.MaxBodyBytes)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, &apiError{status: http.StatusRequestEntityTooLarge, typ: "invalid_request_error", code: "request_too_large",
				msg: "the request body is larger than " + strconv.FormatInt(tooBig.Limit, 10) + " bytes (serve.max_body_bytes)"})
			return
		}
		writeError(w, &apiError{status: http.StatusBadRequest, typ: "invalid_request_error", msg: "reading the request body: " + err.Error()})
		return
	}
	if len(body) >= heavyBody && s.cfg.Procs != nil {
		defer s.cfg.Procs.Heavy()()
	}
	in, err := openai.DecodeRequest(body)
	if err != nil {
		e := &apiError{status: http.StatusBadRequest, typ: "invalid_request_error", msg: err.Error()}
		var ie *openai.InboundError
		if errors.As(err, &ie) {
			e.param, e.msg = ie.Param, ie.Message
		}
		writeError(w, e)
		return
	}
	stream = in.Stream
	req, ok := s.resolve(in.Model)
	if !ok {
		writeError(w, &apiError{status: http.StatusNotFound, typ: "invalid_request_error", param: "model", code: "model_not_found",
			msg: "the model " + strconv.Quote(in.Model) + " does not exist: name a category or a provider/model link (GET /v1/models lists them)"})
		return
	}
	label = in.Model
	req.Request = in.Request
	if in.Stream {
		s.stream(w, r, in, req, label, start)
		return
	}
	s.complete(w, r, req)
}

// readBody reads a request body of at most limit bytes (a
// *http.MaxBytesError beyond). A body whose declared length is over the
// limit is refused before any of it is read; otherwise the buffer is
// made the declared size at once, with bytes.MinRead to spare so that
// bytes.Buffer reads to the end without growing it: growing it by
// doubling, as io.ReadAll does, allocated and copied twice a megabyte
// image's bytes. A client that declares a length and sends less holds no
// more memory than one that sends it.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	if r.ContentLength > limit {
		return nil, &http.MaxBytesError{Limit: limit}
	}
	buf := bytes.NewBuffer(make([]byte, 0, max(r.ContentLength, 0)+bytes.MinRead))
	_, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, limit))
	return buf.Bytes(), err
}

// resolve maps a request's model onto the engine: a category is its chain;
// provider/model is that one link, with no fallback, under the timeouts of
// the first category that has it.
func (s *Server) resolve(model string) (*fallback.Request, bool) {
	eng := s.cfg.Engine
	if _, err := eng.Chain(model); err == nil {
		return &fallback.Request{Category: model}, true
	}
	p, m, ok := strings.Cut(model, "/")
	if !ok {
		return nil, false
	}
	t := fallback.Target{Provider: p, Model: m}
	for _, cat := range eng.Categories() {
		chain, _ := eng.Chain(cat)
		for _, c := range chain {
			if c == t {
				return &fallback.Request{Category: cat, Chain: []fallback.Target{t}}, true
			}
		}
	}
	return nil, false
}

func (s *Server) complete(w http.ResponseWriter, r *http.Request, req *fallback.Request) {
	res, err := s.cfg.Engine.Complete(r.Context(), req)
	if res != nil {
		attemptHeaders(w, res.Attempts)
	}
	if err != nil {
		writeError(w, upstreamError(err))
		return
	}
	linkHeaders(w, res.Target)
	body, err := s.answer(res.Target, res.Response).Completion(res.Response)
	if err != nil {
		writeError(w, &apiError{status: http.StatusInternalServerError, typ: "server_error", msg: "encoding the answer: " + err.Error()})
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(body)
}

// stream serves a streaming request. Until the first token nothing is
// written, so a failure is still an HTTP status; after it, a failure ends
// the stream with an in-band error event and no [DONE], which every OpenAI
// SDK raises, so that a cut answer never reads as a whole one.
func (s *Server) stream(w http.ResponseWriter, r *http.Request, in *openai.Inbound, req *fallback.Request, label string, start time.Time) {
	st, err := s.cfg.Engine.Stream(r.Context(), req)
	if err != nil {
		// The category went away in a reload since resolve looked.
		writeError(w, &apiError{status: http.StatusNotFound, typ: "invalid_request_error", param: "model", code: "model_not_found", msg: err.Error()})
		return
	}
	defer st.Close()
	has := st.Next()
	if err := st.Err(); err != nil && !has {
		attemptHeaders(w, st.Result().Attempts)
		writeError(w, upstreamError(err))
		return
	}
	t := st.Target()
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no") // nginx in front must not buffer the events
	attemptHeaders(w, st.Result().Attempts)
	linkHeaders(w, t)
	w.WriteHeader(http.StatusOK)
	if has {
		s.cfg.Metrics.firstToken(label, s.cfg.Clock.Now().Sub(start))
	}
	ev := newEvents(w)
	defer ev.free()
	ans := s.answer(t, st.Response())
	if has {
		ev.chunk(ans, st.Current(), true)
		ev.send()
		// A chunk is flushed unless the next one is already at hand:
		// chunks that arrive together leave in one write, and none waits
		// for one still to come.
		chunks := relay(st)
		for ch := range chunks {
			ev.chunk(ans, ch, false)
			if len(chunks) == 0 {
				ev.send()
			}
		}
	}
	if err := st.Err(); err != nil {
		e := upstreamError(err)
		var ie *fallback.InterruptedError
		if errors.As(err, &ie) {
			e = upstreamError(ie.Err)
			e.msg = err.Error()
		}
		ev.error(e)
		ev.end()
		return
	}
	// The finish, the usage and [DONE] are all at hand: one write, with
	// the response's end.
	resp := st.Response()
	ev.data(ans.Finish(resp.FinishReason))
	if in.IncludeUsage {
		ev.data(ans.Usage(resp.Usage))
	}
	ev.done()
	ev.end()
}

// relayDepth is how many chunks relay reads ahead of the handler: a burst
// of up to this many leaves in one write. A chunk is 24 bytes, and the
// channel is made per stream: 32 made it 700 bytes more per streamed
// request (24.6 -> 23.9 KB in GatewayOverhead) without fewer writes.
const relayDepth = 8

// relay reads the rest of st on a goroutine of its own and hands over each
// chunk as it comes, so that the handler can tell a chunk already at hand
// (the channel holds it) from one still to come. The channel closes once
// st has ended, and st is the caller's again; the caller must read the
// channel to its end, which is also when the goroutine has ended. A chunk
// stays valid after the next Next (the adapters give each tool-call delta
// its own value), as the engine's commit window relies on too.
func relay(st *fallback.Stream) <-chan provider.Chunk {
	chunks := make(chan provider.Chunk, relayDepth)
	go func() {
		defer close(chunks)
		for st.Next() {
			chunks <- st.Current()
		}
	}()
	return chunks
}

// answer names an answer: a fresh id, and the model the provider said
// answered (a dated snapshot, say), else the link's model.
func (s *Server) answer(t fallback.Target, resp *provider.Response) *openai.Answer {
	model := t.Model
	if resp != nil && resp.Model != "" {
		model = resp.Model
	}
	return &openai.Answer{ID: "chatcmpl-" + rand.Text(), Created: s.cfg.Clock.Now().Unix(), Model: model}
}

func attemptHeaders(w http.ResponseWriter, attempts []fallback.Attempt) {
	w.Header().Set(HeaderAttempts, strconv.Itoa(len(attempts)))
}

func linkHeaders(w http.ResponseWriter, t fallback.Target) {
	if t.Provider == "" {
		return
	}
	w.Header().Set(HeaderProvider, t.Provider)
	w.Header().Set(HeaderModel, t.String())
}

// events writes server-sent events: it gathers events in one buffer,
// reused for the whole stream, and send writes and flushes what it holds,
// so that what the stream has at hand at once (chunks that came together;
// its end: the finish, usage and [DONE]) leaves in one write.
// A write error (the client went away) is left to the request's context,
// which the engine watches.
type events struct {
	w   http.ResponseWriter
	buf []byte
	bp  *[]byte // where buf goes back to the pool
}

// eventBufs keeps ended streams' event buffers for the next ones: growing
// a fresh one to its size was an eighth of what a streamed request
// allocated. It is a cache, not state: what is written never depends on it.
var eventBufs = sync.Pool{New: func() any { return new([]byte) }}

// maxEventBuf is the largest buffer kept for another stream: one that a
// long tool call's arguments grew stays with its stream.
const maxEventBuf = 64 << 10

func newEvents(w http.ResponseWriter) *events {
	bp := eventBufs.Get().(*[]byte)
	return &events{w: w, buf: (*bp)[:0], bp: bp}
}

// free gives the buffer back; the events are not used again.
func (e *events) free() {
	if cap(e.buf) <= maxEventBuf {
		*e.bp = e.buf[:0]
		eventBufs.Put(e.bp)
	}
	e.buf, e.bp = nil, nil
}

// chunk adds a delta's event.
func (e *events) chunk(a *openai.Answer, ch provider.Chunk, first bool) {
	mark := len(e.buf)
	e.buf = append(e.buf, "data: "...)
	b, err := a.AppendChunk(e.buf, ch, first)
	if err != nil {
		e.buf = e.buf[:mark]
		e.error(&apiError{typ: "server_error", msg: "encoding a chunk: " + err.Error()})
		return
	}
	e.buf = append(b, "\n\n"...)
}

func (e *events) data(b []byte, err error) {
	if err != nil {
		e.error(&apiError{typ: "server_error", msg: "encoding a chunk: " + err.Error()})
		return
	}
	e.add("data: ", b)
}

// error ends the stream in band: an `error` event whose data is OpenAI's
// error object, and no [DONE].
func (e *events) error(ae *apiError) {
	e.add("event: error\ndata: ", ae.body())
}

func (e *events) done() {
	e.add("data: ", []byte("[DONE]"))
}

func (e *events) add(prefix string, b []byte) {
	e.buf = append(append(append(e.buf, prefix...), b...), "\n\n"...)
}

// send writes the events held and flushes them to the client.
func (e *events) send() {
	if len(e.buf) == 0 {
		return
	}
	e.w.Write(e.buf)
	e.buf = e.buf[:0]
	http.NewResponseController(e.w).Flush()
}

// end writes the stream's last events without flushing them: the handler
// returns next, and net/http then writes them and the response's end (the
// chunked encoding's last chunk) together, in one write instead of two.
func (e *events) end() {
	e.w.Write(e.buf)
	e.buf = e.buf[:0]
}

// recorder remembers the status written, for the metrics.
type recorder struct {
	http.ResponseWriter
	status int
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection's Flush.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func (r *recorder) code() int {
	if r.status == 0 {
		return http.StatusOK
	}
	return r.status
}
