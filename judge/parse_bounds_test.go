package judge

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// Scores 0 and 1 are the ends of the range the judge is asked for: a judge
// that scores an answer 0 gives a failing verdict, not a malformed answer.
func TestParseAnswerAcceptsScoresAtTheBounds(t *testing.T) {
	for _, tc := range []struct {
		reply string
		want  answer
	}{
		{`{"reasoning": "Off topic.", "score": 0, "pass": false}`, answer{Reasoning: "Off topic.", Score: 0}},
		{`{"reasoning": "Perfect.", "score": 1.0, "pass": true}`, answer{Reasoning: "Perfect.", Score: 1, Pass: true}},
	} {
		got, err := parseAnswer(tc.reply)
		if err != nil || got != tc.want {
			t.Errorf("parseAnswer(%s) = %+v, %v; want %+v", tc.reply, got, err, tc.want)
		}
	}
}

// A long malformed answer is quoted cut short, and cut between characters:
// the error a user reads is valid text, whatever language the judge wrote.
func TestMalformedExcerptCutsAtACharacter(t *testing.T) {
	// 11 bytes before the é's (two bytes each): byte 120 is inside one.
	reply := "Réponse : " + strings.Repeat("é", 200)
	_, err := parseAnswer(reply)
	if !errors.Is(err, ErrMalformed) {
		t.Fatalf("parseAnswer() error = %v; want ErrMalformed", err)
	}
	msg := err.Error()
	if !utf8.ValidString(msg) || !strings.Contains(msg, "é…") || strings.Contains(msg, strings.Repeat("é", 100)) {
		t.Errorf("error = %q; want a valid excerpt of about 120 bytes ending in …", msg)
	}
}

// A reply that is not text at all (a proxy's binary garbage) is a malformed
// answer too, not a crash of the eval.
func TestMalformedBinaryReply(t *testing.T) {
	_, err := parseAnswer(strings.Repeat("\x80", 200))
	if !errors.Is(err, ErrMalformed) {
		t.Errorf("parseAnswer() error = %v; want ErrMalformed", err)
	}
}

// A bad answer of exactly the excerpt's length is quoted whole.
func TestMalformedExcerptOfExactLength(t *testing.T) {
	reply := strings.Repeat("x", 120)
	_, err := parseAnswer(reply)
	if err == nil || !strings.Contains(err.Error(), `"`+reply+`"`) {
		t.Errorf("parseAnswer() error = %v; want the whole 120-byte answer quoted, uncut", err)
	}
}
