package rv64

import (
	"math"
	"math/bits"

	"github.com/rvsim/rvsim/csr"
)

// block runs the slots of pg, the page at pgLo, from slot i with instret
// (r2+i)>>1, until one needs Run (why): it makes no call, so that its
// state stays in registers. It returns the slot it stopped at and r2, and
// for bkJump the target pc, for bkFault the cause and tval, for bkStored
// the bytes stored in tval.
func (h *Hart) block(pg *codePage, pgLo, i, r2 uint64) (why, _, _, pc, cause, tval uint64) {
	mem := h.Mem.Data
	base := h.Mem.Base
	size := uint64(len(mem))
	for {
		s := pg.at(i)
		rdb := s.rd
		rd := rdb & 31 // the masks let the compiler drop bounds checks
		// Each case that does not leave the block steps to the next
		// slot itself and goes straight back to the dispatch: one
		// taken jump per instruction fewer than a step shared after
		// the switch (interp ran 15-25% faster, when the dispatch
		// does not straddle a 64-byte line: see cmd/rvsim/default.pgo
		// in docs/benchmarks.md). The step is a
		// branch, well predicted, not an add of the length, which
		// would make the next slot's address wait for this one's
		// load; the length is a bit of the byte of rd, which the
		// dispatch has loaded (testing the instruction's low bits
		// cost a load and two more operations: 8% on interp).
		switch s.op {
		case opLUI: // LUI
			h.X[rd] = s.imm
			if rdb&slotC == 0 {
				i += 2
				continue
			}
			i++
			r2++
			continue
		case opAUIPC: // AUIPC
			h.X[rd] = pgLo + i<<1 + s.imm
			if rdb&slotC == 0 {
				i += 2
				continue
			}
			i++
			r2++
			continue
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
			if rdb&slotC == 0 {
				i += 2
				continue
			}
			i++
			r2++
			continue
		case opBNE: // BNE
			if h.X[s.rs1&31] != h.X[s.rs2&31] {
				goto taken
			}
			if rdb&slotC == 0 {
				i += 2
				continue
			}
			i++
			r2++
			continue
		case opBLT: // BLT
			if int64(h.X[s.rs1&31]) < int64(h.X[s.rs2&31]) {
				goto taken
			}
			if rdb&slotC == 0 {
				i += 2
				continue
			}
			i++
			r2++
			continue
		case opBGE: // BGE
			if int64(h.X[s.rs1&31]) >= int64(h.X[s.rs2&31]) {
				goto taken
			}
			if rdb&slotC == 0 {
				i += 2
				continue
			}
			i++
			r2++
			continue
		case opBLTU: // BLTU
			if h.X[s.rs1&31] < h.X[s.rs2&31] {
				goto taken
			}
			if rdb&slotC == 0 {
				i += 2
				continue
			}
			i++
			r2++
			continue
		case opBGEU: // BGEU
			if h.X[s.rs1&31] >= h.X[s.rs2&31] {
				goto taken
			}
			if rdb&slotC == 0 {
				i += 2
				continue
			}
			i++
			r2++
			continue
		case opLB: // LB
			a := h.X[s.rs1&31] + s.imm
			o := a - base
			if o > size-1 {
				cause, tval = CauseLoadAccess, a
				goto fault
			}
			h.X[rd] = uint64(int8(ld8(mem, o)))
			if rdb&slotC == 0 {
				i += 2
				continue
			}
			i++
			r2++
			continue
		case opLH: // LH
			a := h.X[s.rs1&31] + s.imm
			o := a - base
			if o > size-2 {
				cause, tval = CauseLoadAccess, a
				goto fault
			}
			h.X[rd] = uint64(int16(ld16(mem, o)))
			if rdb&slotC == 0 {
				i += 2
				continue
			}
			i++
			r2++
			continue
		case opLW: // LW
			a := h.X[s.rs1&31] + s.imm
			o := a - base
			if o > size-4 {
				cause, tval = CauseLoadAccess, a
				goto fault
			}
			h.X[rd] = uint64(int32(ld32(mem, o)))
			if rdb&slotC == 0 {
				i += 2
				continue
			}
			i++
			r2++
			continue
		case opLD: // LD
			a := h.X[s.rs1&31] + s.imm
			o := a - base
			if o > size-8 {
				cause, tval = CauseLoadAccess, a
				goto fault
			}
			h.X[rd] = ld64(mem, o)
			if rdb&slotC == 0 {
				i += 2
				continue
			}
			i++
			r2++
			continue
		case opLBU: // LBU
			a := h.X[s.rs1&31] + s.imm
			o := a - base
			if o > size-1 {
				cause, tval = CauseLoadAccess, a
				goto fault
			}
			h.X[rd] = uint64(ld8(mem, o))
			if rdb&slotC == 0 {
				i += 2
				continue
			}
			i++
			r2++
			continue
		case opLHU: // LHU
			a := h.X[s.rs1&31] + s.imm
			o := a - base
			if o > size-2 {
				cause, tval = CauseLoadAccess, a
				goto fault
			}
			h.X[rd] = uint64(ld16(mem, o))
			if rdb&slotC == 0 {
				i += 2
				continue
			}
			i++
			r2++
			continue
		case opLWU: // LWU
			a := h.X[s.rs1&31] + s.imm
			o := a - base
			if o > size-4 {
				cause, tval = CauseLoadAccess, a
				goto fault
			}
			h.X[rd] = uint64(ld32(mem, o))
			if rdb&slotC == 0 {
				i += 2
				continue
			}
			i++
			r2++
			continue
		case opLX0: // a load into x0: only its fault remains
			a := h.X[s.rs1&31] + s.imm
			if a-base > size-uint64(1)<<(s.insn.Funct3()&3) {
				cause, tval = CauseLoadAccess, a
				goto fault
			}
			if rdb&slotC == 0 {
				i += 2
				continue
			}
			i++
			r2++
			continue
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
			if rdb&slotC == 0 {
				i += 2
				continue
			}
			i++
			r2++
			continue
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
			if rdb&slotC == 0 {
				i += 2
				continue
			}
			i++
			r2++
			continue
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
			if rdb&slotC == 0 {
				i += 2
				continue
			}
			i++
			r2++
			continue
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
			if rdb&slotC == 0 {
				i += 2
				continue
			}
			i++
			r2++
			continue
		case opADDI: // ADDI
			h.X[rd] = h.X[s.rs1&31] + s.imm
			if rdb&slotC == 0 {
				i += 2
				continue
			}
			i++
			r2++
			continue
		case opSLTI: // SLTI
			h.X[rd] = b2u(int64(h.X[s.rs1&31]) < int64(s.imm))
			if rdb&slotC == 0 {
				i += 2
				continue
			}
			i++
			r2++
			continue
		case opSLTIU: // SLTIU
			h.X[rd] = b2u(h.X[s.rs1&31] < s.imm)
			if rdb&slotC == 0 {
				i += 2
				continue
			}
			i++
			r2++
			continue
		case opXORI: // XORI
			h.X[rd] = h.X[s.rs1&31] ^ s.imm
			if rdb&slotC == 0 {
				i += 2
				continue
			}
			i++
			r2++
			continue
		case opORI: // ORI
			h.X[rd] = h.X[s.rs1&31] | s.imm
			if rdb&slotC == 0 {
				i += 2
				continue
			}
			i++
			r2++
			continue
		case opANDI: // ANDI
			h.X[rd] = h.X[s.rs1&31] & s.imm
			if rdb&slotC == 0 {
				i += 2
				continue
			}
			i++
			r2++
			continue
		case opSLLI: // SLLI
			h.X[rd] = h.X[s.rs1&31] << s.imm
			if rdb&slotC == 0 {
				i += 2
				continue
			}
			i++
			r2++
			continue
		case opSRLI: // SRLI
			h.X[rd] = h.X[s.rs1&31] >> s.imm
			if rdb&slotC == 0 {
				i += 2
				continue
			}
			i++
			r2++
			continue
		case opSRAI: // SRAI
			h.X[rd] = uint64(int64(h.X[s.rs1&31]) >> s.imm)
			if rdb&slotC == 0 {
				i += 2
				continue
			}
			i++
			r2++
			continue
		case opADDIW: // ADDIW
			h.X[rd] = sext32(uint32(h.X[s.rs1&31] + s.imm))
			if rdb&slotC == 0 {
				i += 2
				continue
			}
			i++
			r2++
			continue
		case opSLLIW: // SLLIW
			h.X[rd] = sext32(uint32(h.X[s.rs1&31]) << s.imm)
			if rdb&slotC == 0 {
				i += 2
				continue
			}
			i++
			r2++
			continue
		case opSRLIW: // SRLIW
			h.X[rd] = sext32(uint32(h.X[s.rs1&31]) >> s.imm)
			if rdb&slotC == 0 {
				i += 2
				continue
			}
			i++
			r2++
			continue
		case opSRAIW: // SRAIW
			h.X[rd] = uint64(int64(int32(h.X[s.rs1&31]) >> s.imm))
			if rdb&slotC == 0 {
				i += 2
				continue
			}
			i++
			r2++
			continue
		case opADD: // ADD
			h.X[rd] = h.X[s.rs1&31] + h.X[s.rs2&31]
			if rdb&slotC == 0 {
				i += 2
				continue
			}
			i++
			r2++
			continue
		case opSUB: // SUB
			h.X[rd] = h.X[s.rs1&31] - h.X[s.rs2&31]
			if rdb&slotC == 0 {
				i += 2
				continue
			}
			i++
			r2++
			continue
		case opSLL: // SLL
			h.X[rd] = h.X[s.rs1&31] << (h.X[s.rs2&31] & 63)
			if rdb&slotC == 0 {
				i += 2
				continue
			}
			i++
			r2++
			continue
		case opSLT: // SLT
			h.X[rd] = b2u(int64(h.X[s.rs1&31]) < int64(h.X[s.rs2&31]))
			if rdb&slotC == 0 {
				i += 2
				continue
			}
			i++
			r2++
			continue
		case opSLTU: // SLTU
			h.X[rd] = b2u(h.X[s.rs1&31] < h.X[s.rs2&31])
			if rdb&slotC == 0 {
				i += 2
				continue
			}
			i++
			r2++
			continue
		case opXOR: // XOR
			h.X[rd] = h.X[s.rs1&31] ^ h.X[s.rs2&31]
			if rdb&slotC == 0 {
				i += 2
				continue
			}
			i++
			r2++
			continue
		case opSRL: // SRL
			h.X[rd] = h.X[s.rs1&31] >> (h.X[s.rs2&31] & 63)
			if rdb&slotC == 0 {
				i += 2
				continue
			}
			i++
			r2++
			continue
		case opSRA: // SRA
			h.X[rd] = uint64(int64(h.X[s.rs1&31]) >> (h.X[s.rs2&31] & 63))
			if rdb&slotC == 0 {
				i += 2
				continue
			}
			i++
			r2++
			continue
		case opOR: // OR
			h.X[rd] = h.X[s.rs1&31] | h.X[s.rs2&31]
			if rdb&slotC == 0 {
				i += 2
				continue
			}
			i++
			r2++
			continue
		case opAND: // AND
			h.X[rd] = h.X[s.rs1&31] & h.X[s.rs2&31]
			if rdb&slotC == 0 {
				i += 2
				continue
			}
			i++
			r2++
			continue
		case opMUL: // MUL
			h.X[rd] = h.X[s.rs1&31] * h.X[s.rs2&31]
			if rdb&slotC == 0 {
				i += 2
				continue
			}
			i++
			r2++
			continue
		case opMULH: // MULH
			h.X[rd] = mulh(h.X[s.rs1&31], h.X[s.rs2&31])
			if rdb&slotC == 0 {
				i += 2
				continue
			}
			i++
			r2++
			continue
		case opMULHSU: // MULHSU
			h.X[rd] = mulhsu(h.X[s.rs1&31], h.X[s.rs2&31])
			if rdb&slotC == 0 {
				i += 2
				continue
			}
			i++
			r2++
			continue
		case opMULHU: // MULHU
			h.X[rd], _ = bits.Mul64(h.X[s.rs1&31], h.X[s.rs2&31])
			if rdb&slotC == 0 {
				i += 2
				continue
			}
			i++
			r2++
			continue
		case opDIV: // DIV
			h.X[rd] = div(h.X[s.rs1&31], h.X[s.rs2&31])
			if rdb&slotC == 0 {
				i += 2
				continue
			}
			i++
			r2++
			continue
		case opDIVU: // DIVU
			h.X[rd] = divu(h.X[s.rs1&31], h.X[s.rs2&31])
			if rdb&slotC == 0 {
				i += 2
				continue
			}
			i++
			r2++
			continue
		case opREM: // REM
			h.X[rd] = rem(h.X[s.rs1&31], h.X[s.rs2&31])
			if rdb&slotC == 0 {
				i += 2
				continue
			}
			i++
			r2++
			continue
		case opREMU: // REMU
			h.X[rd] = remu(h.X[s.rs1&31], h.X[s.rs2&31])
			if rdb&slotC == 0 {
				i += 2
				continue
			}
			i++
			r2++
			continue
		case opADDW: // ADDW
			h.X[rd] = sext32(uint32(h.X[s.rs1&31]) + uint32(h.X[s.rs2&31]))
			if rdb&slotC == 0 {
				i += 2
				continue
			}
			i++
			r2++
			continue
		case opSUBW: // SUBW
			h.X[rd] = sext32(uint32(h.X[s.rs1&31]) - uint32(h.X[s.rs2&31]))
			if rdb&slotC == 0 {
				i += 2
				continue
			}
			i++
			r2++
			continue
		case opSLLW: // SLLW
			h.X[rd] = sext32(uint32(h.X[s.rs1&31]) << (h.X[s.rs2&31] & 31))
			if rdb&slotC == 0 {
				i += 2
				continue
			}
			i++
			r2++
			continue
		case opSRLW: // SRLW
			h.X[rd] = sext32(uint32(h.X[s.rs1&31]) >> (h.X[s.rs2&31] & 31))
			if rdb&slotC == 0 {
				i += 2
				continue
			}
			i++
			r2++
			continue
		case opSRAW: // SRAW
			h.X[rd] = uint64(int64(int32(h.X[s.rs1&31]) >> (h.X[s.rs2&31] & 31)))
			if rdb&slotC == 0 {
				i += 2
				continue
			}
			i++
			r2++
			continue
		case opMULW: // MULW
			h.X[rd] = sext32(uint32(h.X[s.rs1&31]) * uint32(h.X[s.rs2&31]))
			if rdb&slotC == 0 {
				i += 2
				continue
			}
			i++
			r2++
			continue
		case opDIVW: // DIVW
			h.X[rd] = divw(uint32(h.X[s.rs1&31]), uint32(h.X[s.rs2&31]))
			if rdb&slotC == 0 {
				i += 2
				continue
			}
			i++
			r2++
			continue
		case opDIVUW: // DIVUW
			a, b := uint32(h.X[s.rs1&31]), uint32(h.X[s.rs2&31])
			if b == 0 {
				h.X[rd] = math.MaxUint64
			} else {
				h.X[rd] = sext32(a / b)
			}
			if rdb&slotC == 0 {
				i += 2
				continue
			}
			i++
			r2++
			continue
		case opREMW: // REMW
			h.X[rd] = remw(uint32(h.X[s.rs1&31]), uint32(h.X[s.rs2&31]))
			if rdb&slotC == 0 {
				i += 2
				continue
			}
			i++
			r2++
			continue
		case opREMUW: // REMUW
			a, b := uint32(h.X[s.rs1&31]), uint32(h.X[s.rs2&31])
			if b == 0 {
				h.X[rd] = sext32(a)
			} else {
				h.X[rd] = sext32(a % b)
			}
			if rdb&slotC == 0 {
				i += 2
				continue
			}
			i++
			r2++
			continue
		case opNOP: // any instruction that only writes x0
			if rdb&slotC == 0 {
				i += 2
				continue
			}
			i++
			r2++
			continue
		case opFENCE: // FENCE, FENCE.I: stores already make the code they write decode again
			if rdb&slotC == 0 {
				i += 2
				continue
			}
			i++
			r2++
			continue
		case opECALL: // ECALL
			cause, tval = CauseEcallU, 0
			if h.Priv == csr.PrivM {
				cause = CauseEcallM
			}
			return bkFault, i, r2, 0, cause, tval
		case opEBREAK: // EBREAK, C.EBREAK
			return bkFault, i, r2, 0, CauseBreakpoint, pgLo + i<<1
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
		case opEnd: // the end of the page, or of the budget: slot i does not run
			return bkEnd, i, r2, 0, 0, 0
		case opDecode, opIllegal: // Run's; a case of their own, so that the jump table starts at op 0 (no subtract before the jump)
			return bkSlow, i, r2, 0, 0, 0
		default: // CSRs, MRET, WFI, A, F, D: Run's
			return bkSlow, i, r2, 0, 0, 0
		}

	cond: // slot i was fused with the conditional branch after it
		// The branch cases repeat those of the main switch: a shared
		// helper returning the condition measured 10-20% slower.
		if s.insn&3 == 3 {
			i += 2
		} else {
			i++
			r2++
		}
		s = pg.at(i)
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
		if s.insn&3 == 3 {
			i += 2
			continue
		}
		i++
		r2++
		continue

	taken: // a taken branch at slot i
		pc = pgLo + i<<1 + s.imm
	jump: // slot i retired and transferred control to pc
		if t := pc - pgLo; t < 1<<pageShift {
			// The target is in this page: a new block starts there,
			// unless the budget may end in it (Run limits it).
			ret := (r2+i)>>1 + 1
			if ret < h.near {
				i = t >> 1
				r2 = ret<<1 - i
				continue
			}
		}
		return bkJump, i, r2, pc, 0, 0
	fault:
		return bkFault, i, r2, 0, cause, tval
	stored:
		return bkStored, i, r2, 0, 0, tval
	}
}
