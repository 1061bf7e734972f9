package eval

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/llmfall/llmfall/provider"
)

// Suite is every prompt file found under the paths given to LoadSuite.
type Suite struct {
	Prompts []*Prompt
}

// Prompt is one prompt file: a template, the category whose chain it runs
// on, and its test cases with their variables already rendered in.
type Prompt struct {
	Name        string
	Description string
	Category    string
	// File is the prompt file's path as found (relative when the path given
	// to LoadSuite was relative), Line the line of its prompt template.
	File string
	Line int
	// CaseFiles are the files its tests were read from, as paths like File.
	CaseFiles []string
	Params    Params
	// MinPassRate overrides the gate's minimum pass rate for this prompt's
	// links; nil leaves the global value.
	MinPassRate *float64
	Tests       []*Test
}

// Params are the request parameters a prompt file sets.
type Params struct {
	Temperature *float64
	TopP        *float64
	MaxTokens   int
	Stop        []string
	JSON        bool
	Seed        *int64
	// Tools, ToolChoice and ResponseFormat are the prompt file's tools,
	// tool_choice and response_format. They are left out of the JSON (and
	// so of the fingerprint) when unset, so that a prompt without them
	// keeps the fingerprint it had before they existed.
	Tools          []provider.Tool          `json:",omitempty"`
	ToolChoice     provider.ToolChoice      `json:",omitzero"`
	ResponseFormat *provider.ResponseFormat `json:",omitempty"`
}

// Test is one test case of a prompt, rendered: the messages to send and the
// assertions its outputs must pass.
type Test struct {
	Name string
	// Vars are the test's variables, its defaults' merged in, as the
	// canonical JSON fingerprints hash (maps with sorted keys): the
	// templates were rendered with them when the suite loaded. JSON and
	// not the decoded map, which takes several times the memory in a suite
	// of 100,000 tests. Nil when they have no JSON encoding; varsErr then
	// says why.
	Vars    json.RawMessage
	varsErr string
	// System and User are the rendered system prompt and user message.
	System string
	User   string
	// Messages is the whole conversation when it is more than one plain
	// user message: the prompt file's messages history (then the prompt,
	// if any), or a prompt with images. nil means one user message, User.
	// User then holds the prompt's text, each image shown as [image].
	Messages []provider.Message
	// Threshold, when set, passes the case on its weighted score instead of
	// requiring every assertion to pass.
	Threshold *float64
	// MinPassAtK and MinPassAllK, when set, are the pass@k and pass^k the
	// test must reach on every link when cases run k times (--repeat k).
	MinPassAtK, MinPassAllK *float64
	Asserts                 []*Assertion
	// File and Line locate the test: in the prompt file or in a case file.
	File string
	Line int
}

// Request builds the provider request for this test on model.
func (t *Test) Request(p *Prompt, model string) *provider.Request {
	msgs := t.Messages
	if msgs == nil {
		msgs = []provider.Message{{Role: provider.RoleUser, Content: t.User}}
	}
	return &provider.Request{
		Model:          model,
		System:         t.System,
		Messages:       msgs,
		MaxTokens:      p.Params.MaxTokens,
		Temperature:    p.Params.Temperature,
		TopP:           p.Params.TopP,
		Stop:           p.Params.Stop,
		JSON:           p.Params.JSON,
		Seed:           p.Params.Seed,
		Tools:          p.Params.Tools,
		ToolChoice:     p.Params.ToolChoice,
		ResponseFormat: p.Params.ResponseFormat,
	}
}

// Rendered is what the judge is told the candidate was asked: the system
// prompt and the conversation, images shown as [image].
func (t *Test) Rendered() string {
	if t.Messages == nil {
		if t.System == "" {
			return t.User
		}
		return "System: " + t.System + "\n\nUser: " + t.User
	}
	var b strings.Builder
	if t.System != "" {
		b.WriteString("System: " + t.System)
	}
	for _, m := range t.Messages {
		if b.Len() > 0 {
			b.WriteString("\n\n")
		}
		switch m.Role {
		case provider.RoleUser:
			b.WriteString("User: ")
		case provider.RoleAssistant:
			b.WriteString("Assistant: ")
		case provider.RoleTool:
			fmt.Fprintf(&b, "Tool result for %s: ", m.ToolCallID)
		}
		b.WriteString(m.Content)
		for _, p := range m.Parts {
			if p.Image != nil {
				b.WriteString("[image]")
			} else {
				b.WriteString(p.Text)
			}
		}
		for _, c := range m.ToolCalls {
			fmt.Fprintf(&b, "[calls %s %s (id %s)]", c.Name, c.Arguments, c.ID)
		}
	}
	return b.String()
}

// Assertion is one check of an output. Values are already rendered with the
// test's variables.
type Assertion struct {
	// Type is the base type, without the "not-" prefix; Negate records it.
	Type   string
	Negate bool
	// Value is a string for most types, Values the list for contains-any
	// and contains-all.
	Value     string
	Values    []string
	Rubric    string
	Reference string
	// Threshold is the score a judge verdict needs, the maximum latency in
	// milliseconds, or the maximum cost in USD, depending on Type.
	Threshold float64
	// Weight counts the assertion in the case's score; 1 when unset.
	Weight   float64
	Min, Max *int
	File     string
	Line     int

	typ    *assertionType
	re     *regexp.Regexp
	schema *jsonschema.Schema
	// schemaSource is the schema as read (inline, or the file's content),
	// so that a case's fingerprint changes when its schema does.
	schemaSource string
	// args is a tool-call assertion's expected arguments (decoded JSON),
	// argsSource their JSON for the fingerprint.
	args       any
	argsSource string
	// tools are the declared tools' parameter schemas by name, for
	// is-valid-tool-call (nil schema: the tool takes no arguments).
	tools map[string]*jsonschema.Schema
}

// Name is the type as written, with its "not-" prefix.
func (a *Assertion) Name() string {
	if a.Negate {
		return "not-" + a.Type
	}
	return a.Type
}

// Where is "file:line".
func (a *Assertion) Where() string { return fmt.Sprintf("%s:%d", a.File, a.Line) }

// NeedsJudge reports whether checking the assertion calls the judge.
func (a *Assertion) NeedsJudge() bool { return a.typ.check == nil }
