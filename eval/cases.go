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
		var doc yaml.Node
		if err := yaml.Unmarshal(line, &doc); err != nil || len(doc.Content) != 1 {
			l.errorf(path, lineNo, "not a JSON object")
			continue
		}
		setLine(doc.Content[0], lineNo)
		item := node{doc.Content[0], path}
		if kv := l.mapping(item, "test", caseTestKeys); kv != nil {
			out = append(out, l.test(item, kv, caseName(path, lineNo)))
		}
	}
	return out
}

// setLine gives every node of a JSONL line that line's number.
func setLine(n *yaml.Node, line int) {
	n.Line = line
	for _, c := range n.Content {
		setLine(c, line)
	}
}

func (l *fileLoader) yamlCases(path string, data []byte) []rawTest {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		l.errorf(path, 0, "%v", err)
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
