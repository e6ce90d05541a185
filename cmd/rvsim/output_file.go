package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/rvsim/rvsim/logfmt"
	"github.com/rvsim/rvsim/vmm"
)

// Errors of record's check of its output file, made before anything is
// written.
var (
	// errOutputIsProgram: -o names the program being recorded (the same
	// file, by any path or link).
	errOutputIsProgram = errors.New("the output is the program being recorded")
	// errOutputNotTrace: -o names an existing regular file that is not
	// an rvsim trace.
	errOutputNotTrace = errors.New("the output exists and is not an rvsim trace")
	// errOutputIsStdio: -o names the file, pipe or socket that rvsim's
	// standard output or standard error is, where the program's output
	// goes too.
	errOutputIsStdio = errors.New("the output is where the program's output goes too")
)

// checkOutput decides whether record may write its trace to out. It
// refuses the program itself (os.SameFile: another path, a symbolic or
// hard link count too) and an existing non-empty regular file that is not
// an rvsim trace (a typo must not destroy a file); it reports whether out
// is an existing trace, which the recording replaces (traceOut.Write
// warns). It refuses too the file, pipe or socket
// that rvsim's standard output or error is (-o /dev/stdout into a pipe,
// or -o F with >F): the program writes its output there as well, and a
// trace with output mixed into it does not read back. Devices and pipes
// (/dev/null, a FIFO) and empty files are written without a word.
func (a *app) checkOutput(out string, prog *vmm.Program) (bool, error) {
	st, err := os.Stat(out)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("record: -o %q: %w", out, err)
	}
	if st.Mode()&os.ModeCharDevice == 0 {
		for _, std := range []struct {
			f          *os.File
			name, hint string
		}{{os.Stdout, "standard output", "-o /dev/fd/3 3>&1 >FILE"}, {os.Stderr, "standard error", "-o /dev/fd/3 3>&2 2>FILE"}} {
			if fi, err := std.f.Stat(); err == nil && os.SameFile(st, fi) {
				return false, fmt.Errorf("record: -o %q: %w: it is rvsim's %s; nothing written: send the trace or the program's %s elsewhere (%s)",
					out, errOutputIsStdio, std.name, std.name, std.hint)
			}
		}
	}
	if ps, err := os.Stat(prog.Path); err == nil && os.SameFile(st, ps) {
		return false, fmt.Errorf("record: -o %q: %w %q: nothing written; give another -o", out, errOutputIsProgram, prog.Path)
	}
	if !st.Mode().IsRegular() || st.Size() == 0 {
		return false, nil
	}
	is, err := isTrace(out)
	if err != nil {
		return false, fmt.Errorf("record: -o %q: %w", out, err)
	}
	if !is {
		return false, fmt.Errorf("record: -o %q: %w: nothing written; remove it or give another -o", out, errOutputNotTrace)
	}
	return true, nil
}

// traceOut is record's trace file, opened and locked but not emptied
// (openTrace): vmm writes nothing to it until the machine is built and the
// guest is about to run, so that a recording that cannot start (a program
// that does not fit --mem, arguments too large) leaves an existing trace
// as it was. The first Write empties a regular file and warns that an
// existing trace is replaced.
type traceOut struct {
	io.WriteCloser
	name      string
	replacing bool // an existing trace (checkOutput)
	started   bool
	warn      func(string)
}

// Write empties the file before the first write, then writes p.
func (t *traceOut) Write(p []byte) (int, error) {
	if !t.started {
		t.started = true
		if f, ok := t.WriteCloser.(*os.File); ok {
			if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
				if err := f.Truncate(0); err != nil {
					return 0, err
				}
			}
		}
		if t.replacing {
			t.warn(fmt.Sprintf("record: replacing the existing trace %q", t.name))
		}
	}
	return t.WriteCloser.Write(p)
}

// abandon closes a trace file nothing was written to, and removes it if
// the recording created it (created) and it is still an empty regular
// file: the file a symbolic link named, not the link.
func (t *traceOut) abandon(created bool) {
	t.Close()
	if !created || t.started {
		return
	}
	p, err := filepath.EvalSymlinks(t.name)
	if err != nil {
		return
	}
	if fi, err := os.Lstat(p); err == nil && fi.Mode().IsRegular() && fi.Size() == 0 {
		os.Remove(p)
	}
}

// isTrace reports whether the file name starts as an rvsim trace does.
func isTrace(name string) (bool, error) {
	b, err := fileStart(name)
	return err == nil && logfmt.StartsTrace(b), err
}

// fileStart returns the first logfmt.StartLen bytes of the file name, or
// all of a shorter one.
func fileStart(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b := make([]byte, logfmt.StartLen)
	n, err := io.ReadFull(f, b)
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		err = nil
	}
	return b[:n], err
}
