package anthropic

import (
	"net/http"
	"path/filepath"
	"testing"

	"github.com/llmfall/llmfall/internal/modroot"
	"github.com/llmfall/llmfall/provider"
	"github.com/llmfall/llmfall/provider/providertest"
)

// The fuzz targets hold the adapter to the project's rule: a malformed or
// truncated body is a classified error, never a panic, and never a leaked
// key. The machinery is shared; the seeds are this provider's.

func fuzzClient(tr *providertest.Transport) provider.Provider {
	tr.Header = http.Header{"Request-Id": {"req_fuzz"}}
	return New(Config{BaseURL: "http://fuzz.invalid", APIKey: providertest.Key, HTTPClient: &http.Client{Transport: tr}})
}

func fuzzRequest() *provider.Request {
	return &provider.Request{Model: "claude-fuzz", Messages: []provider.Message{{Role: provider.RoleUser, Content: "hi"}}}
}

// seeds is every recorded body (testdata/wire/anthropic at the module root), whole and truncated, plus garbage and
// error documents that echo the key.
func seeds(f *testing.F) []providertest.Seed {
	f.Helper()
	dir := modroot.Testdata(f, "wire/anthropic")
	return append(providertest.FileSeeds(f, filepath.Join(dir, "*.json"), filepath.Join(dir, "*.sse"), filepath.Join(dir, "errors", "*")), providertest.Garbage(
		`{"type":"error","error":null}`,
		`{"type":"message","content":[{"type":"text","text":1}]}`,
		`{"content":null,"usage":{"input_tokens":-1,"output_tokens":1e99}}`,
		"event: message_stop\ndata: {}\n\n",
		"event: content_block_delta\ndata: {\"delta\":{\"type\":\"text_delta\",\"text\":\"a\"}}\n\n",
		"event: ping\n\nevent: message_start\ndata: {\"message\":null}\n\n",
		`{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key `+providertest.Key+`"}}`,
		"event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"api_error\",\"message\":\"key "+providertest.Key+"\"}}\n\n",
		`{"type":"error","error":{"type":"`+providertest.Key+`","message":"bad key"}}`,
		"event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\""+providertest.Key+"\"}}\n\n",
		"event: "+providertest.Key+"\ndata: {\n\n",
	)...)
}

func FuzzComplete(f *testing.F) { providertest.FuzzComplete(f, seeds(f), fuzzClient, fuzzRequest()) }

func FuzzStream(f *testing.F) { providertest.FuzzStream(f, seeds(f), fuzzClient, fuzzRequest()) }

func TestHeaderCredentialRedacted(t *testing.T) {
	providertest.CheckHeaderCredential(t, func(h map[string]string, tr *providertest.Transport) provider.Provider {
		return New(Config{BaseURL: "http://fuzz.invalid", Headers: h, HTTPClient: &http.Client{Transport: tr}})
	}, fuzzRequest())
}
