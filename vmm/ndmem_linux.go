//go:build linux

package vmm

import (
	"os"
	"strings"
	"sync"
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

// unmapBuffer unmaps a mapping mapBuffer or mapSpare returned; it must
// not be used after.
func unmapBuffer(b []byte) { syscall.Munmap(b) }

// hugePage is the size of a transparent huge page (x86-64, and arm64
// with 4 KiB pages).
const hugePage = 2 << 20

// hugePages reports whether the kernel backs memory that asks for it
// (madvise(MADV_HUGEPAGE)) with transparent huge pages: its setting is
// "always" or "madvise", not "never", and the file exists.
var hugePages = sync.OnceValue(func() bool {
	b, err := os.ReadFile("/sys/kernel/mm/transparent_hugepage/enabled")
	s := string(b)
	return err == nil && (strings.Contains(s, "[always]") || strings.Contains(s, "[madvise]"))
})

// smallHead is how many spare buffers mapSpare puts in small pages
// before the huge ones: the first swaps take them while the goroutine
// that makes buffers ahead brings in the first huge page, which zeroes 2
// MiB (0.1-0.3 ms, about as long as ndloop takes to fill two buffers).
const smallHead = 3

// mapSpare maps memory outside the Go heap for at least n ND buffers of
// size bytes, and returns it and the buffers it holds, or nil. The first
// smallHead buffers take whole small pages; the rest follow from a 2 MiB
// boundary, in whole huge pages with madvise(MADV_HUGEPAGE), when the
// kernel gives them (hugePages) and they fill at least one: a huge page
// is one fault to bring in, not 512, and unmapping them at the end of a
// recording takes a fraction of the time. The huge pages hold as many
// buffers as fit. The first buffer, which the first swap takes at once on
// the guest's thread, and the next ones, which the goroutine brings in
// first, are in small pages, so that none of them waits for 2 MiB to be
// zeroed. Without huge pages the mapping is n buffers, one after another.
func mapSpare(size, n int) ([]byte, [][]byte) {
	head := (smallHead*size + PageSize - 1) &^ (PageSize - 1)
	rest := (n - smallHead) * size
	if rest < hugePage || !hugePages() {
		return mapInOne(size, n)
	}
	rest = (rest + hugePage - 1) &^ (hugePage - 1)
	total := head + rest
	// Room to align, never touched: it costs address space, not memory.
	m := mapBuffer(total+hugePage, false)
	if m == nil {
		return mapInOne(size, n)
	}
	base := uintptr(unsafe.Pointer(&m[0]))
	skip := int((base+uintptr(head)+hugePage-1)&^(hugePage-1) - base - uintptr(head))
	r := m[skip : skip+total : skip+total]
	syscall.Madvise(r[head:], syscall.MADV_HUGEPAGE) // small pages if refused
	return m, append(carve(r, size, smallHead), carve(r[head:], size, rest/size)...)
}

// mapInOne maps n buffers of size bytes, one after another, in one
// mapping outside the Go heap, and returns it and them, or nil.
func mapInOne(size, n int) ([]byte, [][]byte) {
	r := mapBuffer(size*n, false)
	if r == nil {
		return nil, nil
	}
	return r, carve(r, size, n)
}

// carve returns the first n buffers of size bytes in r, one after
// another, each with no room beyond its end.
func carve(r []byte, size, n int) [][]byte {
	bufs := make([][]byte, n)
	for i := range bufs {
		bufs[i] = r[i*size : (i+1)*size : (i+1)*size]
	}
	return bufs
}

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
