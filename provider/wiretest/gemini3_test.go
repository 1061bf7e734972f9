package wiretest

import (
	"strings"
	"testing"
)

// Gemini3 refuses what Gemini 3 models refuse: a function call step of the
// current turn whose first call has no thoughtSignature; a signature that
// is not base64 is refused by every model.
func TestGemini3Signatures(t *testing.T) {
	const (
		ask     = `{"role":"user","parts":[{"text":"weather?"}]}`
		answers = `{"role":"user","parts":[{"functionResponse":{"name":"get_weather","response":{"content":"18C"}}}]}`
		then    = `{"role":"model","parts":[{"text":"18C"}]}`
	)
	call := func(sig string) string {
		s := ""
		if sig != "" {
			s = `,"thoughtSignature":"` + sig + `"`
		}
		return `{"role":"model","parts":[{"functionCall":{"name":"get_weather","args":{}}` + s + `}]}`
	}
	body := func(contents ...string) []byte { return []byte(`{"contents":[` + strings.Join(contents, ",") + `]}`) }
	tests := []struct {
		name    string
		body    []byte
		gemini  string // Gemini's error, "" when accepted
		gemini3 string // Gemini3's
	}{
		{"signed step", body(ask, call("CiQBVKhc"), answers), "", ""},
		{"unsigned step of the current turn", body(ask, call(""), answers), "", "missing a thought_signature"},
		{"the documented skip value", body(ask, call("skip_thought_signature_validator"), answers), "", ""},
		{"unsigned step of an earlier turn", body(ask, call(""), answers, then, ask), "", ""},
		{"a signature that is not base64", body(ask, call("not base64!"), answers), "Base64 decoding failed", "Base64 decoding failed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, v := range []struct {
				name     string
				validate Validator
				want     string
			}{{"Gemini", Gemini, tc.gemini}, {"Gemini3", Gemini3, tc.gemini3}} {
				err := v.validate(tc.body)
				if (err == nil) != (v.want == "") || err != nil && !strings.Contains(err.Error(), v.want) {
					t.Errorf("%s() = %v; want %q", v.name, err, v.want)
				}
			}
		})
	}
}
