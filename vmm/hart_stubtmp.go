package vmm

// Temporary stand-ins for the hart's debugging API (rv64.State,
// Hart.Save, Hart.Restore, ExitBreak, ExitWatch) until it lands: this
// file goes once it has.

import (
	"github.com/rvsim/rvsim/csr"
	"github.com/rvsim/rvsim/rv64"
)

const (
	exitBreak = rv64.ExitSemihost + 1
	exitWatch = rv64.ExitSemihost + 2
)

type hartState struct {
	X, F [32]uint64
	PC   uint64
	Priv uint8
	CSR  csr.File
	ND   []byte
}

func saveHart(h *rv64.Hart, s *hartState) {
	s.X, s.F, s.PC, s.Priv, s.CSR = h.X, h.F, h.PC, h.Priv, *h.CSR
	s.ND = s.ND[:0]
	if h.ND != nil {
		s.ND = append(s.ND, h.ND.Mem...)
	}
}

func restoreHart(h *rv64.Hart, s *hartState) {
	h.X, h.F, h.PC, h.Priv, *h.CSR = s.X, s.F, s.PC, s.Priv, s.CSR
	if h.ND != nil {
		copy(h.ND.Mem, s.ND)
	}
	h.BreakReservation(h.Mem.Base, h.Mem.Size())
}
