//go:build unix

package main

import (
	"errors"
	"os"
	"syscall"
)

// lockTrace takes an exclusive lock (flock(2)) on f, a trace file record
// writes, without waiting: two recordings into the same file at once
// would interleave their frames into a file neither could replay. It
// returns errTraceLocked if another process holds the lock.
func lockTrace(f *os.File) error {
	err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return errTraceLocked
	}
	if errors.Is(err, syscall.ENOLCK) || errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.ENOTSUP) {
		return nil // a file system without locks: record without one
	}
	return err
}
