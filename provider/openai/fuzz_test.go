package openai

import (
	"net/http"
	"path/filepath"
	"testing"

	"github.com/llmfall/llmfall/provider"
	"github.com/llmfall/llmfall/provider/providertest"

	"github.com/llmfall/llmfall/internal/modroot"
)

// The fuzz targets hold the adapter to the project's rule: a malformed or
// truncated body is a classified error, never a panic, and never a leaked
// key. The machinery is shared; the seeds are this provider's.

func fuzzClient(tr *providertest.Transport) provider.Provider {
	tr.Header = http.Header{"X-Request-Id": {"req_fuzz"}}
	return New(Config{BaseURL: "http://fuzz.invalid/v1", APIKey: providertest.Key, HTTPClient: &http.Client{Transport: tr}})
}

func fuzzRequest() *provider.Request {
	return &provider.Request{Model: "gpt-fuzz", Messages: []provider.Message{{Role: provider.RoleUser, Content: "hi"}}}
}

// seeds is every recorded response body, whole and truncated, plus garbage
// and error documents that echo the key.
func seeds(f *testing.F) []providertest.Seed {
	f.Helper()
	files, err := filepath.Glob(modroot.Testdata(f, "wire/openai/*.http"))
	if err != nil {
		f.Fatal(err)
	}
	if len(files) == 0 {
		f.Fatal("no OpenAI recording in testdata/wire/openai")
	}
	var out []providertest.Seed
	for _, file := range files {
		// loadResponse splits off the status line and headers the
		// fixture was recorded with.
		r := loadResponse(f, filepath.Base(file))
		out = append(out, providertest.WithTruncations(r.status, r.body)...)
	}
	return append(out, providertest.Garbage(
		`{"error":null}`,
		`{"error":"model not loaded"}`,
		`{"error":{"code":429.5}}`,
		`{"object":"error","message":"This model's maximum context length is 8 tokens","code":400}`,
		`{"choices":[{"index":0,"message":{"content":1}}]}`,
		`{"choices":[{"index":1}],"usage":{"prompt_tokens":1e99,"completion_tokens":-1}}`,
		"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"},\"finish_reason\":\"stop\"}]}\n\n",
		"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"}}]}\n\ndata: [DONE]\n\n",
		`{"error":{"message":"Incorrect API key provided: `+providertest.Key+`","type":"invalid_request_error","code":"invalid_api_key"}}`,
		`{"error":{"message":"bad key","type":"`+providertest.Key+`","code":null}}`,
		`{"error":{"message":"bad key","code":"`+providertest.Key+`"}}`,
		`{"error":"`+providertest.Key+` is not a valid key"}`,
		`{"object":"error","message":"key `+providertest.Key+`","type":"`+providertest.Key+`","code":401}`,
		"data: {\"error\":{\"message\":\"key "+providertest.Key+"\",\"code\":\""+providertest.Key+"\"}}\n\n",
		"event: error\ndata: upstream rejected "+providertest.Key+"\n\n",
	)...)
}

func FuzzComplete(f *testing.F) { providertest.FuzzComplete(f, seeds(f), fuzzClient, fuzzRequest()) }

func FuzzStream(f *testing.F) { providertest.FuzzStream(f, seeds(f), fuzzClient, fuzzRequest()) }

func TestHeaderCredentialRedacted(t *testing.T) {
	providertest.CheckHeaderCredential(t, func(h map[string]string, tr *providertest.Transport) provider.Provider {
		return New(Config{BaseURL: "http://fuzz.invalid/v1", Headers: h, HTTPClient: &http.Client{Transport: tr}})
	}, fuzzRequest())
}
