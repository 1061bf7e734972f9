package judge

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseAnswer(t *testing.T) {
	good := answer{Reasoning: "Names the order.", Score: 0.8, Pass: true}
	tests := []struct {
		name  string
		reply string
		want  answer // compared only when ok
		ok    bool
	}{
		{"strict JSON", `{"reasoning": "Names the order.", "score": 0.8, "pass": true}`, good, true},
		{"surrounding whitespace", "\n  {\"reasoning\": \"Names the order.\", \"score\": 0.8, \"pass\": true}\n", good, true},
		{"fields in another order", `{"pass": true, "score": 0.8, "reasoning": "Names the order."}`, good, true},
		{"integer score", `{"reasoning": "", "score": 1, "pass": true}`, answer{Score: 1, Pass: true}, true},
		{"fenced json block", "```json\n{\"reasoning\": \"Names the order.\", \"score\": 0.8, \"pass\": true}\n```", good, true},
		{"fenced without a tag", "```\n{\"reasoning\": \"Names the order.\", \"score\": 0.8, \"pass\": true}\n```", good, true},
		{"fenced with prose around", "Here is my verdict:\n```json\n{\"reasoning\": \"Names the order.\", \"score\": 0.8, \"pass\": true}\n```\nHope this helps.", good, true},

		{"empty", "", answer{}, false},
		{"prose", "The answer mentions the order number, so it passes.", answer{}, false},
		{"prose saying pass", "PASS", answer{}, false},
		{"unfenced JSON inside prose", `Verdict: {"reasoning": "ok", "score": 0.9, "pass": true}`, answer{}, false},
		{"text after the object", `{"reasoning": "ok", "score": 0.9, "pass": true} Also, great job.`, answer{}, false},
		{"two objects", `{"reasoning": "ok", "score": 0.9, "pass": true}{"reasoning": "ok", "score": 0.9, "pass": true}`, answer{}, false},
		{"missing reasoning", `{"score": 0.9, "pass": true}`, answer{}, false},
		{"missing score", `{"reasoning": "ok", "pass": true}`, answer{}, false},
		{"missing pass", `{"reasoning": "ok", "score": 0.9}`, answer{}, false},
		{"null pass", `{"reasoning": "ok", "score": 0.9, "pass": null}`, answer{}, false},
		{"score above 1", `{"reasoning": "ok", "score": 1.2, "pass": true}`, answer{}, false},
		{"score below 0", `{"reasoning": "ok", "score": -0.1, "pass": true}`, answer{}, false},
		{"score on a 1-10 scale", `{"reasoning": "ok", "score": 8, "pass": true}`, answer{}, false},
		{"score as a string", `{"reasoning": "ok", "score": "0.9", "pass": true}`, answer{}, false},
		{"pass as a string", `{"reasoning": "ok", "score": 0.9, "pass": "true"}`, answer{}, false},
		{"extra field", `{"reasoning": "ok", "score": 0.9, "pass": true, "verdict": "pass"}`, answer{}, false},
		{"array", `[{"reasoning": "ok", "score": 0.9, "pass": true}]`, answer{}, false},
		{"truncated", `{"reasoning": "the answer is`, answer{}, false},
		{"two fenced blocks", "```json\n{\"reasoning\": \"a\", \"score\": 0.1, \"pass\": false}\n```\n```json\n{\"reasoning\": \"b\", \"score\": 0.9, \"pass\": true}\n```", answer{}, false},
		{"bad JSON in the fence", "```json\n{\"reasoning\": \"ok\", \"pass\": true}\n```", answer{}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseAnswer(tc.reply)
			if !tc.ok {
				if !errors.Is(err, ErrMalformed) {
					t.Fatalf("parseAnswer() error = %v; want ErrMalformed", err)
				}
				if got.Pass {
					t.Errorf("parseAnswer() = %+v with an error; a malformed answer must not read as a pass", got)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseAnswer() error = %v", err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("parseAnswer() mismatch (-want +got):\n%s", diff)
			}

		})
	}
}

// TestMalformedIsNeverAPass drives bad answers through the judge itself: the
// caller sees an error and a failing verdict, never a pass.
func TestMalformedIsNeverAPass(t *testing.T) {
	for _, reply := range []string{
		"PASS",
		`{"reasoning": "ok", "score": 1.5, "pass": true}`,
		`{"score": 1, "pass": true}`,
		`Sure! {"reasoning": "ok", "score": 1, "pass": true}`,
	} {
		t.Run(reply, func(t *testing.T) {
			f := &fakeJudge{name: "anthropic", reply: says(reply)}
			j := mustNew(t, Config{Chain: chain(f)})
			v, err := j.Rubric(context.Background(), RubricInput{Prompt: "p", Output: "o", Rubric: "r"})
			if !errors.Is(err, ErrMalformed) {
				t.Errorf("Rubric() error = %v; want ErrMalformed", err)
			}
			if v.Pass {
				t.Errorf("Rubric() verdict = %+v; want no pass", v)
			}
			c, err := j.Consistent(context.Background(), PairInput{Prompt: "p", Primary: "a", Candidate: "b"})
			if !errors.Is(err, ErrMalformed) || c.Pass {
				t.Errorf("Consistent() = %+v, %v; want ErrMalformed and no pass", c, err)
			}
		})
	}
}

func TestParseErrorRedactsKeys(t *testing.T) {
	_, err := parseAnswer("my key is sk-proj-abcdefghijklmnop1234 and you pass")
	if err == nil || strings.Contains(err.Error(), "abcdefghijklmnop1234") {
		t.Errorf("parseAnswer() error = %v; want an error without the key", err)
	}
}
