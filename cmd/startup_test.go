package cmd

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
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

// buildHelloWorld builds the smallest Go program that prints a line, with
// a blank import of each of imports: alone, what starting any Go binary
// costs on this machine, the floor under llmfall's figures; with imports,
// what initialising them adds (their code is linked only as far as their
// initialisation reaches it). It is built in llmfall's module, so an
// import is the version llmfall uses.
func buildHelloWorld(tb testing.TB, imports ...string) string {
	tb.Helper()
	var src strings.Builder
	src.WriteString("package main\n\nimport (\n\t\"os\"\n")
	for _, imp := range imports {
		fmt.Fprintf(&src, "\t_ %q\n", imp)
	}
	src.WriteString(")\n\nfunc main() { os.Stdout.WriteString(\"hello\\n\") }\n")
	dir := tb.TempDir()
	file := filepath.Join(dir, "main.go")
	if err := os.WriteFile(file, []byte(src.String()), 0o644); err != nil {
		tb.Fatal(err)
	}
	bin := filepath.Join(dir, "hello")
	if out, err := exec.Command("go", "build", "-o", bin, file).CombinedOutput(); err != nil {
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
// --version, and each dependency's price with BenchmarkStartupDependency and
// in docs/startup.md). It runs llmfall as `go build` makes it, as the
// README's install command makes it (static, CGO_ENABLED=0), and a Go hello
// world, the floor any Go binary pays on the same machine.
func BenchmarkStartupVersion(b *testing.B) {
	for _, bc := range []struct {
		name  string
		build func(testing.TB) string
	}{
		{"llmfall", func(tb testing.TB) string { return buildLLMFall(tb) }},
		{"llmfall-static", func(tb testing.TB) string { return buildLLMFall(tb, "CGO_ENABLED=0") }},
		{"hello-world", func(tb testing.TB) string { return buildHelloWorld(tb) }},
	} {
		b.Run(bc.name, func(b *testing.B) { benchmarkStart(b, bc.build(b)) })
	}
}

// BenchmarkStartupDependency prices llmfall's large dependencies one at a
// time: a Go hello world that imports only that one (compare with the
// hello-world row). Dependencies share much (net/http, crypto/tls, regexp),
// so the prices do not add up to llmfall's. Two more rows price one in
// context: a hello world that imports everything llmfall's packages import,
// and the same without the Prometheus client (docs/startup.md has the same
// for the others).
func BenchmarkStartupDependency(b *testing.B) {
	all := llmfallImports(b)
	var allButPrometheus []string
	for _, imp := range all {
		if !strings.HasPrefix(imp, "github.com/prometheus/") {
			allButPrometheus = append(allButPrometheus, imp)
		}
	}
	for _, bc := range []struct {
		name    string
		imports []string
	}{
		{"hello-world", nil},
		{"net-http", []string{"net/http"}},
		{"prometheus", []string{
			"github.com/prometheus/client_golang/prometheus",
			"github.com/prometheus/client_golang/prometheus/collectors",
			"github.com/prometheus/client_golang/prometheus/promhttp",
		}},
		{"redis", []string{"github.com/redis/go-redis/v9"}},
		{"lipgloss", []string{"github.com/charmbracelet/lipgloss", "github.com/charmbracelet/lipgloss/table"}},
		{"cobra", []string{"github.com/spf13/cobra"}},
		{"yaml", []string{"gopkg.in/yaml.v3"}},
		{"jsonschema", []string{"github.com/santhosh-tekuri/jsonschema/v6", "golang.org/x/text/message"}},
		{"report-formats", []string{"html/template", "encoding/xml"}},
		{"all-llmfall-imports", all},
		{"all-but-prometheus", allButPrometheus},
	} {
		b.Run(bc.name, func(b *testing.B) { benchmarkStart(b, buildHelloWorld(b, bc.imports...)) })
	}
}

// llmfallImports lists the packages from outside llmfall that its packages
// import and its binary links.
func llmfallImports(tb testing.TB) []string {
	tb.Helper()
	goList := func(args ...string) []string {
		out, err := exec.Command("go", append([]string{"list"}, args...)...).Output()
		if err != nil {
			tb.Fatalf("go list %s: %v", strings.Join(args, " "), err)
		}
		return strings.Fields(string(out))
	}
	linked := map[string]bool{}
	for _, pkg := range goList("-deps", "github.com/llmfall/llmfall") {
		linked[pkg] = true
	}
	var imports []string
	for _, pkg := range goList("-f", `{{join .Imports "\n"}}`, "github.com/llmfall/llmfall/...") {
		internal := strings.Contains(pkg, "internal/") || strings.HasSuffix(pkg, "/internal")
		if linked[pkg] && !internal && pkg != "C" && !strings.HasPrefix(pkg, "github.com/llmfall/llmfall") && !slices.Contains(imports, pkg) {
			imports = append(imports, pkg)
		}
	}
	return imports
}

// benchmarkStart runs bin --version b.N times. faults/op is the process's
// minor page faults, which the machine's load changes little (on a VM each
// costs tens of microseconds); init-KB/op is what all package
// initialisation allocates.
func benchmarkStart(b *testing.B, bin string) {
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
}
