package eval

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"text/template"
	"time"

	"github.com/llmfall/llmfall/provider"
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

// assertionType is one kind of check, everything about it in one place:
// the keys it takes, how it reads them and how it checks an output. Each
// lives in its own small file (assert_*.go); assertionTypes lists them.
type assertionType struct {
	// keys are the keys the type takes besides type and weight.
	keys []string
	// parse reads the type's keys into a, rendering values with vars, and
	// reports problems through l. nil when the type takes no arguments.
	parse func(l *fileLoader, a *Assertion, kv *fields, vars map[string]any)
	// check tells whether out holds, with a fact that describes the output
	// either way (so that it explains a failure of either polarity). nil
	// for the types the judge checks (Run asks the judge for them).
	check func(a *Assertion, out Output) (bool, string)
	// diff shows, when an un-negated check fails, Value against the
	// output in the report.
	diff bool
}

// assertionTypes are the assertion types by name: the one list to add a
// type to.
var assertionTypes = map[string]*assertionType{
	TypeEquals: &equalsType, TypeContains: &containsType, TypeIContains: &iContainsType,
	TypeContainsAny: &containsAnyType, TypeIContainsAny: &iContainsAnyType,
	TypeContainsAll: &containsAllType, TypeIContainsAll: &iContainsAllType,
	TypeRegex: &regexType, TypeStartsWith: &startsWithType,
	TypeIsJSON: &isJSONType, TypeJSONSchema: &jsonSchemaType,
	TypeLength: &lengthType, TypeLatency: &latencyType, TypeCost: &costType,
	TypeJudge: &judgeType, TypeConsistent: &consistentType,
	TypeToolCall: &toolCallType, TypeValidToolCall: &validToolCallType, TypeNoToolCall: &noToolCallType,
}

// typeAliases are promptfoo's names for the same checks.
var typeAliases = map[string]string{"llm-rubric": TypeJudge, "similar-to-primary": TypeConsistent}

func typeNames() string {
	names := make([]string, 0, len(assertionTypes))
	for t := range assertionTypes {
		names = append(names, t)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// assertKeys are the keys any assertion may have: type, weight, and every
// type's own.
var assertKeys = unionKeys()

func unionKeys() []string {
	keys := []string{"type", "weight"}
	for _, t := range assertionTypes {
		keys = append(keys, t.keys...)
	}
	slices.Sort(keys[2:])
	return slices.Compact(keys)
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
	typ, known := assertionTypes[a.Type]
	if !known {
		l.errorf(n.file, tn.Line, "unknown assertion type %q (want one of: %s, each optionally prefixed with not-)", name, typeNames())
		return nil
	}
	a.typ = typ
	nerr := len(l.errs)
	kv.each(func(key string, v node) {
		switch {
		case key == "type":
		case key == "weight":
			if a.Weight = l.float(v, key); a.Weight < 0 {
				l.errorf(v.file, v.Line, "weight must be at least 0")
			}
		case !slices.Contains(typ.keys, key):
			l.errorf(v.file, v.Line, "%s assertions take no %q (they take: %s)", a.Type, key, strings.Join(typ.keys, ", "))
		}
	})
	if len(l.errs) > nerr {
		return nil
	}
	if typ.parse != nil {
		typ.parse(l, a, kv, vars)
	}
	if len(l.errs) > nerr {
		return nil
	}
	return a
}

// value is the assertion's "value", rendered; a missing one is an error.
func (l *fileLoader) value(a *Assertion, kv *fields, vars map[string]any) (string, bool) {
	n, ok := kv.get("value")
	if !ok {
		l.errorf(a.File, a.Line, "%s assertion needs a value", a.Type)
		return "", false
	}
	return l.renderValue(n, vars), true
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
	out, err := render(t, vars, l.opts.MaxPromptBytes)
	if err != nil {
		l.fail(n.file, n.Line, fmt.Errorf("value: %w", err))
	}
	if strings.Contains(out, imageMark) {
		l.errorf(n.file, n.Line, "value uses an image var: images go in the prompt or a user message")
	}
	return out
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

	// Want is the expected text of a failed equals, for the report's diff;
	// not part of the document.
	Want string `json:"-"`
}

// Output is what the deterministic assertions check.
type Output struct {
	Text    string
	Latency time.Duration
	// CostUSD is the call's cost; CostKnown is false when the model has no
	// price, and a cost assertion then fails saying so.
	CostUSD   float64
	CostKnown bool
	// ToolCalls are the calls the model made, for the tool-call checks.
	ToolCalls []provider.ToolCall
}

// Check runs a deterministic assertion. Judge and consistent assertions
// need the judge and are checked by Run.
func (a *Assertion) Check(out Output) AssertionResult {
	if a.typ.check == nil {
		return a.result(false, 0, fmt.Sprintf("%s needs the judge", a.Type))
	}
	ok, fact := a.typ.check(a, out)
	r := a.result(ok, boolScore(ok), fact)
	if a.typ.diff && !r.Pass && !a.Negate {
		r.Want = a.Value
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
