package cmd

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/llmfall/llmfall/provider"
)

// This file reads run's --tools, --tool-choice, --json-schema and --image
// into the request, and renders the calls the model made.

// maxInputFile bounds a file run reads whole: a tool list, a schema or an
// image (providers cap images at about 20 MB).
const maxInputFile = 20 << 20

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

// toolSpec is one entry of a --tools file: the plain form, or OpenAI's
// {"type": "function", "function": {...}}.
type toolSpec struct {
	Type        string         `yaml:"type"`
	Function    *toolSpec      `yaml:"function"`
	Name        string         `yaml:"name"`
	Description string         `yaml:"description"`
	Parameters  map[string]any `yaml:"parameters"`
}

// readTools reads a JSON or YAML list of tools (JSON is YAML).
func readTools(path string) ([]provider.Tool, error) {
	b, err := readInput(path)
	if err != nil {
		return nil, err
	}
	var specs []toolSpec
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&specs); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(specs) == 0 {
		return nil, fmt.Errorf("%s: no tools in the list", path)
	}
	var errs []error
	tools := make([]provider.Tool, 0, len(specs))
	for i, s := range specs {
		if s.Function != nil {
			if s.Type != "" && s.Type != "function" {
				errs = append(errs, fmt.Errorf("%s: tool %d: type %q, want function", path, i+1, s.Type))
			}
			s = *s.Function
		}
		if !validToolName(s.Name) {
			errs = append(errs, fmt.Errorf("%s: tool %d: name %q must be 1 to 64 letters, digits, '_' or '-'", path, i+1, s.Name))
			continue
		}
		t := provider.Tool{Name: s.Name, Description: s.Description}
		if s.Parameters != nil {
			if t.Parameters, err = json.Marshal(s.Parameters); err != nil {
				errs = append(errs, fmt.Errorf("%s: tool %s: parameters: %w", path, s.Name, err))
			}
		}
		tools = append(tools, t)
	}
	return tools, errors.Join(errs...)
}

// validToolName is the rule every provider accepts: ^[a-zA-Z0-9_-]{1,64}$.
func validToolName(s string) bool {
	return len(s) <= 64 && provider.IDAlphabet(s, 0)
}

func toolChoice(s string, tools []provider.Tool) (provider.ToolChoice, error) {
	switch m := provider.ToolChoiceMode(s); m {
	case provider.ToolChoiceAuto, provider.ToolChoiceNone, provider.ToolChoiceRequired:
		if len(tools) == 0 {
			return provider.ToolChoice{}, fmt.Errorf("--tool-choice %s without --tools", s)
		}
		return provider.ToolChoice{Mode: m}, nil
	}
	for _, t := range tools {
		if t.Name == s {
			return provider.ToolChoice{Mode: provider.ToolChoiceTool, Name: s}, nil
		}
	}
	return provider.ToolChoice{}, fmt.Errorf("--tool-choice %q names no tool from --tools", s)
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
	name := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	name = strings.Map(func(r rune) rune {
		if provider.IDAlphabet(string(r), 0) {
			return r
		}
		return '_'
	}, name)
	if len(name) > 64 {
		name = name[:64]
	}
	var c bytes.Buffer
	json.Compact(&c, b)
	return &provider.ResponseFormat{Type: provider.FormatJSONSchema, Name: name, Schema: c.Bytes()}, nil
}

var imageTypes = map[string]string{".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif", ".webp": "image/webp"}

// imagePart is an image from a URL or a file.
func imagePart(s string) (provider.Part, error) {
	if strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "http://") {
		return provider.Part{Image: &provider.Image{URL: s, MediaType: imageTypes[strings.ToLower(filepath.Ext(s))]}}, nil
	}
	b, err := readInput(s)
	if err != nil {
		return provider.Part{}, err
	}
	mt := http.DetectContentType(b)
	switch mt {
	case "image/png", "image/jpeg", "image/gif", "image/webp":
	default:
		return provider.Part{}, fmt.Errorf("%s: %s is not an image type providers take", s, mt)
	}
	return provider.Part{Image: &provider.Image{Data: b, MediaType: mt}}, nil
}

// toolCallJSON is a call in `llmfall run --json` (docs/design.md): arguments as
// a JSON object.
type toolCallJSON struct {
	ID        string          `json:"id"`
	Name      string          `json:"name"`
	Arguments json.RawMessage `json:"arguments"`
}

func toolCallsJSON(calls []provider.ToolCall) []toolCallJSON {
	if len(calls) == 0 {
		return nil
	}
	out := make([]toolCallJSON, len(calls))
	for i, c := range calls {
		out[i] = toolCallJSON{ID: c.ID, Name: c.Name, Arguments: provider.ArgumentsObject(c.Arguments)}
	}
	return out
}

// writeToolCalls prints the calls the model made, one a line, after its
// text.
func writeToolCalls(w io.Writer, calls []provider.ToolCall) {
	for _, c := range calls {
		fmt.Fprintf(w, "tool call %s: %s %s\n", c.ID, c.Name, provider.ArgumentsObject(c.Arguments))
	}
}
