package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/llmfall/llmfall/config"
	"github.com/llmfall/llmfall/provider"
)

// Exit codes: the contract in docs/design.md that users' scripts rely on.
const (
	ExitOK          = 0
	ExitFailed      = 1 // eval gate failed, or a runtime error that is nobody's input
	ExitUsage       = 2 // bad usage, config or prompt file
	ExitProviders   = 3 // run: every link failed; eval: cases left without a result
	ExitInterrupted = 130
)

// exitError carries the exit code and an optional hint to the top level,
// where the error is printed once.
type exitError struct {
	code int
	err  error
	hint string
}

func (e *exitError) Error() string {
	if e.err == nil {
		return ""
	}
	return e.err.Error()
}
func (e *exitError) Unwrap() error { return e.err }

// exitErr attaches an exit code and a hint to err. A nil err with a code is a
// silent exit (the command has already reported, e.g. a failed gate).
func exitErr(code int, err error, hint string) error {
	return &exitError{code: code, err: err, hint: hint}
}

// usageErr marks err as the user's mistake on the command line.
func usageErr(err error, hint string) error { return exitErr(ExitUsage, err, hint) }

// report prints an error that reached the top, once, and returns its exit
// code. A code without an error exits silently: the command has reported.
func report(w io.Writer, err error) int {
	code, hint := classify(err)
	var ee *exitError
	if errors.As(err, &ee) && ee.err == nil {
		return code
	}
	// Validation errors come joined, one problem per line, and stay so.
	fmt.Fprintf(w, "llmfall: %s\n", strings.TrimSpace(err.Error()))
	if hint != "" {
		fmt.Fprintf(w, "hint: %s\n", hint)
	}
	return code
}

func classify(err error) (int, string) {
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code, ee.hint
	}
	var ce *config.Error
	if errors.As(err, &ce) {
		return ExitUsage, ""
	}
	if errors.Is(err, context.Canceled) {
		return ExitInterrupted, ""
	}
	var pe *provider.Error
	if errors.As(err, &pe) {
		return ExitProviders, ""
	}
	return ExitFailed, ""
}
