package cmd

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/llmfall/llmfall/provider"
	"github.com/llmfall/llmfall/provider/toolspec"

	"github.com/llmfall/llmfall/internal/untrusted"
)

// This file reads run's --tools, --tool-choice, --json-schema and --image
// into the request, and renders the calls the model made.

// maxInputFile bounds a file run reads whole: a tool list, a schema or an
// image (providers cap images at about 20 MB).
const maxInputFile = toolspec.MaxImageBytes

// toolFlags are run's flags for tools, structured output and images.
type toolFlags struct {
	Tools      string
	ToolChoice string
	JSONSchema string
	Images     []string
}

// apply adds what the flags describe to req.
func (tf *toolFlags) apply(req *provider.Request) error {
	if tf.Tools != "" {
		tools, err := readTools(tf.Tools)
		if err != nil {
			return usageErr(err, `--tools takes a JSON or YAML list of {name, description, parameters}`)
		}
		req.Tools = tools
	}
	if tf.ToolChoice != "" {
		tc, err := toolChoice(tf.ToolChoice, req.Tools)
		if err != nil {
			return usageErr(err, "--tool-choice is auto, none, required or the name of a tool from --tools")
		}
		req.ToolChoice = tc
	}
	if tf.JSONSchema != "" {
		f, err := readSchema(tf.JSONSchema)
		if err != nil {
			return usageErr(err, "--json-schema takes a file holding one JSON Schema object")
		}
		req.ResponseFormat = f
	}
	for _, img := range tf.Images {
		part, err := imagePart(img)
		if err != nil {
			return usageErr(err, "--image takes an http(s) URL or a PNG, JPEG, GIF or WebP file")
		}
		last := &req.Messages[len(req.Messages)-1]
		last.Parts = append(last.Parts, part)
	}
	return nil
}

func readInput(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxInputFile+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(b) > maxInputFile {
		return nil, fmt.Errorf("%s: larger than %d MB", path, maxInputFile>>20)
	}
	return b, nil
}

// readTools reads a JSON or YAML list of tools (JSON is YAML), by the rules
// prompt files follow too (package toolspec).
func readTools(path string) ([]provider.Tool, error) {
	b, err := readInput(path)
	if err != nil {
		return nil, err
	}
	tools, terrs := toolspec.ParseTools(b)
	errs := make([]error, len(terrs))
	for i, e := range terrs {
		errs[i] = fmt.Errorf("%s: %s", path, e.Msg)
		if e.Line > 0 {
			errs[i] = fmt.Errorf("%s:%d: %s", path, e.Line, e.Msg)
		}
	}
	return tools, errors.Join(errs...)
}

func toolChoice(s string, tools []provider.Tool) (provider.ToolChoice, error) {
	if len(tools) == 0 {
		return provider.ToolChoice{}, fmt.Errorf("--tool-choice %s without --tools", s)
	}
	return toolspec.Choice(s, tools)
}

// readSchema reads a JSON Schema; the file's base name names it.
func readSchema(path string) (*provider.ResponseFormat, error) {
	b, err := readInput(path)
	if err != nil {
		return nil, err
	}
	var probe map[string]any
	if err := json.Unmarshal(b, &probe); err != nil {
		return nil, fmt.Errorf("%s: not a JSON object: %w", path, err)
	}
	name := toolspec.SchemaName(filepath.Base(path))
	var c bytes.Buffer
	json.Compact(&c, b)
	return &provider.ResponseFormat{Type: provider.FormatJSONSchema, Name: name, Schema: c.Bytes()}, nil
}

// imagePart is an image from a URL or a file.
func imagePart(s string) (provider.Part, error) {
	if toolspec.IsURL(s) {
		return provider.Part{Image: toolspec.ImageURL(s)}, nil
	}
	b, err := readInput(s)
	if err != nil {
		return provider.Part{}, err
	}
	img, err := toolspec.ImageData(s, b)
	if err != nil {
		return provider.Part{}, err
	}
	return provider.Part{Image: img}, nil
}

// writeToolCalls prints the calls the model made, one a line, after its
// text. Ids, names and arguments come from the model: escaped for the
// terminal, so that a call cannot forge a line or move the cursor.
func writeToolCalls(w io.Writer, calls []provider.ToolCall) {
	for _, c := range calls {
		line := fmt.Sprintf("tool call %s: %s %s", c.ID, c.Name, provider.ArgumentsObject(c.Arguments))
		fmt.Fprintln(w, untrusted.Terminal(line))
	}
}
