package anthropic

import (
	"bytes"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/llmfall/llmfall/provider"
)

// The fuzz targets hold the adapter to the project's rule: a malformed or
// truncated body is a classified error, never a panic, and never a leaked key.

// fuzzKey is echoed back by some seeds, as a misbehaving proxy might.
const fuzzKey = "sk-fuzz-SECRET-0123456789"

// fuzzStatuses are the statuses FuzzComplete answers with. A fuzzed byte
// picks one, so that the fuzzer spends its time on bodies.
var fuzzStatuses = []int{200, 400, 401, 404, 429, 500, 503, 529}

// maxFuzzChunks bounds a stream: no body the fuzzer can build holds this
// many text deltas, so reaching it means Next never stops.
const maxFuzzChunks = 10000

// fuzzTransport answers every request in memory, so that an iteration costs
// no network round trip.
type fuzzTransport struct {
	status      int
	contentType string
	body        []byte
	resp        *fuzzBody
}

func (tr *fuzzTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		r.Body.Close()
	}
	tr.resp = &fuzzBody{Reader: bytes.NewReader(tr.body)}
	return &http.Response{
		Status:        strconv.Itoa(tr.status) + " " + http.StatusText(tr.status),
		StatusCode:    tr.status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        http.Header{"Content-Type": {tr.contentType}, "Request-Id": {"req_fuzz"}},
		Body:          tr.resp,
		ContentLength: -1,
		Request:       r,
	}, nil
}

// fuzzBody records whether the adapter closed the response body.
type fuzzBody struct {
	*bytes.Reader
	closed bool
}

func (b *fuzzBody) Close() error {
	b.closed = true
	return nil
}

func fuzzClient(tr *fuzzTransport) *Client {
	return New(Config{BaseURL: "http://fuzz.invalid", APIKey: fuzzKey, HTTPClient: &http.Client{Transport: tr}})
}

func fuzzRequest() *provider.Request {
	return &provider.Request{Model: "claude-fuzz", Messages: []provider.Message{{Role: provider.RoleUser, Content: "hi"}}}
}

// fuzzSeed is a body and the status it was recorded with.
type fuzzSeed struct {
	status int
	body   []byte
}

// fuzzSeeds is every testdata body, whole and truncated, plus garbage and
// error documents that echo the key.
func fuzzSeeds(f *testing.F) []fuzzSeed {
	f.Helper()
	var seeds []fuzzSeed
	for _, pattern := range []string{"testdata/*.json", "testdata/*.sse", "testdata/errors/*"} {
		files, err := filepath.Glob(pattern)
		if err != nil {
			f.Fatal(err)
		}
		for _, file := range files {
			body, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			// errors/429_rate_limit.json was answered with a 429.
			status := 200
			if n, err := strconv.Atoi(strings.SplitN(filepath.Base(file), "_", 2)[0]); err == nil {
				status = n
			}
			for _, b := range append([][]byte{body}, truncations(body)...) {
				seeds = append(seeds, fuzzSeed{status, b})
			}
		}
	}
	for _, s := range []string{
		"", "null", "{}", "[]", "{", `"text"`, "\x00\xff\xfe", "<html><body>502 Bad Gateway</body></html>",
		`{"type":"error","error":null}`,
		`{"type":"message","content":[{"type":"text","text":1}]}`,
		`{"content":null,"usage":{"input_tokens":-1,"output_tokens":1e99}}`,
		"event: message_stop\ndata: {}\n\n",
		"event: content_block_delta\ndata: {\"delta\":{\"type\":\"text_delta\",\"text\":\"a\"}}\n\n",
		"event: ping\n\nevent: message_start\ndata: {\"message\":null}\n\n",
		"event: error\ndata: not json\n\n",
		"data: [DONE]\n\n",
		`{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key ` + fuzzKey + `"}}`,
		"event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"api_error\",\"message\":\"key " + fuzzKey + "\"}}\n\n",
		`{"type":"error","error":{"type":"` + fuzzKey + `","message":"bad key"}}`,
		"event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"" + fuzzKey + "\"}}\n\n",
		"event: " + fuzzKey + "\ndata: {\n\n",
		"upstream rejected key " + fuzzKey,
	} {
		for _, status := range []int{200, 401} {
			seeds = append(seeds, fuzzSeed{status, []byte(s)})
		}
	}
	return seeds
}

// truncations cuts body in half, after its last whole line before the
// three-quarter mark, and in the middle of the line that follows.
func truncations(body []byte) [][]byte {
	if len(body) < 2 {
		return nil
	}
	out := [][]byte{body[:len(body)/2]}
	if i := bytes.LastIndexByte(body[:len(body)*3/4], '\n'); i > 0 {
		out = append(out, body[:i+1], body[:min(i+1+10, len(body)-1)])
	}
	return out
}

// statusIndex is the fuzzStatuses index of status, or of the first status of
// its hundred when it is not among them.
func statusIndex(status int) uint8 {
	if i := slices.Index(fuzzStatuses, status); i >= 0 {
		return uint8(i)
	}
	return uint8(max(slices.IndexFunc(fuzzStatuses, func(s int) bool { return s/100 == status/100 }), 0))
}

// checkFuzzError fails unless err is nil or a classified *provider.Error
// that does not show the key.
func checkFuzzError(t *testing.T, op string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var pe *provider.Error
	if !errors.As(err, &pe) || !slices.Contains(provider.Classes, pe.Class) {
		t.Fatalf("%s error = %#v (%v); want a *provider.Error with a class", op, err, err)
	}
	if strings.Contains(err.Error(), fuzzKey) {
		t.Fatalf("%s error = %q; want the key redacted", op, err)
	}
}

func FuzzComplete(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(statusIndex(s.status), s.body)
	}
	f.Fuzz(func(t *testing.T, sel uint8, body []byte) {
		status := fuzzStatuses[int(sel)%len(fuzzStatuses)]
		tr := &fuzzTransport{status: status, contentType: "application/json", body: body}
		resp, err := fuzzClient(tr).Complete(t.Context(), fuzzRequest())
		checkFuzzError(t, "Complete()", err)
		switch {
		case err == nil && resp == nil:
			t.Fatal("Complete() = nil, nil; want a response or an error")
		case err != nil && resp != nil:
			t.Fatalf("Complete() = %+v, %v; want no response with an error", resp, err)
		case err == nil && status != http.StatusOK:
			t.Fatalf("Complete() with HTTP %d = %+v, nil; want an error", status, resp)
		}
		if tr.resp == nil || !tr.resp.closed {
			t.Error("Complete() left the response body open")
		}
	})
}

func FuzzStream(f *testing.F) {
	seen := map[string]bool{}
	for _, s := range fuzzSeeds(f) {
		if !seen[string(s.body)] {
			seen[string(s.body)] = true
			f.Add(s.body)
		}
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		tr := &fuzzTransport{status: http.StatusOK, contentType: "text/event-stream", body: body}
		s, err := fuzzClient(tr).Stream(t.Context(), fuzzRequest())
		if err != nil {
			checkFuzzError(t, "Stream()", err)
			return
		}
		var chunks strings.Builder
		for n := 0; s.Next(); n++ {
			if n == maxFuzzChunks {
				s.Close()
				t.Fatalf("Next() still true after %d chunks", n)
			}
			if s.Current().Text == "" {
				t.Fatal("Current().Text is empty after Next() = true")
			}
			chunks.WriteString(s.Current().Text)
		}
		checkFuzzError(t, "Err()", s.Err())
		resp := s.Response()
		if resp == nil {
			t.Fatal("Response() = nil after the end of the stream")
		}
		if resp.Text != chunks.String() {
			t.Errorf("Response().Text = %q; want the chunks %q", resp.Text, chunks.String())
		}
		for i := range 2 {
			if err := s.Close(); err != nil {
				t.Errorf("Close() #%d = %v; want nil", i+1, err)
			}
		}
		if !tr.resp.closed {
			t.Error("Close() left the response body open")
		}
	})
}
