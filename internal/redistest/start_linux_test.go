package redistest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// helperEnv switches the test binary, run again by
// TestServerDiesWithTheTestBinary, into the helper: a test binary that
// starts a private server, says which, and waits to be killed.
const helperEnv = "LLMFALL_REDISTEST_HELPER"

// A test binary killed outright (SIGKILL, as a test timeout's kill does)
// runs no Cleanup: its private redis-server dies with it all the same.
func TestServerDiesWithTheTestBinary(t *testing.T) {
	if os.Getenv(helperEnv) == "1" {
		s := Start(t)
		fmt.Printf("redis-server pid %d dir %s\n", s.cmd.Process.Pid, filepath.Dir(s.socket))
		// Until the parent kills this process (or, if the parent died,
		// its end of stdin closes).
		io.Copy(io.Discard, os.Stdin)
		return
	}
	if _, err := exec.LookPath("redis-server"); err != nil {
		missing(t, "redis-server not installed (apt-get install redis-server)")
	}
	helper := exec.Command(os.Args[0], "-test.run=^TestServerDiesWithTheTestBinary$")
	helper.Env = append(os.Environ(), helperEnv+"=1")
	var stderr bytes.Buffer
	helper.Stderr = &stderr
	stdin, err := helper.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	out, err := helper.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := helper.Start(); err != nil {
		t.Fatal(err)
	}
	said := make(chan string, 1)
	var output strings.Builder
	go func() {
		defer close(said)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			output.WriteString(sc.Text() + "\n")
			if strings.HasPrefix(sc.Text(), "redis-server pid ") {
				said <- sc.Text()
				io.Copy(io.Discard, out)
				return
			}
		}
	}()
	var line string
	select {
	case line = <-said:
	case <-time.After(2 * time.Minute):
	}
	helper.Process.Kill()
	for range said {
	}
	helper.Wait()
	var pid int
	var dir string
	if _, err := fmt.Sscanf(line, "redis-server pid %d dir %s", &pid, &dir); err != nil {
		t.Fatalf("the helper did not say which server it started: %v\n%s%s", err, output.String(), stderr.String())
	}
	t.Cleanup(func() {
		// Its Cleanup never ran: its directory, and its server if it
		// outlived it, are this test's to remove.
		if !gone(pid) {
			syscall.Kill(pid, syscall.SIGKILL)
		}
		os.RemoveAll(dir)
	})
	// A failure detector: the kernel kills the server as the helper dies.
	deadline := time.Now().Add(30 * time.Second)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !gone(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("redis-server (pid %d) still running 30 s after the test binary that started it was killed", pid)
		}
		<-tick.C
	}
}

// gone reports whether process pid has ended: it no longer exists, or is
// a zombie nobody reaped (an orphan's new parent, PID 1 in a container,
// may not reap).
func gone(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if errors.Is(err, os.ErrNotExist) {
		return true
	}
	// The state follows the command's name, which may hold ") ".
	i := bytes.LastIndexByte(stat, ')')
	return err == nil && i >= 0 && bytes.HasPrefix(stat[i+1:], []byte(" Z"))
}
