package eval

import (
	"fmt"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// The text checks: the output compared with a value or a list of values.

var (
	equalsType = assertionType{keys: []string{"value"}, parse: parseValue, diff: true,
		check: func(a *Assertion, out Output) (bool, string) {
			if strings.TrimSpace(out.Text) == strings.TrimSpace(a.Value) {
				return true, fmt.Sprintf("output equals %q", a.Value)
			}
			return false, fmt.Sprintf("output does not equal %q", a.Value)
		}}
	containsType   = assertionType{keys: []string{"value"}, parse: parseValue, check: checkContains(false)}
	iContainsType  = assertionType{keys: []string{"value"}, parse: parseValue, check: checkContains(true)}
	startsWithType = assertionType{keys: []string{"value"}, parse: parseValue,
		check: func(a *Assertion, out Output) (bool, string) {
			if strings.HasPrefix(strings.TrimSpace(out.Text), a.Value) {
				return true, fmt.Sprintf("output starts with %q", a.Value)
			}
			return false, fmt.Sprintf("output does not start with %q", a.Value)
		}}
	regexType = assertionType{keys: []string{"value"}, parse: parseRegex,
		check: func(a *Assertion, out Output) (bool, string) {
			if m := a.re.FindString(out.Text); a.re.MatchString(out.Text) {
				return true, fmt.Sprintf("output matches /%s/ at %q", a.Value, m)
			}
			return false, fmt.Sprintf("output does not match /%s/", a.Value)
		}}
	containsAnyType  = assertionType{keys: []string{"value"}, parse: parseValues, check: checkContainsAny(false)}
	iContainsAnyType = assertionType{keys: []string{"value"}, parse: parseValues, check: checkContainsAny(true)}
	containsAllType  = assertionType{keys: []string{"value"}, parse: parseValues, check: checkContainsAll(false)}
	iContainsAllType = assertionType{keys: []string{"value"}, parse: parseValues, check: checkContainsAll(true)}
)

func parseValue(l *fileLoader, a *Assertion, kv *fields, vars map[string]any) {
	a.Value, _ = l.value(a, kv, vars)
}

func parseRegex(l *fileLoader, a *Assertion, kv *fields, vars map[string]any) {
	v, ok := l.value(a, kv, vars)
	if !ok {
		return
	}
	a.Value = v
	re, err := regexp.Compile(v)
	if err != nil {
		n, _ := kv.get("value")
		l.errorf(n.file, n.Line, "bad regex %q: %v", v, err)
		return
	}
	a.re = re
}

func parseValues(l *fileLoader, a *Assertion, kv *fields, vars map[string]any) {
	value, ok := kv.get("value")
	if !ok || value.Kind != yaml.SequenceNode || len(value.Content) == 0 {
		l.errorf(a.File, a.Line, "%s assertion needs a value that is a list of strings", a.Type)
		return
	}
	for _, c := range l.list(value, "value") {
		a.Values = append(a.Values, l.renderValue(c, vars))
	}
}

func checkContains(fold bool) func(*Assertion, Output) (bool, string) {
	return func(a *Assertion, out Output) (bool, string) {
		if contains(out.Text, a.Value, fold) {
			return true, fmt.Sprintf("output contains %q", a.Value)
		}
		return false, fmt.Sprintf("output does not contain %q", a.Value)
	}
}

func checkContainsAny(fold bool) func(*Assertion, Output) (bool, string) {
	return func(a *Assertion, out Output) (bool, string) {
		for _, v := range a.Values {
			if contains(out.Text, v, fold) {
				return true, fmt.Sprintf("output contains %q", v)
			}
		}
		return false, fmt.Sprintf("output contains none of %s", quoteList(a.Values))
	}
}

func checkContainsAll(fold bool) func(*Assertion, Output) (bool, string) {
	return func(a *Assertion, out Output) (bool, string) {
		var missing []string
		for _, v := range a.Values {
			if !contains(out.Text, v, fold) {
				missing = append(missing, v)
			}
		}
		if len(missing) == 0 {
			return true, fmt.Sprintf("output contains all of %s", quoteList(a.Values))
		}
		return false, fmt.Sprintf("output is missing %s", quoteList(missing))
	}
}

func contains(text, sub string, fold bool) bool {
	if fold {
		return strings.Contains(strings.ToLower(text), strings.ToLower(sub))
	}
	return strings.Contains(text, sub)
}

func quoteList(vs []string) string {
	q := make([]string, len(vs))
	for i, v := range vs {
		q[i] = fmt.Sprintf("%q", v)
	}
	return "[" + strings.Join(q, ", ") + "]"
}
