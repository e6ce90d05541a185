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

	for ret < end {
		off := pc - base
		if off > size-4 {
			cause, tval = CauseFetchAccess, pc
			goto trap
		}
		{
			in := Insn(le.Uint32(mem[off:]))
			rd := in.Rd()
			npc := pc + 4
			switch in.Opcode() {
			case OpLui: // 0110111 LUI
				x[rd] = in.ImmU()
			case OpAuipc: // 0010111 AUIPC
				x[rd] = pc + in.ImmU()
			case OpJal: // 1101111 JAL
				t := pc + in.ImmJ()
				if t&3 != 0 {
					cause, tval = CauseMisalignedFetch, t
					goto trap
				}
				x[rd] = npc
				npc = t
			case OpJalr: // 1100111 JALR
				if in.Funct3() != 0 {
					goto illegal
				}
				t := (x[in.Rs1()] + in.ImmI()) &^ 1
				if t&3 != 0 {
					cause, tval = CauseMisalignedFetch, t
					goto trap
				}
				x[rd] = npc
				npc = t
			case OpBranch: // 1100011 BEQ BNE BLT BGE BLTU BGEU
				a, b := x[in.Rs1()], x[in.Rs2()]
				var taken bool
				switch in.Funct3() {
				case 0: // BEQ
					taken = a == b
				case 1: // BNE
					taken = a != b
				case 4: // BLT
					taken = int64(a) < int64(b)
				case 5: // BGE
					taken = int64(a) >= int64(b)
				case 6: // BLTU
					taken = a < b
				case 7: // BGEU
					taken = a >= b
				default:
					goto illegal
				}
				if taken {
					t := pc + in.ImmB()
					if t&3 != 0 {
						cause, tval = CauseMisalignedFetch, t
						goto trap
					}
					npc = t
				}
			case OpLoad: // 0000011 LB LH LW LD LBU LHU LWU
				a := x[in.Rs1()] + in.ImmI()
				o := a - base
				switch in.Funct3() {
				case 0: // LB
					if o > size-1 {
						cause, tval = CauseLoadAccess, a
						goto trap
					}
					x[rd] = uint64(int8(mem[o]))
				case 1: // LH
					if o > size-2 {
						cause, tval = CauseLoadAccess, a
						goto trap
					}
					x[rd] = uint64(int16(le.Uint16(mem[o:])))
				case 2: // LW
					if o > size-4 {
						cause, tval = CauseLoadAccess, a
						goto trap
					}
					x[rd] = uint64(int32(le.Uint32(mem[o:])))
				case 3: // LD
					if o > size-8 {
						cause, tval = CauseLoadAccess, a
						goto trap
					}
					x[rd] = le.Uint64(mem[o:])
				case 4: // LBU
					if o > size-1 {
						cause, tval = CauseLoadAccess, a
						goto trap
					}
					x[rd] = uint64(mem[o])
				case 5: // LHU
					if o > size-2 {
						cause, tval = CauseLoadAccess, a
						goto trap
					}
					x[rd] = uint64(le.Uint16(mem[o:]))
				case 6: // LWU
					if o > size-4 {
						cause, tval = CauseLoadAccess, a
						goto trap
					}
					x[rd] = uint64(le.Uint32(mem[o:]))
				default:
					goto illegal
				}
			case OpStore: // 0100011 SB SH SW SD
				a := x[in.Rs1()] + in.ImmS()
				o := a - base
				v := x[in.Rs2()]
				switch in.Funct3() {
				case 0: // SB
					if o > size-1 {
						cause, tval = CauseStoreAccess, a
						goto trap
					}
					mem[o] = byte(v)
				case 1: // SH
					if o > size-2 {
						cause, tval = CauseStoreAccess, a
						goto trap
					}
					le.PutUint16(mem[o:], uint16(v))
				case 2: // SW
					if o > size-4 {
						cause, tval = CauseStoreAccess, a
						goto trap
					}
					le.PutUint32(mem[o:], uint32(v))
				case 3: // SD
					if o > size-8 {
						cause, tval = CauseStoreAccess, a
						goto trap
					}
					le.PutUint64(mem[o:], v)
				default:
					goto illegal
				}
				if a-watchLo < watchLen {
					ret++
					h.PC, h.Priv, h.CSR.Instret = npc, priv, ret
					return Exit{Kind: ExitHost, PC: npc}
				}
			case OpImm: // 0010011 ADDI SLTI SLTIU XORI ORI ANDI SLLI SRLI SRAI
				a, imm := x[in.Rs1()], in.ImmI()
				switch in.Funct3() {
				case 0: // ADDI
					x[rd] = a + imm
				case 2: // SLTI
					x[rd] = b2u(int64(a) < int64(imm))
				case 3: // SLTIU
					x[rd] = b2u(a < imm)
				case 4: // XORI
					x[rd] = a ^ imm
				case 6: // ORI
					x[rd] = a | imm
				case 7: // ANDI
					x[rd] = a & imm
				case 1: // SLLI: imm[11:6] = 000000
					if in>>26 != 0 {
						goto illegal
					}
					x[rd] = a << in.Shamt()
				case 5: // SRLI (imm[11:6] = 000000), SRAI (010000)
					switch in >> 26 {
					case 0:
						x[rd] = a >> in.Shamt()
					case 0x10:
						x[rd] = uint64(int64(a) >> in.Shamt())
					default:
						goto illegal
					}
				}
			case OpImm32: // 0011011 ADDIW SLLIW SRLIW SRAIW
				a := x[in.Rs1()]
				sh := in.Rs2() // shamt[4:0]; imm[5] is part of funct7
				switch in.Funct3() {
				case 0: // ADDIW
					x[rd] = sext32(uint32(a + in.ImmI()))
				case 1: // SLLIW
					if in.Funct7() != 0 {
						goto illegal
					}
					x[rd] = sext32(uint32(a) << sh)
				case 5: // SRLIW, SRAIW
					switch in.Funct7() {
					case 0:
						x[rd] = sext32(uint32(a) >> sh)
					case funct7Alt:
						x[rd] = uint64(int64(int32(a) >> sh))
					default:
						goto illegal
					}
				default:
					goto illegal
				}
			case OpOp: // 0110011 ADD SUB SLL SLT SLTU XOR SRL SRA OR AND, and M
				a, b := x[in.Rs1()], x[in.Rs2()]
				switch in.Funct7()<<3 | in.Funct3() {
				case 0: // ADD
					x[rd] = a + b
				case funct7Alt << 3: // SUB
					x[rd] = a - b
				case 1: // SLL
					x[rd] = a << (b & 63)
				case 2: // SLT
					x[rd] = b2u(int64(a) < int64(b))
				case 3: // SLTU
					x[rd] = b2u(a < b)
				case 4: // XOR
					x[rd] = a ^ b
				case 5: // SRL
					x[rd] = a >> (b & 63)
				case funct7Alt<<3 | 5: // SRA
					x[rd] = uint64(int64(a) >> (b & 63))
				case 6: // OR
					x[rd] = a | b
				case 7: // AND
					x[rd] = a & b
				case funct7MulD << 3: // MUL
					x[rd] = a * b
				case funct7MulD<<3 | 1: // MULH
					x[rd] = mulh(a, b)
				case funct7MulD<<3 | 2: // MULHSU
					x[rd] = mulhsu(a, b)
				case funct7MulD<<3 | 3: // MULHU
					x[rd], _ = bits.Mul64(a, b)
				case funct7MulD<<3 | 4: // DIV
					x[rd] = div(a, b)
				case funct7MulD<<3 | 5: // DIVU
					x[rd] = divu(a, b)
				case funct7MulD<<3 | 6: // REM
					x[rd] = rem(a, b)
				case funct7MulD<<3 | 7: // REMU
					x[rd] = remu(a, b)
				default:
					goto illegal
				}
			case OpOp32: // 0111011 ADDW SUBW SLLW SRLW SRAW, and M's W forms
				a, b := uint32(x[in.Rs1()]), uint32(x[in.Rs2()])
				switch in.Funct7()<<3 | in.Funct3() {
				case 0: // ADDW
					x[rd] = sext32(a + b)
				case funct7Alt << 3: // SUBW
					x[rd] = sext32(a - b)
				case 1: // SLLW
					x[rd] = sext32(a << (b & 31))
				case 5: // SRLW
					x[rd] = sext32(a >> (b & 31))
				case funct7Alt<<3 | 5: // SRAW
					x[rd] = uint64(int64(int32(a) >> (b & 31)))
				case funct7MulD << 3: // MULW
					x[rd] = sext32(a * b)
				case funct7MulD<<3 | 4: // DIVW
					x[rd] = divw(a, b)
				case funct7MulD<<3 | 5: // DIVUW
					if b == 0 {
						x[rd] = math.MaxUint64
					} else {
						x[rd] = sext32(a / b)
					}
				case funct7MulD<<3 | 6: // REMW
					x[rd] = remw(a, b)
				case funct7MulD<<3 | 7: // REMUW
					if b == 0 {
						x[rd] = sext32(a)
					} else {
						x[rd] = sext32(a % b)
					}
				default:
					goto illegal
				}
			case OpMiscMem: // 0001111 FENCE, FENCE.I
				switch in.Funct3() {
				case 0: // FENCE: one hart, memory is always coherent
				case 1: // FENCE.I: instructions are fetched from memory every time
				default:
					goto illegal
				}
			case OpSystem: // 1110011 ECALL EBREAK MRET WFI and Zicsr
				f3 := in.Funct3()
				if f3 == 0 {
					switch in {
					case encEcall: // ECALL
						cause, tval = CauseEcallU, 0
						if priv == csr.PrivM {
							cause = CauseEcallM
						}
						goto trap
					case encEbreak: // EBREAK
						cause, tval = CauseBreakpoint, pc
						goto trap
					case encMret: // MRET
						if priv != csr.PrivM {
							goto illegal
						}
						npc, priv = h.CSR.Mret()
					case encWfi: // WFI: no interrupt sources, so it completes at once
						if priv != csr.PrivM && h.CSR.Get(csr.Mstatus)&csr.MstatusTW != 0 {
							goto illegal
						}
					default:
						goto illegal
					}
					break
				}
				if f3 == 4 {
					goto illegal
				}
				// CSRRW CSRRS CSRRC CSRRWI CSRRSI CSRRCI
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
			default:
				goto illegal
			}
			x[0] = 0
			pc = npc
			ret++
			continue
		illegal:
			cause, tval = CauseIllegal, uint64(in)
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
