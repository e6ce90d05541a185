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
func (h *Hart) Run(budget uint64) Exit {
	x := &h.X
	pc := h.PC
	priv := h.Priv
	ret := h.CSR.Instret
	end := ret + budget
	if end < ret {
		end = math.MaxUint64
	}
	mem := h.Mem.Data
	base := h.Mem.Base
	size := uint64(len(mem))
	watchLo, watchLen := h.watchLo, h.watchLen
	var cause, tval uint64

	code := h.code
	if code == nil {
		h.decodePage(0)
		code = h.code
	}

	// pg is the decoded page pc is in, starting at address pgLo; it is
	// looked up again when pc leaves it. A store that drops it moves pgLo
	// so far from pc that the next fetch looks it up again.
	var pg *codePage
	pgLo := pc + 1<<pageShift

	for ret < end {
		idx := pc - pgLo
		if idx >= 1<<pageShift {
			off := pc - base
			if off > size-4 {
				cause, tval = CauseFetchAccess, pc
				goto trap
			}
			pn := off >> pageShift
			if pg = code[pn]; pg == nil {
				pg = h.decodePage(pn)
			}
			pgLo = base + pn<<pageShift
			idx = pc - pgLo
		}
		{
			s := &pg[idx>>2&(pageSlots-1)]
			rd := s.rd & 31 // the masks let the compiler drop bounds checks
			npc := pc + 4
			switch s.op {
			case opLUI: // LUI
				x[rd] = s.imm
			case opAUIPC: // AUIPC
				x[rd] = pc + s.imm
			case opJAL: // JAL
				t := pc + s.imm
				if t&3 != 0 {
					cause, tval = CauseMisalignedFetch, t
					goto trap
				}
				x[rd] = npc
				npc = t
			case opJALR: // JALR
				t := (x[s.rs1&31] + s.imm) &^ 1
				if t&3 != 0 {
					cause, tval = CauseMisalignedFetch, t
					goto trap
				}
				x[rd] = npc
				npc = t
			case opBEQ: // BEQ
				if x[s.rs1&31] == x[s.rs2&31] {
					goto taken
				}
			case opBNE: // BNE
				if x[s.rs1&31] != x[s.rs2&31] {
					goto taken
				}
			case opBLT: // BLT
				if int64(x[s.rs1&31]) < int64(x[s.rs2&31]) {
					goto taken
				}
			case opBGE: // BGE
				if int64(x[s.rs1&31]) >= int64(x[s.rs2&31]) {
					goto taken
				}
			case opBLTU: // BLTU
				if x[s.rs1&31] < x[s.rs2&31] {
					goto taken
				}
			case opBGEU: // BGEU
				if x[s.rs1&31] >= x[s.rs2&31] {
					goto taken
				}
			case opLB: // LB
				a := x[s.rs1&31] + s.imm
				o := a - base
				if o > size-1 {
					cause, tval = CauseLoadAccess, a
					goto trap
				}
				x[rd] = uint64(int8(ld8(mem, o)))
			case opLH: // LH
				a := x[s.rs1&31] + s.imm
				o := a - base
				if o > size-2 {
					cause, tval = CauseLoadAccess, a
					goto trap
				}
				x[rd] = uint64(int16(ld16(mem, o)))
			case opLW: // LW
				a := x[s.rs1&31] + s.imm
				o := a - base
				if o > size-4 {
					cause, tval = CauseLoadAccess, a
					goto trap
				}
				x[rd] = uint64(int32(ld32(mem, o)))
			case opLD: // LD
				a := x[s.rs1&31] + s.imm
				o := a - base
				if o > size-8 {
					cause, tval = CauseLoadAccess, a
					goto trap
				}
				x[rd] = ld64(mem, o)
			case opLBU: // LBU
				a := x[s.rs1&31] + s.imm
				o := a - base
				if o > size-1 {
					cause, tval = CauseLoadAccess, a
					goto trap
				}
				x[rd] = uint64(ld8(mem, o))
			case opLHU: // LHU
				a := x[s.rs1&31] + s.imm
				o := a - base
				if o > size-2 {
					cause, tval = CauseLoadAccess, a
					goto trap
				}
				x[rd] = uint64(ld16(mem, o))
			case opLWU: // LWU
				a := x[s.rs1&31] + s.imm
				o := a - base
				if o > size-4 {
					cause, tval = CauseLoadAccess, a
					goto trap
				}
				x[rd] = uint64(ld32(mem, o))
			case opSB, opSH, opSW, opSD: // SB SH SW SD
				a := x[s.rs1&31] + s.imm
				o := a - base
				w := uint64(1) << (s.op - opSB)
				if o > size-w {
					cause, tval = CauseStoreAccess, a
					goto trap
				}
				v := x[s.rs2&31]
				switch s.op {
				case opSB:
					st8(mem, o, uint8(v))
				case opSH:
					st16(mem, o, uint16(v))
				case opSW:
					st32(mem, o, uint32(v))
				default:
					st64(mem, o, v)
				}
				// A store into decoded code drops the decoded page.
				if p := o >> pageShift; code[p] != nil {
					if code[p] == pg {
						pgLo = npc + 1<<pageShift
					}
					code[p] = nil
				}
				if p := (o + w - 1) >> pageShift; code[p] != nil {
					if code[p] == pg {
						pgLo = npc + 1<<pageShift
					}
					code[p] = nil
				}
				if a-watchLo < watchLen {
					ret++
					h.PC, h.Priv, h.CSR.Instret = npc, priv, ret
					return Exit{Kind: ExitHost, PC: npc}
				}
			case opADDI: // ADDI
				x[rd] = x[s.rs1&31] + s.imm
			case opSLTI: // SLTI
				x[rd] = b2u(int64(x[s.rs1&31]) < int64(s.imm))
			case opSLTIU: // SLTIU
				x[rd] = b2u(x[s.rs1&31] < s.imm)
			case opXORI: // XORI
				x[rd] = x[s.rs1&31] ^ s.imm
			case opORI: // ORI
				x[rd] = x[s.rs1&31] | s.imm
			case opANDI: // ANDI
				x[rd] = x[s.rs1&31] & s.imm
			case opSLLI: // SLLI
				x[rd] = x[s.rs1&31] << s.imm
			case opSRLI: // SRLI
				x[rd] = x[s.rs1&31] >> s.imm
			case opSRAI: // SRAI
				x[rd] = uint64(int64(x[s.rs1&31]) >> s.imm)
			case opADDIW: // ADDIW
				x[rd] = sext32(uint32(x[s.rs1&31] + s.imm))
			case opSLLIW: // SLLIW
				x[rd] = sext32(uint32(x[s.rs1&31]) << s.imm)
			case opSRLIW: // SRLIW
				x[rd] = sext32(uint32(x[s.rs1&31]) >> s.imm)
			case opSRAIW: // SRAIW
				x[rd] = uint64(int64(int32(x[s.rs1&31]) >> s.imm))
			case opADD: // ADD
				x[rd] = x[s.rs1&31] + x[s.rs2&31]
			case opSUB: // SUB
				x[rd] = x[s.rs1&31] - x[s.rs2&31]
			case opSLL: // SLL
				x[rd] = x[s.rs1&31] << (x[s.rs2&31] & 63)
			case opSLT: // SLT
				x[rd] = b2u(int64(x[s.rs1&31]) < int64(x[s.rs2&31]))
			case opSLTU: // SLTU
				x[rd] = b2u(x[s.rs1&31] < x[s.rs2&31])
			case opXOR: // XOR
				x[rd] = x[s.rs1&31] ^ x[s.rs2&31]
			case opSRL: // SRL
				x[rd] = x[s.rs1&31] >> (x[s.rs2&31] & 63)
			case opSRA: // SRA
				x[rd] = uint64(int64(x[s.rs1&31]) >> (x[s.rs2&31] & 63))
			case opOR: // OR
				x[rd] = x[s.rs1&31] | x[s.rs2&31]
			case opAND: // AND
				x[rd] = x[s.rs1&31] & x[s.rs2&31]
			case opMUL: // MUL
				x[rd] = x[s.rs1&31] * x[s.rs2&31]
			case opMULH: // MULH
				x[rd] = mulh(x[s.rs1&31], x[s.rs2&31])
			case opMULHSU: // MULHSU
				x[rd] = mulhsu(x[s.rs1&31], x[s.rs2&31])
			case opMULHU: // MULHU
				x[rd], _ = bits.Mul64(x[s.rs1&31], x[s.rs2&31])
			case opDIV: // DIV
				x[rd] = div(x[s.rs1&31], x[s.rs2&31])
			case opDIVU: // DIVU
				x[rd] = divu(x[s.rs1&31], x[s.rs2&31])
			case opREM: // REM
				x[rd] = rem(x[s.rs1&31], x[s.rs2&31])
			case opREMU: // REMU
				x[rd] = remu(x[s.rs1&31], x[s.rs2&31])
			case opADDW: // ADDW
				x[rd] = sext32(uint32(x[s.rs1&31]) + uint32(x[s.rs2&31]))
			case opSUBW: // SUBW
				x[rd] = sext32(uint32(x[s.rs1&31]) - uint32(x[s.rs2&31]))
			case opSLLW: // SLLW
				x[rd] = sext32(uint32(x[s.rs1&31]) << (x[s.rs2&31] & 31))
			case opSRLW: // SRLW
				x[rd] = sext32(uint32(x[s.rs1&31]) >> (x[s.rs2&31] & 31))
			case opSRAW: // SRAW
				x[rd] = uint64(int64(int32(x[s.rs1&31]) >> (x[s.rs2&31] & 31)))
			case opMULW: // MULW
				x[rd] = sext32(uint32(x[s.rs1&31]) * uint32(x[s.rs2&31]))
			case opDIVW: // DIVW
				x[rd] = divw(uint32(x[s.rs1&31]), uint32(x[s.rs2&31]))
			case opDIVUW: // DIVUW
				a, b := uint32(x[s.rs1&31]), uint32(x[s.rs2&31])
				if b == 0 {
					x[rd] = math.MaxUint64
				} else {
					x[rd] = sext32(a / b)
				}
			case opREMW: // REMW
				x[rd] = remw(uint32(x[s.rs1&31]), uint32(x[s.rs2&31]))
			case opREMUW: // REMUW
				a, b := uint32(x[s.rs1&31]), uint32(x[s.rs2&31])
				if b == 0 {
					x[rd] = sext32(a)
				} else {
					x[rd] = sext32(a % b)
				}
			case opFENCE: // FENCE, FENCE.I: stores already drop decoded code
			case opECALL: // ECALL
				cause, tval = CauseEcallU, 0
				if priv == csr.PrivM {
					cause = CauseEcallM
				}
				goto trap
			case opEBREAK: // EBREAK
				cause, tval = CauseBreakpoint, pc
				goto trap
			case opMRET: // MRET
				if priv != csr.PrivM {
					goto illegal
				}
				npc, priv = h.CSR.Mret()
			case opWFI: // WFI: no interrupt sources, so it completes at once
				if priv != csr.PrivM && h.CSR.Get(csr.Mstatus)&csr.MstatusTW != 0 {
					goto illegal
				}
			case opCSR: // CSRRW CSRRS CSRRC CSRRWI CSRRSI CSRRCI
				in := s.insn
				f3 := in.Funct3()
				rs1 := in.Rs1()
				src := x[rs1]
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
					old, k, fault = h.ndAccess(num, priv, op, src, write, pc, ret)
					if k != ExitBudget {
						h.PC, h.Priv = pc, priv
						return Exit{Kind: k, Cause: ndCause(k), Tval: uint64(ndbuf.KindOf(num)), PC: pc}
					}
				} else {
					old, fault = f.Access(num, priv, op, src, read, write)
				}
				if fault != csr.FaultNone {
					goto illegal
				}
				x[rd] = old
			case opDecode: // past the end of memory in its last, partial page
				cause, tval = CauseFetchAccess, pc
				goto trap
			default: // opIllegal
				goto illegal
			}
			goto retire
		taken: // a taken branch
			npc = pc + s.imm
			if npc&3 != 0 {
				cause, tval = CauseMisalignedFetch, npc
				goto trap
			}
		retire:
			x[0] = 0
			pc = npc
			ret++
			continue
		illegal:
			cause, tval = CauseIllegal, uint64(s.insn)
		}
	trap:
		if priv == csr.PrivU && h.UserTrapsExit {
			h.PC, h.Priv, h.CSR.Instret = pc, priv, ret
			kind := ExitTrap
			if cause == CauseEcallU {
				kind = ExitEcall
			}
			return Exit{Kind: kind, Cause: cause, Tval: tval, PC: pc}
		}
		vec := h.CSR.Get(csr.Mtvec) &^ 3
		if vec-base > size-4 || (priv == csr.PrivM && pc == vec) {
			// No handler can run: it is outside memory, or its first
			// instruction is the one that trapped.
			h.PC, h.Priv, h.CSR.Instret = pc, priv, ret
			return Exit{Kind: ExitTrap, Cause: cause, Tval: tval, PC: pc}
		}
		pc = h.CSR.TrapEnter(cause, tval, pc, priv)
		priv = csr.PrivM
	}
	h.PC, h.Priv, h.CSR.Instret = pc, priv, ret
	return Exit{Kind: ExitBudget, PC: pc}
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
