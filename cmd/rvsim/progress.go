package main

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

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

// progressKind is the command whose progress a line shows: what it
// reports besides instructions and MIPS.
type progressKind int

const (
	progressRun    progressKind = iota // instructions and MIPS
	progressReplay                     // and the events replayed
	progressRecord                     // and the events recorded and the trace bytes written
)

// progressLine formats a progress report of command k: instructions, MIPS
// since the start, and the events and trace bytes that k has.
func progressLine(p vmm.ProgressReport, k progressKind) string {
	s := fmt.Sprintf("rvsim: progress: %d instructions, %.1f MIPS", p.Instret, mips(p.Instret, p.Elapsed))
	if k >= progressReplay {
		s += fmt.Sprintf(", %d events", p.Events)
	}
	if k == progressRecord {
		s += fmt.Sprintf(", %d trace bytes", p.TraceBytes)
	}
	return s
}

// clearLine returns the cursor to the start of the line and erases it.
const clearLine = "\r\x1b[K"

// progress returns the Config.Progress function of --progress for
// command k (nil when no line is to be shown): it redraws the progress
// line on stderr.
func (a *app) progress(asked bool, k progressKind) func(vmm.ProgressReport) {
	if !progressWanted(asked, a.logFormat, a.stderr) {
		return nil
	}
	return func(p vmm.ProgressReport) { a.drawProgress(p, k) }
}

// drawProgress redraws the progress line of command k with p, unless
// the guest has left a line unfinished on the terminal (a prompt): the
// line would erase it.
func (a *app) drawProgress(p vmm.ProgressReport, k progressKind) {
	a.term.Lock()
	defer a.term.Unlock()
	if a.guestMidLine {
		return
	}
	fmt.Fprint(a.stderr, clearLine+progressLine(p, k))
	a.progressShown = true
}

// eraseProgress erases the progress line, if one is shown.
func (a *app) eraseProgress() {
	a.term.Lock()
	defer a.term.Unlock()
	a.eraseShown()
}

// eraseShown is eraseProgress with a.term held.
func (a *app) eraseShown() {
	if a.progressShown {
		fmt.Fprint(a.stderr, clearLine)
		a.progressShown = false
	}
}

// logSink is where rvsim's own log lines go: stderr, after the progress
// line, if one is shown, is erased, so that a line logged during the run
// starts at the margin instead of after the progress text. The next
// report draws the line again below it.
type logSink struct{ a *app }

// Write erases the progress line, if shown, then writes p to stderr.
func (s logSink) Write(p []byte) (int, error) {
	s.a.term.Lock()
	defer s.a.term.Unlock()
	s.a.eraseShown()
	s.a.endGuestLine()
	return s.a.stderr.Write(p)
}

// runMeasured runs m, measuring its CPU time, and erases the progress line
// afterwards if one was shown.
func (a *app) runMeasured(m *vmm.Machine) (measured, error) {
	mr, err := runMeasured(m)
	a.eraseProgress()
	return mr, err
}

// endSignals are the signals that end run and replay at once, as any
// process, with no message (record catches them to finish its trace).
var endSignals = []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT}

// caughtSignals are the signals of endSignals that rvsim may catch: those
// not ignored when it started. The Go runtime keeps SIGINT and SIGHUP
// ignored if they were (nohup, a background job of a script), and
// catching one would undo that; it does not keep SIGTERM ignored, which
// therefore ends rvsim whether it was or not.
func caughtSignals() []os.Signal {
	var sigs []os.Signal
	for _, s := range endSignals {
		if !signal.Ignored(s) {
			sigs = append(sigs, s)
		}
	}
	return sigs
}

// eraseOnSignals makes the signals of endSignals erase the progress line,
// if one is shown, before they end rvsim, when progress (Config.Progress)
// draws one: the shell's prompt then starts at the margin instead of
// after the progress text. rvsim still dies of the signal, so that its
// parent sees why it ended. A SIGINT or SIGHUP ignored when rvsim started
// stays ignored (caughtSignals). It returns the function
// that gives the signals back their default action; a signal caught
// before that still ends rvsim.
func (a *app) eraseOnSignals(progress func(vmm.ProgressReport)) (restore func()) {
	var sigs []os.Signal
	if progress != nil {
		sigs = caughtSignals()
	}
	if len(sigs) == 0 {
		return func() {}
	}
	c := make(chan os.Signal, 1)
	signal.Notify(c, sigs...)
	quitTaken.Add(1)
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		select {
		case s := <-c:
			a.dieErased(s, sigs)
		case <-done:
			select {
			case s := <-c:
				a.dieErased(s, sigs)
			default:
			}
		}
	}()
	return func() {
		signal.Stop(c)
		quitTaken.Add(-1)
		close(done)
		<-finished
	}
}

// eraseGrace is how long a signal that ends rvsim waits to erase the
// progress line: a write to a terminal whose output is stopped (Ctrl-S)
// does not finish, and must not keep rvsim alive.
const eraseGrace = time.Second

// dieErased erases the progress line, if one is shown, and ends rvsim by
// the signal s with its default action, as if it had not been caught;
// sigs are the signals caught. The terminal stays locked, so that no
// report draws the line again before the end.
func (a *app) dieErased(s os.Signal, sigs []os.Signal) {
	erased := make(chan struct{})
	go func() {
		a.term.Lock() // never unlocked: rvsim ends
		a.eraseShown()
		close(erased)
	}()
	select {
	case <-erased:
	case <-time.After(eraseGrace):
	}
	signal.Reset(sigs...)
	if n, ok := s.(syscall.Signal); ok {
		dieOfSignal(n)
	}
	os.Exit(exitSimError)
}

// progressStreams makes the guest's standard output and error, where they
// are a terminal, erase the progress line before the guest's bytes, when
// cfg shows one: the guest's output then starts on a line of its own. The
// next report draws the line again once the guest has ended its line; a
// line it leaves unfinished (a prompt) stays as it is. A guest stream on
// the terminal of rvsim's standard error is watched so even without a
// progress line: a line of rvsim's own (a warning, the message that ends
// the run) then starts on a line of its own (endGuestLine).
func (a *app) progressStreams(cfg *vmm.Config) {
	for _, w := range []*io.Writer{&cfg.Stdout, &cfg.Stderr} {
		if f, ok := (*w).(*os.File); ok && isTerminal(f) && (cfg.Progress != nil || sameFile(f, a.stderr)) {
			*w = progressStream{f: f, a: a}
		}
	}
}

// sameFile reports whether f and w are the same file.
func sameFile(f *os.File, w io.Writer) bool {
	g, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err1 := f.Stat()
	gi, err2 := g.Stat()
	return err1 == nil && err2 == nil && os.SameFile(fi, gi)
}

// ownLine ends the line the guest left unfinished on the terminal, if it
// did, before rvsim writes a line of its own there.
func (a *app) ownLine() {
	a.term.Lock()
	defer a.term.Unlock()
	a.endGuestLine()
}

// endGuestLine is ownLine with a.term held.
func (a *app) endGuestLine() {
	if a.guestMidLine {
		fmt.Fprint(a.stderr, "\n")
		a.guestMidLine = false
	}
}

// progressStream is a guest's standard stream on a terminal while a
// progress line is shown (progressStreams). Its writes erase the line
// first; to the monitor it is otherwise the file itself: SyscallConn (to
// poll it and for terminal ioctls) and HostFile (fstat, lseek) give the
// file's.
type progressStream struct {
	f *os.File
	a *app
}

// Write erases the progress line, if shown, then writes p to the file,
// and notes whether it leaves a line unfinished.
func (s progressStream) Write(p []byte) (int, error) {
	s.a.term.Lock()
	s.a.eraseShown()
	if len(p) > 0 {
		s.a.guestMidLine = p[len(p)-1] != '\n'
	}
	s.a.term.Unlock()
	return s.f.Write(p)
}

// SyscallConn returns the file's.
func (s progressStream) SyscallConn() (syscall.RawConn, error) { return s.f.SyscallConn() }

// HostFile returns the file.
func (s progressStream) HostFile() *os.File { return s.f }
