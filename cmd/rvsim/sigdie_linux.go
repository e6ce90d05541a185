package main

import (
	"os"
	"os/signal"
	"syscall"
	"time"
	"unsafe"
)

// dieOfSignal ends rvsim by the signal s with its default action, as if
// it had not been caught, so that its parent sees why it ended. SIGQUIT's
// handler is set back to the system's default (SIG_DFL) directly: the Go
// runtime's own default for it prints every goroutine's stack. If the
// signal does not end rvsim, it exits with 128 plus the signal's number,
// as a shell reports a death by signal.
func dieOfSignal(s syscall.Signal) {
	if s == syscall.SIGQUIT {
		var act [4]uint64 // struct sigaction: handler SIG_DFL, flags, restorer, mask
		syscall.RawSyscall6(syscall.SYS_RT_SIGACTION, uintptr(s), uintptr(unsafe.Pointer(&act)), 0, 8, 0, 0)
	} else {
		signal.Reset(s)
	}
	if syscall.Kill(os.Getpid(), s) == nil {
		time.Sleep(eraseGrace) // the signal ends rvsim before this does
	}
	os.Exit(128 + int(s))
}
