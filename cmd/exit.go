package cmd

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"

	"github.com/llmfall/llmfall/config"
	"github.com/llmfall/llmfall/internal/untrusted"
	"github.com/llmfall/llmfall/provider"
)

// Exit codes: the contract in docs/design.md that users' scripts rely on.
const (
	ExitOK          = 0
	ExitFailed      = 1   // eval gate failed, or a runtime error that is nobody's input
	ExitUsage       = 2   // bad usage, config or prompt file
	ExitProviders   = 3   // run: every link failed; eval: cases left without a result
	ExitInterrupted = 130 // SIGINT (Ctrl-C), or an interrupt of unknown cause
	ExitTerminated  = 143 // SIGTERM (128 + 15), as shells report it
)

// interruptError is the cause of a context cancelled by a signal.
type interruptError struct{ sig os.Signal }

func (e *interruptError) Error() string { return "interrupted by " + e.sig.String() }

// interruptedCode is the exit code of a command that stopped because ctx
// was cancelled: 143 when SIGTERM cancelled it, 130 otherwise, so that CI
// and process supervisors see which signal ended the run.
func interruptedCode(ctx context.Context) int {
	var ie *interruptError
	if errors.As(context.Cause(ctx), &ie) && ie.sig == syscall.SIGTERM {
		return ExitTerminated
	}
	return ExitInterrupted
}

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

// reportError prints an error that reached the top, once, and returns its exit
// code. A code without an error exits silently: the command has reported.
// An error quotes untrusted text (a test name, a provider's error body), so
// its control characters are escaped, and in a GitHub Actions job log
// (jobLog) no line of it may run as a workflow command.
func reportError(w io.Writer, err error, jobLog bool) int {
	code, hint := classify(err)
	var ee *exitError
	if errors.As(err, &ee) && ee.err == nil {
		return code
	}
	write := func(w io.Writer) error {
		// Validation errors come joined, one problem per line, and stay so.
		fmt.Fprintf(w, "llmfall: %s\n", untrusted.TerminalLines(strings.TrimSpace(err.Error())))
		if hint != "" {
			fmt.Fprintf(w, "hint: %s\n", hint)
		}
		return nil
	}
	if jobLog {
		untrusted.StopCommands(w, rand.Text(), write)
	} else {
		write(w)
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
