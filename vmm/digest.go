package vmm

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"

	"github.com/rvsim/rvsim/csr"
)

// digestCSRs are the CSRs whose values are part of the final machine state.
// The counters are not: cycle and time are the host's, and instret is
// hashed on its own.
var digestCSRs = []uint16{
	csr.Mstatus, csr.Mtvec, csr.Mie, csr.Mscratch, csr.Mepc, csr.Mcause,
	csr.Mtval, csr.Mcounteren, csr.Mseccfg,
}

// Digest returns the hex SHA-256 of the machine state: pc, privilege,
// instructions retired, registers, the guest-visible CSRs, and every
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
	for _, n := range digestCSRs {
		put(h.CSR.Get(n))
	}
	mem := h.Mem.Data
	resident, hostPage := residentPages(mem)
	for off := 0; off < len(mem); off += PageSize {
		if resident != nil && resident[off/hostPage]&1 == 0 {
			continue // never touched: zero
		}
		page := mem[off:min(off+PageSize, len(mem))]
		if allZero(page) {
			continue
		}
		put(h.Mem.Base + uint64(off))
		d.Write(page)
	}
	return hex.EncodeToString(d.Sum(nil))
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
