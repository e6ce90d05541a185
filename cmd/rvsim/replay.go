package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/rvsim/rvsim/logfmt"
	"github.com/rvsim/rvsim/vmm"
)

// errProgramNotFound: replay was given only a trace, and the program it
// was recorded from is at none of the paths the trace names.
var errProgramNotFound = errors.New("the recorded program is not found")

// findProgram finds the program a trace was recorded from when replay (or
// debug: cmd names the command, for errors) is given no PROG: at the path recorded (as given to record), then at the
// absolute path recorded. A program whose SHA-256 is the recorded one is
// preferred; failing that, the first one found is returned, and the
// replay refuses it naming both hashes.
func findProgram(cmd, tracePath string, h logfmt.Header) (*vmm.Program, error) {
	var paths []string
	for _, p := range []string{h.ELF, h.ELFAbs} {
		if p != "" && (len(paths) == 0 || paths[0] != p) {
			paths = append(paths, p)
		}
	}
	var first *vmm.Program
	for _, p := range paths {
		// Only a regular file is taken for the program: a trace naming
		// /dev/stdin, a FIFO or a device must not make replay read them.
		if fi, err := os.Stat(p); err == nil && !fi.Mode().IsRegular() {
			return nil, fmt.Errorf("%s %q: the recorded program %q is not a regular file; give it: rvsim %s PROG TRACE", cmd, tracePath, p, cmd)
		}
		prog, err := vmm.LoadFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("%s %q: the recorded program: %w", cmd, tracePath, err)
		}
		if fmt.Sprintf("%x", prog.SHA256) == h.ELFSHA256 {
			return prog, nil
		}
		if first == nil {
			first = prog
		}
	}
	if first != nil {
		return first, nil
	}
	quoted := make([]string, len(paths))
	for i, p := range paths {
		quoted[i] = fmt.Sprintf("%q", p)
	}
	where := "the trace names no path"
	if len(quoted) > 0 {
		where = "tried " + strings.Join(quoted, " and ")
	}
	return nil, fmt.Errorf("%s %q: %w (%s); give it: rvsim %s PROG TRACE", cmd, tracePath, errProgramNotFound, where, cmd)
}
