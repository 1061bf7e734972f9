package jsonschema

import (
	"fmt"
	"strings"
	"sync"
	"testing"
)

// compiledAtStart are the drafts whose metaschema was compiled once the
// package was initialised. This init runs after draft.go's (files' inits run
// in file name order), where upstream compiled them.
var compiledAtStart []string

func init() {
	for _, d := range []*Draft{Draft4, Draft6, Draft7, Draft2019, Draft2020} {
		if d.sch != nil {
			compiledAtStart = append(compiledAtStart, d.String())
		}
	}
}

// TestMetaschemasCompiledOnFirstUse covers the llmfall patch (PATCH.md):
// nothing is compiled at start; the first compile, from several goroutines at
// once, compiles the metaschemas exactly once, and schemas of every draft are
// still checked against theirs.
func TestMetaschemasCompiledOnFirstUse(t *testing.T) {
	if len(compiledAtStart) > 0 {
		t.Fatalf("metaschemas compiled at start: %v", compiledAtStart)
	}
	drafts := []string{
		"http://json-schema.org/draft-04/schema#",
		"http://json-schema.org/draft-06/schema#",
		"http://json-schema.org/draft-07/schema#",
		"https://json-schema.org/draft/2019-09/schema",
		"https://json-schema.org/draft/2020-12/schema",
	}
	var wg sync.WaitGroup
	errs := make([]error, 2*len(drafts))
	for i, draft := range drafts {
		wg.Add(2)
		go func(i int, draft string) {
			defer wg.Done()
			errs[2*i] = compile(draft, `{"type": "object", "required": ["a"]}`)
		}(i, draft)
		go func(i int, draft string) {
			defer wg.Done()
			errs[2*i+1] = compile(draft, `{"type": 1}`)
		}(i, draft)
	}
	// A custom metaschema's $vocabulary is checked against allVocabs' names
	// (getVocabs) while the first compile may still be filling the drafts.
	var customErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		customErr = compileWithMeta()
	}()
	wg.Wait()
	if customErr != nil {
		t.Errorf("schema with a custom metaschema: %v", customErr)
	}
	for i, draft := range drafts {
		if errs[2*i] != nil {
			t.Errorf("%s: valid schema: %v", draft, errs[2*i])
		}
		if err := errs[2*i+1]; err == nil || !strings.Contains(err.Error(), "jsonschema validation failed") {
			t.Errorf("%s: invalid schema: got %v, want a metaschema validation error", draft, err)
		}
	}
	for _, d := range []*Draft{Draft4, Draft6, Draft7, Draft2019, Draft2020} {
		if d.sch == nil {
			t.Errorf("%s: metaschema not compiled after use", d)
		}
		for name := range d.allVocabs {
			s := d.vocabSchemas[name]
			if s == nil {
				t.Errorf("%s: vocabulary %s not compiled after use", d, name)
			}
		}
	}
}

func compile(draft, schema string) error {
	doc, err := UnmarshalJSON(strings.NewReader(strings.Replace(schema, "{", `{"$schema": "`+draft+`", `, 1)))
	if err != nil {
		return err
	}
	c := NewCompiler()
	if err := c.AddResource("schema.json", doc); err != nil {
		return err
	}
	_, err = c.Compile("schema.json")
	return err
}

func compileWithMeta() error {
	meta, err := UnmarshalJSON(strings.NewReader(`{
		"$schema": "https://json-schema.org/draft/2020-12/schema",
		"$id": "https://example.com/meta",
		"$vocabulary": {
			"https://json-schema.org/draft/2020-12/vocab/core": true,
			"https://json-schema.org/draft/2020-12/vocab/applicator": true,
			"https://json-schema.org/draft/2020-12/vocab/validation": true
		},
		"$dynamicAnchor": "meta",
		"allOf": [
			{"$ref": "https://json-schema.org/draft/2020-12/meta/core"},
			{"$ref": "https://json-schema.org/draft/2020-12/meta/applicator"},
			{"$ref": "https://json-schema.org/draft/2020-12/meta/validation"}
		]
	}`))
	if err != nil {
		return err
	}
	doc, err := UnmarshalJSON(strings.NewReader(`{"$schema": "https://example.com/meta", "type": "object"}`))
	if err != nil {
		return err
	}
	c := NewCompiler()
	if err := c.AddResource("https://example.com/meta", meta); err != nil {
		return err
	}
	if err := c.AddResource("custom.json", doc); err != nil {
		return err
	}
	sch, err := c.Compile("custom.json")
	if err != nil {
		return err
	}
	if sch.Validate(1) == nil {
		return fmt.Errorf("1 passes a schema of type object")
	}
	return nil
}
