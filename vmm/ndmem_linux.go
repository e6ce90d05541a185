//go:build linux

package vmm

import "syscall"

// mapBuffer returns n bytes of private anonymous memory outside the Go
// heap, its pages already in memory (MAP_POPULATE: the kernel zeroes
// them in the call, and the first store into each takes no fault), or nil
// if the mapping fails. unmapBuffer gives it back.
func mapBuffer(n int) []byte {
	b, err := syscall.Mmap(-1, 0, n, syscall.PROT_READ|syscall.PROT_WRITE,
		syscall.MAP_PRIVATE|syscall.MAP_ANONYMOUS|syscall.MAP_POPULATE)
	if err != nil {
		return nil
	}
	return b
}

// unmapBuffer unmaps a buffer mapBuffer returned; it must not be used
// after.
func unmapBuffer(b []byte) { syscall.Munmap(b) }
