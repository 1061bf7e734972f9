package eval

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
)

// Journal writes each result to a JSON Lines file the moment its case
// finishes, and at the end writes the results document from that file, in
// plan order, so that neither needs every result in memory. An interrupted
// or killed run leaves every finished result in the journal.
//
// Lines are in the order cases finished; each is one Result as the results
// document has it.
type Journal struct {
	path string
	f    *os.File
	w    *bufio.Writer
	// line and enc encode each result, reusing line's memory.
	line bytes.Buffer
	enc  *json.Encoder
	// at and size locate the line of each plan index; size 0: none yet.
	at   []int64
	size []int32
	end  int64
	err  error
}

// JournalPath is where the journal of a results document at path goes:
// beside it, with ".jsonl" appended (results.json → results.json.jsonl).
func JournalPath(path string) string { return path + ".jsonl" }

// CreateJournal creates (or truncates) the journal file at path.
func CreateJournal(path string) (*Journal, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, fmt.Errorf("creating the results journal: %w", err)
	}
	j := &Journal{path: path, f: f, w: bufio.NewWriter(f)}
	j.enc = json.NewEncoder(&j.line)
	return j, nil
}

// Path is the journal's file.
func (j *Journal) Path() string { return j.path }

// record appends r as the result of plan index i and flushes it to the
// file. Calls are serialised by the caller. The first error is kept and
// returned by Close.
func (j *Journal) record(i int, r *Result) {
	if j.err != nil {
		return
	}
	// As json.Marshal would encode r, and a newline.
	j.line.Reset()
	if err := j.enc.Encode(r); err != nil {
		j.err = fmt.Errorf("writing the results journal: %w", err)
		return
	}
	b := j.line.Bytes()
	for len(j.at) <= i {
		j.at, j.size = append(j.at, 0), append(j.size, 0)
	}
	j.at[i], j.size[i] = j.end, int32(len(b)-1)
	if _, err := j.w.Write(b); err != nil {
		j.err = fmt.Errorf("writing the results journal %s: %w", j.path, err)
		return
	}
	// Flushed at once: what finished is on disk whatever ends the run.
	if err := j.w.Flush(); err != nil {
		j.err = fmt.Errorf("writing the results journal %s: %w", j.path, err)
		return
	}
	j.end += int64(len(b))
}

// WriteResults writes the results document to path, atomically: rs's
// version, summary and run, and as results every line of the journal in
// plan order (rs.Results is not read: with RunOptions.Retain it holds
// only some). The document is the same as rs.WriteFile would write for the
// full results.
func (j *Journal) WriteResults(path string, rs *Results) error {
	if j.err != nil {
		return j.err
	}
	return writeAtomicWith(path, func(w io.Writer) error {
		bw := bufio.NewWriter(w)
		fmt.Fprintf(bw, "{\n  \"version\": %d,\n  \"results\": [", rs.Version)
		n := 0
		var line []byte
		var indented bytes.Buffer
		for i := range j.at {
			if j.size[i] == 0 {
				continue
			}
			line = slices.Grow(line[:0], int(j.size[i]))[:j.size[i]]
			if _, err := j.f.ReadAt(line, j.at[i]); err != nil {
				return fmt.Errorf("reading the results journal %s: %w", j.path, err)
			}
			indented.Reset()
			if err := json.Indent(&indented, line, "    ", "  "); err != nil {
				return fmt.Errorf("reading the results journal %s: %w", j.path, err)
			}
			if n > 0 {
				bw.WriteString(",")
			}
			bw.WriteString("\n    ")
			bw.Write(indented.Bytes())
			n++
		}
		if n > 0 {
			bw.WriteString("\n  ")
		}
		bw.WriteString("],\n  \"summary\": ")
		tail, err := json.MarshalIndent(struct {
			Summary Summary  `json:"summary"`
			Run     *RunInfo `json:"run,omitempty"`
		}{rs.Summary, rs.Run}, "", "  ")
		if err != nil {
			return fmt.Errorf("writing results: %w", err)
		}
		// tail is {"summary": …, "run": …}: keep what follows its key.
		bw.Write(tail[len("{\n  \"summary\": "):])
		bw.WriteString("\n")
		return bw.Flush()
	})
}

// Close closes the journal file and returns the first error met writing it.
func (j *Journal) Close() error {
	err := j.err
	if cerr := j.f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("closing the results journal %s: %w", j.path, cerr)
	}
	return err
}

// writeAtomicWith writes a file through write, a temporary file in the same
// directory and a rename, like writeAtomic.
func writeAtomicWith(path string, write func(io.Writer) error) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	tmp := f.Name()
	werr := write(f)
	if werr == nil {
		werr = f.Chmod(0o644)
	}
	cerr := f.Close()
	if werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(tmp, path)
	}
	if werr != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", path, werr)
	}
	return nil
}
