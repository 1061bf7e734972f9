package cmd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/llmfall/llmfall/config"
	"github.com/llmfall/llmfall/fallback"
	"github.com/llmfall/llmfall/internal/untrusted"
	"github.com/llmfall/llmfall/provider"
	"github.com/llmfall/llmfall/provider/toolspec"
	"github.com/llmfall/llmfall/setup"
)

type runOptions struct {
	IO *IO
	// Setup are the global flags' setup options (--offline), read when
	// the command runs.
	Setup   func() setup.Options
	Config  func() (*config.Config, error)
	Engine  func() (*fallback.Engine, error)
	Verbose bool // the global -v

	Prompt      string
	Category    string
	Order       []string
	System      string
	MaxTokens   int
	Temperature float64
	TempSet     bool
	NoStream    bool
	JSON        bool
	toolFlags
}

func newCmdRun(f *factory, runF func(context.Context, *runOptions) error) *cobra.Command {
	opts := &runOptions{IO: f.IO, Setup: f.setupOptions, Config: f.Config, Engine: f.Engine}
	c := &cobra.Command{
		Use:   "run [prompt]",
		Short: "Send one prompt down a category's fallback chain",
		Long: `Send one prompt down a category's fallback chain and stream the answer to stdout.

The prompt comes from the arguments, or from stdin when there are none. On an error or a
timeout the next link of the chain is tried; a stream falls back only before its first
token reached stdout. --order (or LLMFALL_ORDER) puts providers first for this call: a
manual switchover without editing the config.`,
		Example: `  llmfall run "Summarise: the parcel arrived broken"
  echo "hi" | llmfall run -c smart --json
  llmfall run --order anthropic,openai -v "ping"`,
		Args: cobra.ArbitraryArgs,
		RunE: func(c *cobra.Command, args []string) error {
			opts.TempSet = c.Flags().Changed("temperature")
			opts.Verbose = f.Verbose
			if len(opts.Order) == 0 {
				opts.Order = splitList(f.Getenv("LLMFALL_ORDER"))
			}
			prompt, err := readPrompt(args, f.IO)
			if err != nil {
				return err
			}
			opts.Prompt = prompt
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runRun(c.Context(), opts)
		},
	}
	fl := c.Flags()
	fl.StringVarP(&opts.Category, "category", "c", "", "category whose chain to use (default: the first in the config)")
	fl.StringSliceVar(&opts.Order, "order", nil, "provider order for this call, e.g. anthropic,openai (env LLMFALL_ORDER)")
	fl.StringVar(&opts.System, "system", "", "system prompt")
	fl.IntVar(&opts.MaxTokens, "max-tokens", 0, "cap on output tokens (0: the provider's default)")
	fl.Float64Var(&opts.Temperature, "temperature", 0, "sampling temperature (default: the provider's)")
	fl.BoolVar(&opts.NoStream, "no-stream", false, "wait for the whole answer instead of streaming it")
	fl.BoolVar(&opts.JSON, "json", false, "print one JSON document with the answer and the attempt log")
	fl.StringVar(&opts.Tools, "tools", "", "JSON or YAML `file` listing tools the model may call ({name, description, parameters})")
	fl.StringVar(&opts.ToolChoice, "tool-choice", "", "auto, none, required, or the name of a tool to call")
	fl.StringVar(&opts.JSONSchema, "json-schema", "", "JSON Schema `file` the answer must match")
	fl.StringArrayVar(&opts.Images, "image", nil, "image `file or URL` to send with the prompt (repeatable)")
	c.RegisterFlagCompletionFunc("category", completeCategories(f))
	c.RegisterFlagCompletionFunc("order", completeProviders(f))
	return c
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func readPrompt(args []string, io_ *IO) (string, error) {
	if len(args) > 0 {
		return strings.Join(args, " "), nil
	}
	if io_.InTTY {
		return "", usageErr(errors.New("no prompt given"), `pass it as an argument (llmfall run "…") or on stdin`)
	}
	b, err := io.ReadAll(io_.In)
	if err != nil {
		return "", fmt.Errorf("read prompt from stdin: %w", err)
	}
	prompt := strings.TrimSpace(string(b))
	if prompt == "" {
		return "", usageErr(errors.New("no prompt given: stdin was empty"), `pass it as an argument (llmfall run "…") or on stdin`)
	}
	return prompt, nil
}

// runDoc is the `llmfall run --json` document (docs/design.md); error is added
// when the call failed.
type runDoc struct {
	Provider     string                `json:"provider"`
	Model        string                `json:"model"`
	Category     string                `json:"category"`
	Output       string                `json:"output"`
	FinishReason provider.FinishReason `json:"finish_reason"`
	Usage        provider.Usage        `json:"usage"`
	LatencyMS    int64                 `json:"latency_ms"`
	TTFTMS       int64                 `json:"ttft_ms"`
	ToolCalls    []toolspec.Call       `json:"tool_calls,omitempty"`
	Attempts     []fallback.Attempt    `json:"attempts"`
	Simulated    bool                  `json:"simulated,omitempty"`
	Error        string                `json:"error,omitempty"`
}

func runRun(ctx context.Context, opts *runOptions) error {
	cfg, err := opts.Config()
	if err != nil {
		return err
	}
	eng, err := opts.Engine()
	if err != nil {
		return err
	}
	if opts.Category == "" {
		opts.Category = cfg.Categories[0].Name
	}
	if err := checkCategory(cfg, opts.Category); err != nil {
		return err
	}
	if len(opts.Order) > 0 {
		if err := eng.SetOrder(opts.Category, opts.Order); err != nil {
			return usageErr(err, "--order and LLMFALL_ORDER take provider names from the config, comma-separated")
		}
	}
	if opts.Setup().Offline && !opts.JSON {
		fmt.Fprintln(opts.IO.Err, "llmfall: offline: answers come from simulated providers, not real models")
	}

	// The answer streams to out; an attempt line printed while the answer's
	// line is open would be glued to it where stdout and stderr share a
	// terminal, so the attempt printer ends that line first.
	out := &lineWriter{w: opts.IO.Out}
	req := opts.request()
	if opts.Verbose {
		req.OnAttempt = attemptPrinter(opts.IO.Err, out.EndLine)
	}
	if err := opts.toolFlags.apply(&req.Request); err != nil {
		return err
	}
	if err := req.CheckParams(); err != nil {
		return usageErr(err, "")
	}
	chain, err := eng.Chain(opts.Category)
	if err != nil {
		return usageErr(err, "")
	}
	if err := checkKeys(cfg, setup.ChainProviders(chain), opts.Setup()); err != nil {
		return err
	}
	var res *fallback.Result
	var callErr error
	streamed := false
	switch {
	case opts.NoStream:
		res, callErr = eng.Complete(ctx, req)
	case opts.JSON:
		// Streamed all the same, so that ttft_ms is the real time to the
		// first token; the text goes into the document instead.
		res, callErr = streamTo(ctx, eng, req, &lineWriter{w: io.Discard})
	default:
		res, callErr = streamTo(ctx, eng, req, out)
		streamed = true
	}
	if res == nil {
		return callErr
	}
	if opts.JSON {
		if err := writeRunDoc(opts, res, callErr); err != nil {
			return err
		}
	} else if res.Response != nil {
		if !streamed && res.Response.Text != "" {
			writeText(opts.IO.Out, res.Response.Text)
		}
		writeToolCalls(opts.IO.Out, res.Response.ToolCalls)
	}
	if callErr != nil {
		if errors.Is(callErr, context.Canceled) && ctx.Err() != nil {
			return exitErr(ExitInterrupted, errors.New("interrupted"), "")
		}
		if opts.JSON {
			return exitErr(ExitProviders, nil, "")
		}
		return exitErr(ExitProviders, callErr, hintFor(callErr, opts.Verbose))
	}
	return nil
}

// checkCategory is a usage error naming the categories when name is not one.
func checkCategory(cfg *config.Config, name string) error {
	if _, ok := cfg.Category(name); ok {
		return nil
	}
	names := make([]string, 0, len(cfg.Categories))
	for _, c := range cfg.Categories {
		names = append(names, c.Name)
	}
	return usageErr(fmt.Errorf("unknown category %q", name), "categories in "+cfg.Path+": "+strings.Join(names, ", "))
}

// request is the engine request the flags describe.
func (opts *runOptions) request() *fallback.Request {
	req := &fallback.Request{Category: opts.Category, Request: provider.Request{
		System:    opts.System,
		Messages:  []provider.Message{{Role: provider.RoleUser, Content: opts.Prompt}},
		MaxTokens: opts.MaxTokens,
	}}
	if opts.TempSet {
		t := opts.Temperature
		req.Temperature = &t
	}
	return req
}

// attemptPrinter prints each attempt of one call as it ends, so that a
// slow failover shows while it happens, before the answer's text. endLine
// is called first: it ends the answer's line if one is open.
func attemptPrinter(w io.Writer, endLine func()) func(fallback.Attempt) {
	var mu sync.Mutex
	n := 0
	return func(a fallback.Attempt) {
		mu.Lock()
		defer mu.Unlock()
		n++
		endLine()
		printAttempt(w, n, a)
	}
}

// lineWriter writes to w and knows whether the last line written is open
// (did not end in a newline), so that the answer's line can be ended once,
// by whoever needs it ended first.
type lineWriter struct {
	mu   sync.Mutex
	w    io.Writer
	open bool
}

func (l *lineWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n, err := l.w.Write(p)
	if n > 0 {
		l.open = p[n-1] != '\n'
	}
	return n, err
}

// EndLine writes a newline if the last line is open.
func (l *lineWriter) EndLine() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open {
		io.WriteString(l.w, "\n")
		l.open = false
	}
}

// streamTo copies the engine's stream to w as it arrives, and ends its
// last line.
func streamTo(ctx context.Context, eng *fallback.Engine, req *fallback.Request, w *lineWriter) (*fallback.Result, error) {
	s, err := eng.Stream(ctx, req)
	if err != nil {
		return nil, usageErr(err, "")
	}
	defer s.Close()
	for s.Next() {
		if t := s.Current().Text; t != "" {
			// Tool-call deltas print after the stream, whole.
			io.WriteString(w, t)
		}
	}
	w.EndLine()
	err = s.Err()
	s.Close()
	return s.Result(), err
}

func writeText(w io.Writer, text string) {
	io.WriteString(w, text)
	if !strings.HasSuffix(text, "\n") {
		io.WriteString(w, "\n")
	}
}

func writeRunDoc(opts *runOptions, res *fallback.Result, callErr error) error {
	doc := runDoc{
		Provider:  res.Target.Provider,
		Model:     res.Target.Model,
		Category:  res.Category,
		Attempts:  res.Attempts,
		Simulated: opts.Setup().Offline,
	}
	if doc.Attempts == nil {
		doc.Attempts = []fallback.Attempt{}
	}
	if r := res.Response; r != nil {
		doc.Output = r.Text
		doc.FinishReason = r.FinishReason
		doc.Usage = r.Usage
		doc.LatencyMS = r.Latency.Milliseconds()
		doc.TTFTMS = r.TTFT.Milliseconds()
		doc.ToolCalls = toolspec.Calls(r.ToolCalls)
		if r.Model != "" {
			doc.Model = r.Model
		}
	}
	if callErr != nil {
		doc.Error = provider.Redact(callErr.Error())
	}
	enc := json.NewEncoder(opts.IO.Out)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

// printAttempt writes one line of the attempt log.
func printAttempt(w io.Writer, n int, a fallback.Attempt) {
	line := fmt.Sprintf("attempt %d: %-40s %-9s %8s", n, a.Target.String(), a.Outcome, a.Duration.Round(time.Millisecond))
	switch {
	case a.Err != nil && a.Outcome != fallback.OutcomeOK:
		// The error names its class already ("openai: rate_limited (HTTP 429 …)").
		line += "  " + untrusted.Terminal(provider.Redact(a.Err.Error()))
	case a.Class != "":
		line += "  " + string(a.Class)
	case a.TTFT > 0:
		line += fmt.Sprintf("  first token after %s", a.TTFT.Round(time.Millisecond))
	}
	if a.Discarded > 0 {
		line += fmt.Sprintf("  (discarded %d chunks, %d bytes held in the commit window)", a.Discarded, a.DiscardedBytes)
	}
	if a.MalformedEvents > 0 {
		line += fmt.Sprintf("  (%d malformed events skipped)", a.MalformedEvents)
	}
	fmt.Fprintln(w, strings.TrimRight(line, " "))
}

// hintFor suggests the next step for a failed call; with verbose the
// attempts are already on screen and not suggested.
func hintFor(err error, verbose bool) string {
	var ie *fallback.InterruptedError
	if errors.As(err, &ie) {
		return "the partial answer above is all that arrived; a stream never falls back after its first token"
	}
	classes := map[provider.Class]bool{}
	var ex *fallback.ExhaustedError
	if errors.As(err, &ex) {
		for _, a := range ex.Attempts {
			classes[a.Class] = true
		}
	} else {
		classes[provider.ClassOf(err)] = true
	}
	switch {
	case classes[provider.ClassAuth]:
		return "check the API keys with 'llmfall chains'"
	case classes[provider.ClassInvalidRequest]:
		return "the request was rejected as invalid, so it was not retried elsewhere" + attemptsHint(verbose)
	case classes[provider.ClassNetwork]:
		return "check the network and each provider's base_url; --offline runs against simulated providers"
	}
	if verbose {
		return ""
	}
	return "-v shows each attempt"
}

func attemptsHint(verbose bool) string {
	if verbose {
		return ""
	}
	return "; -v shows each attempt"
}
