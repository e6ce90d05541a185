package vmm

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"

	"github.com/rvsim/rvsim/csr"
	"github.com/rvsim/rvsim/rv64"
)

// digestCSRs are the CSRs whose values are part of the final machine state.
// The counters are not: cycle and time are the host's, and instret is
// hashed on its own.
var digestCSRs = []uint16{
	csr.Mstatus, csr.Mtvec, csr.Mie, csr.Mscratch, csr.Mepc, csr.Mcause,
	csr.Mtval, csr.Mcounteren, csr.Mseccfg, csr.Fcsr,
}

// Digest returns the hex SHA-256 of the machine state: pc, privilege,
// instructions retired, integer and floating-point registers, the
// guest-visible CSRs (fcsr among them), and every
// non-zero page of guest memory with its address.
func (m *Machine) Digest() string {
	h := m.Hart
	d := sha256.New()
	var b [8]byte
	put := func(v uint64) {
		binary.LittleEndian.PutUint64(b[:], v)
		d.Write(b[:])
	}
	put(h.PC)
	put(uint64(h.Priv))
	put(h.Instret())
	for _, x := range h.X {
		put(x)
	}
	for _, f := range h.F {
		put(f)
	}
	for _, n := range digestCSRs {
		put(h.CSR.Get(n))
	}
	digestMemory(&h.Mem, func(addr uint64, page []byte) {
		put(addr)
		d.Write(page)
	})
	return hex.EncodeToString(d.Sum(nil))
}

// digestMemory calls fn, in increasing address order, for every page of
// mem that is not all zero. Only the pages that Memory.Written names are
// read: the others were never written, or were given back, and read zero.
// Which pages those are depends on what the guest wrote, not on the host's
// paging (a page in swap is still written), so the digest is the same as
// a scan of every page.
func digestMemory(mem *rv64.Memory, fn func(addr uint64, page []byte)) {
	data := mem.Data
	next := uint64(0) // the first page offset not yet looked at
	mem.Written(func(off, n uint64) {
		for p := max(off&^(PageSize-1), next); p < off+n; p += PageSize {
			page := data[p:min(p+PageSize, uint64(len(data)))]
			if !allZero(page) {
				fn(mem.Base+p, page)
			}
			next = p + PageSize
		}
	})
}

func allZero(b []byte) bool {
	for len(b) >= 8 {
		if binary.LittleEndian.Uint64(b) != 0 {
			return false
		}
		b = b[8:]
	}
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
