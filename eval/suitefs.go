package eval

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// Default bounds of LoadOptions.
const (
	// DefaultMaxFileBytes caps every file a suite reads.
	DefaultMaxFileBytes = 50 << 20
	// DefaultMaxPromptBytes caps every rendered template.
	DefaultMaxPromptBytes = 1 << 20
)

// ErrOutsideSuite marks a file reference that leaves the suite's root
// directory: an absolute path, a "..", or a link pointing outside.
var ErrOutsideSuite = errors.New("outside the suite directory")

// ErrTooLarge marks a suite file or rendered template over its size limit.
var ErrTooLarge = errors.New("over the size limit")

// suiteRoot is the directory a suite's files must stay inside: the
// directory given to LoadSuite, or a prompt file's own directory when a
// file is given. Every file of the suite is read through an os.Root, which
// resolves links itself and refuses any path that leaves the directory, so
// a pull request cannot make a suite read the runner's files (a link to a
// private key as a case file). Reads are capped before the data is whole.
type suiteRoot struct {
	// dir is the directory as given, to build paths for messages.
	dir string
	// abs is the directory's absolute path, slash-separated, under which
	// schema files are compiled so that their $refs resolve against it.
	abs      string
	root     *os.Root
	maxBytes int64
}

func openSuiteRoot(dir string, maxBytes int64) (*suiteRoot, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	r, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	return &suiteRoot{dir: dir, abs: strings.TrimSuffix(filepath.ToSlash(abs), "/"), root: r, maxBytes: maxBytes}, nil
}

func (s *suiteRoot) Close() error { return s.root.Close() }

// display is the path of a root-relative name as the user wrote the
// suite's directory, for messages and results.
func (s *suiteRoot) display(name string) string {
	return filepath.Join(s.dir, filepath.FromSlash(name))
}

// resolve turns a reference written in the file at from (root-relative) into
// a root-relative name, refusing absolute paths and paths that climb out.
func (s *suiteRoot) resolve(from, ref string) (string, error) {
	if ref == "" || filepath.IsAbs(ref) || path.IsAbs(filepath.ToSlash(ref)) || filepath.VolumeName(ref) != "" {
		return "", fmt.Errorf("%q is %w %s (write a path relative to the file that names it)", ref, ErrOutsideSuite, s.dir)
	}
	name := path.Join(path.Dir(filepath.ToSlash(from)), filepath.ToSlash(ref))
	if !filepath.IsLocal(filepath.FromSlash(name)) {
		return "", fmt.Errorf("%q is %w %s", ref, ErrOutsideSuite, s.dir)
	}
	return name, nil
}

// readFile reads the root-relative file name whole, if it stays inside the
// root (links included) and is no larger than the limit.
func (s *suiteRoot) readFile(name string) ([]byte, error) {
	return s.readFileMax(name, s.maxBytes)
}

// readFileMax is readFile with a limit of its own (images have a lower
// one).
func (s *suiteRoot) readFileMax(name string, maxBytes int64) ([]byte, error) {
	// Only a regular file is read: opening a named pipe waits for a writer
	// (a suite could hang the load for ever), and opening a device can do
	// things of its own. So the file is looked at before it is opened, and
	// opened without blocking in case it was swapped for a pipe meanwhile;
	// the open file is looked at again.
	native := filepath.FromSlash(name)
	info, err := s.root.Stat(native)
	if err != nil {
		return nil, s.openError(name, err)
	}
	if !info.Mode().IsRegular() {
		return nil, notRegular(name, info.Mode())
	}
	f, err := s.root.OpenFile(native, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, s.openError(name, err)
	}
	defer f.Close()
	info, err = f.Stat()
	if err != nil {
		return nil, errCause(err)
	}
	if !info.Mode().IsRegular() {
		return nil, notRegular(name, info.Mode())
	}
	if info.Size() > maxBytes {
		return nil, tooLarge(name, maxBytes)
	}
	// The size checked above can grow while the file is read; the limit
	// holds whatever the file does.
	data, err := io.ReadAll(io.LimitReader(f, maxBytes+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > maxBytes {
		return nil, tooLarge(name, maxBytes)
	}
	return data, nil
}

// openError says why the root-relative file name could not be looked at
// or opened.
func (s *suiteRoot) openError(name string, err error) error {
	switch {
	case s.escapes(name):
		return fmt.Errorf("%s is a link %w %s", name, ErrOutsideSuite, s.dir)
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, fs.ErrPermission):
		// Not wrapped: a file the suite names and lacks is the suite's
		// mistake, not a missing path on the command line.
		return fmt.Errorf("%v", errCause(err))
	default:
		// os.Root refuses a link with an absolute target even when it
		// points inside.
		return fmt.Errorf("%s: %v (%w %s? a link must be relative and stay inside it)", name, errCause(err), ErrOutsideSuite, s.dir)
	}
}

// notRegular refuses a suite file that is not a regular file, saying what
// it is when that is known.
func notRegular(name string, mode fs.FileMode) error {
	var kind string
	switch {
	case mode.IsDir():
		kind = "a directory"
	case mode&fs.ModeNamedPipe != 0:
		kind = "a named pipe"
	case mode&fs.ModeSocket != 0:
		kind = "a socket"
	case mode&fs.ModeDevice != 0:
		kind = "a device"
	default:
		return fmt.Errorf("%s is not a regular file", name)
	}
	return fmt.Errorf("%s is %s, not a regular file", name, kind)
}

func tooLarge(name string, maxBytes int64) error {
	return fmt.Errorf("%s is %w of %d bytes for a suite file", name, ErrTooLarge, maxBytes)
}

// escapes tells a refused link from a missing file, for the message only:
// the refusal itself is os.Root's.
func (s *suiteRoot) escapes(name string) bool {
	dir, err1 := filepath.EvalSymlinks(s.dir)
	p, err2 := filepath.EvalSymlinks(filepath.Join(s.dir, filepath.FromSlash(name)))
	return err1 == nil && err2 == nil && !inside(dir, p)
}

// walk lists the prompt-file candidates under the root: *.yaml and *.yml,
// skipping hidden directories. Links are not followed: a linked directory
// is not walked, and a linked file is read through the root like any other,
// so one pointing outside is refused.
func (s *suiteRoot) walk() ([]string, error) {
	var names []string
	err := fs.WalkDir(s.root.FS(), ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		base := d.Name()
		if d.IsDir() {
			if name != "." && strings.HasPrefix(base, ".") {
				return fs.SkipDir
			}
			return nil
		}
		ext := path.Ext(base)
		if ext != ".yaml" && ext != ".yml" || strings.TrimSuffix(base, ext) == "llmfall" {
			return nil
		}
		names = append(names, name)
		return nil
	})
	return names, err
}

// schemaURL is the URL a schema file at the root-relative name is compiled
// under, so that its relative $refs resolve inside the root.
func (s *suiteRoot) schemaURL(name string) string {
	return (&url.URL{Scheme: "file", Path: s.abs + "/" + name}).String()
}

// schemaLoader serves a schema's $refs: only files inside the suite root,
// read through it. Any other URL (another file on the runner, http) is
// refused, so a schema cannot pull the runner's files into failure messages
// nor make requests.
type schemaLoader struct {
	s *suiteRoot
	// read, when set, hears every document loaded (for fingerprints).
	read func(ref string, data []byte)
}

func (l schemaLoader) Load(ref string) (any, error) {
	u, err := url.Parse(ref)
	if err != nil {
		return nil, err
	}
	if u.Scheme != "file" || u.Host != "" {
		return nil, fmt.Errorf("$ref %s is %w %s: a schema may only refer to files inside it", ref, ErrOutsideSuite, l.s.dir)
	}
	name, under := strings.CutPrefix(path.Clean(u.Path), l.s.abs+"/")
	if !under || !filepath.IsLocal(filepath.FromSlash(name)) {
		return nil, fmt.Errorf("$ref %s is %w %s", ref, ErrOutsideSuite, l.s.dir)
	}
	data, err := l.s.readFile(name)
	if err != nil {
		return nil, fmt.Errorf("$ref %s: %w", ref, err)
	}
	if l.read != nil {
		l.read(name, data)
	}
	return jsonschema.UnmarshalJSON(strings.NewReader(string(data)))
}
