package eval

// The judged types: a rubric graded by the judge, and a fallback's answer
// compared with the primary's. They have no check of their own: Run asks
// the judge.

var (
	judgeType      = assertionType{keys: []string{"rubric", "value", "reference", "threshold"}, parse: parseRubric}
	consistentType = assertionType{keys: []string{"threshold"}, parse: parseThreshold}
)

func parseRubric(l *fileLoader, a *Assertion, kv *fields, vars map[string]any) {
	rn, ok := kv.get("rubric")
	if !ok {
		rn, ok = kv.get("value")
	}
	if !ok {
		l.errorf(a.File, a.Line, "judge assertion needs a rubric")
		return
	}
	a.Rubric = l.renderValue(rn, vars)
	if ref, ok := kv.get("reference"); ok {
		a.Reference = l.renderValue(ref, vars)
	}
	parseThreshold(l, a, kv, vars)
}

// parseThreshold reads the score a judge verdict needs, when given.
func parseThreshold(l *fileLoader, a *Assertion, kv *fields, _ map[string]any) {
	if n, ok := kv.get("threshold"); ok {
		a.Threshold = l.rate(n, "threshold")
	}
}
