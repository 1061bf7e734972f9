package eval

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"text/template"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"

	"github.com/llmfall/llmfall/internal/yamlerr"
	"github.com/llmfall/llmfall/provider"
)

// LoadError is a problem with a prompt or case file, located at file:line
// (Line is 0 when the problem is the whole file).
type LoadError struct {
	File string
	Line int
	Msg  string
	// Err is the cause when there is one (a path that does not exist).
	Err error
}

func (e *LoadError) Unwrap() error { return e.Err }

func (e *LoadError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// LoadOptions set what LoadSuite accepts. The zero value checks no
// categories and applies the default bounds.
type LoadOptions struct {
	// Categories are the categories the configuration defines; a prompt
	// naming another is an error. Nil skips that check.
	Categories []string
	// MaxFileBytes caps every file the suite reads; 0 means
	// DefaultMaxFileBytes.
	MaxFileBytes int64
	// MaxPromptBytes caps every rendered template (system, prompt and
	// assertion values); 0 means DefaultMaxPromptBytes.
	MaxPromptBytes int64
}

// LoadSuite reads every prompt file (*.yaml, *.yml) under paths, which may
// be directories or files. Directories are walked recursively, skipping
// hidden directories, llmfall.yaml and YAML files that are lists (case
// files; one YAML cannot read is reported once, as the case file a prompt
// file names, when one does). Every file is read through the suite's root:
// the directory given, or a prompt file's own directory when a file is
// given; a reference or a link that leaves it is an error
// (ErrOutsideSuite). Every problem found is reported, each a *LoadError,
// joined.
func LoadSuite(paths []string, opts LoadOptions) (*Suite, error) {
	if opts.MaxFileBytes <= 0 {
		opts.MaxFileBytes = DefaultMaxFileBytes
	}
	if opts.MaxPromptBytes <= 0 {
		opts.MaxPromptBytes = DefaultMaxPromptBytes
	}
	var errs []error
	s := &Suite{}
	names := map[string]string{}
	for _, given := range paths {
		root, files, err := promptFiles(given, opts.MaxFileBytes)
		if err != nil {
			errs = append(errs, &LoadError{File: given, Msg: err.Error(), Err: err})
			continue
		}
		for _, lf := range loadFiles(root, files, opts) {
			errs = append(errs, lf.errs...)
			p := lf.prompt
			if p == nil {
				continue
			}
			if other, dup := names[p.Name]; dup {
				errs = append(errs, &LoadError{File: lf.file, Line: p.Line, Msg: fmt.Sprintf("prompt name %q is already used by %s", p.Name, other)})
				continue
			}
			names[p.Name] = lf.file
			s.Prompts = append(s.Prompts, p)
		}
		root.Close()
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if len(s.Prompts) == 0 {
		return nil, &LoadError{File: strings.Join(paths, ", "), Msg: "no prompt files found"}
	}
	return s, nil
}

// suiteFile is a prompt file: its name inside the root, and its path as
// the user wrote it.
type suiteFile struct{ name, display string }

// loadedFile is a prompt file loaded: its prompt, nil when errs holds its
// problems.
type loadedFile struct {
	*fileLoader
	prompt *Prompt
}

// loadFiles loads the prompt files of root, in order. A file YAML cannot
// read was walked as a prompt file, since yamlIsList cannot tell it is a
// case file; when a prompt file reads it as a case file, it is no prompt
// file and its problem is reported once, there.
func loadFiles(root *suiteRoot, files []suiteFile, opts LoadOptions) []loadedFile {
	out := make([]loadedFile, 0, len(files))
	cases := map[string]bool{}
	for _, f := range files {
		l := &fileLoader{file: f.display, name: f.name, root: root, opts: opts}
		out = append(out, loadedFile{l, l.load()})
		for _, c := range l.caseFiles {
			cases[c] = true
		}
	}
	return slices.DeleteFunc(out, func(lf loadedFile) bool { return lf.unreadable && cases[lf.name] })
}

// promptFiles opens the root of the path given and lists its prompt files.
func promptFiles(given string, maxBytes int64) (*suiteRoot, []suiteFile, error) {
	info, err := os.Stat(given)
	if err != nil {
		return nil, nil, errors.Unwrap(err)
	}
	if !info.IsDir() {
		root, err := openSuiteRoot(filepath.Dir(given), maxBytes)
		if err != nil {
			return nil, nil, errCause(err)
		}
		return root, []suiteFile{{name: filepath.Base(given), display: given}}, nil
	}
	root, err := openSuiteRoot(given, maxBytes)
	if err != nil {
		return nil, nil, errCause(err)
	}
	names, err := root.walk()
	if err != nil {
		root.Close()
		return nil, nil, err
	}
	var files []suiteFile
	for _, name := range names {
		if isList, err := yamlIsList(root, name); err == nil && isList {
			continue
		}
		files = append(files, suiteFile{name: name, display: root.display(name)})
	}
	sort.Slice(files, func(i, j int) bool { return files[i].display < files[j].display })
	return root, files, nil
}

// yamlIsList reports whether a YAML file's document is a sequence, which
// marks a case file rather than a prompt file.
func yamlIsList(root *suiteRoot, name string) (bool, error) {
	data, err := root.readFile(name)
	if err != nil {
		return false, err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return false, nil // reported when loaded (see loadFiles)
	}
	return len(doc.Content) == 1 && doc.Content[0].Kind == yaml.SequenceNode, nil
}

var (
	promptKeys   = []string{"name", "description", "category", "system", "prompt", "params", "defaults", "tests", "min_pass_rate", "tools", "tool_choice", "response_format", "messages"}
	paramKeys    = []string{"temperature", "max_tokens", "top_p", "stop", "json", "seed"}
	defaultsKeys = []string{"vars", "assert"}
	testKeys     = []string{"name", "description", "vars", "assert", "threshold", "file", "min_pass_at_k", "min_pass_all_k"}
)

// fileLoader loads one prompt file and collects every problem in it.
type fileLoader struct {
	// file is the prompt file's path as the user wrote it, name its path
	// inside root.
	file string
	name string
	root *suiteRoot
	opts LoadOptions
	errs []error

	// toolsKey says the prompt file has tools; toolSchemas are their
	// parameter schemas by name (nil for a tool without parameters).
	toolsKey    bool
	toolSchemas map[string]*jsonschema.Schema
	// unreadable says YAML cannot read the prompt file; caseFiles are the
	// case files it reads (root-relative names), so that one of them is
	// not reported again as a prompt file (see loadFiles).
	unreadable bool
	caseFiles  []string
	// history is the prompt file's messages, before rendering.
	history []rawMessage
	// images are the images of image vars, by the index their marks carry.
	images []*provider.Image
}

func (l *fileLoader) errorf(file string, line int, format string, args ...any) {
	l.errs = append(l.errs, &LoadError{File: file, Line: line, Msg: fmt.Sprintf(format, args...)})
}

// yamlError records a YAML parse error of file at the line yamlerr
// places it.
func (l *fileLoader) yamlError(file string, data []byte, err error) {
	line, msg := yamlerr.Locate(data, err)
	l.errorf(file, line, "%s", msg)
}

// fail records err at file:line, keeping it for errors.Is (ErrOutsideSuite,
// ErrTooLarge).
func (l *fileLoader) fail(file string, line int, err error) {
	l.errs = append(l.errs, &LoadError{File: file, Line: line, Msg: err.Error(), Err: err})
}

// node is a YAML node with the file it came from, so that tests read from
// case files report their own locations.
type node struct {
	*yaml.Node
	file string
}

func (l *fileLoader) load() *Prompt {
	data, err := l.root.readFile(l.name)
	if err != nil {
		l.fail(l.file, 0, err)
		return nil
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		l.unreadable = true
		l.yamlError(l.file, data, err)
		return nil
	}
	if len(doc.Content) == 0 {
		l.errorf(l.file, 0, "empty prompt file")
		return nil
	}
	top := node{doc.Content[0], l.file}
	kv := l.mapping(top, "prompt file", promptKeys)
	if kv == nil {
		return nil
	}
	p := &Prompt{File: l.file, Line: top.Line}
	base := filepath.Base(l.file)
	p.Name = strings.TrimSuffix(base, filepath.Ext(base))
	if n, ok := kv.get("name"); ok {
		p.Name = l.str(n, "name")
	}
	if n, ok := kv.get("description"); ok {
		p.Description = l.str(n, "description")
	}
	if n, ok := kv.get("category"); ok {
		p.Category = l.str(n, "category")
		if cats := l.opts.Categories; cats != nil && !slices.Contains(cats, p.Category) {
			l.errorf(l.file, n.Line, "category %q is not in the configuration (have: %s)", p.Category, strings.Join(cats, ", "))
		}
	} else {
		l.errorf(l.file, top.Line, "missing key \"category\"")
	}
	if n, ok := kv.get("min_pass_rate"); ok {
		v := l.rate(n, "min_pass_rate")
		p.MinPassRate = &v
	}
	if n, ok := kv.get("params"); ok {
		p.Params = l.params(n)
	}
	if n, ok := kv.get("tools"); ok {
		l.tools(n, p)
	}
	if n, ok := kv.get("tool_choice"); ok {
		l.toolChoice(n, p)
	}
	if n, ok := kv.get("response_format"); ok {
		l.responseFormat(n, p)
		if f := p.Params.ResponseFormat; p.Params.JSON && f != nil && f.Type != provider.FormatText {
			l.errorf(n.file, n.Line, "response_format and params.json both ask for JSON: keep response_format")
		}
	}
	var system, user *template.Template
	if n, ok := kv.get("system"); ok {
		system = l.template(n, "system")
	}
	n, hasPrompt := kv.get("prompt")
	hn, hasHistory := kv.get("messages")
	switch {
	case hasPrompt:
		p.Line = n.Line
		user = l.template(n, "prompt")
	case hasHistory:
		p.Line = hn.Line
	default:
		l.errorf(l.file, top.Line, "missing key \"prompt\" (or \"messages\")")
		return nil
	}
	if hasHistory {
		l.history = l.messages(hn, p, hasPrompt)
	}
	var defaults rawTest
	if n, ok := kv.get("defaults"); ok {
		defaults = l.defaults(n)
	}
	tn, ok := kv.get("tests")
	if !ok {
		l.errorf(l.file, top.Line, "missing key \"tests\"")
		return nil
	}
	raws := l.tests(tn, p)
	if len(raws) == 0 && len(l.errs) == 0 {
		l.errorf(l.file, tn.Line, "no tests")
	}
	if hasPrompt && user == nil {
		return nil
	}
	seen := map[string]int{}
	for _, rt := range raws {
		t := l.build(p, rt, defaults, system, user)
		if t == nil {
			continue
		}
		if line, dup := seen[t.Name]; dup {
			l.errorf(t.File, t.Line, "test name %q is already used at line %d", t.Name, line)
			continue
		}
		seen[t.Name] = t.Line
		p.Tests = append(p.Tests, t)
	}
	if len(l.errs) > 0 {
		return nil
	}
	return p
}

// mapping checks that n is a mapping with only allowed keys and returns its
// fields by key.
func (l *fileLoader) mapping(n node, what string, allowed []string) *fields {
	if n.Kind != yaml.MappingNode {
		l.errorf(n.file, n.Line, "%s must be a mapping", what)
		return nil
	}
	f := &fields{m: make(map[string]node, len(n.Content)/2)}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if !slices.Contains(allowed, k.Value) {
			l.errorf(n.file, k.Line, "unknown key %q in %s (want one of: %s)", k.Value, what, strings.Join(allowed, ", "))
			continue
		}
		f.keys = append(f.keys, k.Value)
		f.m[k.Value] = node{v, n.file}
	}
	return f
}

// fields are a mapping's values by key, with the keys in file order so that
// problems are reported in a stable order.
type fields struct {
	keys []string
	m    map[string]node
}

func (f *fields) get(key string) (node, bool) {
	n, ok := f.m[key]
	return n, ok
}

// each calls fn for every field in file order; a nil f has none.
func (f *fields) each(fn func(key string, n node)) {
	if f == nil {
		return
	}
	for _, k := range f.keys {
		fn(k, f.m[k])
	}
}

func (l *fileLoader) str(n node, key string) string {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		l.errorf(n.file, n.Line, "%s must be a string", key)
		return ""
	}
	return n.Value
}

// boolean reads a value that must be true or false, by the rule config
// applies too (yamlerr.Bool): a quoted one is refused with its fix.
func (l *fileLoader) boolean(n node, key string) bool {
	v, ok := yamlerr.Bool(n.Node)
	if !ok {
		l.errorf(n.file, n.Line, "%s must be true or false%s", key, yamlerr.Unquote(n.Node))
	}
	return v
}

func (l *fileLoader) float(n node, key string) float64 {
	var v float64
	if n.Kind != yaml.ScalarNode || n.Decode(&v) != nil {
		l.errorf(n.file, n.Line, "%s must be a number", key)
	}
	return v
}

func (l *fileLoader) rate(n node, key string) float64 {
	v := l.float(n, key)
	if v < 0 || v > 1 {
		l.errorf(n.file, n.Line, "%s must be between 0 and 1", key)
	}
	return v
}

func (l *fileLoader) int(n node, key string) int {
	// yaml.v3 decodes 2.5 into an int as 2: the float says whether the
	// number written was whole.
	var v int
	var f float64
	if n.Kind != yaml.ScalarNode || n.Decode(&v) != nil || n.Decode(&f) != nil || f != float64(v) || v < 0 {
		l.errorf(n.file, n.Line, "%s must be a whole number of at least 0", key)
	}
	return v
}

// param reads a request parameter and checks its range as every other
// place that sets one does (provider.CheckParam).
func (l *fileLoader) param(n node, key string) float64 {
	nerr := len(l.errs)
	v := l.float(n, key)
	if len(l.errs) > nerr {
		return v
	}
	if err := provider.CheckParam(key, v); err != nil {
		l.errorf(n.file, n.Line, "%v", err)
	}
	return v
}

func (l *fileLoader) params(n node) Params {
	var p Params
	l.mapping(n, "params", paramKeys).each(func(key string, v node) {
		switch key {
		case "temperature":
			f := l.param(v, key)
			p.Temperature = &f
		case "top_p":
			f := l.param(v, key)
			p.TopP = &f
		case "max_tokens":
			p.MaxTokens = int(l.param(v, key))
		case "seed":
			s := int64(l.int(v, key))
			p.Seed = &s
		case "json":
			p.JSON = l.boolean(v, key)
		case "stop":
			if v.Kind != yaml.SequenceNode || v.Decode(&p.Stop) != nil {
				l.errorf(v.file, v.Line, "stop must be a list of strings")
			}
		}
	})
	return p
}

func (l *fileLoader) template(n node, key string) *template.Template {
	src := l.str(n, key)
	t, err := template.New(key).Option("missingkey=error").Parse(src)
	if err != nil {
		l.errorf(n.file, n.Line, "%s: %v", key, err)
		return nil
	}
	return t
}

// rawTest is a test as written, before defaults and rendering.
type rawTest struct {
	name      string
	vars      map[string]any
	threshold *float64
	// minAtK and minAllK are the test's pass@k and pass^k minimums.
	minAtK, minAllK *float64
	asserts         []node
	file            string
	line            int
}

func (l *fileLoader) defaults(n node) rawTest {
	var d rawTest
	l.mapping(n, "defaults", defaultsKeys).each(func(key string, v node) {
		switch key {
		case "vars":
			d.vars = l.vars(v)
		case "assert":
			d.asserts = l.list(v, "assert")
		}
	})
	return d
}

func (l *fileLoader) vars(n node) map[string]any {
	var vars map[string]any
	if n.Kind != yaml.MappingNode || n.Decode(&vars) != nil {
		l.errorf(n.file, n.Line, "vars must be a mapping of names to values")
		return nil
	}
	l.imageVars(n, vars)
	return vars
}

func (l *fileLoader) list(n node, key string) []node {
	if n.Kind != yaml.SequenceNode {
		l.errorf(n.file, n.Line, "%s must be a list", key)
		return nil
	}
	out := make([]node, len(n.Content))
	for i, c := range n.Content {
		out[i] = node{c, n.file}
	}
	return out
}

// tests reads the tests list, expanding file entries.
func (l *fileLoader) tests(n node, p *Prompt) []rawTest {
	var out []rawTest
	for i, item := range l.list(n, "tests") {
		kv := l.mapping(item, "test", testKeys)
		if kv == nil {
			continue
		}
		if f, ok := kv.get("file"); ok {
			if len(kv.keys) > 1 {
				l.errorf(item.file, item.Line, "a test with \"file\" takes no other keys")
				continue
			}
			out = append(out, l.caseFile(f, p)...)
			continue
		}
		out = append(out, l.test(item, kv, fmt.Sprintf("test-%d", i+1)))
	}
	return out
}

func (l *fileLoader) test(item node, f *fields, defaultName string) rawTest {
	rt := rawTest{name: defaultName, file: item.file, line: item.Line}
	f.each(func(key string, v node) {
		switch key {
		case "name":
			rt.name = l.str(v, key)
		case "description":
			l.str(v, key)
		case "vars":
			rt.vars = l.vars(v)
		case "threshold":
			f := l.rate(v, key)
			rt.threshold = &f
		case "min_pass_at_k":
			f := l.rate(v, key)
			rt.minAtK = &f
		case "min_pass_all_k":
			f := l.rate(v, key)
			rt.minAllK = &f
		case "assert":
			rt.asserts = l.list(v, key)
		}
	})
	return rt
}

// build merges defaults into a raw test, renders its templates and builds
// its assertions.
func (l *fileLoader) build(p *Prompt, rt rawTest, d rawTest, system, user *template.Template) *Test {
	vars := make(map[string]any, len(d.vars)+len(rt.vars))
	for k, v := range d.vars {
		vars[k] = v
	}
	for k, v := range rt.vars {
		vars[k] = v
	}
	t := &Test{Name: rt.name, Threshold: rt.threshold, File: rt.file, Line: rt.line,
		MinPassAtK: rt.minAtK, MinPassAllK: rt.minAllK}
	t.Vars, t.varsErr = encodeVars(vars)
	var err error
	if system != nil {
		if t.System, err = render(system, vars, l.opts.MaxPromptBytes); err != nil {
			l.fail(t.File, t.Line, fmt.Errorf("test %q: %w", t.Name, err))
			return nil
		}
	}
	if user != nil {
		if t.User, err = render(user, vars, l.opts.MaxPromptBytes); err != nil {
			l.fail(t.File, t.Line, fmt.Errorf("test %q: %w", t.Name, err))
			return nil
		}
	}
	if !l.converse(t, vars, user != nil) {
		return nil
	}
	nerr := len(l.errs)
	for _, an := range append(slices.Clone(d.asserts), rt.asserts...) {
		if a := l.assertion(an, vars); a != nil {
			t.Asserts = append(t.Asserts, a)
		}
	}
	if len(l.errs) > nerr {
		return nil
	}
	// A test whose keys were wrong has already been reported; saying it
	// has no assertions too would only repeat that.
	if len(t.Asserts) == 0 && len(l.errs) == 0 {
		l.errorf(t.File, t.Line, "test %q has no assertions", t.Name)
		return nil
	}
	return t
}

// encodeVars is vars as Test.Vars keeps them, or why they have no JSON
// encoding (a YAML mapping with keys that are not strings, say).
func encodeVars(vars map[string]any) (json.RawMessage, string) {
	b, err := json.Marshal(vars)
	if err != nil {
		return nil, err.Error()
	}
	return b, ""
}

// render executes t into a buffer capped at max bytes: a template is
// untrusted, and a few nested ranges over its own variables could otherwise
// render gigabytes. text/template stops at the first failed write.
func render(t *template.Template, vars map[string]any, max int64) (string, error) {
	w := &cappedWriter{max: max}
	if err := t.Execute(w, vars); err != nil {
		if w.over {
			return "", fmt.Errorf("the rendered text is %w of %d bytes (raise eval.max_prompt_bytes in llmfall.yaml if this is meant)", ErrTooLarge, max)
		}
		return "", err
	}
	return w.b.String(), nil
}

// cappedWriter refuses a write that would take it over max bytes.
type cappedWriter struct {
	b    strings.Builder
	max  int64
	over bool
}

func (w *cappedWriter) Write(p []byte) (int, error) {
	if int64(w.b.Len())+int64(len(p)) > w.max {
		w.over = true
		return 0, ErrTooLarge
	}
	return w.b.Write(p)
}
