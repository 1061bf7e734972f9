package eval

import (
	"errors"
	"io/fs"
	"testing"
)

// errCause shortens the messages of suite files that cannot be read: a
// *fs.PathError gives its cause (the path is said already), and an error
// without a cause is kept whole, not lost or dereferenced.
func TestErrCause(t *testing.T) {
	plain := errors.New("not a regular file")
	for _, tc := range []struct {
		err, want error
	}{
		{&fs.PathError{Op: "open", Path: "cases/c.jsonl", Err: fs.ErrNotExist}, fs.ErrNotExist},
		{plain, plain},
	} {
		if got := errCause(tc.err); got != tc.want {
			t.Errorf("errCause(%v) = %v; want %v", tc.err, got, tc.want)
		}
	}
}
