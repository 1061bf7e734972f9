package jsonschema

import (
	"strings"
	"sync"
	"testing"
)

// TestMetaschemasCompiledOnFirstUse covers the llmfall patch (PATCH.md):
// nothing is compiled at start; the first compile, from several goroutines at
// once, compiles the metaschemas exactly once, and schemas of every draft are
// still checked against theirs.
func TestMetaschemasCompiledOnFirstUse(t *testing.T) {
	for _, d := range []*Draft{Draft4, Draft6, Draft7, Draft2019, Draft2020} {
		if d.sch != nil {
			t.Fatalf("%s: metaschema compiled before first use", d)
		}
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
	wg.Wait()
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
		for name, s := range d.allVocabs {
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
