package judge

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"unicode"
)

// HeuristicName is the Judge recorded on every heuristic verdict, so that no
// report can pass it off as a model's judgement.
const HeuristicName = "heuristic"

// Heuristic is the offline judge: deterministic, free, and no substitute for
// a model. It checks that an answer is on topic, not that it is right.
//
// Rubric scores the output by the share of the rubric's and reference's
// content words it contains (coverage) and the share of the prompt's content
// words it contains (relevance; saturating at RelevanceTerms shared words,
// since an answer need not repeat a long prompt), times a length factor that
// zeroes an empty output and halves a near-empty one or one far off the
// reference's length. Words are compared as crude stems, without stopwords
// and without rubric vocabulary such as "mentions" or "answer".
//
// Consistent scores the Dice overlap of the two answers' content words, with
// the prompt's words counted double.
// Prefer picks the output more relevant to the prompt; equal scores give no
// preference.
//
// The zero value is ready to use.
type Heuristic struct {
	// Threshold is the score a verdict needs when the input sets none; 0
	// means DefaultThreshold.
	Threshold float64
}

var (
	_ Judge     = (*Heuristic)(nil)
	_ Preferrer = (*Heuristic)(nil)
)

// RelevanceTerms is how many of the prompt's content words an answer must
// share to count as fully relevant: a handful of the task's own terms shows
// that an answer is on topic; a long prompt need not be restated whole.
const RelevanceTerms = 6

func (h *Heuristic) threshold(t float64) float64 {
	switch {
	case t > 0:
		return t
	case h.Threshold > 0:
		return h.Threshold
	}
	return DefaultThreshold
}

// Rubric scores in.Output; see Heuristic.
func (h *Heuristic) Rubric(_ context.Context, in RubricInput) (Verdict, error) {
	out := contentWords(in.Output)
	want := contentWords(in.Rubric + "\n" + in.Reference)
	for w := range metaWords() {
		delete(want, w)
	}
	topic := contentWords(in.Prompt)

	covered, missing := split(want, out)
	shared, _ := split(topic, out)
	relevance := saturate(len(shared), len(topic))

	var score float64
	var why strings.Builder
	if len(want) == 0 {
		score = relevance
		fmt.Fprintf(&why, "no checkable rubric words; ")
	} else {
		// A reference is concrete content, a rubric partly abstract: the
		// words of a reference weigh more.
		weight := 0.4
		if in.Reference != "" {
			weight = 0.6
		}
		coverage := float64(len(covered)) / float64(len(want))
		score = weight*coverage + (1-weight)*relevance
		fmt.Fprintf(&why, "covers %d/%d rubric/reference words", len(covered), len(want))
		if len(missing) > 0 {
			fmt.Fprintf(&why, " (missing: %s)", strings.Join(limit(missing, 8), ", "))
		}
		why.WriteString("; ")
	}
	fmt.Fprintf(&why, "shares %d prompt words", len(shared))
	factor, note := lengthFactor(wordCount(in.Output), wordCount(in.Reference))
	score *= factor
	if note != "" {
		why.WriteString("; " + note)
	}
	return h.verdict(score, in.Threshold, why.String()), nil
}

// Consistent scores the overlap of in.Primary's and in.Candidate's content
// words; see Heuristic.
func (h *Heuristic) Consistent(_ context.Context, in PairInput) (Verdict, error) {
	a, b := contentWords(in.Primary), contentWords(in.Candidate)
	topic := contentWords(in.Prompt)
	// Words of the prompt carry the task's substance; the rest is partly
	// phrasing, so it counts half as much.
	weight := func(w string) float64 {
		if _, ok := topic[w]; ok {
			return 2
		}
		return 1
	}
	var shared, total float64
	var n int
	for w := range a {
		total += weight(w)
		if _, ok := b[w]; ok {
			shared += weight(w)
			n++
		}
	}
	for w := range b {
		total += weight(w)
	}
	var score float64
	if total > 0 {
		score = 2 * shared / total
	}
	why := fmt.Sprintf("shares %d of %d and %d content words (Dice overlap, prompt words counted double)", n, len(a), len(b))
	return h.verdict(score, in.Threshold, why), nil
}

// Prefer picks the output that shares more of the prompt's content words,
// at a sane length. It is symmetric, so it never flips under a swap.
func (h *Heuristic) Prefer(_ context.Context, in PreferInput) (Preference, error) {
	topic := contentWords(in.Prompt)
	// Unsaturated, unlike Rubric's relevance: two on-topic answers would
	// otherwise tie too often to rank. Equal scores are no preference.
	score := func(out string) float64 {
		shared, _ := split(topic, contentWords(out))
		f, _ := lengthFactor(wordCount(out), 0)
		if len(topic) == 0 {
			return 0
		}
		return f * float64(len(shared)) / float64(len(topic))
	}
	s1, s2 := score(in.Output1), score(in.Output2)
	p := Preference{
		Reasoning: fmt.Sprintf("heuristic: prompt relevance %.2f for output 1, %.2f for output 2", s1, s2),
		Judge:     HeuristicName,
		Heuristic: true,
	}
	switch {
	case s1 > s2:
		p.Choice = 1
	case s2 > s1:
		p.Choice = 2
	}
	return p, nil
}

func (h *Heuristic) verdict(score, threshold float64, why string) Verdict {
	t := h.threshold(threshold)
	pass := score >= t
	cmp := "<"
	if pass {
		cmp = "≥"
	}
	return Verdict{
		Pass:      pass,
		Score:     score,
		Reasoning: fmt.Sprintf("heuristic (word overlap, not a model): %s; score %.2f %s %.2f", why, score, cmp, t),
		Judge:     HeuristicName,
		Heuristic: true,
	}
}

func saturate(shared, total int) float64 {
	if total == 0 {
		return 0
	}
	return min(1, float64(shared)/float64(min(total, RelevanceTerms)))
}

// lengthFactor penalises outputs whose length makes word overlap
// meaningless: empty, a few words (a keyword list games coverage), or far
// from the reference's length when there is one.
func lengthFactor(words, refWords int) (float64, string) {
	switch {
	case words == 0:
		return 0, "empty output"
	case words < 3:
		return 0.5, "output of under 3 words"
	case refWords > 0 && (words*5 < refWords || words > refWords*10+50):
		return 0.7, fmt.Sprintf("length %d words far from the reference's %d", words, refWords)
	case words > 3000:
		return 0.8, fmt.Sprintf("output of %d words", words)
	}
	return 1, ""
}

func wordCount(s string) int { return len(strings.Fields(s)) }

// split returns the words of want found in have, and those missing, sorted.
func split(want, have map[string]struct{}) (found, missing []string) {
	for w := range want {
		if _, ok := have[w]; ok {
			found = append(found, w)
		} else {
			missing = append(missing, w)
		}
	}
	sort.Strings(found)
	sort.Strings(missing)
	return found, missing
}

func limit(s []string, n int) []string {
	if len(s) > n {
		return append(s[:n:n], "…")
	}
	return s
}

// contentWords returns the stems of s's words that carry content: no
// stopwords, no one- or two-letter words unless they hold a digit.
func contentWords(s string) map[string]struct{} {
	words := strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
	set := make(map[string]struct{}, len(words))
	for _, w := range words {
		if _, stop := stopWords()[w]; stop {
			continue
		}
		if len(w) < 3 && !strings.ContainsFunc(w, unicode.IsDigit) {
			continue
		}
		set[stem(w)] = struct{}{}
	}
	return set
}

// stem strips common English inflections, enough for "refunds",
// "refunded" and "refunding" to meet "refund". It is not Porter's stemmer
// and need not be: both sides go through the same function.
func stem(w string) string {
	if strings.ContainsFunc(w, unicode.IsDigit) {
		return w
	}
	for _, r := range []struct {
		suffix, repl string
		minLen       int
	}{
		{"ies", "y", 5},
		{"ing", "", 6},
		{"ed", "", 5},
		{"es", "", 5},
		{"ly", "", 5},
		{"s", "", 4},
	} {
		if len(w) >= r.minLen && strings.HasSuffix(w, r.suffix) && !strings.HasSuffix(w, "ss") {
			w = strings.TrimSuffix(w, r.suffix) + r.repl
			break
		}
	}
	w = strings.TrimSuffix(w, "e")
	// British and American spellings meet: "summarise", "summarized".
	if strings.HasSuffix(w, "is") {
		w = strings.TrimSuffix(w, "s") + "z"
	}
	return w
}

func wordSet(words string) map[string]struct{} {
	set := make(map[string]struct{})
	for _, w := range strings.Fields(words) {
		set[w] = struct{}{}
	}
	return set
}

// stopWords and metaWords are built on first use, not at start-up.
var stopWords = sync.OnceValue(func() map[string]struct{} {
	return wordSet(`a about above after again against all also am an and any are aren't as at
be because been before being below between both but by can cannot could did do does doing don't down
during each few for from further had has have having he her here hers herself him himself his how i if
in into is isn't it its itself just let me more most my myself no nor not now of off on once only or
other our ours ourselves out over own same she should so some such than that the their theirs them
themselves then there these they this those through to too under until up very was we were what when
where which while who whom why will with would you your yours yourself yourselves may might must shall
get got one two per via yes`)
})

// metaWords are rubric vocabulary about answers rather than their content;
// they are stemmed like content words, so the map holds stems.
var metaWords = sync.OnceValue(func() map[string]struct{} {
	set := make(map[string]struct{})
	for w := range wordSet(`mention mentions mentioned include includes included answer answers response
responses output reply replies state states says explain explains correct correctly accurate accurately
complete completely clear clearly concise polite professional tone sentence sentences word words
helpful helpfully carry carries input task user assistant appropriate appropriately relevant should
must provide provides given good well`) {
		set[stem(w)] = struct{}{}
	}
	return set
})
