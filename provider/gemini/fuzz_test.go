package gemini

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
	tr.Header = http.Header{"X-Goog-Request-Id": {"req_fuzz"}}
	return New(Config{BaseURL: "http://fuzz.invalid", APIKey: providertest.Key, HTTPClient: &http.Client{Transport: tr}})
}

func fuzzRequest() *provider.Request {
	return &provider.Request{Model: "gemini-fuzz", Messages: []provider.Message{{Role: provider.RoleUser, Content: "hi"}}}
}

// seeds is every recorded body (testdata/wire/gemini at the module root), whole and truncated, plus garbage and
// error documents that echo the key.
func seeds(f *testing.F) []providertest.Seed {
	f.Helper()
	dir := modroot.Testdata(f, "wire/gemini")
	return append(providertest.FileSeeds(f, filepath.Join(dir, "*.json"), filepath.Join(dir, "*.sse"), filepath.Join(dir, "errors", "*")), providertest.Garbage(
		"[{}]",
		`{"error":null}`,
		`[{"error":{"code":429,"status":"RESOURCE_EXHAUSTED"}}]`,
		`{"error":{"code":200,"details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"-1s"},1,null]}}`,
		`{"candidates":[{"content":{"parts":[{"text":1}]}}]}`,
		`{"candidates":[{"content":null,"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":1e99}}`,
		"data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"a\"}]},\"finishReason\":\"STOP\"}]}\r\n\r\n",
		"data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"a\",\"thought\":true}]}}]}\n\n",
		"data: \n\n",
		`{"error":{"code":400,"message":"API key not valid: `+providertest.Key+`","status":"INVALID_ARGUMENT"}}`,
		`{"error":{"code":401,"message":"bad key","status":"`+providertest.Key+`"}}`,
		`{"promptFeedback":{"blockReason":"`+providertest.Key+`"}}`,
		"data: {\"error\":{\"code\":503,\"message\":\"key "+providertest.Key+"\",\"status\":\""+providertest.Key+"\"}}\n\n",
		"data: {\"promptFeedback\":{\"blockReason\":\""+providertest.Key+"\"}}\n\n",
	)...)
}

func FuzzComplete(f *testing.F) { providertest.FuzzComplete(f, seeds(f), fuzzClient, fuzzRequest()) }

func FuzzStream(f *testing.F) { providertest.FuzzStream(f, seeds(f), fuzzClient, fuzzRequest()) }

func TestHeaderCredentialRedacted(t *testing.T) {
	providertest.CheckHeaderCredential(t, func(h map[string]string, tr *providertest.Transport) provider.Provider {
		return New(Config{BaseURL: "http://fuzz.invalid", Headers: h, HTTPClient: &http.Client{Transport: tr}})
	}, fuzzRequest())
}
