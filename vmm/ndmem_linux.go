//go:build linux

package vmm

import (
	"syscall"
	"unsafe"
)

// mapBuffer returns n bytes of private anonymous memory outside the Go
// heap, or nil if the mapping fails. With populate its pages are already
// in memory (MAP_POPULATE: the kernel zeroes them in the call, and the
// first store into each takes no fault); without, each is when first
// written. unmapBuffer gives it back.
func mapBuffer(n int, populate bool) []byte {
	flags := syscall.MAP_PRIVATE | syscall.MAP_ANONYMOUS
	if populate {
		flags |= syscall.MAP_POPULATE
	}
	b, err := syscall.Mmap(-1, 0, n, syscall.PROT_READ|syscall.PROT_WRITE, flags)
	if err != nil {
		return nil
	}
	return b
}

// unmapBuffer unmaps a buffer mapBuffer returned; it must not be used
// after.
func unmapBuffer(b []byte) { syscall.Munmap(b) }

// madvPopulateWrite is MADV_POPULATE_WRITE (Linux 5.14).
const madvPopulateWrite = 23

// populate brings the pages of b, which mapBuffer mapped, into memory, as
// MAP_POPULATE would have: with madvise(MADV_POPULATE_WRITE), or on a
// kernel without it by writing a byte of each page.
func populate(b []byte) {
	_, _, e := syscall.Syscall(syscall.SYS_MADVISE, uintptr(unsafe.Pointer(unsafe.SliceData(b))), uintptr(len(b)), madvPopulateWrite)
	if e != 0 {
		touchPages(b)
	}
}
