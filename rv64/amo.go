package rv64

import "math"

// The A extension (unprivileged specification, chapter 8): LR/SC and the
// AMOs, .W and .D, with aq and rl accepted (one hart sees its own accesses
// in order). Run dispatches every A op to Hart.amo; the store half of an
// AMO or SC goes through Run's stored path like any store (decoded code,
// the tohost watch, the reservation).
//
// The reservation is the bytes an LR read: SC succeeds only at the same
// address, with no more bytes, while it holds; SC always ends it, and any
// store that touches it (by the guest, or by the monitor through
// Invalidate) breaks it. The watch range filters stores: it is the hull of
// the tohost watch and the reservation, and the stored path sorts out
// which was touched.

// noCause is amo's "no exception".
const noCause = math.MaxUint64

// What amo's store touched: decoded code (the budget's end may have moved)
// or tohost (Run exits).
const (
	amoCode  = 1
	amoHost  = 2
	amoWatch = 4 // a write watchpoint (debug.go)
)

// Misaligned exception causes of the A extension: a misaligned LR raises
// the load one, SC and the AMOs the store/AMO one.
const (
	causeMisalignedLoad  = 4
	causeMisalignedStore = 6
)

// amo funct5 values (bits 31:27).
const (
	amoADD  = 0x00
	amoSWAP = 0x01
	amoLR   = 0x02
	amoSC   = 0x03
	amoXOR  = 0x04
	amoOR   = 0x08
	amoAND  = 0x0c
	amoMIN  = 0x10
	amoMAX  = 0x14
	amoMINU = 0x18
	amoMAXU = 0x1c
)

// decodeAMO returns the op of an instruction of major opcode AMO.
func decodeAMO(in Insn) op {
	var w, d op
	switch in >> 27 {
	case amoLR:
		if in.Rs2() != 0 {
			return opIllegal
		}
		w, d = opLRW, opLRD
	case amoSC:
		w, d = opSCW, opSCD
	case amoSWAP:
		w, d = opAMOSWAPW, opAMOSWAPD
	case amoADD:
		w, d = opAMOADDW, opAMOADDD
	case amoXOR:
		w, d = opAMOXORW, opAMOXORD
	case amoAND:
		w, d = opAMOANDW, opAMOANDD
	case amoOR:
		w, d = opAMOORW, opAMOORD
	case amoMIN:
		w, d = opAMOMINW, opAMOMIND
	case amoMAX:
		w, d = opAMOMAXW, opAMOMAXD
	case amoMINU:
		w, d = opAMOMINUW, opAMOMINUD
	case amoMAXU:
		w, d = opAMOMAXUW, opAMOMAXUD
	default:
		return opIllegal
	}
	switch in.Funct3() {
	case 2:
		return w
	case 3:
		return d
	}
	return opIllegal
}

// isAMO reports whether o is an op of the A extension.
func isAMO(o op) bool { return o >= opLRW && o <= opAMOMAXUD }

// amo executes the A instruction of slot s. It returns noCause and what
// its store touched (amoCode, amoHost; 0 for LR and a failed SC), having
// marked stale the code it wrote and broken the reservation it touched as
// Run's stored path does, or the exception the instruction raises with
// addr its tval.
func (h *Hart) amo(s *slot) (addr, hit, cause uint64) {
	a := h.X[s.rs1&31]
	n := uint64(4)
	if s.op == opLRD || s.op == opSCD || s.op >= opAMOSWAPD {
		n = 8
	}
	o := a - h.Mem.Base
	mem := h.Mem.Data
	if a&(n-1) != 0 {
		if s.op <= opLRD {
			return a, 0, causeMisalignedLoad
		}
		return a, 0, causeMisalignedStore
	}
	if o > uint64(len(mem))-n || uint64(len(mem)) < n {
		if s.op <= opLRD {
			return a, 0, CauseLoadAccess
		}
		return a, 0, CauseStoreAccess
	}
	rd := s.rd & 31
	src := h.X[s.rs2&31]
	var old uint64
	if n == 4 {
		old = sext32(ld32(mem, o))
	} else {
		old = ld64(mem, o)
	}
	var v uint64
	switch s.op {
	case opLRW, opLRD: // LR.W, LR.D
		h.reserve(a, n)
		if rd != 0 {
			h.X[rd] = old
		}
		return a, 0, noCause
	case opSCW, opSCD: // SC.W, SC.D
		ok := h.resLen != 0 && a == h.resAddr && n <= h.resLen
		h.breakReservation(h.resAddr, h.resLen)
		if !ok {
			if rd != 0 {
				h.X[rd] = 1
			}
			return a, 0, noCause
		}
		v = src
		old = 0 // rd gets 0: success
	case opAMOSWAPW, opAMOSWAPD: // AMOSWAP.W, AMOSWAP.D
		v = src
	case opAMOADDW, opAMOADDD: // AMOADD.W, AMOADD.D
		v = old + src
	case opAMOXORW, opAMOXORD: // AMOXOR.W, AMOXOR.D
		v = old ^ src
	case opAMOANDW, opAMOANDD: // AMOAND.W, AMOAND.D
		v = old & src
	case opAMOORW, opAMOORD: // AMOOR.W, AMOOR.D
		v = old | src
	case opAMOMINW: // AMOMIN.W
		v = uint64(min(int32(old), int32(src)))
	case opAMOMAXW: // AMOMAX.W
		v = uint64(max(int32(old), int32(src)))
	case opAMOMINUW: // AMOMINU.W
		v = uint64(min(uint32(old), uint32(src)))
	case opAMOMAXUW: // AMOMAXU.W
		v = uint64(max(uint32(old), uint32(src)))
	case opAMOMIND: // AMOMIN.D
		v = uint64(min(int64(old), int64(src)))
	case opAMOMAXD: // AMOMAX.D
		v = uint64(max(int64(old), int64(src)))
	case opAMOMINUD: // AMOMINU.D
		v = min(old, src)
	case opAMOMAXUD: // AMOMAXU.D
		v = max(old, src)
	}
	if n == 4 {
		st32(mem, o, uint32(v))
	} else {
		st64(mem, o, v)
	}
	if rd != 0 {
		h.X[rd] = old
	}
	if h.code[o>>pageShift] != nil {
		h.stale(o, n)
		hit = amoCode
	}
	if a-h.watchLo < h.watchLen {
		h.breakReservation(a, n)
		if a-h.hostLo < h.hostLen {
			hit |= amoHost
		}
		if h.dbg != nil && h.dbg.watchHit(a, n) {
			hit |= amoWatch
		}
	}
	return a, hit, noCause
}

// reserve makes [a, a+n) the reservation of LR/SC.
func (h *Hart) reserve(a, n uint64) {
	h.resAddr, h.resLen = a, n
	h.setWatch()
}

// breakReservation ends the reservation if [a, a+n) touches it.
// BreakReservation clears the LR/SC reservation if the monitor's write of
// guest memory [a, a+n) touches it (n = 0 touches nothing).
func (h *Hart) BreakReservation(a, n uint64) {
	if n != 0 {
		h.breakReservation(a, n)
	}
}

func (h *Hart) breakReservation(a, n uint64) {
	if h.resLen != 0 && a < h.resAddr+h.resLen && h.resAddr < a+n {
		h.resLen = 0
		h.setWatch()
	}
}

// setWatch makes the watch range the hull of the stores that may touch
// tohost, those that may touch a write watchpoint (debug.go), both in
// FixedWatch, and those that may touch the reservation: the stores of up
// to 8 bytes that start in [lo, lo+len).
func (h *Hart) setWatch() {
	lo, n := h.FixedWatch()
	if h.resLen != 0 {
		rlo, rhi := watchStart(h.resAddr), h.resAddr+h.resLen
		if n == 0 {
			lo, n = rlo, rhi-rlo
		} else {
			hi := max(lo+n, rhi)
			lo = min(lo, rlo)
			n = hi - lo
		}
	}
	h.watchLo, h.watchLen = lo, n
}

// watchStart returns the first address a store of up to 8 bytes that
// touches addr may start at: addr-7, or 0 below 7.
func watchStart(addr uint64) uint64 {
	if addr < 7 {
		return 0
	}
	return addr - 7
}

// FixedWatch returns the part of the watch range (WatchRange) that is not
// the LR/SC reservation's: [lo, lo+n) holds every store of up to 8 bytes
// that may touch tohost or a write watchpoint; n is 0 when there is none.
// The watch range is this range widened to hold the stores that may touch
// the reservation, [addr-7, addr+len) ([0, addr+len) below 7).
func (h *Hart) FixedWatch() (lo, n uint64) {
	lo, n = h.hostLo, h.hostLen
	if h.dbg != nil && len(h.dbg.watches) != 0 {
		hi := lo + n
		if n == 0 {
			lo, hi = math.MaxUint64, 0
		}
		lo, hi = h.dbg.watchHull(lo, hi)
		n = hi - lo
	}
	return lo, n
}

// Reservation returns the LR/SC reservation: its address and length in
// bytes, 0 if there is none. It is part of the hart's state: a monitor that
// saves and restores the hart saves it too.
func (h *Hart) Reservation() (addr, n uint64) { return h.resAddr, h.resLen }

// SetReservation restores a reservation Reservation returned.
func (h *Hart) SetReservation(addr, n uint64) {
	h.resAddr, h.resLen = addr, n
	h.setWatch()
}
