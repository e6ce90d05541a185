//go:build unix

package main

import "syscall"

// mkfifo makes a FIFO (named pipe) at path with permissions mode.
func mkfifo(path string, mode uint32) error { return syscall.Mkfifo(path, mode) }
