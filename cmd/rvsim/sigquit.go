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

// quietQuit makes SIGQUIT end rvsim as the signal's default action does
// (dieOfSignal), without the Go runtime's dump of its goroutines, unless a
// command's own handler takes it (quitTaken). It returns the function
// that stops doing so.
func quietQuit() (stop func()) {
	if signal.Ignored(syscall.SIGQUIT) {
		return func() {} // stays ignored, as SIGINT and SIGHUP do (caughtSignals)
	}
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGQUIT)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-c:
				if quitTaken.Load() == 0 {
					dieOfSignal(syscall.SIGQUIT)
				}
			case <-done:
				return
			}
		}
	}()
	return func() {
		signal.Stop(c)
		close(done)
	}
}
