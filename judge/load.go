package judge

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
)

// LoadExamples reads calibration examples (see Example for the fields): JSON
// Lines, one object per line (blank lines skipped), or a single JSON array of
// objects, as LLMBar ships its data. Every example is validated, and every
// problem is reported with its line (in an array, its item number).
func LoadExamples(r io.Reader) ([]Example, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read examples: %w", err)
	}
	trimmed := bytes.TrimLeft(data, " \t\r\n\ufeff")
	if len(trimmed) > 0 && trimmed[0] == '[' {
		return loadArray(data)
	}
	return loadLines(data)
}

// LoadExamplesFile is LoadExamples on a file, with errors naming it.
func LoadExamplesFile(path string) ([]Example, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	ex, err := LoadExamples(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return ex, nil
}

func decodeExample(raw []byte) (Example, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var e Example
	if err := dec.Decode(&e); err != nil {
		return Example{}, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Example{}, errors.New("more than one JSON value on the line")
	}
	if err := e.Validate(); err != nil {
		return Example{}, err
	}
	if e.Input == "" {
		e.Input, e.Instruction = e.Instruction, ""
	}
	return e, nil
}

func loadLines(data []byte) ([]Example, error) {
	var out []Example
	var errs []error
	for n, line := range bytes.Split(data, []byte("\n")) {
		line = bytes.TrimSpace(line)
		if n == 0 {
			line = bytes.TrimPrefix(line, []byte("\ufeff"))
		}
		if len(line) == 0 {
			continue
		}
		e, err := decodeExample(line)
		if err != nil {
			errs = append(errs, fmt.Errorf("line %d: %w", n+1, err))
			continue
		}
		out = append(out, e)
	}
	return examplesOrErrors(out, errs)
}

func loadArray(data []byte) ([]Example, error) {
	var raws []json.RawMessage
	if err := json.Unmarshal(bytes.TrimPrefix(bytes.TrimSpace(data), []byte("\ufeff")), &raws); err != nil {
		return nil, fmt.Errorf("JSON array: %w", err)
	}
	var out []Example
	var errs []error
	for i, raw := range raws {
		e, err := decodeExample(raw)
		if err != nil {
			errs = append(errs, fmt.Errorf("item %d: %w", i+1, err))
			continue
		}
		out = append(out, e)
	}
	return examplesOrErrors(out, errs)
}

// examplesOrErrors is what a loader returns: every problem at once, or the
// examples, of which there must be some.
func examplesOrErrors(out []Example, errs []error) ([]Example, error) {
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, errors.New("no examples")
	}
	return out, nil
}
