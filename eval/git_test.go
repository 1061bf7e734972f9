package eval

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// gitRun runs git in dir as on a fresh CI machine: no system or global
// config (an empty file of its own, not /dev/null, which a -race build as
// root can turn into a regular file), an author from the environment.
func gitRun(t *testing.T, dir string, args ...string) string {
	t.Helper()
	global := filepath.Join(t.TempDir(), "gitconfig")
	if err := os.WriteFile(global, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("git", append([]string{"-C", dir, "-c", "commit.gpgsign=false"}, args...)...)
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL="+global,
		"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

func TestRevision(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"prompts/a.yaml": "base", "prompts/cases/b.jsonl": "{}", "llmfall.yaml": "x"})
	if err := os.Symlink("a.yaml", filepath.Join(dir, "prompts", "link.yaml")); err != nil {
		t.Fatal(err)
	}
	gitRun(t, dir, "init", "-q", "-b", "main")
	gitRun(t, dir, "add", "-A")
	gitRun(t, dir, "commit", "-q", "-m", "base")
	gitRun(t, dir, "tag", "v1")
	writeFiles(t, dir, map[string]string{"prompts/a.yaml": "head"})
	gitRun(t, dir, "commit", "-q", "-am", "head")
	ctx := context.Background()

	rev, err := ResolveRevision(ctx, filepath.Join(dir, "prompts"), "v1")
	if err != nil {
		t.Fatal(err)
	}
	if want := gitRun(t, dir, "rev-parse", "HEAD~1"); rev.Commit != want {
		t.Errorf("Commit = %s; want %s", rev.Commit, want)
	}
	rp, err := rev.RepoPath(filepath.Join(dir, "prompts"))
	if err != nil || rp != "prompts" {
		t.Fatalf("RepoPath = %q, %v; want prompts", rp, err)
	}
	dst := t.TempDir()
	if err := rev.Extract(ctx, []string{"prompts", "missing"}, dst); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"prompts/a.yaml": "base", "prompts/link.yaml": "base", "prompts/cases/b.jsonl": "{}"} {
		if got, err := os.ReadFile(filepath.Join(dst, name)); err != nil || string(got) != want {
			t.Errorf("%s = %q, %v; want %q", name, got, err, want)
		}
	}
	if _, err := os.Stat(filepath.Join(dst, "llmfall.yaml")); err == nil {
		t.Error("Extract wrote a path it was not asked for")
	}
	if data, err := rev.ReadFile(ctx, "llmfall.yaml"); err != nil || string(data) != "x" {
		t.Errorf("ReadFile = %q, %v", data, err)
	}
	if _, err := rev.RepoPath(t.TempDir()); err == nil {
		t.Error("RepoPath accepted a path outside the repository")
	}

	for _, ref := range []string{"-h", "--output=x", "", "nope", gitRun(t, dir, "rev-parse", "HEAD:llmfall.yaml")} {
		if _, err := ResolveRevision(ctx, dir, ref); err == nil {
			t.Errorf("ResolveRevision(%q) succeeded; want an error", ref)
		}
	}
	if _, err := ResolveRevision(ctx, t.TempDir(), "HEAD"); err == nil {
		t.Error("ResolveRevision succeeded outside a repository")
	}
}
