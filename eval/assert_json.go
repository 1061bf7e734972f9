package eval

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"gopkg.in/yaml.v3"
)

// is-json checks that the output parses, and against a schema when given
// one; json-schema requires the schema.

var (
	isJSONType     = assertionType{keys: []string{"value"}, parse: parseSchema(false), check: checkJSON}
	jsonSchemaType = assertionType{keys: []string{"value"}, parse: parseSchema(true), check: checkJSON}
)

func parseSchema(required bool) func(*fileLoader, *Assertion, *fields, map[string]any) {
	return func(l *fileLoader, a *Assertion, kv *fields, _ map[string]any) {
		value, ok := kv.get("value")
		if !ok {
			if required {
				l.errorf(a.File, a.Line, "json-schema assertion needs a value: a schema, or the path of a schema file")
			}
			return
		}
		a.schema = l.schema(a, value)
	}
}

// schema compiles an inline schema, or one read from a file relative to the
// prompt file. Every document it reads, $refs included, is kept in
// a.schemaSource, so that the case's fingerprint changes when one does.
func (l *fileLoader) schema(a *Assertion, n node) *jsonschema.Schema {
	var doc any
	// An inline schema is compiled as if it were the prompt file, so that
	// its relative $refs resolve beside it, inside the suite.
	url := l.root.schemaURL(l.name)
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
		name, err := l.root.resolve(l.name, n.Value)
		if err != nil {
			l.fail(n.file, n.Line, fmt.Errorf("schema file %w", err))
			return nil
		}
		b, err := l.root.readFile(name)
		if err != nil {
			l.fail(n.file, n.Line, fmt.Errorf("schema file %q: %w", n.Value, err))
			return nil
		}
		a.schemaSource = string(b)
		var perr error
		if doc, perr = jsonschema.UnmarshalJSON(bytes.NewReader(b)); perr != nil {
			l.errorf(n.file, n.Line, "schema file %q: %v", n.Value, perr)
			return nil
		}
		url = l.root.schemaURL(name)
	default:
		l.errorf(n.file, n.Line, "schema must be a mapping or the path of a schema file")
		return nil
	}
	c := jsonschema.NewCompiler()
	c.UseLoader(schemaLoader{s: l.root, read: func(ref string, data []byte) {
		a.schemaSource += "\n$ref " + ref + "\n" + string(data)
	}})
	if err := c.AddResource(url, doc); err != nil {
		l.errorf(n.file, n.Line, "schema: %v", err)
		return nil
	}
	s, err := c.Compile(url)
	if err != nil {
		l.fail(n.file, n.Line, fmt.Errorf("invalid schema: %w", err))
		return nil
	}
	return s
}

func checkJSON(a *Assertion, out Output) (bool, string) {
	v, err := jsonschema.UnmarshalJSON(strings.NewReader(strings.TrimSpace(out.Text)))
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

// schemaPrinter renders schema errors; it holds no mutable state, and is
// made on first use rather than at start-up.
var schemaPrinter = sync.OnceValue(func() *message.Printer { return message.NewPrinter(language.English) })

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
			leaves = append(leaves, fmt.Sprintf("at %s: %s", loc, e.ErrorKind.LocalizedString(schemaPrinter())))
			return
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(ve)
	return strings.Join(leaves, "; ")
}
