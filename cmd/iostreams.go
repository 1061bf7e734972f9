package cmd

import (
	"io"
	"os"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
	"golang.org/x/term"
)

// IO is where every command reads and writes. Colour and progress bars are
// only for a terminal, and never with NO_COLOR.
type IO struct {
	In     io.Reader
	Out    io.Writer
	Err    io.Writer
	InTTY  bool // stdin is a terminal (so a prompt is not piped in)
	OutTTY bool
	ErrTTY bool
	Color  bool
	// Width is Out's width in columns when it is a terminal, for tables
	// that would otherwise wrap mid-cell; 0 (a pipe, a file) means no limit.
	Width int
	// Render styles text for Out: colour when Color is set, plain ASCII
	// otherwise, so that tests and pipes see stable output.
	Render *lipgloss.Renderer
}

// systemIO describes the process's own standard streams.
func systemIO(getenv func(string) string) *IO {
	isTTY := func(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }
	color := isTTY(os.Stdout) && getenv("NO_COLOR") == "" && getenv("TERM") != "dumb"
	io := newIO(os.Stdin, os.Stdout, os.Stderr, isTTY(os.Stdin), isTTY(os.Stdout), isTTY(os.Stderr), color)
	if io.OutTTY {
		if w, _, err := term.GetSize(int(os.Stdout.Fd())); err == nil {
			io.Width = w
		}
	}
	return io
}

func newIO(in io.Reader, out, errw io.Writer, inTTY, outTTY, errTTY, color bool) *IO {
	r := lipgloss.NewRenderer(out)
	if color {
		r.SetColorProfile(termenv.ANSI256)
	} else {
		r.SetColorProfile(termenv.Ascii)
	}
	return &IO{In: in, Out: out, Err: errw, InTTY: inTTY, OutTTY: outTTY, ErrTTY: errTTY, Color: color, Render: r}
}

// testIO is plain, non-terminal IO over the given buffers.
func testIO(in io.Reader, out, errw io.Writer) *IO {
	return newIO(in, out, errw, false, false, false, false)
}

// inJobLog reports whether output goes to a GitHub Actions job log, where a
// line starting with "::" is a workflow command.
func inJobLog(getenv func(string) string) bool { return getenv("GITHUB_ACTIONS") == "true" }
