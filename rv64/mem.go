package rv64

import (
	"errors"
	"fmt"
	"runtime"
)

// Memory is guest physical memory: one flat byte slice mapped at Base.
// Every address outside [Base, Base+len(Data)) raises an access fault.
//
// Memory from NewMemory larger than 1 MiB lives outside the Go heap (see
// mem_linux.go): it is reserved, not allocated, so that a large guest
// memory costs the host only the pages the guest touches. Close releases
// it; memory that is never closed is released when the garbage collector
// finds it unreachable.
type Memory struct {
	Base uint64
	Data []byte

	host *hostMem // the reservation behind Data; nil for a plain slice
}

// MinMemory is the smallest memory a hart accepts.
const MinMemory = 4096

// smallMemory is the largest memory NewMemory takes from the Go heap: for
// so little, a reservation's system calls cost more than they save (tests
// and fuzzers make thousands of small memories), and a scan of all of it
// is quick.
const smallMemory = 1 << 20

// ErrReserve is returned, wrapped with the size and the host's reason,
// when the host refuses to reserve guest memory.
var ErrReserve = errors.New("cannot reserve guest memory")

// hostMem is a reservation of host address space that holds guest memory.
type hostMem struct {
	data    []byte
	fd      int         // the memory file behind data, /proc/self/pagemap if pagemap, or -1 (see mem_linux.go)
	pagemap bool        // data is anonymous memory, its pages told apart by the pagemap in fd
	moves   int         // moves (move) since the memory areas were last counted
	noMoves bool        // a move failed: copy from now on
	table   []*codePage // the decode cache table of the hart that uses the memory
	tableB  []byte      // the reservation behind table, if outside the Go heap
	cleanup runtime.Cleanup
}

// hostRes is what releasing a hostMem needs.
type hostRes struct {
	data, table []byte
	fd          int
}

// NewMemory returns zeroed memory of size bytes at base. The host pages
// behind it are allocated as the guest touches them.
func NewMemory(base, size uint64) (Memory, error) {
	if size < MinMemory {
		return Memory{}, fmt.Errorf("memory size %d is below the minimum of %d bytes", size, MinMemory)
	}
	if base+size < base {
		return Memory{}, fmt.Errorf("memory [%#x, +%#x) wraps around the address space", base, size)
	}
	if size <= smallMemory {
		return Memory{Base: base, Data: make([]byte, size)}, nil
	}
	if uint64(int(size)) != size || int(size) < 0 {
		return Memory{}, fmt.Errorf("%w: %d bytes do not fit in the host's address space", ErrReserve, size)
	}
	h, err := reserve(int(size))
	if err != nil {
		return Memory{}, fmt.Errorf("%w: %d bytes: %w", ErrReserve, size, err)
	}
	if h.table, h.tableB, err = reserveTable(codePages(size)); err != nil {
		freeHost(hostRes{h.data, nil, h.fd})
		return Memory{}, fmt.Errorf("%w: a decode cache for %d bytes: %w", ErrReserve, size, err)
	}
	// The cleanup must not reach h, or h would never be unreachable.
	h.cleanup = runtime.AddCleanup(h, freeHost, hostRes{h.data, h.tableB, h.fd})
	return Memory{Base: base, Data: h.data, host: h}, nil
}

// Close releases the memory. Data must not be used afterwards (the
// Memory's own Data is set to nil). Closing twice, or closing memory that
// did not come from NewMemory, does nothing.
func (m *Memory) Close() {
	m.Data = nil
	if m.host == nil {
		return
	}
	h := m.host
	m.host = nil
	if h.data == nil {
		return
	}
	h.cleanup.Stop()
	freeHost(hostRes{h.data, h.tableB, h.fd})
	h.data, h.table, h.tableB, h.fd = nil, nil, nil, -1
}

// codeTable returns the decode cache table reserved with the memory (one
// nil entry per page), or nil.
func (m *Memory) codeTable() []*codePage {
	if m.host == nil {
		return nil
	}
	return m.host.table
}

// Size returns the memory size in bytes.
func (m *Memory) Size() uint64 { return uint64(len(m.Data)) }

// End returns one past the last guest physical address.
func (m *Memory) End() uint64 { return m.Base + uint64(len(m.Data)) }

// Contains reports whether [addr, addr+n) lies inside memory.
func (m *Memory) Contains(addr, n uint64) bool {
	off := addr - m.Base
	return addr >= m.Base && off <= m.Size() && n <= m.Size()-off
}

// Slice returns the n bytes of memory at addr, aliasing guest memory, and
// whether the whole range is inside memory.
func (m *Memory) Slice(addr, n uint64) ([]byte, bool) {
	if !m.Contains(addr, n) {
		return nil, false
	}
	off := addr - m.Base
	return m.Data[off : off+n : off+n], true
}

// Zero clears the n bytes of memory at addr (which must be inside memory),
// giving whole host pages back to the host where it can: they read as zero
// and cost nothing until touched again.
func (m *Memory) Zero(addr, n uint64) {
	b, ok := m.Slice(addr, n)
	if !ok {
		return
	}
	off := addr - m.Base
	if m.host != nil {
		if lo, hi, ok := m.host.punch(off, n); ok {
			clear(m.Data[off:lo])
			clear(m.Data[hi : off+n])
			return
		}
	}
	clear(b)
}

// Move moves the n bytes at src to dst, which do not overlap, and leaves
// the n bytes at src reading zero, if it can do so without copying them:
// both ranges inside memory and made of whole host pages of anonymous
// memory (mem_linux.go), whose pages then change places in the host's page
// tables. It reports whether it did; if not, nothing changed, unless it
// returns an error: the host lost the memory at dst (an mremap that failed
// half way, then an mmap that failed), and the memory must not be used
// again.
func (m *Memory) Move(dst, src, n uint64) (bool, error) {
	if m.host == nil || n == 0 || !m.Contains(dst, n) || !m.Contains(src, n) || dst < src+n && src < dst+n {
		return false, nil
	}
	return m.host.move(dst-m.Base, src-m.Base, n)
}

// Written calls fn, in increasing order, for ranges [off, off+n) of
// offsets into Data that together hold every byte ever written: a byte
// outside them reads as zero. They never depend on where the host keeps
// the pages (in RAM or in swap); in anonymous memory (mem_linux.go) they
// may also hold pages only read, which read zero. Without a way to ask
// the host, fn gets the whole memory.
func (m *Memory) Written(fn func(off, n uint64)) {
	if m.host != nil && m.host.written(fn) {
		return
	}
	if len(m.Data) > 0 {
		fn(0, uint64(len(m.Data)))
	}
}
