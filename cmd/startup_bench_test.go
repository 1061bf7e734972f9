package cmd

import (
	"os/exec"
	"path/filepath"
	"testing"
)

// BenchmarkStartupVersion runs the built binary's --version: the cost of
// starting llmfall at all, most of it package initialisation (see it per
// package with GODEBUG=inittrace=1 llmfall --version).
func BenchmarkStartupVersion(b *testing.B) {
	bin := filepath.Join(b.TempDir(), "llmfall")
	build := exec.Command("go", "build", "-o", bin, "github.com/llmfall/llmfall")
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("building llmfall: %v\n%s", err, out)
	}
	b.ResetTimer()
	for b.Loop() {
		if out, err := exec.Command(bin, "--version").CombinedOutput(); err != nil {
			b.Fatalf("llmfall --version: %v\n%s", err, out)
		}
	}
}
