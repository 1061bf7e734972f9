package judge

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/llmfall/llmfall/provider"
)

// ErrMalformed is wrapped by every error about a judge's answer that is not
// the JSON object it was asked for. Such an answer is a judge error, never a
// verdict: reading prose as a pass would let a confused judge wave anything
// through.
var ErrMalformed = errors.New("malformed judge answer")

// answer is what a judge model returns for one question.
type answer struct {
	Reasoning string
	Score     float64
	Pass      bool
}

// wireAnswer uses pointers so that a missing (or null) field is told apart
// from a zero one.
type wireAnswer struct {
	Reasoning *string  `json:"reasoning"`
	Score     *float64 `json:"score"`
	Pass      *bool    `json:"pass"`
}

// fenced finds a Markdown code block, optionally tagged json, as models add
// around their JSON even in JSON mode.
var fenced = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile("(?s)```[ \t]*(?:json|JSON)?[ \t]*\r?\n(.*?)```")
})

// parseAnswer reads a judge's reply: the whole reply as one strict JSON
// object, or else exactly one fenced block holding one. Anything else is an
// ErrMalformed error.
func parseAnswer(text string) (answer, error) {
	a, strictErr := parseStrict(text)
	if strictErr == nil {
		return a, nil
	}
	blocks := fenced().FindAllStringSubmatch(text, -1)
	switch len(blocks) {
	case 0:
		return answer{}, strictErr
	case 1:
		a, err := parseStrict(blocks[0][1])
		if err != nil {
			return answer{}, fmt.Errorf("fenced block: %w", err)
		}
		return a, nil
	default:
		return answer{}, fmt.Errorf("%w: %d fenced blocks, want one: %s", ErrMalformed, len(blocks), excerpt(text))
	}
}

func parseStrict(text string) (answer, error) {
	dec := json.NewDecoder(strings.NewReader(text))
	dec.DisallowUnknownFields()
	var w wireAnswer
	if err := dec.Decode(&w); err != nil {
		return answer{}, fmt.Errorf("%w: %v: %s", ErrMalformed, err, excerpt(text))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return answer{}, fmt.Errorf("%w: text after the JSON object: %s", ErrMalformed, excerpt(text))
	}
	var missing []string
	if w.Reasoning == nil {
		missing = append(missing, "reasoning")
	}
	if w.Score == nil {
		missing = append(missing, "score")
	}
	if w.Pass == nil {
		missing = append(missing, "pass")
	}
	if len(missing) > 0 {
		return answer{}, fmt.Errorf("%w: missing %s: %s", ErrMalformed, strings.Join(missing, ", "), excerpt(text))
	}
	if *w.Score < 0 || *w.Score > 1 {
		return answer{}, fmt.Errorf("%w: score %v outside 0..1", ErrMalformed, *w.Score)
	}
	return answer{Reasoning: *w.Reasoning, Score: *w.Score, Pass: *w.Pass}, nil
}

// excerpt quotes the start of a bad answer for diagnosis. The answer may echo
// the candidate, so it is redacted like any provider text.
func excerpt(s string) string {
	const max = 120
	s = provider.Redact(strings.TrimSpace(s))
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return fmt.Sprintf("%q", s)
}
