package main

import (
	"fmt"
	"io"
	"os"

	"github.com/rvsim/rvsim/vmm"
)

// progressWanted decides whether --progress shows its line: only when it
// is asked for, the log format is console, and stderr is a terminal (a
// line redrawn in place would litter a file or a pipe).
func progressWanted(asked bool, format string, stderr io.Writer) bool {
	if !asked || format != "console" {
		return false
	}
	f, ok := stderr.(*os.File)
	return ok && isTerminal(f)
}

// progressLine formats a progress report: instructions, MIPS since the
// start, events and trace bytes.
func progressLine(p vmm.ProgressReport) string {
	return fmt.Sprintf("rvsim: progress: %d instructions, %.1f MIPS, %d events, %d trace bytes",
		p.Instret, mips(p.Instret, p.Elapsed), p.Events, p.TraceBytes)
}

// clearLine returns the cursor to the start of the line and erases it.
const clearLine = "\r\x1b[K"

// progress returns the Config.Progress function of --progress (nil when
// no line is to be shown): it redraws the progress line on stderr.
func (a *app) progress(asked bool) func(vmm.ProgressReport) {
	if !progressWanted(asked, a.logFormat, a.stderr) {
		return nil
	}
	return func(p vmm.ProgressReport) {
		fmt.Fprint(a.stderr, clearLine+progressLine(p))
		a.progressShown = true
	}
}

// runMeasured runs m, measuring its CPU time, and erases the progress line
// afterwards if one was shown.
func (a *app) runMeasured(m *vmm.Machine) (measured, error) {
	mr, err := runMeasured(m)
	if a.progressShown {
		fmt.Fprint(a.stderr, clearLine)
		a.progressShown = false
	}
	return mr, err
}
