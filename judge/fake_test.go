package judge

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"sync"
	"testing"

	"go.uber.org/goleak"

	"github.com/llmfall/llmfall/provider"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fakeJudge is a scripted judge model: reply decides each answer, and every
// request it received is kept for the test to inspect.
type fakeJudge struct {
	name  string
	reply func(req *provider.Request) (*provider.Response, error)

	mu    sync.Mutex
	calls []*provider.Request
}

var _ provider.Provider = (*fakeJudge)(nil)

func (f *fakeJudge) Complete(ctx context.Context, req *provider.Request) (*provider.Response, error) {
	f.mu.Lock()
	cp := *req
	f.calls = append(f.calls, &cp)
	f.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return f.reply(req)
}

func (f *fakeJudge) Stream(context.Context, *provider.Request) (provider.Stream, error) {
	return nil, errors.New("fakeJudge: the judge never streams")
}

func (f *fakeJudge) requests() []*provider.Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*provider.Request(nil), f.calls...)
}

// answers replies with the same JSON verdict every time.
func answers(score float64, pass bool) func(*provider.Request) (*provider.Response, error) {
	return func(*provider.Request) (*provider.Response, error) {
		return textResponse(answerJSON("scripted", score, pass)), nil
	}
}

// says replies with fixed text, whatever it is.
func says(text string) func(*provider.Request) (*provider.Response, error) {
	return func(*provider.Request) (*provider.Response, error) { return textResponse(text), nil }
}

// fails replies with a provider error.
func fails(name string, status int) func(*provider.Request) (*provider.Response, error) {
	return func(*provider.Request) (*provider.Response, error) {
		return nil, &provider.Error{Provider: name, Status: status, Class: provider.ClassForStatus(status), Message: "scripted failure"}
	}
}

func textResponse(text string) *provider.Response {
	return &provider.Response{Text: text, FinishReason: provider.FinishStop, Usage: provider.Usage{InputTokens: 1000, OutputTokens: 100}}
}

func answerJSON(reasoning string, score float64, pass bool) string {
	b, err := json.Marshal(map[string]any{"reasoning": reasoning, "score": score, "pass": pass})
	if err != nil {
		panic(err)
	}
	return string(b)
}

// blockRE finds a named data block in a prompt, whatever its nonce.
var blockRE = regexp.MustCompile(`(?s)<data-([0-9a-f]+) name="([^"]+)">\n(.*?)\n</data-([0-9a-f]+)>`)

// blocks returns the data blocks of a prompt by name.
func blocks(t *testing.T, prompt string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, m := range blockRE.FindAllStringSubmatch(prompt, -1) {
		if m[1] != m[4] {
			t.Fatalf("block %q opens with nonce %s and closes with %s", m[2], m[1], m[4])
		}
		out[m[2]] = m[3]
	}
	return out
}

// constRand is a nonce source of one repeated byte: a known nonce for tests,
// and safe for concurrent use as Config.Rand must be.
type constRand byte

func (c constRand) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(c)
	}
	return len(p), nil
}

// chain builds a judge chain of fakes, one per provider name, with model
// "<provider>-judge".
func chain(fakes ...*fakeJudge) []Link {
	links := make([]Link, len(fakes))
	for i, f := range fakes {
		links[i] = Link{Provider: f.name, Model: f.name + "-judge", Client: f}
	}
	return links
}

func mustNew(t *testing.T, cfg Config) *LLM {
	t.Helper()
	j, err := New(cfg)
	if err != nil {
		t.Fatalf("New() error = %v", err)
	}
	return j
}
