// Package providertest holds what the adapters' tests share: an in-memory
// transport that answers with a given status and body, and fuzz targets
// that hold an adapter to the project's rule that a malformed or truncated
// body is a classified error, never a panic and never a leaked key. Each
// adapter supplies only its seeds and its constructor.
package providertest

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

// Key is the API key the fuzzed clients are built with. Some seeds echo it
// back, as a misbehaving proxy or a provider's 401 might.
const Key = "sk-fuzz-SECRET-0123456789"

// Statuses are the statuses FuzzComplete answers with. A fuzzed byte picks
// one, so that the fuzzer spends its time on bodies.
var Statuses = []int{200, 400, 401, 404, 429, 500, 503, 529}

// MaxChunks bounds a stream: no body the fuzzer builds holds this many text
// deltas, so reaching it means Next never stops.
const MaxChunks = 10000

// Transport answers every request in memory with Status, ContentType and
// Body, so that a fuzz iteration costs no network round trip, and records
// whether the adapter closed the response body.
type Transport struct {
	Status      int
	ContentType string
	Body        []byte
	// Header is added to the response's headers.
	Header http.Header

	resp *body
}

// RoundTrip implements http.RoundTripper.
func (tr *Transport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		r.Body.Close()
	}
	tr.resp = &body{Reader: bytes.NewReader(tr.Body)}
	h := http.Header{"Content-Type": {tr.ContentType}}
	for k, v := range tr.Header {
		h[k] = v
	}
	return &http.Response{
		Status:        strconv.Itoa(tr.Status) + " " + http.StatusText(tr.Status),
		StatusCode:    tr.Status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        h,
		Body:          tr.resp,
		ContentLength: -1,
		Request:       r,
	}, nil
}

// Closed reports whether the last response's body was closed.
func (tr *Transport) Closed() bool { return tr.resp != nil && tr.resp.closed }

type body struct {
	*bytes.Reader
	closed bool
}

func (b *body) Close() error {
	b.closed = true
	return nil
}

// Seed is a body and the status it was answered with.
type Seed struct {
	Status int
	Body   []byte
}

// FileSeeds reads every file matching the patterns, whole and truncated;
// a pattern that matches nothing fails the test.
// A file whose name starts with a status ("429_rate_limit.json") is answered
// with it; any other with 200.
func FileSeeds(tb testing.TB, patterns ...string) []Seed {
	tb.Helper()
	var seeds []Seed
	for _, pattern := range patterns {
		files, err := filepath.Glob(pattern)
		if err != nil {
			tb.Fatal(err)
		}
		if len(files) == 0 {
			// A moved directory must not quietly leave a target seedless.
			tb.Fatalf("no seed file matches %s", pattern)
		}
		for _, file := range files {
			b, err := os.ReadFile(file)
			if err != nil {
				tb.Fatal(err)
			}
			status := 200
			if n, err := strconv.Atoi(strings.SplitN(filepath.Base(file), "_", 2)[0]); err == nil {
				status = n
			}
			seeds = append(seeds, WithTruncations(status, b)...)
		}
	}
	return seeds
}

// WithTruncations is body whole, cut in half, after its last whole line
// before the three-quarter mark, and in the middle of the line that follows.
func WithTruncations(status int, b []byte) []Seed {
	seeds := []Seed{{status, b}}
	if len(b) < 2 {
		return seeds
	}
	seeds = append(seeds, Seed{status, b[:len(b)/2]})
	if i := bytes.LastIndexByte(b[:len(b)*3/4], '\n'); i > 0 {
		seeds = append(seeds, Seed{status, b[:i+1]}, Seed{status, b[:min(i+1+10, len(b)-1)]})
	}
	return seeds
}

// garbage is what no provider sends but a broken proxy might.
var garbage = []string{
	"", "null", "{}", "[]", "{", `"text"`, "\x00\xff\xfe", "<html><body>502 Bad Gateway</body></html>",
	"data: {\n\n", ": keep-alive\n\n", "event: error\ndata: not json\n\n", "data: [DONE]\n\n",
	"upstream rejected key " + Key,
}

// Garbage is the shared garbage bodies plus the adapter's own, each
// answered with 200 and with 401.
func Garbage(own ...string) []Seed {
	var seeds []Seed
	for _, s := range append(slices.Clone(garbage), own...) {
		seeds = append(seeds, Seed{200, []byte(s)}, Seed{401, []byte(s)})
	}
	return seeds
}

// statusIndex is the Statuses index of status, or of the first status of
// its hundred when it is not among them.
func statusIndex(status int) uint8 {
	if i := slices.Index(Statuses, status); i >= 0 {
		return uint8(i)
	}
	return uint8(max(slices.IndexFunc(Statuses, func(s int) bool { return s/100 == status/100 }), 0))
}

// checkError fails unless err is nil or a classified *provider.Error that
// does not show the key.
func checkError(t *testing.T, op string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var pe *provider.Error
	if !errors.As(err, &pe) || !slices.Contains(provider.Classes, pe.Class) {
		t.Fatalf("%s error = %#v (%v); want a *provider.Error with a class", op, err, err)
	}
	if strings.Contains(err.Error(), Key) {
		t.Fatalf("%s error = %q; want the key redacted", op, err)
	}
}

// NewClient builds the adapter under test over tr, with Key as its key.
type NewClient func(tr *Transport) provider.Provider

// FuzzComplete fuzzes Complete with seeds: any status and body must give a
// response or a classified error without the key, never both or neither,
// an error for every non-200 status, and a closed body.
func FuzzComplete(f *testing.F, seeds []Seed, newClient NewClient, req *provider.Request) {
	for _, s := range seeds {
		f.Add(statusIndex(s.Status), s.Body)
	}
	f.Fuzz(func(t *testing.T, sel uint8, b []byte) {
		status := Statuses[int(sel)%len(Statuses)]
		tr := &Transport{Status: status, ContentType: "application/json", Body: b}
		resp, err := newClient(tr).Complete(t.Context(), req)
		checkError(t, "Complete()", err)
		switch {
		case err == nil && resp == nil:
			t.Fatal("Complete() = nil, nil; want a response or an error")
		case err != nil && resp != nil:
			t.Fatalf("Complete() = %+v, %v; want no response with an error", resp, err)
		case err == nil && status != http.StatusOK:
			t.Fatalf("Complete() with HTTP %d = %+v, nil; want an error", status, resp)
		}
		if !tr.Closed() {
			t.Error("Complete() left the response body open")
		}
	})
}

// FuzzStream fuzzes the body of a 200 answer to a streaming request, sent
// as an event stream or, as some servers do, as JSON: the stream must end,
// every chunk must carry text, the chunks must make up Response().Text, its
// error must be classified without the key, and Close must release the body
// and be safe to repeat.
func FuzzStream(f *testing.F, seeds []Seed, newClient NewClient, req *provider.Request) {
	seen := map[string]bool{}
	for _, s := range seeds {
		if !seen[string(s.Body)] {
			seen[string(s.Body)] = true
			f.Add(s.Body, false)
			f.Add(s.Body, true)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte, asJSON bool) {
		tr := &Transport{Status: http.StatusOK, ContentType: "text/event-stream", Body: b}
		if asJSON {
			tr.ContentType = "application/json"
		}
		s, err := newClient(tr).Stream(t.Context(), req)
		if err != nil {
			checkError(t, "Stream()", err)
			return
		}
		var chunks strings.Builder
		for n := 0; s.Next(); n++ {
			if n == MaxChunks {
				s.Close()
				t.Fatalf("Next() still true after %d chunks", n)
			}
			if s.Current().Text == "" && s.Current().ToolCall == nil {
				t.Fatal("Current() is empty after Next() = true")
			}
			chunks.WriteString(s.Current().Text)
		}
		checkError(t, "Err()", s.Err())
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
		if !tr.Closed() {
			t.Error("Close() left the response body open")
		}
	})
}

// NewClientWithHeaders builds the adapter under test over tr with no key
// and the given extra headers, as a config for a gateway would.
type NewClientWithHeaders func(headers map[string]string, tr *Transport) provider.Provider

// CheckHeaderCredential checks that a credential the config adds as a
// header (a gateway's token) is redacted like the key when a 401 body
// echoes it, and that the error is classed auth.
func CheckHeaderCredential(t *testing.T, newClient NewClientWithHeaders, req *provider.Request) {
	t.Helper()
	const token = "gw-secret-token-777"
	tr := &Transport{Status: http.StatusUnauthorized, ContentType: "application/json",
		Body: []byte(`{"error":{"message":"gateway token ` + token + ` rejected","type":"authentication_error","code":401,"status":"UNAUTHENTICATED"},"type":"error"}`)}
	_, err := newClient(map[string]string{"Authorization": "Bearer " + token}, tr).Complete(t.Context(), req)
	if err == nil || provider.ClassOf(err) != provider.ClassAuth {
		t.Fatalf("Complete() error = %v; want an auth error", err)
	}
	if strings.Contains(err.Error(), token) {
		t.Errorf("error = %q; want the header's token redacted", err)
	}
}
