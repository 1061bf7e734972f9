package eval

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
)

// Revision is a commit of the git repository holding the suite: the base a
// pull request is compared with (--base, --changed-since).
type Revision struct {
	// Top is the repository's work tree root, symlinks resolved.
	Top string
	// Commit is the full hash the ref named when it was verified.
	Commit string
}

// ResolveRevision verifies that ref names a commit of the repository that
// holds dir, before anything else is done with it: a ref that starts with
// "-" is refused outright (git would read it as an option), and the name is
// resolved once, so that every later read sees the same commit.
func ResolveRevision(ctx context.Context, dir, ref string) (*Revision, error) {
	if ref == "" || strings.HasPrefix(ref, "-") {
		return nil, fmt.Errorf("ref %q: a git ref may not be empty or start with \"-\"", ref)
	}
	top, err := git(ctx, dir, "rev-parse", "--show-toplevel")
	if err != nil {
		return nil, err
	}
	top = strings.TrimSpace(top)
	if real, err := filepath.EvalSymlinks(top); err == nil {
		top = real
	}
	commit, err := git(ctx, top, "rev-parse", "--verify", "--quiet", "--end-of-options", ref+"^{commit}")
	if err != nil {
		return nil, fmt.Errorf("ref %q does not name a commit of %s", ref, top)
	}
	return &Revision{Top: top, Commit: strings.TrimSpace(commit)}, nil
}

// RepoPath is path (absolute, or relative to the working directory) as a
// slash-separated path inside the repository, or an error when it is not
// inside it.
func (r *Revision) RepoPath(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real
	}
	rel, err := filepath.Rel(r.Top, abs)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", fmt.Errorf("%s is outside the repository %s", p, r.Top)
	}
	return filepath.ToSlash(rel), nil
}

// Exists reports whether the repository path (from RepoPath) exists at the
// revision.
func (r *Revision) Exists(ctx context.Context, repoPath string) bool {
	_, err := git(ctx, r.Top, "cat-file", "-e", r.Commit+":"+repoPath)
	return err == nil
}

// ReadFile is a file's content at the revision.
func (r *Revision) ReadFile(ctx context.Context, repoPath string) ([]byte, error) {
	out, err := git(ctx, r.Top, "show", r.Commit+":"+repoPath)
	if err != nil {
		return nil, err
	}
	return []byte(out), nil
}

// Extract writes the given repository paths (files or directories) as they
// are at the revision under dst, through an os.Root so that no entry, link
// or not, lands outside dst. Paths missing at the revision are skipped.
func (r *Revision) Extract(ctx context.Context, repoPaths []string, dst string) error {
	var present []string
	for _, p := range repoPaths {
		if p == "." || r.Exists(ctx, p) {
			present = append(present, p)
		}
	}
	if len(present) == 0 {
		return nil
	}
	archive, err := git(ctx, r.Top, append([]string{"archive", "--format=tar", r.Commit, "--"}, present...)...)
	if err != nil {
		return err
	}
	root, err := os.OpenRoot(dst)
	if err != nil {
		return err
	}
	defer root.Close()
	tr := tar.NewReader(strings.NewReader(archive))
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading the archive of %s: %w", r.Commit, err)
		}
		if err := extractEntry(root, h, tr); err != nil {
			return fmt.Errorf("extracting %s at %s: %w", h.Name, r.Commit, err)
		}
	}
}

func extractEntry(root *os.Root, h *tar.Header, body io.Reader) error {
	name := path.Clean(h.Name)
	switch h.Typeflag {
	case tar.TypeDir:
		return root.MkdirAll(name, 0o755)
	case tar.TypeReg:
		if err := root.MkdirAll(path.Dir(name), 0o755); err != nil {
			return err
		}
		data, err := io.ReadAll(body)
		if err != nil {
			return err
		}
		return root.WriteFile(name, data, 0o644)
	case tar.TypeSymlink:
		// Kept as a link: the suite loader decides whether it may follow
		// it, as it does in the work tree.
		if err := root.MkdirAll(path.Dir(name), 0o755); err != nil {
			return err
		}
		return root.Symlink(h.Linkname, name)
	}
	return nil // git archive writes nothing else but a global header
}

// git runs git in dir. Paths are taken literally (--literal-pathspecs): a
// suite directory named "p*" is that directory, not every one it matches.
func git(ctx context.Context, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", append([]string{"-C", dir, "--literal-pathspecs"}, args...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(errb.String())
		if msg == "" {
			msg = err.Error()
		}
		return "", fmt.Errorf("git %s: %s", strings.Join(args, " "), msg)
	}
	return out.String(), nil
}
