package rv64

import "github.com/rvsim/rvsim/csr"

// State is everything of a hart that a later execution depends on, except
// guest memory and the decode cache: what a debugger saves to come back
// to. The hart's configuration (memory, UserTrapsExit, Semihosting, the
// tohost watch, breakpoints and watchpoints) is not state: a State is
// restored into a hart configured as the one it was saved from.
type State struct {
	X, F [32]uint64
	PC   uint64
	Priv uint8
	// CSR is the CSR file by value: every CSR, instret and the counter
	// offsets, and the host the non-deterministic CSRs read.
	CSR             csr.File
	ResAddr, ResLen uint64 // the LR/SC reservation; ResLen 0: none
	ND              []byte // a copy of the ND unit's buffer (nil when the hart has no ND unit)

	// HostPending: Run reported ExitWatch for a store that touched tohost
	// too, and returns ExitHost next.
	HostPending bool
}

// Save copies the hart's state into s, reusing the capacity of s.ND.
func (h *Hart) Save(s *State) {
	s.X, s.F, s.PC, s.Priv = h.X, h.F, h.PC, h.Priv
	s.CSR = *h.CSR
	s.ResAddr, s.ResLen = h.resAddr, h.resLen
	if h.ND != nil {
		s.ND = append(s.ND[:0], h.ND.Mem...)
	} else {
		s.ND = nil
	}
	s.HostPending = h.dbg != nil && h.dbg.hostPending
}

// Restore puts back the state Save copied into s. Guest memory and the
// decode cache are the caller's: after writing memory back it calls
// InvalidateCode for what it wrote. A SkipBreakpointOnce still armed is
// dropped.
func (h *Hart) Restore(s *State) {
	h.X, h.F, h.PC, h.Priv = s.X, s.F, s.PC, s.Priv
	h.X[0] = 0
	*h.CSR = s.CSR
	if h.ND != nil {
		copy(h.ND.Mem, s.ND)
	}
	if h.dbg != nil {
		h.dbg.skip = false
		h.dbg.hostPending = s.HostPending
	} else if s.HostPending {
		h.debug().hostPending = true
	}
	h.SetReservation(s.ResAddr, s.ResLen)
}
