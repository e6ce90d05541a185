//go:build linux && amd64

package jit

import (
	"fmt"
	"syscall"
	"unsafe"
)

// The code cache is one mapping: code, then data within 2 GiB of it (so
// that code reaches the data with rip-relative operands). Code pages are
// executable and never writable while code may run (W^X): writing a block
// makes the pages it lands on writable, copies it, and makes them
// executable again. The data (the chaining cells and the indirect-jump
// table) is never executable.
const (
	codeSize  = 32 << 20
	cellCount = 1 << 18
	lookupLen = 1 << 12 // entries of the indirect-jump table (a power of two)
	dataSize  = cellCount*8 + lookupLen*16
	osPage    = 4096
)

// lookupEntry is an entry of the indirect-jump table: the guest pc and the
// block's code, or a pc that no jump reaches (odd) when empty.
type lookupEntry struct {
	pc   uint64
	code uintptr
}

type cache struct {
	mapping []byte
	code    uintptr // start of the code
	used    int     // bytes of code written
	cells   []uintptr
	lookup  []lookupEntry
}

func newCache() (*cache, error) {
	m, err := syscall.Mmap(-1, 0, codeSize+dataSize, syscall.PROT_READ|syscall.PROT_WRITE,
		syscall.MAP_PRIVATE|syscall.MAP_ANONYMOUS|syscall.MAP_NORESERVE)
	if err != nil {
		return nil, fmt.Errorf("jit: map the code cache: %w", err)
	}
	c := &cache{mapping: m, code: uintptr(unsafe.Pointer(&m[0]))}
	if err := syscall.Mprotect(m[:codeSize], syscall.PROT_READ|syscall.PROT_EXEC); err != nil {
		syscall.Munmap(m)
		return nil, fmt.Errorf("jit: make the code cache executable: %w", err)
	}
	c.cells = unsafe.Slice((*uintptr)(unsafe.Pointer(&m[codeSize])), cellCount)
	c.lookup = unsafe.Slice((*lookupEntry)(unsafe.Pointer(&m[codeSize+cellCount*8])), lookupLen)
	c.clearLookup()
	return c, nil
}

func (c *cache) clearLookup() {
	for i := range c.lookup {
		c.lookup[i] = lookupEntry{pc: 1}
	}
}

// next returns the address the next block will be written at.
func (c *cache) next() uintptr { return c.code + uintptr(c.used) }

// room reports whether n more bytes of code fit.
func (c *cache) room(n int) bool { return c.used+n <= codeSize }

// write copies code to the next free address (where it was assembled to
// run) and returns that address.
func (c *cache) write(code []byte) (uintptr, error) {
	at := c.used
	lo, hi := at&^(osPage-1), (at+len(code)+osPage-1)&^(osPage-1)
	win := c.mapping[lo:hi]
	if err := syscall.Mprotect(win, syscall.PROT_READ|syscall.PROT_WRITE); err != nil {
		return 0, fmt.Errorf("jit: make code writable: %w", err)
	}
	copy(c.mapping[at:], code)
	if err := syscall.Mprotect(win, syscall.PROT_READ|syscall.PROT_EXEC); err != nil {
		return 0, fmt.Errorf("jit: make code executable: %w", err)
	}
	c.used = (at + len(code) + 15) &^ 15
	return c.code + uintptr(at), nil
}

// reset forgets all code (the fixed code at the start is written again by
// the caller).
func (c *cache) reset() {
	c.used = 0
	c.clearLookup()
}

func (c *cache) close() {
	if c.mapping != nil {
		syscall.Munmap(c.mapping)
		c.mapping = nil
	}
}
