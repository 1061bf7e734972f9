// Package cmd holds llmfall's cobra commands: flags, wiring and rendering.
// The work itself lives in the packages below it; a command parses its flags
// into an options struct and hands them to a run function.
package cmd

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/spf13/cobra"
)

// Version is set at build time with -ldflags "-X github.com/llmfall/llmfall/cmd.Version=v1.2.3";
// otherwise it is the module version `go install` recorded, or "dev".
var Version = ""

func version() string {
	if Version != "" {
		return Version
	}
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" && info.Main.Version != "(devel)" {
		return info.Main.Version
	}
	return "dev"
}

// Execute runs the command line and returns the process exit code.
func Execute() int {
	ctx, stop := signalContext(context.Background())
	defer stop()
	io := systemIO(os.Getenv)
	f := newFactory(io, os.Getenv)
	return executeArgs(ctx, f, os.Args[1:])
}

// executeArgs is Execute without the process: tests call it with their own
// factory and arguments.
func executeArgs(ctx context.Context, f *factory, args []string) int {
	root := newCmdRoot(f)
	root.SetArgs(args)
	root.SetIn(f.IO.In)
	root.SetOut(f.IO.Out)
	root.SetErr(f.IO.Err)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	if !f.ran {
		// cobra failed before any command ran: an unknown flag,
		// command or argument count.
		var ee *exitError
		if !errors.As(err, &ee) {
			err = usageErr(err, "run 'llmfall --help' for usage")
		}
	}
	code := reportError(f.IO.Err, err, inJobLog(f.Getenv))
	if code == ExitInterrupted {
		code = interruptedCode(ctx)
	}
	return code
}

// signalContext is cancelled by the first SIGINT or SIGTERM, with an
// *interruptError naming the signal as its cause. That first signal asks
// the command to stop cleanly (eval still writes every finished result);
// its handler is then removed, so that a second one ends the process at
// once. stop releases the handler and waits for its goroutine.
func signalContext(parent context.Context) (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancelCause(parent)
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		select {
		case sig := <-sigs:
			signal.Stop(sigs)
			cancel(&interruptError{sig: sig})
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(sigs)
		close(done)
		<-finished
		cancel(nil)
	}
}

func newCmdRoot(f *factory) *cobra.Command {
	root := &cobra.Command{
		Use:   "llmfall",
		Short: "Keep LLM features up when a provider fails, and prove every prompt works on every fallback",
		Long: `llmfall groups models of equal capability across providers into categories, turns each
category into a fallback chain, and serves requests down the chain (llmfall run). It also
evaluates every prompt on every link of its chain, to gate prompt changes in CI (llmfall eval).`,
		Version:       version(),
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(c *cobra.Command, args []string) error {
			f.ran = true
			return nil
		},
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usageErr(err, "run '"+c.CommandPath()+" --help' for usage")
	})
	pf := root.PersistentFlags()
	pf.StringVar(&f.ConfigPath, "config", "", "config file (default: llmfall.yaml in this or a parent directory)")
	pf.BoolVar(&f.Offline, "offline", false, "replace every provider with a simulated one and the judge with the offline heuristic")
	pf.BoolVarP(&f.Verbose, "verbose", "v", false, "show each attempt and other detail on stderr")

	root.AddCommand(
		newCmdRun(f, nil),
		newCmdChains(f, nil),
		newCmdEval(f, nil),
		newCmdMerge(f, nil),
		newCmdReport(f, nil),
		newCmdJudge(f, nil),
		newCmdSimulate(f, nil),
		newCmdServe(f, nil),
	)
	return root
}
