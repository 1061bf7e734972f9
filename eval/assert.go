package eval

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"text/template"
	"time"
	"unicode/utf8"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"gopkg.in/yaml.v3"
)

// Assertion types. Any of them may be negated with a "not-" prefix.
const (
	TypeEquals       = "equals"
	TypeContains     = "contains"
	TypeIContains    = "icontains"
	TypeContainsAny  = "contains-any"
	TypeIContainsAny = "icontains-any"
	TypeContainsAll  = "contains-all"
	TypeIContainsAll = "icontains-all"
	TypeRegex        = "regex"
	TypeStartsWith   = "starts-with"
	TypeIsJSON       = "is-json"
	TypeJSONSchema   = "json-schema"
	TypeLength       = "length"  // min/max characters
	TypeLatency      = "latency" // threshold: max milliseconds
	TypeCost         = "cost"    // threshold: max USD
	TypeJudge        = "judge"   // rubric graded by the judge
	TypeConsistent   = "consistent"
)

// argKind is what an assertion type takes besides type and weight.
type argKind int

const (
	argString argKind = iota
	argList
	argSchema
	argOptionalSchema
	argBounds
	argLimit
	argRubric
	argPair
)

var assertionTypes = map[string]argKind{
	TypeEquals: argString, TypeContains: argString, TypeIContains: argString,
	TypeStartsWith: argString, TypeRegex: argString,
	TypeContainsAny: argList, TypeIContainsAny: argList, TypeContainsAll: argList, TypeIContainsAll: argList,
	TypeIsJSON: argOptionalSchema, TypeJSONSchema: argSchema,
	TypeLength: argBounds, TypeLatency: argLimit, TypeCost: argLimit,
	TypeJudge: argRubric, TypeConsistent: argPair,
}

// typeAliases are promptfoo's names for the same checks.
var typeAliases = map[string]string{"llm-rubric": TypeJudge, "similar-to-primary": TypeConsistent}

// argKeys are the keys each kind accepts besides type and weight.
var argKeys = map[argKind][]string{
	argString: {"value"}, argList: {"value"}, argSchema: {"value"}, argOptionalSchema: {"value"},
	argBounds: {"min", "max"}, argLimit: {"threshold", "value"},
	argRubric: {"rubric", "value", "reference", "threshold"}, argPair: {"threshold"},
}

func typeNames() string {
	names := make([]string, 0, len(assertionTypes))
	for t := range assertionTypes {
		names = append(names, t)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// assertion builds one assertion, rendering its values with vars.
func (l *fileLoader) assertion(n node, vars map[string]any) *Assertion {
	kv := l.mapping(n, "assertion", assertKeys)
	if kv == nil {
		return nil
	}
	tn, ok := kv.get("type")
	if !ok {
		l.errorf(n.file, n.Line, "assertion has no type")
		return nil
	}
	a := &Assertion{File: n.file, Line: n.Line, Weight: 1}
	name := l.str(tn, "type")
	a.Type, a.Negate = strings.CutPrefix(name, "not-")
	if alias, ok := typeAliases[a.Type]; ok {
		a.Type = alias
	}
	kind, known := assertionTypes[a.Type]
	if !known {
		l.errorf(n.file, tn.Line, "unknown assertion type %q (want one of: %s, each optionally prefixed with not-)", name, typeNames())
		return nil
	}
	nerr := len(l.errs)
	kv.each(func(key string, v node) {
		switch {
		case key == "type":
		case key == "weight":
			if a.Weight = l.float(v, key); a.Weight < 0 {
				l.errorf(v.file, v.Line, "weight must be at least 0")
			}
		case !slices.Contains(argKeys[kind], key):
			l.errorf(v.file, v.Line, "%s assertions take no %q (they take: %s)", a.Type, key, strings.Join(argKeys[kind], ", "))
		}
	})
	if len(l.errs) > nerr {
		return nil
	}
	l.args(a, kind, kv, vars)
	if len(l.errs) > nerr {
		return nil
	}
	return a
}

func (l *fileLoader) args(a *Assertion, kind argKind, kv *fields, vars map[string]any) {
	value, hasValue := kv.get("value")
	switch kind {
	case argString:
		if !hasValue {
			l.errorf(a.File, a.Line, "%s assertion needs a value", a.Type)
			return
		}
		a.Value = l.renderValue(value, vars)
		if a.Type == TypeRegex {
			re, err := regexp.Compile(a.Value)
			if err != nil {
				l.errorf(value.file, value.Line, "bad regex %q: %v", a.Value, err)
				return
			}
			a.re = re
		}
	case argList:
		if !hasValue || value.Kind != yaml.SequenceNode || len(value.Content) == 0 {
			l.errorf(a.File, a.Line, "%s assertion needs a value that is a list of strings", a.Type)
			return
		}
		for _, c := range l.list(value, "value") {
			a.Values = append(a.Values, l.renderValue(c, vars))
		}
	case argSchema, argOptionalSchema:
		if !hasValue {
			if kind == argSchema {
				l.errorf(a.File, a.Line, "json-schema assertion needs a value: a schema, or the path of a schema file")
			}
			return
		}
		a.schema = l.schema(a, value)
	case argBounds:
		a.Min, a.Max = l.bound(kv, "min"), l.bound(kv, "max")
		switch {
		case a.Min == nil && a.Max == nil:
			l.errorf(a.File, a.Line, "length assertion needs min, max or both")
		case a.Min != nil && a.Max != nil && *a.Min > *a.Max:
			l.errorf(a.File, a.Line, "length assertion has min %d above max %d", *a.Min, *a.Max)
		}
	case argLimit:
		n, ok := kv.get("threshold")
		if !ok {
			n, ok = value, hasValue
		}
		if !ok {
			l.errorf(a.File, a.Line, "%s assertion needs a threshold (%s)", a.Type, map[string]string{TypeLatency: "milliseconds", TypeCost: "USD"}[a.Type])
			return
		}
		if a.Threshold = l.float(n, "threshold"); a.Threshold <= 0 {
			l.errorf(n.file, n.Line, "threshold must be above 0")
		}
	case argRubric:
		rn, ok := kv.get("rubric")
		if !ok {
			rn, ok = value, hasValue
		}
		if !ok {
			l.errorf(a.File, a.Line, "judge assertion needs a rubric")
			return
		}
		a.Rubric = l.renderValue(rn, vars)
		if ref, ok := kv.get("reference"); ok {
			a.Reference = l.renderValue(ref, vars)
		}
		l.threshold(a, kv)
	case argPair:
		l.threshold(a, kv)
	}
}

func (l *fileLoader) threshold(a *Assertion, kv *fields) {
	if n, ok := kv.get("threshold"); ok {
		a.Threshold = l.rate(n, "threshold")
	}
}

func (l *fileLoader) bound(kv *fields, key string) *int {
	n, ok := kv.get(key)
	if !ok {
		return nil
	}
	v := l.int(n, key)
	return &v
}

// renderValue renders a scalar assertion value as a template with the
// test's variables, so that a check can name the order id the test uses.
func (l *fileLoader) renderValue(n node, vars map[string]any) string {
	src := l.str(n, "value")
	if !strings.Contains(src, "{{") {
		return src
	}
	t, err := template.New("value").Option("missingkey=error").Parse(src)
	if err != nil {
		l.errorf(n.file, n.Line, "value: %v", err)
		return ""
	}
	out, err := render(t, vars)
	if err != nil {
		l.errorf(n.file, n.Line, "value: %v", err)
	}
	return out
}

// schema compiles an inline schema, or one read from a file relative to the
// prompt file.
func (l *fileLoader) schema(a *Assertion, n node) *jsonschema.Schema {
	var doc any
	loc := fmt.Sprintf("%s:%d", n.file, n.Line)
	switch n.Kind {
	case yaml.MappingNode:
		var v any
		if err := n.Decode(&v); err != nil {
			l.errorf(n.file, n.Line, "schema: %v", err)
			return nil
		}
		b, err := json.Marshal(v)
		if err != nil {
			l.errorf(n.file, n.Line, "schema: %v", err)
			return nil
		}
		a.schemaSource = string(b)
		doc, err = jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			l.errorf(n.file, n.Line, "schema: %v", err)
			return nil
		}
	case yaml.ScalarNode:
		path := filepath.Join(filepath.Dir(l.file), n.Value)
		if filepath.IsAbs(n.Value) || !inside(l.root, path) {
			l.errorf(n.file, n.Line, "schema file %q must be inside the suite directory %s", n.Value, l.root)
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			l.errorf(n.file, n.Line, "schema file %q: %v", n.Value, errCause(err))
			return nil
		}
		a.schemaSource = string(b)
		var perr error
		if doc, perr = jsonschema.UnmarshalJSON(bytes.NewReader(b)); perr != nil {
			l.errorf(n.file, n.Line, "schema file %q: %v", n.Value, perr)
			return nil
		}
		loc = path
	default:
		l.errorf(n.file, n.Line, "schema must be a mapping or the path of a schema file")
		return nil
	}
	c := jsonschema.NewCompiler()
	url := "file:///" + filepath.ToSlash(strings.TrimPrefix(loc, "/"))
	if err := c.AddResource(url, doc); err != nil {
		l.errorf(n.file, n.Line, "schema: %v", err)
		return nil
	}
	s, err := c.Compile(url)
	if err != nil {
		l.errorf(n.file, n.Line, "invalid schema: %v", err)
		return nil
	}
	return s
}

// errCause drops the wrapping of a *os.PathError or *regexp/syntax.Error
// that repeats what the message already says.
func errCause(err error) error {
	if u, ok := err.(interface{ Unwrap() error }); ok && u.Unwrap() != nil {
		return u.Unwrap()
	}
	return err
}

// AssertionResult is the outcome of one assertion on one output.
type AssertionResult struct {
	Type   string  `json:"type"`
	Pass   bool    `json:"pass"`
	Score  float64 `json:"score"`
	Reason string  `json:"reason"`

	// want is the expected text of a failed equals, for the report's diff.
	want string
}

// Output is what the deterministic assertions check.
type Output struct {
	Text    string
	Latency time.Duration
	// CostUSD is the call's cost; CostKnown is false when the model has no
	// price, and a cost assertion then fails saying so.
	CostUSD   float64
	CostKnown bool
}

// Check runs a deterministic assertion. Judge and consistent assertions
// need the judge and are checked by Run.
func (a *Assertion) Check(out Output) AssertionResult {
	ok, fact := a.holds(out)
	r := a.result(ok, boolScore(ok), fact)
	if a.Type == TypeEquals && !r.Pass && !a.Negate {
		r.want = a.Value
	}
	return r
}

// result applies negation: fact describes the output whichever way the
// check went, so that it explains a failure of either polarity.
func (a *Assertion) result(ok bool, score float64, fact string) AssertionResult {
	if a.Negate {
		ok, score = !ok, 1-score
	}
	r := AssertionResult{Type: a.Name(), Pass: ok, Score: score}
	if !ok || a.NeedsJudge() {
		r.Reason = fact
	}
	return r
}

func boolScore(ok bool) float64 {
	if ok {
		return 1
	}
	return 0
}

func (a *Assertion) holds(out Output) (bool, string) {
	text := out.Text
	switch a.Type {
	case TypeEquals:
		if strings.TrimSpace(text) == strings.TrimSpace(a.Value) {
			return true, fmt.Sprintf("output equals %q", a.Value)
		}
		return false, fmt.Sprintf("output does not equal %q", a.Value)
	case TypeContains, TypeIContains:
		if contains(text, a.Value, a.Type == TypeIContains) {
			return true, fmt.Sprintf("output contains %q", a.Value)
		}
		return false, fmt.Sprintf("output does not contain %q", a.Value)
	case TypeContainsAny, TypeIContainsAny:
		for _, v := range a.Values {
			if contains(text, v, a.Type == TypeIContainsAny) {
				return true, fmt.Sprintf("output contains %q", v)
			}
		}
		return false, fmt.Sprintf("output contains none of %s", quoteList(a.Values))
	case TypeContainsAll, TypeIContainsAll:
		var missing []string
		for _, v := range a.Values {
			if !contains(text, v, a.Type == TypeIContainsAll) {
				missing = append(missing, v)
			}
		}
		if len(missing) == 0 {
			return true, fmt.Sprintf("output contains all of %s", quoteList(a.Values))
		}
		return false, fmt.Sprintf("output is missing %s", quoteList(missing))
	case TypeRegex:
		if m := a.re.FindString(text); a.re.MatchString(text) {
			return true, fmt.Sprintf("output matches /%s/ at %q", a.Value, m)
		}
		return false, fmt.Sprintf("output does not match /%s/", a.Value)
	case TypeStartsWith:
		if strings.HasPrefix(strings.TrimSpace(text), a.Value) {
			return true, fmt.Sprintf("output starts with %q", a.Value)
		}
		return false, fmt.Sprintf("output does not start with %q", a.Value)
	case TypeIsJSON, TypeJSONSchema:
		return a.checkJSON(text)
	case TypeLength:
		return a.checkLength(text)
	case TypeLatency:
		ms := float64(out.Latency) / float64(time.Millisecond)
		if ms <= a.Threshold {
			return true, fmt.Sprintf("latency %.0f ms is within %.0f ms", ms, a.Threshold)
		}
		return false, fmt.Sprintf("latency %.0f ms is over %.0f ms", ms, a.Threshold)
	case TypeCost:
		if !out.CostKnown {
			return false, "cost unknown: no price for this model (add one under pricing in llmfall.yaml)"
		}
		if out.CostUSD <= a.Threshold {
			return true, fmt.Sprintf("cost $%.6f is within $%.6f", out.CostUSD, a.Threshold)
		}
		return false, fmt.Sprintf("cost $%.6f is over $%.6f", out.CostUSD, a.Threshold)
	}
	return false, fmt.Sprintf("%s needs the judge", a.Type)
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

func (a *Assertion) checkJSON(text string) (bool, string) {
	v, err := jsonschema.UnmarshalJSON(strings.NewReader(strings.TrimSpace(text)))
	if err != nil {
		return false, fmt.Sprintf("output is not JSON: %v", err)
	}
	if a.schema == nil {
		return true, "output is JSON"
	}
	if err := a.schema.Validate(v); err != nil {
		return false, "output does not match the schema: " + schemaError(err)
	}
	return true, "output matches the schema"
}

// schemaPrinter renders schema errors; it holds no mutable state.
var schemaPrinter = message.NewPrinter(language.English)

// schemaError flattens a validation error to its leaf causes on one line.
func schemaError(err error) string {
	ve, ok := err.(*jsonschema.ValidationError)
	if !ok {
		return err.Error()
	}
	var leaves []string
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 {
			loc := "/" + strings.Join(e.InstanceLocation, "/")
			leaves = append(leaves, fmt.Sprintf("at %s: %s", loc, e.ErrorKind.LocalizedString(schemaPrinter)))
			return
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(ve)
	return strings.Join(leaves, "; ")
}

func (a *Assertion) checkLength(text string) (bool, string) {
	n := utf8.RuneCountInString(strings.TrimSpace(text))
	if a.Min != nil && n < *a.Min {
		return false, fmt.Sprintf("output has %d characters, fewer than %d", n, *a.Min)
	}
	if a.Max != nil && n > *a.Max {
		return false, fmt.Sprintf("output has %d characters, more than %d", n, *a.Max)
	}
	return true, fmt.Sprintf("output has %d characters", n)
}
