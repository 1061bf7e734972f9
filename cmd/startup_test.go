package cmd

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// buildLLMFall builds the llmfall binary as a user would, into a temporary
// directory; env is added to the build's environment (CGO_ENABLED=0 for
// the static build the README's install command makes).
func buildLLMFall(tb testing.TB, env ...string) string {
	tb.Helper()
	bin := filepath.Join(tb.TempDir(), "llmfall")
	build := exec.Command("go", "build", "-o", bin, "github.com/llmfall/llmfall")
	build.Env = append(os.Environ(), env...)
	if out, err := build.CombinedOutput(); err != nil {
		tb.Fatalf("building llmfall: %v\n%s", err, out)
	}
	return bin
}

// buildHelloWorld builds the smallest Go program that prints a line: what
// starting any Go binary costs on this machine, the floor under llmfall's
// figures.
func buildHelloWorld(tb testing.TB) string {
	tb.Helper()
	dir := tb.TempDir()
	files := map[string]string{
		"go.mod":  "module hello\n\ngo 1.26\n",
		"main.go": "package main\n\nimport \"os\"\n\nfunc main() { os.Stdout.WriteString(\"hello\\n\") }\n",
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	bin := filepath.Join(dir, "hello")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Dir = dir
	if out, err := build.CombinedOutput(); err != nil {
		tb.Fatalf("building hello world: %v\n%s", err, out)
	}
	return bin
}

// packageInit is one line of GODEBUG=inittrace=1: what initialising one
// package cost.
type packageInit struct {
	pkg   string
	bytes int64
}

// initTrace runs bin with GODEBUG=inittrace=1 and returns each package's
// initialisation as the runtime reports it.
func initTrace(tb testing.TB, bin string, args ...string) []packageInit {
	tb.Helper()
	c := exec.Command(bin, args...)
	c.Env = append(os.Environ(), "GODEBUG=inittrace=1")
	var stderr bytes.Buffer
	c.Stderr = &stderr
	if err := c.Run(); err != nil {
		tb.Fatalf("%s %s: %v\n%s", bin, strings.Join(args, " "), err, stderr.String())
	}
	var inits []packageInit
	sc := bufio.NewScanner(&stderr)
	for sc.Scan() {
		// init PKG @0.5 ms, 0.02 ms clock, 1024 bytes, 3 allocs
		f := strings.Fields(sc.Text())
		if len(f) != 11 || f[0] != "init" || f[8] != "bytes," {
			continue
		}
		n, err := strconv.ParseInt(f[7], 10, 64)
		if err != nil {
			tb.Fatalf("inittrace line %q: %v", sc.Text(), err)
		}
		inits = append(inits, packageInit{pkg: f[1], bytes: n})
	}
	if len(inits) == 0 {
		tb.Fatalf("no inittrace lines in:\n%s", stderr.String())
	}
	return inits
}

// TestStartupInitIsSmall keeps start-up cheap without timing anything: what
// every package allocates while it is initialised is deterministic, and on
// a VM each fresh page of it costs a page fault. Work that only some commands
// need (compiling schemas' metaschemas, regexps, word sets, templates) is
// done on first use instead. Upstream jsonschema's init allocated 1.7 MB,
// the judge's word sets 34 KB. The total catches a new dependency whose
// packages each stay under the limit: today 420 KiB (480 allowed), 245 KiB of it the
// Prometheus client and the packages it brings (docs/startup.md).
func TestStartupInitIsSmall(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	const (
		anyPackage  = 128 << 10 // bytes any one package may allocate at init
		ownPackage  = 8 << 10   // bytes one of llmfall's own packages may
		allPackages = 480 << 10 // bytes all packages together may
	)
	var total int64
	for _, in := range initTrace(t, buildLLMFall(t), "--version") {
		total += in.bytes
		limit := int64(anyPackage)
		if strings.HasPrefix(in.pkg, "github.com/llmfall/llmfall") {
			limit = ownPackage
		}
		if in.bytes > limit {
			t.Errorf("initialising %s allocates %d bytes, over %d: make what only some commands need lazy (sync.OnceValue)", in.pkg, in.bytes, limit)
		}
	}
	if total > allPackages {
		t.Errorf("package initialisation allocates %d bytes in all, over %d: see which dependency brings it with GODEBUG=inittrace=1 llmfall --version, and docs/startup.md", total, allPackages)
	}
	t.Logf("all package initialisation: %d bytes", total)
}

// BenchmarkStartupVersion runs the built binary's --version: the cost of
// starting llmfall at all, most of it package initialisation and the page
// faults it takes (see it per package with GODEBUG=inittrace=1 llmfall
// --version, and each dependency's price in docs/startup.md). It runs
// llmfall as `go build` makes it, as the README's install command makes it
// (static, CGO_ENABLED=0), and a Go hello world, the floor any Go binary
// pays on the same machine. faults/op is the process's minor page faults,
// which the machine's load changes little; init-KB/op is what all package
// initialisation allocates.
func BenchmarkStartupVersion(b *testing.B) {
	for _, bc := range []struct {
		name  string
		build func(testing.TB) string
	}{
		{"llmfall", func(tb testing.TB) string { return buildLLMFall(tb) }},
		{"llmfall-static", func(tb testing.TB) string { return buildLLMFall(tb, "CGO_ENABLED=0") }},
		{"hello-world", buildHelloWorld},
	} {
		b.Run(bc.name, func(b *testing.B) {
			bin := bc.build(b)
			var initBytes int64
			for _, in := range initTrace(b, bin, "--version") {
				initBytes += in.bytes
			}
			var faults int64
			b.ResetTimer()
			for b.Loop() {
				c := exec.Command(bin, "--version")
				if out, err := c.CombinedOutput(); err != nil {
					b.Fatalf("%s --version: %v\n%s", bin, err, out)
				}
				faults += minorFaults(c.ProcessState)
			}
			b.ReportMetric(float64(faults)/float64(b.N), "faults/op")
			b.ReportMetric(float64(initBytes)/1024, "init-KB/op")
		})
	}
}
