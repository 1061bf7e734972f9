//go:build unix

package eval

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestSuiteFIFOIsRefused: a named pipe where a suite expects a prompt file,
// a case file or a schema file is refused by name at once. Opening one to
// read waits for a writer, so reading it would hang the load for ever.
func TestSuiteFIFOIsRefused(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		fifo  string
		want  string // after the suite's directory
	}{
		{"prompt file", map[string]string{"p.yaml": attackHead + "tests: [{vars: {name: a}, assert: [{type: is-json}]}]\n"},
			"q.yaml", "/q.yaml: q.yaml is a named pipe, not a regular file"},
		{"case file", map[string]string{"p.yaml": attackHead + "tests:\n  - file: c.jsonl\n"},
			"c.jsonl", `/p.yaml:4: case file "c.jsonl": c.jsonl is a named pipe, not a regular file`},
		{"schema file", map[string]string{"p.yaml": attackHead + "tests:\n  - vars: {name: a}\n    assert: [{type: json-schema, value: s.json}]\n"},
			"s.json", `/p.yaml:5: schema file "s.json": s.json is a named pipe, not a regular file`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir, _ := attackSuite(t, tc.files)
			fifo := filepath.Join(dir, tc.fifo)
			if err := syscall.Mkfifo(fifo, 0o644); err != nil {
				t.Fatal(err)
			}
			err := loadOrHang(t, dir, fifo)
			if want := dir + tc.want; err == nil || err.Error() != want {
				t.Errorf("error = %v; want %s", err, want)
			}
		})
	}
}

// TestSuiteSocketIsRefused: a socket named as a case file is refused as a
// socket, before any open (which fails on a socket, and would read as a
// link made wrong).
func TestSuiteSocketIsRefused(t *testing.T) {
	dir, _ := attackSuite(t, map[string]string{"p.yaml": attackHead + "tests:\n  - file: c.sock\n"})
	l, err := net.Listen("unix", filepath.Join(dir, "c.sock"))
	if err != nil {
		t.Skip("no unix socket here:", err)
	}
	defer l.Close()
	_, err = LoadSuite([]string{dir}, LoadOptions{})
	if want := dir + `/p.yaml:4: case file "c.sock": c.sock is a socket, not a regular file`; err == nil || err.Error() != want {
		t.Errorf("error = %v; want %s", err, want)
	}
}

// loadOrHang loads the suite in dir, and fails the test if the load is
// still stuck after a minute (a failure detector only: a load that refuses
// the pipe returns at once). It then unsticks the load by giving the pipe
// a writer that goes away, and removes the pipe so that no later open
// waits on it.
func loadOrHang(t *testing.T, dir, fifo string) error {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		_, err := LoadSuite([]string{dir}, LoadOptions{})
		done <- err
	}()
	select {
	case err := <-done:
		return err
	case <-time.After(time.Minute):
	}
	t.Errorf("LoadSuite still waits on the named pipe %s after a minute", fifo)
	w, werr := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0)
	if err := os.Remove(fifo); err != nil {
		t.Error(err)
	}
	if werr == nil {
		w.Close()
	} else if !errors.Is(werr, syscall.ENXIO) {
		t.Error(werr)
	}
	return <-done
}
