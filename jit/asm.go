package jit

import "encoding/binary"

// An amd64 encoder for the few instruction forms the translator emits
// (Intel SDM volume 2: REX prefix, ModRM, SIB, displacement, immediate).
// Operand sizes: w true is 64-bit (REX.W), false 32-bit (which zeroes
// the upper half of a register destination).

// reg is an amd64 general-purpose register number.
type reg uint8

const (
	rax reg = iota
	rcx
	rdx
	rbx
	rsp
	rbp
	rsi
	rdi
	r8
	r9
	r10
	r11
	r12
	r13
	r14
	r15
)

// mem is a memory operand: [base + index*scale + disp], or [rip + disp]
// to the absolute address abs when rip is set.
type mem struct {
	base     reg
	index    reg
	scale    uint8 // 1, 2, 4 or 8; 0: no index
	disp     int32
	rip      bool
	abs      uintptr
	hasIndex bool
}

// at returns [base + disp].
func at(base reg, disp int32) mem { return mem{base: base, disp: disp} }

// atIdx returns [base + index*scale + disp].
func atIdx(base, index reg, scale uint8, disp int32) mem {
	return mem{base: base, index: index, scale: scale, disp: disp, hasIndex: true}
}

// ripAt returns [rip + (abs - next instruction)].
func ripAt(abs uintptr) mem { return mem{rip: true, abs: abs} }

// Condition codes (the low nibble of Jcc and SETcc).
const (
	ccB  = 0x2 // unsigned <
	ccAE = 0x3 // unsigned >=
	ccE  = 0x4
	ccNE = 0x5
	ccBE = 0x6 // unsigned <=
	ccA  = 0x7 // unsigned >
	ccS  = 0x8 // negative
	ccNS = 0x9
	ccL  = 0xc // signed <
	ccGE = 0xd // signed >=
	ccLE = 0xe
	ccG  = 0xf
)

// ALU operations: the /digit of opcode 81/83 and, times 8, the base of the
// register forms.
const (
	aluADD = 0
	aluOR  = 1
	aluAND = 4
	aluSUB = 5
	aluXOR = 6
	aluCMP = 7
)

// Shift operations: the /digit of C1 and D3.
const (
	shSHL = 4
	shSHR = 5
	shSAR = 7
)

// asm accumulates code that will live at address org.
type asm struct {
	b   []byte
	org uintptr
}

func (a *asm) pos() int { return len(a.b) }

func (a *asm) emit(b ...byte) { a.b = append(a.b, b...) }

func (a *asm) u32(v uint32) { a.b = binary.LittleEndian.AppendUint32(a.b, v) }

func (a *asm) u64(v uint64) { a.b = binary.LittleEndian.AppendUint64(a.b, v) }

// rex emits a REX prefix when one is needed: w for 64-bit operands, r, x
// and b the registers in ModRM.reg, SIB.index and ModRM.rm/SIB.base,
// byteRegs when a byte register operand is spl, bpl, sil or dil.
func (a *asm) rex(w bool, r, x, b reg, byteRegs bool) {
	v := byte(0x40)
	if w {
		v |= 8
	}
	if r >= 8 {
		v |= 4
	}
	if x >= 8 {
		v |= 2
	}
	if b >= 8 {
		v |= 1
	}
	if v != 0x40 || byteRegs {
		a.emit(v)
	}
}

// rr emits opcode op with ModRM register operands: reg in ModRM.reg, rm in
// ModRM.rm.
func (a *asm) rr(w bool, r, rm reg, byteOp bool, op ...byte) {
	a.rex(w, r, 0, rm, byteOp && (r >= 4 && r < 8 || rm >= 4 && rm < 8))
	a.emit(op...)
	a.emit(0xc0 | byte(r&7)<<3 | byte(rm&7))
}

// rm emits opcode op with ModRM.reg r and memory operand m; extra is the
// number of immediate bytes that follow (for a rip-relative address).
func (a *asm) rm(w bool, r reg, m mem, byteOp bool, extra int, op ...byte) {
	var x reg
	if m.hasIndex {
		x = m.index
	}
	base := m.base
	if m.rip {
		base = 0
	}
	a.rex(w, r, x, base, byteOp && r >= 4 && r < 8)
	a.emit(op...)
	rb := byte(r&7) << 3
	if m.rip {
		a.emit(0x05 | rb)
		end := a.org + uintptr(len(a.b)) + 4 + uintptr(extra)
		a.u32(uint32(int32(int64(m.abs) - int64(end))))
		return
	}
	var mod byte
	switch {
	case m.disp == 0 && base&7 != 5:
		mod = 0
	case m.disp >= -128 && m.disp < 128:
		mod = 1
	default:
		mod = 2
	}
	if m.hasIndex || base&7 == 4 {
		a.emit(mod<<6 | rb | 4)
		var ss byte
		switch m.scale {
		case 2:
			ss = 1
		case 4:
			ss = 2
		case 8:
			ss = 3
		}
		idx := byte(4) // none
		if m.hasIndex {
			idx = byte(m.index & 7)
		}
		a.emit(ss<<6 | idx<<3 | byte(base&7))
	} else {
		a.emit(mod<<6 | rb | byte(base&7))
	}
	switch mod {
	case 1:
		a.emit(byte(int8(m.disp)))
	case 2:
		a.u32(uint32(m.disp))
	}
}

// movRR: dst = src.
func (a *asm) movRR(w bool, dst, src reg) { a.rr(w, src, dst, false, 0x89) }

// load: dst = [m], 64 or 32 bits (zero-extended).
func (a *asm) load(w bool, dst reg, m mem) { a.rm(w, dst, m, false, 0, 0x8b) }

// store: [m] = src, 64 or 32 bits.
func (a *asm) store(w bool, m mem, src reg) { a.rm(w, src, m, false, 0, 0x89) }

// store16: [m] = low 16 bits of src.
func (a *asm) store16(m mem, src reg) { a.emit(0x66); a.rm(false, src, m, false, 0, 0x89) }

// store8: [m] = low 8 bits of src.
func (a *asm) store8(m mem, src reg) { a.rm(false, src, m, true, 0, 0x88) }

// loadZX8, loadZX16: dst = zero-extended byte or halfword at m.
func (a *asm) loadZX8(dst reg, m mem)  { a.rm(false, dst, m, false, 0, 0x0f, 0xb6) }
func (a *asm) loadZX16(dst reg, m mem) { a.rm(false, dst, m, false, 0, 0x0f, 0xb7) }

// loadSX8, loadSX16, loadSX32: dst = sign-extended byte, halfword or word at m.
func (a *asm) loadSX8(dst reg, m mem)  { a.rm(true, dst, m, false, 0, 0x0f, 0xbe) }
func (a *asm) loadSX16(dst reg, m mem) { a.rm(true, dst, m, false, 0, 0x0f, 0xbf) }
func (a *asm) loadSX32(dst reg, m mem) { a.rm(true, dst, m, false, 0, 0x63) }

// movsxd: dst = sign-extended low 32 bits of src.
func (a *asm) movsxd(dst, src reg) { a.rr(true, dst, src, false, 0x63) }

// movImm: dst = v, in the shortest form.
func (a *asm) movImm(dst reg, v uint64) {
	switch {
	case v == 0:
		a.aluRR(false, aluXOR, dst, dst)
	case v <= 0xffffffff:
		a.rex(false, 0, 0, dst, false)
		a.emit(0xb8 + byte(dst&7))
		a.u32(uint32(v))
	case int64(v) == int64(int32(v)):
		a.rr(true, 0, dst, false, 0xc7)
		a.u32(uint32(v))
	default:
		a.rex(true, 0, 0, dst, false)
		a.emit(0xb8 + byte(dst&7))
		a.u64(v)
	}
}

// storeImm: [m] = sign-extended imm (64 bits).
func (a *asm) storeImm(m mem, imm int32) {
	a.rm(true, 0, m, false, 4, 0xc7)
	a.u32(uint32(imm))
}

// aluRR: dst = dst op src (cmp: flags of dst - src).
func (a *asm) aluRR(w bool, op int, dst, src reg) { a.rr(w, src, dst, false, byte(op)<<3|1) }

// aluRM: dst = dst op [m].
func (a *asm) aluRM(w bool, op int, dst reg, m mem) { a.rm(w, dst, m, false, 0, byte(op)<<3|3) }

// aluRI: dst = dst op imm.
func (a *asm) aluRI(w bool, op int, dst reg, imm int32) {
	if imm >= -128 && imm < 128 {
		a.rr(w, reg(op), dst, false, 0x83)
		a.emit(byte(int8(imm)))
		return
	}
	a.rr(w, reg(op), dst, false, 0x81)
	a.u32(uint32(imm))
}

// aluMI: [m] = [m] op imm (cmp: flags of [m] - imm).
func (a *asm) aluMI(w bool, op int, m mem, imm int32) {
	if imm >= -128 && imm < 128 {
		a.rm(w, reg(op), m, false, 1, 0x83)
		a.emit(byte(int8(imm)))
		return
	}
	a.rm(w, reg(op), m, false, 4, 0x81)
	a.u32(uint32(imm))
}

// test: flags of dst & src.
func (a *asm) test(w bool, dst, src reg) { a.rr(w, src, dst, false, 0x85) }

// shiftI: dst = dst shifted by imm.
func (a *asm) shiftI(w bool, op int, dst reg, imm uint8) {
	a.rr(w, reg(op), dst, false, 0xc1)
	a.emit(imm)
}

// shiftCL: dst = dst shifted by cl (masked to 5 or 6 bits, as RISC-V).
func (a *asm) shiftCL(w bool, op int, dst reg) { a.rr(w, reg(op), dst, false, 0xd3) }

// imulRR: dst = dst * src (low half).
func (a *asm) imulRR(w bool, dst, src reg) { a.rr(w, dst, src, false, 0x0f, 0xaf) }

// The one-operand forms of F7: rdx:rax = rax * src, or rax, rdx = rdx:rax
// divided by src.
func (a *asm) mul(w bool, src reg)  { a.rr(w, 4, src, false, 0xf7) }
func (a *asm) imul(w bool, src reg) { a.rr(w, 5, src, false, 0xf7) }
func (a *asm) div(w bool, src reg)  { a.rr(w, 6, src, false, 0xf7) }
func (a *asm) idiv(w bool, src reg) { a.rr(w, 7, src, false, 0xf7) }
func (a *asm) neg(w bool, dst reg)  { a.rr(w, 3, dst, false, 0xf7) }

// cqo sign-extends rax into rdx; cdq eax into edx.
func (a *asm) cqo() { a.emit(0x48, 0x99) }
func (a *asm) cdq() { a.emit(0x99) }

// setcc: dst = condition cc ? 1 : 0 (all 64 bits).
func (a *asm) setcc(cc byte, dst reg) {
	a.rr(false, 0, dst, true, 0x0f, 0x90|cc)
	a.rr(false, dst, dst, true, 0x0f, 0xb6) // movzx dst32, dst8
}

// lea: dst = address of m.
func (a *asm) lea(dst reg, m mem) { a.rm(true, dst, m, false, 0, 0x8d) }

// jcc emits a conditional jump with a 32-bit displacement to be bound
// later, and returns where the displacement is.
func (a *asm) jcc(cc byte) int {
	a.emit(0x0f, 0x80|cc)
	a.u32(0)
	return len(a.b) - 4
}

// jmp emits an unconditional jump to be bound later.
func (a *asm) jmp() int {
	a.emit(0xe9)
	a.u32(0)
	return len(a.b) - 4
}

// bind makes the jump whose displacement is at fix go to the current
// position.
func (a *asm) bind(fix int) { a.bindTo(fix, len(a.b)) }

// bindTo makes the jump whose displacement is at fix go to position to.
func (a *asm) bindTo(fix, to int) {
	binary.LittleEndian.PutUint32(a.b[fix:], uint32(int32(to-(fix+4))))
}

// jmpAbs emits a jump to the absolute address target (within 2 GiB).
func (a *asm) jmpAbs(target uintptr) {
	a.emit(0xe9)
	end := a.org + uintptr(len(a.b)) + 4
	a.u32(uint32(int32(int64(target) - int64(end))))
}

// jccAbs emits a conditional jump to the absolute address target.
func (a *asm) jccAbs(cc byte, target uintptr) {
	a.emit(0x0f, 0x80|cc)
	end := a.org + uintptr(len(a.b)) + 4
	a.u32(uint32(int32(int64(target) - int64(end))))
}

// jmpMem: jump to the address held at m.
func (a *asm) jmpMem(m mem) { a.rm(false, 4, m, false, 0, 0xff) }

// jmpReg: jump to the address in r.
func (a *asm) jmpReg(r reg) { a.rr(false, 4, r, false, 0xff) }

// ret returns to the trampoline.
func (a *asm) ret() { a.emit(0xc3) }

// mulMem: rdx:rax = rax * [m], unsigned.
func (a *asm) mulMem(m mem) { a.rm(true, 4, m, false, 0, 0xf7) }

// cmpMem8: flags of the byte at m - imm.
func (a *asm) cmpMem8(m mem, imm uint8) {
	a.rm(false, 7, m, false, 1, 0x80)
	a.emit(imm)
}

// storeImm8: the byte at m = imm.
func (a *asm) storeImm8(m mem, imm uint8) {
	a.rm(false, 0, m, false, 1, 0xc6)
	a.emit(imm)
}

// rdtsc: edx:eax = the time-stamp counter.
func (a *asm) rdtsc() { a.emit(0x0f, 0x31) }

// rdrand32: dst = 32 random bits, CF set if they are valid.
func (a *asm) rdrand32(dst reg) { a.rr(false, 6, dst, false, 0x0f, 0xc7) }

// movzx16: dst = the low 16 bits of src, zero-extended.
func (a *asm) movzx16(dst, src reg) { a.rr(false, dst, src, false, 0x0f, 0xb7) }

// testRI: flags of dst & imm (32-bit immediate, sign-extended when w).
func (a *asm) testRI(w bool, dst reg, imm int32) {
	a.rr(w, 0, dst, false, 0xf7)
	a.u32(uint32(imm))
}

// cmov: dst = src if condition cc holds.
func (a *asm) cmov(w bool, cc byte, dst, src reg) { a.rr(w, dst, src, false, 0x0f, 0x40|cc) }

// cmovRM: dst = the word at m if condition cc holds.
func (a *asm) cmovRM(w bool, cc byte, dst reg, m mem) { a.rm(w, dst, m, false, 0, 0x0f, 0x40|cc) }
