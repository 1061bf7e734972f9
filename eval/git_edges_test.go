package eval

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// gitRepo is a repository with one commit of files, for the Revision tests.
func gitRepo(t *testing.T, files map[string]string) string {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	dir := t.TempDir()
	writeFiles(t, dir, files)
	gitRun(t, dir, "init", "-q", "-b", "main")
	gitRun(t, dir, "add", "-A")
	gitRun(t, dir, "commit", "-q", "-m", "base")
	return dir
}

// filesUnder lists the regular files under dir, slash-separated.
func filesUnder(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out = append(out, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

// TestResolveRevisionRefusesOptionLikeRefs: a ref from a pull request that
// starts with "-" is refused by name before git sees it, with a message
// saying why, so that --upload-pack=… or --output=… never reaches git as
// an option, and no file it names is written.
func TestResolveRevisionRefusesOptionLikeRefs(t *testing.T) {
	dir := gitRepo(t, map[string]string{"prompts/a.yaml": "x"})
	ctx := context.Background()
	for _, ref := range []string{"", "-h", "--output=written", "--upload-pack=touch pwned", "-"} {
		_, err := ResolveRevision(ctx, dir, ref)
		want := `a git ref may not be empty or start with "-"`
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ResolveRevision(%q) = %v; want an error saying %s", ref, err, want)
		}
	}
	for _, name := range []string{"written", "pwned"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			t.Errorf("a ref made git write %s", name)
		}
	}
	// Not an option once it does not start with "-": git reads it as a
	// ref (after --end-of-options), and it names nothing.
	_, err := ResolveRevision(ctx, dir, "main --output=written")
	if err == nil || !strings.Contains(err.Error(), `ref "main --output=written" does not name a commit of `) {
		t.Errorf("ResolveRevision(a ref with an option inside) = %v; want it not found", err)
	}
}

// TestGitErrorsSayWhatGitSaid: a failed git command's error is git's own
// message, not just its exit status.
func TestGitErrorsSayWhatGitSaid(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	_, err := ResolveRevision(context.Background(), t.TempDir(), "main")
	if err == nil || !strings.Contains(err.Error(), "git rev-parse --show-toplevel: ") ||
		!strings.Contains(strings.ToLower(err.Error()), "not a git repository") {
		t.Errorf("error = %v; want git's message that this is not a repository", err)
	}
}

// TestRevisionThroughALinkedDirectory: the suite path may reach the
// repository through a link (as /tmp → /private/tmp on macOS); its
// repository path is still found, and the repository's parent is outside.
func TestRevisionThroughALinkedDirectory(t *testing.T) {
	repo := gitRepo(t, map[string]string{"prompts/a.yaml": "x"})
	link := filepath.Join(t.TempDir(), "link")
	symlink(t, repo, link)
	rev, err := ResolveRevision(context.Background(), filepath.Join(link, "prompts"), "main")
	if err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]string{filepath.Join(link, "prompts"): "prompts", link: ".", repo: "."} {
		if got, err := rev.RepoPath(p); err != nil || got != want {
			t.Errorf("RepoPath(%s) = %q, %v; want %q", p, got, err, want)
		}
	}
	if got, err := rev.RepoPath(filepath.Dir(repo)); err == nil {
		t.Errorf("RepoPath(the repository's parent) = %q; want an error", got)
	}
}

// TestExtractTheRootOrNothing: a suite at the repository's root (".")
// is extracted whole; paths that are all missing at the revision extract
// nothing (not, as git archive without paths would, the whole tree).
func TestExtractTheRootOrNothing(t *testing.T) {
	repo := gitRepo(t, map[string]string{"prompts/a.yaml": "x", "llmfall.yaml": "y"})
	ctx := context.Background()
	rev, err := ResolveRevision(ctx, repo, "main")
	if err != nil {
		t.Fatal(err)
	}
	dst := t.TempDir()
	if err := rev.Extract(ctx, []string{"."}, dst); err != nil {
		t.Fatal(err)
	}
	if got, want := filesUnder(t, dst), []string{"llmfall.yaml", "prompts/a.yaml"}; !slices.Equal(got, want) {
		t.Errorf("Extract(.) wrote %q; want %q", got, want)
	}
	dst = t.TempDir()
	if err := rev.Extract(ctx, []string{"missing", "gone/p.yaml"}, dst); err != nil {
		t.Fatal(err)
	}
	if got := filesUnder(t, dst); len(got) != 0 {
		t.Errorf("Extract of missing paths wrote %q; want nothing", got)
	}
}

// TestExtractTakesPathsLiterally: a suite directory whose name has glob
// characters extracts that directory only, not its namesakes.
func TestExtractTakesPathsLiterally(t *testing.T) {
	repo := gitRepo(t, map[string]string{"p*/a.yaml": "x", "pa/b.yaml": "y", "p?/c.yaml": "z"})
	ctx := context.Background()
	rev, err := ResolveRevision(ctx, repo, "main")
	if err != nil {
		t.Fatal(err)
	}
	dst := t.TempDir()
	if err := rev.Extract(ctx, []string{"p*"}, dst); err != nil {
		t.Fatal(err)
	}
	if got, want := filesUnder(t, dst), []string{"p*/a.yaml"}; !slices.Equal(got, want) {
		t.Errorf("Extract(p*) wrote %q; want %q", got, want)
	}
}
