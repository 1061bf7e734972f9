package cmd

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
)

// BenchmarkEvalMemory runs llmfall eval -o on a generated suite of 100,000
// cases (500 prompt files × 100 tests × 2 sim links with zero latency, no
// cache) and reports the process's peak RSS (Linux VmHWM), for the target
// of under 150 MB:
//
//	go test ./cmd -run XXX -bench BenchmarkEvalMemory -benchtime 1x
//
// Run it alone: the peak is the test process's, whatever ran before. The
// same with the built binary: README, "Benchmarks".
func BenchmarkEvalMemory(b *testing.B) {
	dir := b.TempDir()
	writeBigSuite(b, dir, 500, 100)
	b.Chdir(dir)
	for b.Loop() {
		var stdout, stderr bytes.Buffer
		f := newFactory(testIO(strings.NewReader(""), &stdout, &stderr), envOf(nil))
		code := executeArgs(context.Background(), f, []string{"eval", "prompts/", "--no-progress", "--no-cache", "-o", "results.json"})
		if code != ExitOK {
			b.Fatalf("exit code %d\n%s", code, stderr.String())
		}
	}
	if hwm := peakRSS(); hwm > 0 {
		b.ReportMetric(float64(hwm)/(1<<20), "peak-RSS-MB")
	}
}

// writeBigSuite writes a suite of prompts × tests tests on two sim links.
func writeBigSuite(tb testing.TB, dir string, prompts, tests int) {
	tb.Helper()
	files := map[string]string{"llmfall.yaml": `providers:
  a: { type: sim, latency: 0s, first_token: 0s }
  b: { type: sim, latency: 0s, first_token: 0s }
order: [a, b]
categories:
  fast: { a: model-a, b: model-b }
judge: { category: fast }
eval: { chain_depth: 2, concurrency: 8, min_pass_rate: 0.5 }
`}
	for p := 1; p <= prompts; p++ {
		var s strings.Builder
		fmt.Fprintf(&s, "name: p%d\ncategory: fast\nprompt: \"Summarise this ticket: {{.t}}\"\ntests:\n", p)
		for t := 1; t <= tests; t++ {
			fmt.Fprintf(&s, "  - { name: t%d, vars: { t: \"Order %d-%d arrived broken, I want a refund\" }, assert: [ { type: icontains, value: refund } ] }\n", t, p, t)
		}
		files[fmt.Sprintf("prompts/p%d.yaml", p)] = s.String()
	}
	for name, content := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
}

// peakRSS is the process's peak resident set in bytes, 0 where
// /proc/self/status is not there.
func peakRSS() int64 {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// TestEvalGCHonoursTheEnvironment: eval lowers GOGC for its run and puts
// it back, unless the user set GOGC or GOMEMLIMIT.
func TestEvalGCHonoursTheEnvironment(t *testing.T) {
	const outside = 100
	defer debug.SetGCPercent(debug.SetGCPercent(outside))
	for _, tc := range []struct {
		env  map[string]string
		want int
	}{
		{nil, evalGCPercent},
		{map[string]string{"GOGC": "200"}, outside},
		{map[string]string{"GOMEMLIMIT": "1GiB"}, outside},
	} {
		restore := evalGC(envOf(tc.env))
		during := debug.SetGCPercent(outside)
		debug.SetGCPercent(during)
		restore()
		after := debug.SetGCPercent(outside)
		if during != tc.want || after != outside {
			t.Errorf("env %v: GOGC %d during the run, %d after; want %d, then %d", tc.env, during, after, tc.want, outside)
		}
	}
}
