package main

import (
	"os"
	"os/signal"
	"syscall"
)

// catchSIGPIPE keeps rvsim alive while it runs a guest whose output goes
// to a pipe that no one reads any more (`rvsim record prog | head -1`):
// with SIGPIPE caught, the write fails with EPIPE instead of killing
// rvsim, the guest gets EPIPE (and dies of SIGPIPE, unless it ignores it)
// and the trace is finished. It returns the function that gives SIGPIPE
// back its default action. The other commands (inspect) keep dying of
// SIGPIPE quietly, as Unix tools do.
func catchSIGPIPE() (restore func()) {
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGPIPE)
	return func() { signal.Stop(c) }
}
