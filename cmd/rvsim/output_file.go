package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

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
// an rvsim trace (a typo must not destroy a file); it warns when an
// existing trace is replaced. It refuses too the file, pipe or socket
// that rvsim's standard output or error is (-o /dev/stdout into a pipe,
// or -o F with >F): the program writes its output there as well, and a
// trace with output mixed into it does not read back. Devices and pipes
// (/dev/null, a FIFO) and empty files are written without a word.
func (a *app) checkOutput(out string, prog *vmm.Program) error {
	st, err := os.Stat(out)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("record: -o %q: %w", out, err)
	}
	if st.Mode()&os.ModeCharDevice == 0 {
		for _, std := range []struct {
			f          *os.File
			name, hint string
		}{{os.Stdout, "standard output", "-o /dev/fd/3 3>&1 >FILE"}, {os.Stderr, "standard error", "-o /dev/fd/3 3>&2 2>FILE"}} {
			if fi, err := std.f.Stat(); err == nil && os.SameFile(st, fi) {
				return fmt.Errorf("record: -o %q: %w: it is rvsim's %s; nothing written: send the trace or the program's %s elsewhere (%s)",
					out, errOutputIsStdio, std.name, std.name, std.hint)
			}
		}
	}
	if ps, err := os.Stat(prog.Path); err == nil && os.SameFile(st, ps) {
		return fmt.Errorf("record: -o %q: %w %q: nothing written; give another -o", out, errOutputIsProgram, prog.Path)
	}
	if !st.Mode().IsRegular() || st.Size() == 0 {
		return nil
	}
	is, err := isTrace(out)
	if err != nil {
		return fmt.Errorf("record: -o %q: %w", out, err)
	}
	if !is {
		return fmt.Errorf("record: -o %q: %w: nothing written; remove it or give another -o", out, errOutputNotTrace)
	}
	a.log.Warn(fmt.Sprintf("record: replacing the existing trace %q", out))
	return nil
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
