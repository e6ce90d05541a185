package rv64

import (
	"github.com/rvsim/rvsim/csr"
	"github.com/rvsim/rvsim/ndbuf"
)

// ndAccess performs a CSR instruction that reads cycle, mcycle, time or seed
// while the record/replay unit is on (specification, section 3). The access
// rules come first: an illegal access traps and records nothing. In record
// mode a full buffer exits with cause 24 before anything happens; otherwise
// the read executes and its value is appended at ndtail. In replay mode an
// empty buffer exits with cause 25; otherwise the entry at ndhead must be
// this read (kind, instruction count, pc) and its value is the result.
func (h *Hart) ndAccess(num uint16, priv uint8, op int, src uint64, write bool, pc, ret uint64) (uint64, ExitKind, csr.Fault) {
	f, u := h.CSR, h.ND
	if f.Denied(num, priv, write) {
		return 0, ExitBudget, csr.FaultIllegal
	}
	kind := ndbuf.KindOf(num)
	switch u.Mode() {
	case ndbuf.Record:
		if u.Full() {
			return 0, ExitNDFull, csr.FaultNone
		}
		old := f.AccessChecked(num, op, src, true, write)
		u.Record(ndbuf.Entry{Kind: kind, Instret: ret, PC: pc, Value: old})
		return old, ExitBudget, csr.FaultNone
	case ndbuf.Replay:
		if u.Empty() {
			return 0, ExitNDEmpty, csr.FaultNone
		}
		e := u.Peek()
		if !e.Matches(kind, ret, pc) {
			return 0, ExitDiverge, csr.FaultNone
		}
		u.Advance()
		if write {
			f.AccessChecked(num, op, src, false, true)
		}
		return e.Value, ExitBudget, csr.FaultNone
	}
	return f.AccessChecked(num, op, src, true, write), ExitBudget, csr.FaultNone
}

// ndCause returns the exception cause of an ND exit.
func ndCause(k ExitKind) uint64 {
	switch k {
	case ExitNDFull:
		return CauseNDFull
	case ExitNDEmpty:
		return CauseNDEmpty
	}
	return 0
}
