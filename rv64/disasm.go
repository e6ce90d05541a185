package rv64

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/arch/riscv64/riscv64asm"

	"github.com/rvsim/rvsim/csr"
)

// abiNames are the ABI names of the integer registers (RISC-V psABI).
var abiNames = [32]string{
	"zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2",
	"s0", "s1", "a0", "a1", "a2", "a3", "a4", "a5",
	"a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7",
	"s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6",
}

// Disasm returns the instruction word at pc in GNU assembler syntax, with
// ABI register names, CSR names from package csr, branch and jump targets as
// absolute addresses, and the usual pseudo-instructions (li, mv, j, ret,
// csrr, ...). A word that is not a 32-bit instruction (rvsim has no C
// extension, so every 16-bit pattern is one) or that does not decode comes
// out as ".word 0x........ (illegal)".
//
// Disasm is slow (it decodes with a general disassembler and allocates
// strings): it serves messages and reports, never the path of every
// instruction.
func Disasm(word uint32, pc uint64) string {
	illegal := fmt.Sprintf(".word 0x%08x (illegal)", word)
	if word&3 != 3 {
		return illegal
	}
	if t, ok := disasmFP(word); ok { // F and D (fp_disasm.go)
		return t
	}
	switch word { // privileged instructions the decoder does not know
	case encMret:
		return "mret"
	case encWfi:
		return "wfi"
	}
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], word)
	in, err := riscv64asm.Decode(b[:])
	if err != nil || in.Len != 4 {
		return illegal
	}
	return format(in, pc)
}

// format renders a decoded instruction. The base ISA, M and Zicsr are
// written here; other extensions the decoder knows (rvsim traps on them)
// keep its GNU syntax, with ABI register names.
func format(in riscv64asm.Inst, pc uint64) string {
	op := strings.ToLower(in.Op.String())
	a := in.Args
	var args []string
	for _, x := range a {
		if x == nil {
			break
		}
		args = append(args, argString(x))
	}
	reg := func(i int) riscv64asm.Reg { r, _ := a[i].(riscv64asm.Reg); return r }
	imm := func(i int) int32 { s, _ := a[i].(riscv64asm.Simm); return s.Imm }
	target := func(i int) string { return fmt.Sprintf("0x%x", pc+uint64(int64(imm(i)))) }
	const zero, ra = riscv64asm.X0, riscv64asm.X1

	switch in.Op {
	case riscv64asm.ADDI:
		switch {
		case reg(0) == zero && reg(1) == zero && imm(2) == 0:
			return "nop"
		case reg(1) == zero:
			return join("li", args[0], args[2])
		case imm(2) == 0:
			return join("mv", args[0], args[1])
		}
	case riscv64asm.ADDIW:
		if imm(2) == 0 {
			return join("sext.w", args[0], args[1])
		}
	case riscv64asm.XORI:
		if imm(2) == -1 {
			return join("not", args[0], args[1])
		}
	case riscv64asm.SLTIU:
		if imm(2) == 1 {
			return join("seqz", args[0], args[1])
		}
	case riscv64asm.SLTU:
		if reg(1) == zero {
			return join("snez", args[0], args[2])
		}
	case riscv64asm.SUB, riscv64asm.SUBW:
		if reg(1) == zero {
			return join(strings.Replace(op, "sub", "neg", 1), args[0], args[2])
		}
	case riscv64asm.JAL:
		switch reg(0) {
		case zero:
			return join("j", target(1))
		case ra:
			return join("jal", target(1))
		}
		return join(op, args[0], target(1))
	case riscv64asm.JALR:
		ro, _ := a[1].(riscv64asm.RegOffset)
		switch {
		case reg(0) == zero && ro.OfsReg == ra && ro.Ofs.Imm == 0:
			return "ret"
		case reg(0) == zero && ro.Ofs.Imm == 0:
			return join("jr", abiNames[ro.OfsReg&31])
		case reg(0) == ra && ro.Ofs.Imm == 0:
			return join("jalr", abiNames[ro.OfsReg&31])
		}
	case riscv64asm.BEQ, riscv64asm.BNE, riscv64asm.BLT, riscv64asm.BGE, riscv64asm.BLTU, riscv64asm.BGEU:
		if reg(1) == zero && in.Op != riscv64asm.BLTU && in.Op != riscv64asm.BGEU {
			return join(op+"z", args[0], target(2)) // beqz bnez bltz bgez
		}
		return join(op, args[0], args[1], target(2))
	case riscv64asm.CSRRS:
		if reg(2) == zero {
			return join("csrr", args[0], args[1])
		}
		fallthrough
	case riscv64asm.CSRRW, riscv64asm.CSRRC, riscv64asm.CSRRWI, riscv64asm.CSRRSI, riscv64asm.CSRRCI:
		if reg(0) == zero {
			return join("csr"+op[4:], args[1], args[2]) // csrw csrs csrc csrwi csrsi csrci
		}
	case riscv64asm.FENCE:
		return riscv64asm.GNUSyntax(in)
	}
	if isBase(in.Op) {
		return join(op, args...)
	}
	return abiRegs(riscv64asm.GNUSyntax(in))
}

// isBase reports whether op is in RV64IM with Zicsr and Zifencei, the
// instructions format writes itself.
func isBase(op riscv64asm.Op) bool {
	switch op {
	case riscv64asm.LUI, riscv64asm.AUIPC,
		riscv64asm.LB, riscv64asm.LH, riscv64asm.LW, riscv64asm.LD,
		riscv64asm.LBU, riscv64asm.LHU, riscv64asm.LWU,
		riscv64asm.SB, riscv64asm.SH, riscv64asm.SW, riscv64asm.SD,
		riscv64asm.ADDI, riscv64asm.SLTI, riscv64asm.SLTIU, riscv64asm.XORI,
		riscv64asm.ORI, riscv64asm.ANDI, riscv64asm.SLLI, riscv64asm.SRLI, riscv64asm.SRAI,
		riscv64asm.ADDIW, riscv64asm.SLLIW, riscv64asm.SRLIW, riscv64asm.SRAIW,
		riscv64asm.ADD, riscv64asm.SUB, riscv64asm.SLL, riscv64asm.SLT, riscv64asm.SLTU,
		riscv64asm.XOR, riscv64asm.SRL, riscv64asm.SRA, riscv64asm.OR, riscv64asm.AND,
		riscv64asm.ADDW, riscv64asm.SUBW, riscv64asm.SLLW, riscv64asm.SRLW, riscv64asm.SRAW,
		riscv64asm.MUL, riscv64asm.MULH, riscv64asm.MULHSU, riscv64asm.MULHU,
		riscv64asm.DIV, riscv64asm.DIVU, riscv64asm.REM, riscv64asm.REMU,
		riscv64asm.MULW, riscv64asm.DIVW, riscv64asm.DIVUW, riscv64asm.REMW, riscv64asm.REMUW,
		riscv64asm.FENCE_I, riscv64asm.ECALL, riscv64asm.EBREAK,
		riscv64asm.CSRRW, riscv64asm.CSRRS, riscv64asm.CSRRC,
		riscv64asm.CSRRWI, riscv64asm.CSRRSI, riscv64asm.CSRRCI:
		return true
	}
	return false
}

func join(op string, args ...string) string {
	if len(args) == 0 {
		return op
	}
	return op + " " + strings.Join(args, ", ")
}

func argString(x riscv64asm.Arg) string {
	switch v := x.(type) {
	case riscv64asm.Reg:
		if v <= riscv64asm.X31 {
			return abiNames[v]
		}
		return strings.ToLower(v.String())
	case riscv64asm.RegOffset:
		return fmt.Sprintf("%d(%s)", v.Ofs.Imm, abiNames[v.OfsReg&31])
	case riscv64asm.CSR:
		return csr.Name(uint16(v)) // a CSR rvsim lacks comes out as its number
	}
	return strings.ToLower(x.String())
}

// abiRegs replaces the x0-x31 register names in s, a line of the
// decoder's GNU syntax, by their ABI names and spaces its operands.
func abiRegs(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == 'x' && (i == 0 || !isWord(s[i-1])) {
			j := i + 1
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			if n, err := strconv.Atoi(s[i+1 : j]); err == nil && n < 32 && (j == len(s) || !isWord(s[j])) {
				b.WriteString(abiNames[n])
				i = j - 1
				continue
			}
		}
		b.WriteByte(c)
		if c == ',' {
			b.WriteByte(' ')
		}
	}
	return b.String()
}

func isWord(c byte) bool {
	return c == '_' || c == '.' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}
