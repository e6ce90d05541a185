//go:build linux && amd64

package jit

import (
	"encoding/binary"
	"fmt"
	"sync/atomic"
	"syscall"
	"unsafe"
)

// The code cache is one mapping: code, then data within 2 GiB of it (so
// that code reaches the data with rip-relative operands). No page is ever
// both writable and executable (W^X). The code is a memory file mapped
// twice: executable where it runs, writable elsewhere, where the engine
// writes it (so writing a block costs no system call; x86 keeps
// instruction fetches coherent with stores through another mapping of the
// same memory). Where the host refuses that, the code pages are made
// writable for the copy of a block and executable again after it. The
// data (the indirect-jump table) is never
// executable.
const (
	codeSize  = 32 << 20
	lookupLen = 1 << 16 // entries of the indirect-jump table (a power of two)
	dataSize  = lookupLen * 16
	osPage    = 4096
)

// lookupEntry is an entry of the indirect-jump table: the guest pc and the
// block's code, or, when empty, a pc that no jump to it has (clearLookup).
type lookupEntry struct {
	pc   uint64
	code uintptr
}

type cache struct {
	mapping []byte
	wview   []byte  // the writable mapping of the code, or nil
	code    uintptr // start of the code
	used    int     // bytes of code written
	lookup  []lookupEntry
	filled  bool // an entry of lookup was set since it was last emptied
}

// spare is the code cache of a self-check that passed, parked for the
// next New to take instead of mapping one: a process that checks the
// engine and then runs it maps one code cache, not two.
var spare atomic.Pointer[cache]

// newCache returns the parked spare cache, emptied, else maps one. A spare
// made with the other way of writing code (tests set noDualMap) is
// released instead.
func newCache() (*cache, error) {
	if c := spare.Swap(nil); c != nil {
		if (c.wview == nil) == noDualMap {
			c.reset()
			return c, nil
		}
		c.close()
	}
	m, err := syscall.Mmap(-1, 0, codeSize+dataSize, syscall.PROT_READ|syscall.PROT_WRITE,
		syscall.MAP_PRIVATE|syscall.MAP_ANONYMOUS|syscall.MAP_NORESERVE)
	if err != nil {
		return nil, fmt.Errorf("jit: map the code cache: %w", err)
	}
	c := &cache{mapping: m, code: uintptr(unsafe.Pointer(&m[0]))}
	c.wview = dualMap(c.code)
	if c.wview != nil {
		// The executable view replaced the code part of m.
	} else if err := syscall.Mprotect(m[:codeSize], syscall.PROT_READ|syscall.PROT_EXEC); err != nil {
		syscall.Munmap(m)
		return nil, fmt.Errorf("jit: make the code cache executable: %w", err)
	}
	c.lookup = unsafe.Slice((*lookupEntry)(unsafe.Pointer(&m[codeSize])), lookupLen)
	c.clearLookup()
	return c, nil
}

// setLookup makes the indirect-jump table send jumps to pc to code.
func (c *cache) setLookup(pc uint64, code uintptr) {
	c.lookup[(pc>>1)&(lookupLen-1)] = lookupEntry{pc: pc, code: code}
	c.filled = true
}

// clearLookup empties the indirect-jump table. An empty entry holds a pc
// that no jump to its index can have: 0 in every entry but the first,
// where a jump to pc 0 looks, and 1 (odd) there. The table's pages are
// handed back to the kernel, which gives zeros where they are read again:
// a table that a few jumps use costs a few pages, not its megabyte.
func (c *cache) clearLookup() {
	if c.filled {
		b := c.mapping[codeSize : codeSize+dataSize]
		if syscall.Madvise(b, syscall.MADV_DONTNEED) != nil {
			clear(c.lookup)
		}
		c.filled = false
	}
	c.lookup[0].pc = 1
}

// next returns the address the next block will be written at.
func (c *cache) next() uintptr { return c.code + uintptr(c.used) }

// skip leaves the next n bytes of code unused.
func (c *cache) skip(n int) { c.used += n }

// room reports whether n more bytes of code fit.
func (c *cache) room(n int) bool { return c.used+n <= codeSize }

// write copies code to the next free address (where it was assembled to
// run) and returns that address.
func (c *cache) write(code []byte) (uintptr, error) {
	at := c.used
	if c.wview != nil {
		copy(c.wview[at:], code)
		c.used = (at + len(code) + 15) &^ 15
		return c.code + uintptr(at), nil
	}
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
	if c.wview != nil {
		syscall.Munmap(c.wview)
		c.wview = nil
	}
	if c.mapping != nil {
		syscall.Munmap(c.mapping)
		c.mapping = nil
	}
}

// noDualMap makes dualMap fail (for tests of the other way).
var noDualMap bool

// dualMap maps a memory file of codeSize bytes executable at code (over
// the reservation there) and writable elsewhere, and returns the writable
// view; nil if the host refuses (the reservation is then untouched).
func dualMap(code uintptr) []byte {
	if noDualMap {
		return nil
	}
	name := []byte("rvsim-jit\x00")
	const sysMemfdCreate, mfdCloexec = 319, 1
	r, _, e := syscall.Syscall(sysMemfdCreate, uintptr(unsafe.Pointer(&name[0])), mfdCloexec, 0)
	if e != 0 {
		return nil
	}
	fd := int(r)
	defer syscall.Close(fd)
	if syscall.Ftruncate(fd, codeSize) != nil {
		return nil
	}
	w, err := syscall.Mmap(fd, 0, codeSize, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
	if err != nil {
		return nil
	}
	const mapFixed = 0x10
	x, _, e := syscall.Syscall6(syscall.SYS_MMAP, code, codeSize, syscall.PROT_READ|syscall.PROT_EXEC,
		syscall.MAP_SHARED|mapFixed, uintptr(fd), 0)
	if e != 0 || x != code {
		syscall.Munmap(w)
		return nil
	}
	return w
}

// patch makes the rel32 of a jump at address site go to target.
func (c *cache) patch(site, target uintptr) error {
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], uint32(int32(int64(target)-int64(site+4))))
	at := int(site - c.code)
	if c.wview != nil {
		copy(c.wview[at:], b[:])
		return nil
	}
	lo, hi := at&^(osPage-1), (at+4+osPage-1)&^(osPage-1)
	win := c.mapping[lo:hi]
	if err := syscall.Mprotect(win, syscall.PROT_READ|syscall.PROT_WRITE); err != nil {
		return fmt.Errorf("jit: make code writable: %w", err)
	}
	copy(c.mapping[at:], b[:])
	if err := syscall.Mprotect(win, syscall.PROT_READ|syscall.PROT_EXEC); err != nil {
		return fmt.Errorf("jit: make code executable: %w", err)
	}
	return nil
}
