//go:build !unix

package main

import (
	"errors"
	"os"
)

// mkfifo fails with errors.ErrUnsupported: this system has no FIFOs
// (named pipes) in its file system.
func mkfifo(path string, mode uint32) error {
	return &os.PathError{Op: "mkfifo", Path: path, Err: errors.ErrUnsupported}
}
