// Package redistest gives tests a real Redis: the one CI starts (its URL in
// LLMFALL_TEST_REDIS_URL), or a private redis-server that a test can kill
// and restart (and that, on Linux, dies with the test binary). Where
// neither is available a test skips, except in CI, where it fails: a CI
// run must not turn green by skipping the tests of shared health.
package redistest

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// EnvURL names the variable holding the URL of the Redis that CI starts.
const EnvURL = "LLMFALL_TEST_REDIS_URL"

// URL returns the URL of a Redis the test may use: CI's, or else a private
// server stopped at the end of the test. Tests sharing one server keep
// apart by the key prefixes Prefix gives them.
func URL(tb testing.TB) string {
	tb.Helper()
	if u := os.Getenv(EnvURL); u != "" {
		return u
	}
	return Start(tb).URL()
}

// Prefix returns a key prefix no other test uses.
func Prefix() string {
	var b [4]byte
	rand.Read(b[:])
	return "llmfall-test-" + hex.EncodeToString(b[:])
}

// Server is a private redis-server, on a unix socket in a directory of its
// own, with nothing persisted.
type Server struct {
	tb     testing.TB
	bin    string
	socket string
	cmd    *exec.Cmd
	// release, once cmd has been waited for, frees what start holds for
	// it.
	release func()
	// drained is closed once the server's output has been read to its
	// end, which Wait must not cut short.
	drained chan struct{}
}

// Start starts a private redis-server and stops it when the test ends. It
// returns once the server accepts connections.
func Start(tb testing.TB) *Server {
	tb.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		missing(tb, "redis-server not installed (apt-get install redis-server)")
		return nil
	}
	// A short directory of its own: a socket path is limited to about
	// 100 bytes, and the test's own temporary directory can be longer.
	dir, err := os.MkdirTemp("", "redis")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { os.RemoveAll(dir) })
	s := &Server{tb: tb, bin: bin, socket: filepath.Join(dir, "redis.sock")}
	s.Restart()
	tb.Cleanup(s.Kill)
	return s
}

// URL is the server's unix:// URL.
func (s *Server) URL() string { return "unix://" + s.socket }

// Kill ends the server at once (SIGKILL), as a crash would; it does
// nothing if the server is not running.
func (s *Server) Kill() {
	if s.cmd == nil {
		return
	}
	s.cmd.Process.Kill()
	<-s.drained
	s.cmd.Wait()
	s.release()
	s.cmd = nil
}

// Restart starts the server again on the same socket (after Kill) and
// returns once it accepts connections.
func (s *Server) Restart() {
	s.tb.Helper()
	os.Remove(s.socket)
	cmd := exec.Command(s.bin, "--port", "0", "--unixsocket", s.socket, "--unixsocketperm", "700",
		"--save", "", "--appendonly", "no", "--dir", filepath.Dir(s.socket), "--loglevel", "notice")
	out, err := cmd.StdoutPipe()
	if err != nil {
		s.tb.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	release, err := start(cmd)
	if err != nil {
		s.tb.Fatalf("start redis-server: %v", err)
	}
	// redis-server says when it is ready; the deadline only catches a
	// server that never says it (a pipe read has no timeout of its own).
	ready := make(chan error, 1)
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		sc := bufio.NewScanner(out)
		var log strings.Builder
		for sc.Scan() {
			log.WriteString(sc.Text() + "\n")
			if strings.Contains(strings.ToLower(sc.Text()), "ready to accept connections") {
				ready <- nil
				io.Copy(io.Discard, out) // until the server ends
				return
			}
		}
		ready <- fmt.Errorf("redis-server ended before it was ready:\n%s", log.String())
	}()
	select {
	case err := <-ready:
		if err != nil {
			<-drained
			cmd.Wait()
			release()
			s.tb.Fatal(err)
		}
	case <-time.After(time.Minute):
		cmd.Process.Kill()
		<-drained
		cmd.Wait()
		release()
		s.tb.Fatal("redis-server not ready after a minute")
	}
	s.cmd, s.drained, s.release = cmd, drained, release
}

// missing skips the test, or fails it in CI.
func missing(tb testing.TB, why string) {
	tb.Helper()
	if ci, err := strconv.ParseBool(os.Getenv("CI")); err == nil && ci {
		tb.Fatalf("%s; in CI (CI=true) the tests of shared health must run", why)
	}
	tb.Skipf("%s; set %s or install redis-server to run this test", why, EnvURL)
}
