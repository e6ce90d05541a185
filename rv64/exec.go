package rv64

import (
	"encoding/binary"
	"math"
	"math/bits"

	"github.com/rvsim/rvsim/csr"
	"github.com/rvsim/rvsim/ndbuf"
)

var le = binary.LittleEndian

// Run executes instructions until budget instructions have retired or an
// exit happens, and returns why it stopped. It never panics, allocates or
// returns an error: every guest behaviour is an architectural trap or an
// Exit value.
//
// Instructions run in blocks: from a fetch to the next taken branch or
// jump, the end of the page, or the end of the budget. Inside a block the
// pc is the slot index i within the page (one slot per halfword: the next
// instruction is one or two slots on), made exact wherever an instruction
// can observe it or an exit or trap happens; ret counts the instructions
// retired.
func (h *Hart) Run(budget uint64) Exit {
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
	mem := h.Mem.Data
	base := h.Mem.Base
	size := uint64(len(mem))
	var cause, tval uint64
	var sa uint64 // the address of a store that takes the stored path

	if h.code == nil {
		// A hart whose decode cache was dropped whole (tests do it)
		// starts a new one. Pages are decoded when code is fetched from
		// them: a page decoded without need would make every store to it
		// slower.
		h.code = make([]*codePage, codePages(size))
	}

	var (
		pg   *codePage // the decoded page of the block
		pgLo uint64    // its address
		i    uint64    // the slot index of the instruction being run: its pc is pgLo + i<<1
	)
outer:
	for ret < h.end {
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
			pg = h.decodePage(off >> pageShift)
		}
		pgLo = pc - off&(1<<pageShift-1)
		i = off >> 1 & (pageSlots - 1)
		if ret >= h.near {
			h.limit(pg, pgLo-base, i, ret)
		}
		for {
			s := &pg[i]
			rd := s.rd & 31 // the masks let the compiler drop bounds checks
			switch s.op {
			case opLUI: // LUI
				h.X[rd] = s.imm
			case opAUIPC: // AUIPC
				h.X[rd] = pgLo + i<<1 + s.imm
			case opJAL: // JAL (offsets are even: IALIGN=16 has no misaligned target)
				h.X[rd] = pgLo + i<<1 + 4
				pc = pgLo + i<<1 + s.imm
				goto jump
			case opJ: // JAL x0, C.J
				pc = pgLo + i<<1 + s.imm
				goto jump
			case opJALR: // JALR, C.JALR (which links pc+2)
				t := (h.X[s.rs1&31] + s.imm) &^ 1
				h.X[rd] = pgLo + (i+s.size())<<1
				pc = t
				goto jump
			case opJR: // JALR x0, C.JR
				pc = (h.X[s.rs1&31] + s.imm) &^ 1
				goto jump
			case opBEQ: // BEQ
				if h.X[s.rs1&31] == h.X[s.rs2&31] {
					goto taken
				}
			case opBNE: // BNE
				if h.X[s.rs1&31] != h.X[s.rs2&31] {
					goto taken
				}
			case opBLT: // BLT
				if int64(h.X[s.rs1&31]) < int64(h.X[s.rs2&31]) {
					goto taken
				}
			case opBGE: // BGE
				if int64(h.X[s.rs1&31]) >= int64(h.X[s.rs2&31]) {
					goto taken
				}
			case opBLTU: // BLTU
				if h.X[s.rs1&31] < h.X[s.rs2&31] {
					goto taken
				}
			case opBGEU: // BGEU
				if h.X[s.rs1&31] >= h.X[s.rs2&31] {
					goto taken
				}
			case opLB: // LB
				a := h.X[s.rs1&31] + s.imm
				o := a - base
				if o > size-1 {
					cause, tval = CauseLoadAccess, a
					goto fault
				}
				h.X[rd] = uint64(int8(ld8(mem, o)))
			case opLH: // LH
				a := h.X[s.rs1&31] + s.imm
				o := a - base
				if o > size-2 {
					cause, tval = CauseLoadAccess, a
					goto fault
				}
				h.X[rd] = uint64(int16(ld16(mem, o)))
			case opLW: // LW
				a := h.X[s.rs1&31] + s.imm
				o := a - base
				if o > size-4 {
					cause, tval = CauseLoadAccess, a
					goto fault
				}
				h.X[rd] = uint64(int32(ld32(mem, o)))
			case opLD: // LD
				a := h.X[s.rs1&31] + s.imm
				o := a - base
				if o > size-8 {
					cause, tval = CauseLoadAccess, a
					goto fault
				}
				h.X[rd] = ld64(mem, o)
			case opLBU: // LBU
				a := h.X[s.rs1&31] + s.imm
				o := a - base
				if o > size-1 {
					cause, tval = CauseLoadAccess, a
					goto fault
				}
				h.X[rd] = uint64(ld8(mem, o))
			case opLHU: // LHU
				a := h.X[s.rs1&31] + s.imm
				o := a - base
				if o > size-2 {
					cause, tval = CauseLoadAccess, a
					goto fault
				}
				h.X[rd] = uint64(ld16(mem, o))
			case opLWU: // LWU
				a := h.X[s.rs1&31] + s.imm
				o := a - base
				if o > size-4 {
					cause, tval = CauseLoadAccess, a
					goto fault
				}
				h.X[rd] = uint64(ld32(mem, o))
			case opLX0: // a load into x0: only its fault remains
				a := h.X[s.rs1&31] + s.imm
				if a-base > size-uint64(1)<<(s.insn.Funct3()&3) {
					cause, tval = CauseLoadAccess, a
					goto fault
				}
			case opSB: // SB
				a := h.X[s.rs1&31] + s.imm
				o := a - base
				if o > size-1 {
					cause, tval = CauseStoreAccess, a
					goto fault
				}
				st8(mem, o, uint8(h.X[s.rs2&31]))
				if h.code[o>>pageShift] != nil || a-h.watchLo < h.watchLen {
					tval = 1
					goto stored
				}
			case opSH: // SH
				a := h.X[s.rs1&31] + s.imm
				o := a - base
				if o > size-2 {
					cause, tval = CauseStoreAccess, a
					goto fault
				}
				st16(mem, o, uint16(h.X[s.rs2&31]))
				if h.code[o>>pageShift] != nil || h.code[(o+1)>>pageShift] != nil || a-h.watchLo < h.watchLen {
					tval = 2
					goto stored
				}
			case opSW: // SW
				a := h.X[s.rs1&31] + s.imm
				o := a - base
				if o > size-4 {
					cause, tval = CauseStoreAccess, a
					goto fault
				}
				st32(mem, o, uint32(h.X[s.rs2&31]))
				if h.code[o>>pageShift] != nil || h.code[(o+3)>>pageShift] != nil || a-h.watchLo < h.watchLen {
					tval = 4
					goto stored
				}
			case opSD: // SD
				a := h.X[s.rs1&31] + s.imm
				o := a - base
				if o > size-8 {
					cause, tval = CauseStoreAccess, a
					goto fault
				}
				st64(mem, o, h.X[s.rs2&31])
				if h.code[o>>pageShift] != nil || h.code[(o+7)>>pageShift] != nil || a-h.watchLo < h.watchLen {
					tval = 8
					goto stored
				}
			case opADDI: // ADDI
				h.X[rd] = h.X[s.rs1&31] + s.imm
			case opSLTI: // SLTI
				h.X[rd] = b2u(int64(h.X[s.rs1&31]) < int64(s.imm))
			case opSLTIU: // SLTIU
				h.X[rd] = b2u(h.X[s.rs1&31] < s.imm)
			case opXORI: // XORI
				h.X[rd] = h.X[s.rs1&31] ^ s.imm
			case opORI: // ORI
				h.X[rd] = h.X[s.rs1&31] | s.imm
			case opANDI: // ANDI
				h.X[rd] = h.X[s.rs1&31] & s.imm
			case opSLLI: // SLLI
				h.X[rd] = h.X[s.rs1&31] << s.imm
			case opSRLI: // SRLI
				h.X[rd] = h.X[s.rs1&31] >> s.imm
			case opSRAI: // SRAI
				h.X[rd] = uint64(int64(h.X[s.rs1&31]) >> s.imm)
			case opADDIW: // ADDIW
				h.X[rd] = sext32(uint32(h.X[s.rs1&31] + s.imm))
			case opSLLIW: // SLLIW
				h.X[rd] = sext32(uint32(h.X[s.rs1&31]) << s.imm)
			case opSRLIW: // SRLIW
				h.X[rd] = sext32(uint32(h.X[s.rs1&31]) >> s.imm)
			case opSRAIW: // SRAIW
				h.X[rd] = uint64(int64(int32(h.X[s.rs1&31]) >> s.imm))
			case opADD: // ADD
				h.X[rd] = h.X[s.rs1&31] + h.X[s.rs2&31]
			case opSUB: // SUB
				h.X[rd] = h.X[s.rs1&31] - h.X[s.rs2&31]
			case opSLL: // SLL
				h.X[rd] = h.X[s.rs1&31] << (h.X[s.rs2&31] & 63)
			case opSLT: // SLT
				h.X[rd] = b2u(int64(h.X[s.rs1&31]) < int64(h.X[s.rs2&31]))
			case opSLTU: // SLTU
				h.X[rd] = b2u(h.X[s.rs1&31] < h.X[s.rs2&31])
			case opXOR: // XOR
				h.X[rd] = h.X[s.rs1&31] ^ h.X[s.rs2&31]
			case opSRL: // SRL
				h.X[rd] = h.X[s.rs1&31] >> (h.X[s.rs2&31] & 63)
			case opSRA: // SRA
				h.X[rd] = uint64(int64(h.X[s.rs1&31]) >> (h.X[s.rs2&31] & 63))
			case opOR: // OR
				h.X[rd] = h.X[s.rs1&31] | h.X[s.rs2&31]
			case opAND: // AND
				h.X[rd] = h.X[s.rs1&31] & h.X[s.rs2&31]
			case opMUL: // MUL
				h.X[rd] = h.X[s.rs1&31] * h.X[s.rs2&31]
			case opMULH: // MULH
				h.X[rd] = mulh(h.X[s.rs1&31], h.X[s.rs2&31])
			case opMULHSU: // MULHSU
				h.X[rd] = mulhsu(h.X[s.rs1&31], h.X[s.rs2&31])
			case opMULHU: // MULHU
				h.X[rd], _ = bits.Mul64(h.X[s.rs1&31], h.X[s.rs2&31])
			case opDIV: // DIV
				h.X[rd] = div(h.X[s.rs1&31], h.X[s.rs2&31])
			case opDIVU: // DIVU
				h.X[rd] = divu(h.X[s.rs1&31], h.X[s.rs2&31])
			case opREM: // REM
				h.X[rd] = rem(h.X[s.rs1&31], h.X[s.rs2&31])
			case opREMU: // REMU
				h.X[rd] = remu(h.X[s.rs1&31], h.X[s.rs2&31])
			case opADDW: // ADDW
				h.X[rd] = sext32(uint32(h.X[s.rs1&31]) + uint32(h.X[s.rs2&31]))
			case opSUBW: // SUBW
				h.X[rd] = sext32(uint32(h.X[s.rs1&31]) - uint32(h.X[s.rs2&31]))
			case opSLLW: // SLLW
				h.X[rd] = sext32(uint32(h.X[s.rs1&31]) << (h.X[s.rs2&31] & 31))
			case opSRLW: // SRLW
				h.X[rd] = sext32(uint32(h.X[s.rs1&31]) >> (h.X[s.rs2&31] & 31))
			case opSRAW: // SRAW
				h.X[rd] = uint64(int64(int32(h.X[s.rs1&31]) >> (h.X[s.rs2&31] & 31)))
			case opMULW: // MULW
				h.X[rd] = sext32(uint32(h.X[s.rs1&31]) * uint32(h.X[s.rs2&31]))
			case opDIVW: // DIVW
				h.X[rd] = divw(uint32(h.X[s.rs1&31]), uint32(h.X[s.rs2&31]))
			case opDIVUW: // DIVUW
				a, b := uint32(h.X[s.rs1&31]), uint32(h.X[s.rs2&31])
				if b == 0 {
					h.X[rd] = math.MaxUint64
				} else {
					h.X[rd] = sext32(a / b)
				}
			case opREMW: // REMW
				h.X[rd] = remw(uint32(h.X[s.rs1&31]), uint32(h.X[s.rs2&31]))
			case opREMUW: // REMUW
				a, b := uint32(h.X[s.rs1&31]), uint32(h.X[s.rs2&31])
				if b == 0 {
					h.X[rd] = sext32(a)
				} else {
					h.X[rd] = sext32(a % b)
				}
			case opNOP: // any instruction that only writes x0
			case opFENCE: // FENCE, FENCE.I: stores already make the code they write decode again
			case opECALL: // ECALL
				cause, tval = CauseEcallU, 0
				if h.Priv == csr.PrivM {
					cause = CauseEcallM
				}
				goto fault
			case opEBREAK: // EBREAK, C.EBREAK
				cause, tval = CauseBreakpoint, pgLo+i<<1
				goto fault
			case opMRET: // MRET
				if h.Priv != csr.PrivM {
					goto illegal
				}
				pc, h.Priv = h.CSR.Mret()
				ret++
				continue outer
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
				f.Instret = ret
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
			case opADDIb: // ADDI, then the branch in the next slot
				h.X[rd] = h.X[s.rs1&31] + s.imm
				goto cond
			case opADDIWb: // ADDIW, then the branch
				h.X[rd] = sext32(uint32(h.X[s.rs1&31] + s.imm))
				goto cond
			case opADDb: // ADD, then the branch
				h.X[rd] = h.X[s.rs1&31] + h.X[s.rs2&31]
				goto cond
			case opADDWb: // ADDW, then the branch
				h.X[rd] = sext32(uint32(h.X[s.rs1&31]) + uint32(h.X[s.rs2&31]))
				goto cond
			case opLRW, opLRD, opSCW, opSCD,
				opAMOSWAPW, opAMOADDW, opAMOXORW, opAMOANDW, opAMOORW, opAMOMINW, opAMOMAXW, opAMOMINUW, opAMOMAXUW,
				opAMOSWAPD, opAMOADDD, opAMOXORD, opAMOANDD, opAMOORD, opAMOMIND, opAMOMAXD, opAMOMINUD, opAMOMAXUD:
				// The A extension, one case per mnemonic in Hart.amo.
				var a uint64
				a, tval, cause = h.amo(s)
				if cause != noCause {
					tval = a
					goto fault
				}
				if tval != 0 && (h.code[(a-base)>>pageShift] != nil || a-h.watchLo < h.watchLen) {
					sa = a
					goto storedAt
				}
			case opFLW, opFLD, opFSW, opFSD, opFP: // F and D, out of the switch: see fp
				goto fp
			case opDecode: // written since decoded, or past the end of memory
				if h.redecode(pg, (pgLo-base)>>pageShift, i) {
					continue // run it
				}
				// The first halfword outside memory, or the second.
				cause, tval = CauseFetchAccess, pgLo+i<<1
				if tval-base <= size-2 {
					tval += 2
				}
				goto fault
			case opEnd: // the end of the page, or of the budget: slot i does not run
				goto ended
			default: // opIllegal
				goto illegal
			}
			i += s.size()
			ret++
			continue

		cond: // slot i was fused with the conditional branch after it
			// The branch cases repeat those of the main switch: a shared
			// helper returning the condition measured 10-20% slower.
			i += s.size()
			ret++
			s = &pg[i]
			switch s.op {
			case opBEQ:
				if h.X[s.rs1&31] == h.X[s.rs2&31] {
					goto taken
				}
			case opBNE:
				if h.X[s.rs1&31] != h.X[s.rs2&31] {
					goto taken
				}
			case opBLT:
				if int64(h.X[s.rs1&31]) < int64(h.X[s.rs2&31]) {
					goto taken
				}
			case opBGE:
				if int64(h.X[s.rs1&31]) >= int64(h.X[s.rs2&31]) {
					goto taken
				}
			case opBLTU:
				if h.X[s.rs1&31] < h.X[s.rs2&31] {
					goto taken
				}
			case opBGEU:
				if h.X[s.rs1&31] >= h.X[s.rs2&31] {
					goto taken
				}
			default: // the budget's opEnd, or a slot to decode: dispatch it
				continue
			}
			i += s.size()
			ret++
			continue

		fp: // slot i is an F or D instruction (fp_exec.go). A call in the
			// switch's case measured 10-15% slower on integer code.
			if cause, tval = h.fp(s); cause != noTrap {
				if cause == fpStored {
					goto stored
				}
				goto fault
			}
			i += s.size()
			ret++
			continue

		stored: // slot i stored tval bytes into decoded code, or into the watch range
			sa = h.X[s.rs1&31] + s.imm
		storedAt: // slot i stored tval bytes at sa
			// Mark the slots written stale (s is still the store: it may
			// be one of them, but its length stays that of what ran);
			// the next slot to run may be.
			h.stale(sa-base, tval)
			i += s.size()
			ret++
			if sa-h.watchLo < h.watchLen {
				h.breakReservation(sa, tval)
				if sa-h.hostLo < h.hostLen {
					pc = pgLo + i<<1
					h.PC, h.CSR.Instret = pc, ret
					h.unlimit()
					return Exit{Kind: ExitHost, PC: pc}
				}
			}
			if ret >= h.near {
				// The store may have changed the lengths of the
				// instructions before the budget's end.
				h.limit(pg, pgLo-base, i, ret)
			}
			continue

		taken: // a taken branch at slot i
			pc = pgLo + i<<1 + s.imm
		jump: // slot i retired and transferred control to pc
			ret++
			if t := pc - pgLo; t < 1<<pageShift {
				// The target is in this page: a new block starts there.
				i = t >> 1
				if ret >= h.near {
					h.limit(pg, pgLo-base, i, ret)
				}
				continue
			}
			continue outer
		}
	ended: // the block ran to the end of its page or of the budget
		pc = pgLo + i<<1
		continue

	illegal: // slot i is an illegal instruction
		cause, tval = CauseIllegal, uint64(pg[i].insn)
	fault: // slot i raised cause with tval
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
// offset pgOff, stop when the budget ends, if it ends within the page: it
// turns the slot where the budget runs out into opEnd until the next block
// starts or Run returns. Blocks make this check only within a page's worth
// of instructions of the end (h.near), so the loop itself never compares
// against the budget. The slot is found by walking the instructions'
// lengths in memory (what stale slots will decode to) from slot i.
func (h *Hart) limit(pg *codePage, pgOff, i, ret uint64) {
	h.unlimit()
	left := h.end - ret
	if left >= pageSlots-i {
		return // even compressed instructions all the way do not reach it
	}
	mem := h.Mem.Data
	for ; left > 0; left-- {
		o := pgOff + i<<1
		if o >= uint64(len(mem)) {
			return // the block faults first
		}
		i += 1 + uint64(mem[o]&3+1)>>2
		if i >= pageSlots {
			return
		}
	}
	h.stop = &pg[i]
	h.stopOp = h.stop.op
	h.stop.op = opEnd
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
