package cmd

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// openStreams is how many streams BenchmarkServeOpenStreams holds open.
const openStreams = 1000

// BenchmarkServeOpenStreams runs the built binary's `llmfall serve` as a
// child process, opens 1,000 streams through it to a mock OpenAI upstream
// that sends each one delta and then holds it, and reports the gateway's
// resident memory once every stream is open (Linux VmRSS and VmHWM of the
// child), for the target of under 100 MB:
//
//	go test ./cmd -run XXX -bench ServeOpenStreams -benchtime 1x
func BenchmarkServeOpenStreams(b *testing.B) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		b.Skip("needs Linux's /proc to read the child's memory")
	}
	dir := b.TempDir()
	bin := filepath.Join(dir, "llmfall")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/llmfall/llmfall").CombinedOutput(); err != nil {
		b.Fatalf("building llmfall: %v\n%s", err, out)
	}
	for b.Loop() {
		idle, open, peak := holdStreams(b, bin, dir)
		b.ReportMetric(float64(idle)/(1<<20), "idle-RSS-MB")
		b.ReportMetric(float64(open)/(1<<20), "open-RSS-MB")
		b.ReportMetric(float64(peak)/(1<<20), "peak-RSS-MB")
	}
}

// holdStreams starts the gateway, opens the streams, reads its memory and
// lets the streams finish. It returns the gateway's resident memory before
// any stream, with every stream open, and its peak.
func holdStreams(b *testing.B, bin, dir string) (idle, open, peak int64) {
	release := make(chan struct{})
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, `data: {"id":"c1","object":"chat.completion.chunk","model":"gpt-4.1-mini","choices":[{"index":0,"delta":{"content":"Hel"},"finish_reason":null}]}`+"\n\n")
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
			return
		}
		io.WriteString(w, `data: {"id":"c1","object":"chat.completion.chunk","model":"gpt-4.1-mini","choices":[{"index":0,"delta":{"content":"lo"},"finish_reason":"stop"}]}`+"\n\ndata: [DONE]\n\n")
	}))
	defer upstream.Close()
	config := filepath.Join(dir, "llmfall.yaml")
	yaml := fmt.Sprintf("providers:\n  openai: { type: openai, base_url: %s/v1 }\ncategories:\n  fast: { openai: gpt-4.1-mini }\nserve: { max_concurrent: %d }\n",
		upstream.URL, 2*openStreams)
	if err := os.WriteFile(config, []byte(yaml), 0o644); err != nil {
		b.Fatal(err)
	}

	cmd := exec.Command(bin, "serve", "--config", config, "--addr", "127.0.0.1:0")
	cmd.Env = append(os.Environ(), "OPENAI_API_KEY=sk-upstream")
	stderr := &listening{addr: make(chan string, 1)}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	exited := make(chan struct{})
	go func() {
		defer close(exited)
		cmd.Wait()
	}()
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		<-exited
	}()
	var addr string
	select {
	case addr = <-stderr.addr:
	case <-exited:
		b.Fatalf("llmfall serve exited: %s", stderr.text())
	}
	idle = procMemory(cmd.Process.Pid, "VmRSS")

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: openStreams}}
	defer client.CloseIdleConnections()
	var opened, done sync.WaitGroup
	var failed sync.Map
	body := `{"model":"fast","stream":true,"messages":[{"role":"user","content":"Say hello"}]}`
	for i := range openStreams {
		opened.Add(1)
		done.Go(func() {
			first := true
			defer func() {
				if first {
					opened.Done()
				}
			}()
			resp, err := client.Post("http://"+addr+"/v1/chat/completions", "application/json", strings.NewReader(body))
			if err != nil {
				failed.Store(i, err)
				return
			}
			defer resp.Body.Close()
			events := bufio.NewReader(resp.Body)
			if line, err := events.ReadString('\n'); err != nil || !strings.Contains(line, `"Hel"`) {
				failed.Store(i, fmt.Errorf("status %d, first line %q: %v", resp.StatusCode, line, err))
				return
			}
			first = false
			opened.Done()
			if rest, _ := io.ReadAll(events); !strings.HasSuffix(string(rest), "data: [DONE]\n\n") {
				failed.Store(i, fmt.Errorf("stream ended with %q", rest))
			}
		})
	}
	opened.Wait()
	open, peak = procMemory(cmd.Process.Pid, "VmRSS"), procMemory(cmd.Process.Pid, "VmHWM")
	close(release)
	done.Wait()
	failed.Range(func(k, v any) bool {
		b.Fatalf("stream %v: %v", k, v)
		return false
	})
	return idle, open, peak
}

// listening is the gateway's stderr: it hears the address once the
// gateway says where it listens.
type listening struct {
	mu   sync.Mutex
	buf  strings.Builder
	addr chan string
	said bool
}

func (l *listening) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf.Write(p)
	if _, rest, ok := strings.Cut(l.buf.String(), "listening on http://"); ok && !l.said {
		if addr, _, ok := strings.Cut(rest, " "); ok {
			l.said = true
			l.addr <- addr
		}
	}
	return len(p), nil
}

func (l *listening) text() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// procMemory is one of a process's memory figures (VmRSS, VmHWM) in bytes.
func procMemory(pid int, field string) int64 {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(raw)) {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}
