//go:build !linux

package main

import (
	"os"
	"os/signal"
	"syscall"
	"time"
)

// dieOfSignal ends rvsim by the signal s with its default action, as if
// it had not been caught; SIGQUIT, whose default in the Go runtime prints
// every goroutine's stack, and a signal that does not end rvsim, exit
// with 128 plus the signal's number, as a shell reports a death by
// signal.
func dieOfSignal(s syscall.Signal) {
	if s != syscall.SIGQUIT {
		signal.Reset(s)
		if p, err := os.FindProcess(os.Getpid()); err == nil && p.Signal(s) == nil {
			time.Sleep(eraseGrace)
		}
	}
	os.Exit(128 + int(s))
}
