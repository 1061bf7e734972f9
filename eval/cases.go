package eval

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// caseTestKeys are the keys a test in a case file may have: any but file,
// since case files do not nest.
var caseTestKeys = slices.DeleteFunc(slices.Clone(testKeys), func(k string) bool { return k == "file" })

// caseFile reads the tests of a `file:` entry, resolved against the prompt
// file's directory and read through the suite's root.
func (l *fileLoader) caseFile(n node, p *Prompt) []rawTest {
	rel := l.str(n, "file")
	if rel == "" {
		// Not skipped in silence: the prompt's other tests would run
		// without this file's. (Not a string: str said so.)
		if n.Kind == yaml.ScalarNode && n.Tag != "!!null" {
			l.errorf(n.file, n.Line, "file is empty: name a case file (.jsonl, .yaml, .yml or .csv)")
		}
		return nil
	}
	name, err := l.root.resolve(l.name, rel)
	if err != nil {
		l.fail(n.file, n.Line, fmt.Errorf("case file %w", err))
		return nil
	}
	path := l.root.display(name)
	data, err := l.root.readFile(name)
	if err != nil {
		l.fail(n.file, n.Line, fmt.Errorf("case file %q: %w", rel, err))
		return nil
	}
	p.CaseFiles = append(p.CaseFiles, path)
	l.caseFiles = append(l.caseFiles, name)
	switch ext := filepath.Ext(path); ext {
	case ".jsonl":
		return l.jsonlCases(path, data)
	case ".yaml", ".yml":
		return l.yamlCases(path, data)
	case ".csv":
		return l.csvCases(path, data)
	default:
		l.errorf(n.file, n.Line, "case file %q: unsupported format %q (want .jsonl, .yaml, .yml or .csv)", rel, ext)
		return nil
	}
}

// inside reports whether path is root or below it.
func inside(root, path string) bool {
	ar, err1 := filepath.Abs(root)
	ap, err2 := filepath.Abs(path)
	if err1 != nil || err2 != nil {
		return false
	}
	rel, err := filepath.Rel(ar, ap)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

func caseName(path string, line int) string {
	return fmt.Sprintf("%s:%d", filepath.Base(path), line)
}

func (l *fileLoader) jsonlCases(path string, data []byte) []rawTest {
	var out []rawTest
	for i, line := range bytes.Split(data, []byte("\n")) {
		lineNo := i + 1
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		if !json.Valid(line) || line[0] != '{' {
			l.errorf(path, lineNo, "not a JSON object")
			continue
		}
		n, err := jsonNode(line, lineNo)
		if err != nil { // not after json.Valid; kept for safety
			l.errorf(path, lineNo, "not a JSON object")
			continue
		}
		item := node{n, path}
		if kv := l.mapping(item, "test", caseTestKeys); kv != nil {
			out = append(out, l.test(item, kv, caseName(path, lineNo)))
		}
	}
	return out
}

// jsonNode is the node the YAML decoder makes of a JSON value, each node at
// line. Not decoded by it: YAML refuses valid JSON that encoders write, a
// character outside the BMP as a surrogate-pair escape (Python's json.dumps
// writes every emoji so) or a raw DEL. The value was checked valid, so it
// nests at most encoding/json's 10,000 levels.
func jsonNode(data []byte, line int) (*yaml.Node, error) {
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	n, err := jsonValue(d, line)
	if err != nil {
		return nil, err
	}
	if _, err := d.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("more than one JSON value on the line")
	}
	return n, nil
}

func jsonValue(d *json.Decoder, line int) (*yaml.Node, error) {
	tok, err := d.Token()
	if err != nil {
		return nil, err
	}
	scalar := func(tag, v string) *yaml.Node {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: v, Line: line}
	}
	switch v := tok.(type) {
	case json.Delim:
		n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Style: yaml.FlowStyle, Line: line}
		if v == '[' {
			n.Kind, n.Tag = yaml.SequenceNode, "!!seq"
		}
		for d.More() {
			if n.Kind == yaml.MappingNode {
				k, err := d.Token()
				if err != nil {
					return nil, err
				}
				key := scalar("!!str", k.(string)) // the decoder allows no other key
				key.Style = yaml.DoubleQuotedStyle
				n.Content = append(n.Content, key)
			}
			c, err := jsonValue(d, line)
			if err != nil {
				return nil, err
			}
			n.Content = append(n.Content, c)
		}
		_, err := d.Token() // the closing '}' or ']'
		return n, err
	case string:
		n := scalar("!!str", v)
		n.Style = yaml.DoubleQuotedStyle
		return n, nil
	case json.Number:
		// Tagged as YAML resolves the same plain scalar: !!int or !!float.
		n := scalar("", v.String())
		n.Tag = n.ShortTag()
		return n, nil
	case bool:
		return scalar("!!bool", strconv.FormatBool(v)), nil
	default: // nil
		return scalar("!!null", "null"), nil
	}
}

func (l *fileLoader) yamlCases(path string, data []byte) []rawTest {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		l.yamlError(path, data, err)
		return nil
	}
	if len(doc.Content) == 0 {
		return nil
	}
	var out []rawTest
	for _, item := range l.list(node{doc.Content[0], path}, "case file") {
		if kv := l.mapping(item, "test", caseTestKeys); kv != nil {
			out = append(out, l.test(item, kv, caseName(path, item.Line)))
		}
	}
	return out
}

// csvCases reads a CSV file whose header names the variables. Columns named
// __name and __description name the test; each __expected column holds an
// assertion written "type: value" ("icontains: refund"), or a bare value
// that the output must equal.
func (l *fileLoader) csvCases(path string, data []byte) []rawTest {
	r := csv.NewReader(bytes.NewReader(data))
	header, err := r.Read()
	if err != nil {
		l.errorf(path, 1, "reading the header: %v", err)
		return nil
	}
	var out []rawTest
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			l.errorf(path, 0, "%v", err)
			return out
		}
		line, _ := r.FieldPos(0)
		rt := rawTest{name: caseName(path, line), vars: map[string]any{}, file: path, line: line}
		for i, col := range header {
			cell := rec[i]
			switch {
			case col == "__name":
				if cell != "" {
					rt.name = cell
				}
			case col == "__description":
			case strings.HasPrefix(col, "__expected"):
				if cell != "" {
					rt.asserts = append(rt.asserts, csvAssertion(cell, path, line))
				}
			case strings.HasPrefix(col, "__"):
				l.errorf(path, 1, "unknown column %q (want a variable name, __name, __description or __expected)", col)
				return nil
			default:
				rt.vars[col] = cell
			}
		}
		out = append(out, rt)
	}
}

func csvAssertion(cell, path string, line int) node {
	typ, value := TypeEquals, cell
	if before, after, ok := strings.Cut(cell, ":"); ok {
		if _, known := assertionTypes[strings.TrimPrefix(strings.TrimSpace(before), "not-")]; known {
			typ, value = strings.TrimSpace(before), strings.TrimSpace(after)
		}
	}
	scalar := func(v string) *yaml.Node {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v, Line: line}
	}
	m := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: line, Content: []*yaml.Node{
		scalar("type"), scalar(typ), scalar("value"), scalar(value),
	}}
	return node{m, path}
}
