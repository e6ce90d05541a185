package rv64

import (
	"encoding/binary"
	"math"
	"math/bits"

	"github.com/rvsim/rvsim/csr"
	"github.com/rvsim/rvsim/ndbuf"
)

var le = binary.LittleEndian

// Why block returned to Run.
const (
	bkEnd    = iota // slot i is opEnd: the block ran to the end of its page or of the budget
	bkJump          // slot i retired and transferred control to pc, off the page or near the budget's end
	bkFault         // slot i raised cause with tval
	bkStored        // slot i (a store) stored tval bytes into decoded code, or into the watch range
	bkSlow          // slot i is an instruction Run executes itself: one that calls out of the hart's loop
)

// Run executes instructions until budget instructions have retired or an
// exit happens, and returns why it stopped. It never panics, allocates or
// returns an error: every guest behaviour is an architectural trap or an
// Exit value.
//
// Instructions run in blocks: from a fetch to the next taken branch or
// jump, the end of the page, or the end of the budget. Inside a block the
// pc is the slot index i within the page (one slot per halfword: the next
// instruction is one or two slots on), and instret is counted without a
// per-instruction add for 4-byte instructions: r2 - i0 is twice the
// instret at block start less its first slot i0, and each compressed
// instruction adds one, so that (r2+i)/2 is the instret at slot i. Both
// are made exact wherever an instruction can observe them or an exit or
// trap happens.
//
// The integer instructions run in block, a loop that makes no call, so
// that the compiler keeps its state in registers; Run does everything that
// calls out (page lookup and decoding, the budget's limit, CSRs, MRET,
// WFI, A, F and D, stores into code, traps) and enters block again.
func (h *Hart) Run(budget uint64) Exit { return h.run(budget, budget) }

// RunBurst runs like Run(budget), but may also stop at the first block
// boundary (the target of a jump, or the start of a page) once n
// instructions have retired: a burst of at least n instructions (budget if
// fewer) whose end is not exact, so that its blocks never check where it
// ends. A tiered engine runs cold code so, and finds it stopped where
// blocks start.
func (h *Hart) RunBurst(n, budget uint64) Exit { return h.run(budget, min(n, budget)) }

// run is Run whose loop ends at the first block boundary once soft
// (<= budget) instructions have retired.
func (h *Hart) run(budget, soft uint64) Exit {
	if h.dbg != nil {
		if e, stop := h.enter(&budget); stop {
			return e
		}
		soft = budget
	}
	pc := h.PC
	ret := h.CSR.Instret
	h.end = ret + budget
	if h.end < ret {
		h.end = math.MaxUint64
	}
	h.near = 0
	if h.end > pageSlots {
		h.near = h.end - pageSlots // a block runs at most pageSlots instructions
	}
	h.soft = h.end
	if soft < budget {
		// Blocks return at jumps from the soft end on, as near the
		// budget's end, and the loop ends there.
		h.soft = ret + soft
		if h.soft < ret {
			h.soft = h.end
		}
		h.near = min(h.near, h.soft)
	}
	base := h.Mem.Base
	size := uint64(len(h.Mem.Data))
	var cause, tval uint64

	if h.code == nil {
		// A hart whose decode cache was dropped whole (tests do it)
		// starts a new one. Pages are decoded when code is fetched from
		// them: a page decoded without need would make every store to it
		// slower.
		h.code = make([]*codePage, codePages(size))
		h.decLo, h.decHi = 0, 0
		h.codeWrite(0, size)
	}

	var (
		pg   *codePage // the decoded page of the block
		pgLo uint64    // its address
		i    uint64    // the slot index of the instruction being run: its pc is pgLo + i<<1
		r2   uint64    // (r2+i)>>1 is the instret of slot i (r2+i is always even)
		why  uint64
	)
	for ret < h.soft {
		off := pc - base
		if off > size-2 {
			cause, tval = CauseFetchAccess, pc
			goto trap
		}
		if pc&1 != 0 { // only the monitor can set such a pc: jumps clear bit 0
			cause, tval = CauseMisalignedFetch, pc
			goto trap
		}
		pg = h.code[off>>pageShift]
		if pg == nil {
			// Each slot is decoded when it first runs (opDecode): most
			// pages a program runs at start-up run a few instructions
			// once, and decoding all 2,048 halfwords of each took a
			// fifth of glibc's start-up.
			pg = h.newPage(off >> pageShift)
		}
		pgLo = pc - off&(1<<pageShift-1)
		i = off >> 1 & (pageSlots - 1)
		r2 = ret<<1 - i
		if ret >= h.near {
			h.limit(pg, pgLo-base, i, ret)
		}
	resume:
		why, i, r2, pc, cause, tval = h.block(pg, pgLo, i, r2)
		switch why {
		case bkEnd:
			ret = (r2 + i) >> 1
			pc = pgLo + i<<1
			continue
		case bkJump:
			ret = (r2+i)>>1 + 1
			if t := pc - pgLo; t < 1<<pageShift && ret < h.soft {
				// The target is in this page, near the budget's end.
				i = t >> 1
				r2 = ret<<1 - i
				if ret >= h.near {
					h.limit(pg, pgLo-base, i, ret)
				}
				goto resume
			}
			continue
		case bkFault:
			goto fault
		case bkStored:
			goto stored
		}
		// bkSlow
		{
			s := &pg[i]
			rd := s.rd & 31
			switch s.op {
			case opMRET: // MRET
				if h.Priv != csr.PrivM {
					goto illegal
				}
				pc, h.Priv = h.CSR.Mret()
				ret = (r2+i)>>1 + 1
				continue
			case opWFI: // WFI: no interrupt sources, so it completes at once
				if h.Priv != csr.PrivM && h.CSR.Get(csr.Mstatus)&csr.MstatusTW != 0 {
					goto illegal
				}
			case opCSR: // CSRRW CSRRS CSRRC CSRRWI CSRRSI CSRRCI
				in := s.insn
				f3 := in.Funct3()
				rs1 := in.Rs1()
				src := h.X[rs1]
				if f3 >= 5 {
					src = uint64(rs1)
				}
				op := int(f3 & 3)
				f := h.CSR
				f.Instret = (r2 + i) >> 1
				num := in.CSR()
				read, write := op != csr.OpWrite || rd != 0, op == csr.OpWrite || rs1 != 0
				var old uint64
				var fault csr.Fault
				if h.ND != nil && read && ndbuf.KindOf(num) != 0 {
					var k ExitKind
					pc = pgLo + i<<1
					old, k, fault = h.ndAccess(num, h.Priv, op, src, write, pc, f.Instret)
					if k != ExitBudget {
						h.PC = pc
						h.unlimit()
						return Exit{Kind: k, Cause: ndCause(k), Tval: uint64(ndbuf.KindOf(num)), PC: pc}
					}
				} else {
					old, fault = f.Access(num, h.Priv, op, src, read, write)
				}
				if fault != csr.FaultNone {
					goto illegal
				}
				h.X[rd] = old
				h.X[0] = 0
			case opLRW, opLRD, opSCW, opSCD,
				opAMOSWAPW, opAMOADDW, opAMOXORW, opAMOANDW, opAMOORW, opAMOMINW, opAMOMAXW, opAMOMINUW, opAMOMAXUW,
				opAMOSWAPD, opAMOADDD, opAMOXORD, opAMOANDD, opAMOORD, opAMOMIND, opAMOMAXD, opAMOMINUD, opAMOMAXUD:
				// The A extension, one case per mnemonic in Hart.amo,
				// which does what the stored path does for its store.
				var a, hit uint64
				a, hit, cause = h.amo(s)
				if cause != noCause {
					tval = a
					goto fault
				}
				if hit != 0 {
					tval = hit
					goto amoStored
				}
			case opFLW, opFLD, opFSW, opFSD, opFP: // F and D (fp_exec.go)
				if cause, tval = h.fp(s); cause != noTrap {
					if cause == fpStored {
						goto stored
					}
					goto fault
				}
			case opDecode: // written since decoded, or past the end of memory
				if h.redecode(pg, (pgLo-base)>>pageShift, i) {
					goto resume // run it
				}
				// The first halfword outside memory, or the second.
				cause, tval = CauseFetchAccess, pgLo+i<<1
				if tval-base <= size-2 {
					tval += 2
				}
				goto fault
			case opBreak: // a breakpoint (debug.go): the instruction has not run
				pc = pgLo + i<<1
				h.PC, h.CSR.Instret = pc, (r2+i)>>1
				h.unlimit()
				return Exit{Kind: ExitBreak, PC: pc}
			default: // opIllegal
				goto illegal
			}
			if s.insn&3 == 3 {
				i += 2
			} else {
				i++
				r2++
			}
			goto resume
		}

	stored: // slot i stored tval bytes into decoded code, or into the watch range
		{
			// Mark the slots written stale (s is still the store:
			// it may be one of them, but its length stays that of
			// what ran); the next slot to run may be.
			s := &pg[i]
			a := h.X[s.rs1&31] + s.imm
			h.stale(a-base, tval)
			n := tval
			tval = 0
			if a-h.watchLo < h.watchLen {
				h.breakReservation(a, n)
				if a-h.hostLo < h.hostLen {
					tval = amoHost
				}
				if h.dbg != nil && h.dbg.watchHit(a, n) {
					tval |= amoWatch
				}
			}
			if s.insn&3 != 3 {
				i--
				r2++
			}
		}
	amoStored: // the 4-byte instruction at slot i stored; tval&amoHost: into tohost, &amoWatch: a watchpoint
		i += 2
		ret = (r2 + i) >> 1
		if tval&(amoHost|amoWatch) != 0 {
			pc = pgLo + i<<1
			h.PC, h.CSR.Instret = pc, ret
			h.unlimit()
			if tval&amoWatch != 0 {
				return h.watchExit(pc, tval)
			}
			return Exit{Kind: ExitHost, PC: pc}
		}
		if ret >= h.near {
			// The store may have changed the lengths of the
			// instructions before the budget's end.
			h.limit(pg, pgLo-base, i, ret)
		}
		goto resume

	illegal: // slot i is an illegal instruction
		cause, tval = CauseIllegal, uint64(pg[i].insn)
	fault: // slot i raised cause with tval
		ret = (r2 + i) >> 1
		pc = pgLo + i<<1
	trap: // the instruction at pc raised cause with tval; ret counts those before it
		if cause == CauseBreakpoint && h.semihostCall(pc) {
			h.PC, h.CSR.Instret = pc, ret
			h.unlimit()
			return Exit{Kind: ExitSemihost, PC: pc}
		}
		if h.Priv == csr.PrivU && h.UserTrapsExit {
			h.PC, h.CSR.Instret = pc, ret
			kind := ExitTrap
			if cause == CauseEcallU {
				kind = ExitEcall
			}
			h.unlimit()
			return Exit{Kind: kind, Cause: cause, Tval: tval, PC: pc}
		}
		vec := h.CSR.Get(csr.Mtvec) &^ 3
		if vec-base > size-4 || (h.Priv == csr.PrivM && pc == vec) {
			// No handler can run: it is outside memory, or its first
			// instruction is the one that trapped.
			h.PC, h.CSR.Instret = pc, ret
			h.unlimit()
			return Exit{Kind: ExitTrap, Cause: cause, Tval: tval, PC: pc}
		}
		pc = h.CSR.TrapEnter(cause, tval, pc, h.Priv)
		h.Priv = csr.PrivM
	}
	h.unlimit()
	h.PC, h.CSR.Instret = pc, ret
	return Exit{Kind: ExitBudget, PC: pc}
}

// limit makes the block starting at slot i of pg, the page at memory
// offset pgOff, stop when the budget ends, if it may end within the page:
// it turns a slot into opEnd until the next block starts or Run returns.
// Blocks make this check only within a page's worth of instructions of the
// end (h.near), so the loop itself never compares against the budget. The
// slot is found by walking the instructions' lengths in memory (what stale
// slots will decode to) from slot i. A block may end early: the walk stops
// at the first branch or jump after slot i, which then starts a block of
// its own, and after slot i if it is one, so that a loop near the budget's
// end walks no further than it runs (and not down the code past the loop
// at each time round).
func (h *Hart) limit(pg *codePage, pgOff, i, ret uint64) {
	h.unlimit()
	left := h.end - ret
	if left >= pageSlots-i {
		return // even compressed instructions all the way do not reach it
	}
	mem := h.Mem.Data
	for k := uint64(0); k < left; k++ {
		control := controlOp(pg[i].op)
		if k > 0 && control {
			break
		}
		o := pgOff + i<<1
		if o >= uint64(len(mem)) {
			return // the block faults first
		}
		i += 1 + uint64(mem[o]&3+1)>>2
		if i >= pageSlots {
			return
		}
		if control {
			// A block that starts with a jump or branch (the one the
			// last walk stopped at) is that instruction alone: the
			// block after it, taken or not, walks from its own start.
			break
		}
	}
	h.stop = &pg[i]
	h.stopOp = h.stop.op
	h.stop.op = opEnd
}

// controlOp reports whether o may transfer control: a slot of it may end
// a block.
func controlOp(o op) bool {
	return o >= opJAL && o <= opBGEU || o == opJ || o == opJR || o == opMRET
}

// unlimit undoes limit.
func (h *Hart) unlimit() {
	if h.stop != nil {
		h.stop.op = h.stopOp
		h.stop = nil
	}
}

func b2u(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

func sext32(v uint32) uint64 { return uint64(int64(int32(v))) }

// mulh returns the high 64 bits of the signed 128-bit product.
func mulh(a, b uint64) uint64 {
	hi, _ := bits.Mul64(a, b)
	if int64(a) < 0 {
		hi -= b
	}
	if int64(b) < 0 {
		hi -= a
	}
	return hi
}

// mulhsu returns the high 64 bits of signed a times unsigned b.
func mulhsu(a, b uint64) uint64 {
	hi, _ := bits.Mul64(a, b)
	if int64(a) < 0 {
		hi -= b
	}
	return hi
}

// Division follows the M extension, table 13.1: division by zero gives all
// ones (quotient) or the dividend (remainder); the signed overflow
// MIN / -1 gives MIN and remainder 0.
func div(a, b uint64) uint64 {
	switch {
	case b == 0:
		return math.MaxUint64
	case int64(a) == math.MinInt64 && int64(b) == -1:
		return a
	}
	return uint64(int64(a) / int64(b))
}

func divu(a, b uint64) uint64 {
	if b == 0 {
		return math.MaxUint64
	}
	return a / b
}

func rem(a, b uint64) uint64 {
	switch {
	case b == 0:
		return a
	case int64(a) == math.MinInt64 && int64(b) == -1:
		return 0
	}
	return uint64(int64(a) % int64(b))
}

func remu(a, b uint64) uint64 {
	if b == 0 {
		return a
	}
	return a % b
}

func divw(a, b uint32) uint64 {
	switch {
	case b == 0:
		return math.MaxUint64
	case int32(a) == math.MinInt32 && int32(b) == -1:
		return sext32(a)
	}
	return uint64(int64(int32(a) / int32(b)))
}

func remw(a, b uint32) uint64 {
	switch {
	case b == 0:
		return sext32(a)
	case int32(a) == math.MinInt32 && int32(b) == -1:
		return 0
	}
	return uint64(int64(int32(a) % int32(b)))
}
