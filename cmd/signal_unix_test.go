//go:build unix

package cmd

import (
	"context"
	"os"
	"syscall"
	"testing"
)

// TestSignalContext: the first SIGTERM cancels the context with the signal
// as its cause, which makes the exit code 143. One real signal, to this
// process, while the handler is installed.
func TestSignalContext(t *testing.T) {
	ctx, stop := signalContext(context.Background())
	defer stop()
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	<-ctx.Done()
	if got := interruptedCode(ctx); got != ExitTerminated {
		t.Errorf("interruptedCode() = %d after SIGTERM; want %d (cause %v)", got, ExitTerminated, context.Cause(ctx))
	}
	plain, cancel := context.WithCancel(context.Background())
	cancel()
	if got := interruptedCode(plain); got != ExitInterrupted {
		t.Errorf("interruptedCode() = %d for a plain cancel; want %d", got, ExitInterrupted)
	}
}
