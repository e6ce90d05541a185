package main

import (
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
)

// quitTaken counts the handlers of a command that take SIGQUIT while they
// are installed: record's, which finishes the trace, and a shown
// progress line's, which erases it before rvsim dies (endSignals).
var quitTaken atomic.Int32

// init makes SIGQUIT end rvsim as the signal's default action does
// (dieOfSignal), without the Go runtime's dump of its goroutines, unless a
// command's own handler takes it (quitTaken), from as early as package
// main starts: only a SIGQUIT in the first millisecond or so, while the
// packages rvsim imports start, still gets the dump. A SIGQUIT ignored
// when rvsim started is not kept ignored: the Go runtime keeps only SIGINT
// and SIGHUP so (caughtSignals), and the dump was its default before.
func init() {
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGQUIT)
	go func() {
		for range c {
			if quitTaken.Load() == 0 {
				dieOfSignal(syscall.SIGQUIT)
			}
		}
	}()
}
