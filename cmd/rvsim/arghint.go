package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"

	"github.com/rvsim/rvsim/logfmt"
	"github.com/rvsim/rvsim/vmm"
)

// elfMagic opens every ELF file.
var elfMagic = []byte("\x7fELF")

// wrongKind adds to err, a failure to load path as a program
// (vmm.ErrNotELF) or to read it as a trace (logfmt.ErrNotTrace), what
// path is when it is the other kind, and use: the arguments given in the
// wrong order, a trace forgotten, a trace given to run. Other errors, and
// files that are not regular (a pipe must not be read twice), are
// returned as they are.
func wrongKind(err error, path, use string) error {
	want := ""
	switch {
	case errors.Is(err, vmm.ErrNotELF):
		want = "trace"
	case errors.Is(err, logfmt.ErrNotTrace):
		want = "elf"
	default:
		return err
	}
	fi, serr := os.Stat(path)
	if serr != nil || !fi.Mode().IsRegular() {
		return err
	}
	b, rerr := fileStart(path)
	switch {
	case rerr != nil:
	case want == "trace" && logfmt.StartsTrace(b):
		return fmt.Errorf("%w (%s is an rvsim trace: %s)", err, path, use)
	case want == "elf" && bytes.HasPrefix(b, elfMagic):
		return fmt.Errorf("%w (%s is an ELF file: %s)", err, path, use)
	}
	return err
}
