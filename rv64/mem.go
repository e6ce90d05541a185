package rv64

import "fmt"

// Memory is guest physical memory: one flat byte slice mapped at Base.
// Every address outside [Base, Base+len(Data)) raises an access fault.
type Memory struct {
	Base uint64
	Data []byte
}

// MinMemory is the smallest memory a hart accepts.
const MinMemory = 4096

// NewMemory returns zeroed memory of size bytes at base.
func NewMemory(base, size uint64) (Memory, error) {
	if size < MinMemory {
		return Memory{}, fmt.Errorf("memory size %d is below the minimum of %d bytes", size, MinMemory)
	}
	if base+size < base {
		return Memory{}, fmt.Errorf("memory [%#x, +%#x) wraps around the address space", base, size)
	}
	return Memory{Base: base, Data: make([]byte, size)}, nil
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
