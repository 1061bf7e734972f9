package eval

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestLoadSuiteAcceptsTheEdges: the ends of every range are allowed (a rate
// of 0 or 1, a count of 0, a whole number written 2.0), .yml prompt files
// are found, and llmfall.yml is not one.
func TestLoadSuiteAcceptsTheEdges(t *testing.T) {
	s := loadDir(t, map[string]string{
		"p.yml": `category: fast
min_pass_rate: 0
params: {seed: 0, max_tokens: 1, temperature: 0}
prompt: hi
tests:
  - name: low
    threshold: 0
    min_pass_at_k: 0
    min_pass_all_k: 0
    assert: [{type: length, min: 0, max: 2.0}]
  - name: high
    threshold: 1
    min_pass_at_k: 1
    min_pass_all_k: 1
    assert: [{type: contains, value: hi}]
`,
		"llmfall.yml": "not: a prompt",
	})
	if len(s.Prompts) != 1 || s.Prompts[0].Name != "p" {
		t.Fatalf("prompts = %+v; want p.yml alone", s.Prompts)
	}
	p := s.Prompts[0]
	if *p.MinPassRate != 0 || *p.Params.Seed != 0 {
		t.Errorf("min_pass_rate %v, seed %v; want 0 and 0", *p.MinPassRate, *p.Params.Seed)
	}
	low, high := p.Tests[0], p.Tests[1]
	if *low.Threshold != 0 || *low.MinPassAtK != 0 || *low.MinPassAllK != 0 || *high.Threshold != 1 || *high.MinPassAtK != 1 || *high.MinPassAllK != 1 {
		t.Errorf("tests %+v, %+v; want the rates as written", low, high)
	}
	if a := low.Asserts[0]; *a.Min != 0 || *a.Max != 2 {
		t.Errorf("length bounds %d..%d; want 0..2", *a.Min, *a.Max)
	}
}

// TestLoadSuiteOfOneFile: a prompt file given by name is loaded with the
// case files beside it; the suite's root is its directory.
func TestLoadSuiteOfOneFile(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"prompts/p.yaml":  "category: fast\nprompt: \"Hi {{.name}}\"\ntests: [{file: c.jsonl}]\n",
		"prompts/c.jsonl": `{"vars": {"name": "Ann"}, "assert": [{"type": "contains", "value": "Ann"}]}` + "\n",
		"prompts/q.yaml":  "category: fast\nprompt: other\ntests: [{assert: [{type: is-json}]}]\n",
	})
	s, err := LoadSuite([]string{filepath.Join(dir, "prompts", "p.yaml")}, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Prompts) != 1 || len(s.Prompts[0].Tests) != 1 || s.Prompts[0].Tests[0].User != "Hi Ann" {
		t.Errorf("prompts = %+v; want p alone, with its case", s.Prompts)
	}
}

// TestLoadLimitsAreInclusive: a file of exactly MaxFileBytes, and a
// template rendering exactly MaxPromptBytes, are read whole; a byte more is
// refused.
func TestLoadLimitsAreInclusive(t *testing.T) {
	const prompt = "category: fast\nprompt: \"{{.text}}\"\ntests: [{file: c.jsonl}]\n"
	line := `{"vars": {"text": "0123456789"}, "assert": [{"type": "is-json"}]}` + "\n"
	load := func(cases string, opts LoadOptions) (*Suite, error) {
		dir := t.TempDir()
		writeFiles(t, dir, map[string]string{"p.yaml": prompt, "c.jsonl": cases})
		return LoadSuite([]string{dir}, opts)
	}
	t.Run("file", func(t *testing.T) {
		// No newline at the end: a last byte dropped breaks the last case.
		cases := strings.TrimSuffix(strings.Repeat(line, 3), "\n")
		s, err := load(cases, LoadOptions{MaxFileBytes: int64(len(cases))})
		if err != nil || len(s.Prompts[0].Tests) != 3 {
			t.Fatalf("a case file at the limit: %v; want its 3 cases", err)
		}
		if _, err := load(cases, LoadOptions{MaxFileBytes: int64(len(cases)) - 1}); !errors.Is(err, ErrTooLarge) {
			t.Errorf("a case file a byte over the limit: %v; want ErrTooLarge", err)
		}
	})
	t.Run("rendered prompt", func(t *testing.T) {
		s, err := load(line, LoadOptions{MaxPromptBytes: 10})
		if err != nil || s.Prompts[0].Tests[0].User != "0123456789" {
			t.Fatalf("a prompt rendering at the limit: %v; want it whole", err)
		}
		if _, err := load(line, LoadOptions{MaxPromptBytes: 9}); !errors.Is(err, ErrTooLarge) {
			t.Errorf("a prompt rendering a byte over the limit: %v; want ErrTooLarge", err)
		}
	})
}

// TestCSVCaseColumns: __description is a note, not a variable; an empty
// __name keeps the row's own name, an empty __expected adds no assertion.
func TestCSVCaseColumns(t *testing.T) {
	s := loadDir(t, map[string]string{
		"p.yaml": "category: fast\nprompt: \"{{.q}}\"\ntests: [{file: c.csv}]\n",
		"c.csv":  "q,__description,__name,__expected,__expected2\nhi,greets,greeting,hi,icontains: h\nbye,,,bye,\n",
	})
	var got []string
	for _, tc := range s.Prompts[0].Tests {
		v := tc.Name + ":"
		for _, a := range tc.Asserts {
			v += " " + a.Name() + "=" + a.Value
		}
		if strings.Contains(string(tc.Vars), "__description") {
			v += " (description as a var)"
		}
		got = append(got, v)
	}
	want := []string{"greeting: equals=hi icontains=h", "c.csv:3: equals=bye"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("tests (-want +got):\n%s", diff)
	}
}
