package openai

import (
	"bytes"
	"errors"
	"net/http"
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
		Header:        http.Header{"Content-Type": {tr.contentType}, "X-Request-Id": {"req_fuzz"}},
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
	return New(Config{BaseURL: "http://fuzz.invalid/v1", APIKey: fuzzKey, HTTPClient: &http.Client{Transport: tr}})
}

func fuzzRequest() *provider.Request {
	return &provider.Request{Model: "gpt-fuzz", Messages: []provider.Message{{Role: provider.RoleUser, Content: "hi"}}}
}

// fuzzSeed is a body and the status it was recorded with.
type fuzzSeed struct {
	status int
	body   []byte
}

// fuzzSeeds is every testdata response body, whole and truncated, plus
// garbage and error documents that echo the key.
func fuzzSeeds(f *testing.F) []fuzzSeed {
	f.Helper()
	files, err := filepath.Glob("testdata/*.http")
	if err != nil {
		f.Fatal(err)
	}
	var seeds []fuzzSeed
	for _, file := range files {
		// loadResponse reads the fixture with os.ReadFile and splits off
		// the status line and headers it was recorded with.
		r := loadResponse(f, filepath.Base(file))
		for _, b := range append([][]byte{r.body}, truncations(r.body)...) {
			seeds = append(seeds, fuzzSeed{r.status, b})
		}
	}
	for _, s := range []string{
		"", "null", "{}", "[]", "{", `"text"`, "\x00\xff\xfe", "<html><body>502 Bad Gateway</body></html>",
		`{"error":null}`, `{"error":"model not loaded"}`, `{"error":{"code":429.5}}`,
		`{"object":"error","message":"This model's maximum context length is 8 tokens","code":400}`,
		`{"choices":[{"index":0,"message":{"content":1}}]}`,
		`{"choices":[{"index":1}],"usage":{"prompt_tokens":1e99,"completion_tokens":-1}}`,
		"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"},\"finish_reason\":\"stop\"}]}\n\n",
		"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"}}]}\n\ndata: [DONE]\n\n",
		"data: [DONE]\n\n", "data: {\n\n", ": keep-alive\n\n", "event: error\ndata: not json\n\n",
		`{"error":{"message":"Incorrect API key provided: ` + fuzzKey + `","type":"invalid_request_error","code":"invalid_api_key"}}`,
		`{"error":{"message":"bad key","type":"` + fuzzKey + `","code":null}}`,
		`{"error":{"message":"bad key","code":"` + fuzzKey + `"}}`,
		`{"error":"` + fuzzKey + ` is not a valid key"}`,
		`{"object":"error","message":"key ` + fuzzKey + `","type":"` + fuzzKey + `","code":401}`,
		"data: {\"error\":{\"message\":\"key " + fuzzKey + "\",\"code\":\"" + fuzzKey + "\"}}\n\n",
		"event: error\ndata: upstream rejected " + fuzzKey + "\n\n",
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
