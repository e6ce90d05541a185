package rv64

import (
	"fmt"
	"regexp"
	"strings"

	"golang.org/x/arch/riscv64/riscv64asm"

	"github.com/rvsim/rvsim/csr"
)

// abiNames are the register names of the standard calling convention.
var abiNames = [32]string{
	"zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1", "a2", "a3", "a4", "a5",
	"a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6",
}

var xReg = regexp.MustCompile(`\bx([0-9]|[12][0-9]|3[01])\b`)

// Disasm returns the instruction word at pc in GNU assembler syntax with ABI
// register names and rvsim's CSR names, or ".word 0x... (illegal)" when it
// does not decode. It is slow (a general disassembler, regular
// expressions) and not for hot paths: it serves messages and inspection.
func Disasm(word uint32, pc uint64) string {
	switch word { // privileged instructions the general disassembler lacks
	case encMret:
		return "mret"
	case encWfi:
		return "wfi"
	}
	b := []byte{byte(word), byte(word >> 8), byte(word >> 16), byte(word >> 24)}
	inst, err := riscv64asm.Decode(b)
	if err != nil || inst.Len != 4 {
		return fmt.Sprintf(".word %#08x (illegal)", word)
	}
	text := riscv64asm.GNUSyntax(inst)
	text = xReg.ReplaceAllStringFunc(text, func(s string) string {
		var n int
		fmt.Sscanf(s[1:], "%d", &n)
		return abiNames[n]
	})
	for _, a := range inst.Args {
		if c, ok := a.(riscv64asm.CSR); ok {
			text = strings.Replace(text, strings.ToLower(c.String()), csr.Name(uint16(c)), 1)
		}
	}
	if inst.Op == riscv64asm.JAL || inst.Op >= riscv64asm.BEQ && inst.Op <= riscv64asm.BNE {
		for _, a := range inst.Args {
			if off, ok := a.(riscv64asm.Simm); ok {
				text += fmt.Sprintf(" # %#x", pc+uint64(int64(off.Imm)))
			}
		}
	}
	return text
}
