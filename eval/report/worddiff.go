package report

import (
	"strings"
	"unicode"
)

// Segment is a run of words of a word diff: Op is 0 for words both texts
// share, '+' for words only the new text has, '-' for words only the old
// one has.
type Segment struct {
	Op   byte
	Text string
}

// maxDiffCells bounds the LCS table (words of old × words of new, after
// the common prefix and suffix are set aside): past it the middle is shown
// as replaced whole, so that two long outputs cannot take gigabytes.
const maxDiffCells = 4 << 20

// WordDiff is the word diff that turns old into new: the longest common
// subsequence of their words. Words compare without the whitespace after
// them (a line break where the other has a space is not a difference) but
// keep it in the segments, so that the shared and '+' segments put
// together give back new, and the shared and '-' ones old up to spacing.
// Adjacent segments of one kind are merged.
func WordDiff(old, new string) []Segment {
	a, b := words(old), words(new)
	ka, kb := wordKeys(a), wordKeys(b)
	pre := 0
	for pre < len(a) && pre < len(b) && ka[pre] == kb[pre] {
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && ka[len(a)-1-suf] == kb[len(b)-1-suf] {
		suf++
	}
	var d diffBuilder
	for _, w := range b[:pre] {
		d.add(0, w)
	}
	ea, eb := len(a)-suf, len(b)-suf
	if (ea-pre)*(eb-pre) > maxDiffCells {
		for _, w := range a[pre:ea] {
			d.add('-', w)
		}
		for _, w := range b[pre:eb] {
			d.add('+', w)
		}
	} else {
		lcs(&d, a[pre:ea], b[pre:eb], ka[pre:ea], kb[pre:eb])
	}
	for _, w := range b[eb:] {
		d.add(0, w)
	}
	return d.segs
}

// lcs adds the diff of a and b (compared by their keys ka, kb) by the
// classic dynamic programme over suffixes: n[i][j] is the length of the
// LCS of a[i:] and b[j:].
func lcs(d *diffBuilder, a, b, ka, kb []string) {
	w := len(b) + 1
	n := make([]int32, (len(a)+1)*w)
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if ka[i] == kb[j] {
				n[i*w+j] = n[(i+1)*w+j+1] + 1
			} else {
				n[i*w+j] = max(n[(i+1)*w+j], n[i*w+j+1])
			}
		}
	}
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case ka[i] == kb[j]:
			d.add(0, b[j])
			i, j = i+1, j+1
		case n[(i+1)*w+j] >= n[i*w+j+1]:
			d.add('-', a[i])
			i++
		default:
			d.add('+', b[j])
			j++
		}
	}
	for ; i < len(a); i++ {
		d.add('-', a[i])
	}
	for ; j < len(b); j++ {
		d.add('+', b[j])
	}
}

type diffBuilder struct{ segs []Segment }

func (d *diffBuilder) add(op byte, w string) {
	if k := len(d.segs); k > 0 && d.segs[k-1].Op == op {
		d.segs[k-1].Text += w
		return
	}
	d.segs = append(d.segs, Segment{Op: op, Text: w})
}

// words splits s into words, each with the whitespace after it, and the
// whitespace before the first word as a word of its own.
func words(s string) []string {
	var out []string
	start := 0
	inSpace := true
	for i, r := range s {
		space := unicode.IsSpace(r)
		if !space && inSpace && i > start {
			out = append(out, s[start:i])
			start = i
		}
		inSpace = space
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}

// wordKeys are the words without their whitespace.
func wordKeys(ws []string) []string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = strings.TrimRightFunc(w, unicode.IsSpace)
	}
	return out
}
