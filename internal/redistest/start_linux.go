package redistest

import (
	"os/exec"
	"runtime"
	"syscall"
)

// start starts cmd so that the kernel kills it (SIGKILL) when the test
// binary dies, even by SIGKILL or a test timeout, when no Cleanup runs: a
// private redis-server must not outlive it. It returns release, to call
// once cmd has been waited for.
//
// The signal (PR_SET_PDEATHSIG) is tied to the thread that forked the
// child, not to the process: it fires when that thread exits. Go's
// threads outlive their goroutines, except one whose goroutine exits
// locked to it, which the runtime ends; an unlocked start would leave the
// server's life to whichever goroutine next locks and leaves the thread.
// So the start runs on a goroutine of its own, locked to its thread until
// release: the thread lives as long as the server. Other ways were worse:
// a process group dies with nobody left to kill it, and redis-server has
// no "exit when the parent's pipe closes" of its own.
func start(cmd *exec.Cmd) (release func(), err error) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	started := make(chan error)
	done := make(chan struct{})
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		err := cmd.Start()
		started <- err
		if err == nil {
			<-done
		}
	}()
	if err := <-started; err != nil {
		return nil, err
	}
	return func() { close(done) }, nil
}
