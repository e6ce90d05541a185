package rv64

// Insn is one 32-bit RISC-V instruction word. Field accessors follow the
// base instruction formats of the unprivileged specification (section 2.3).
type Insn uint32

// Opcode returns bits [6:0].
func (i Insn) Opcode() uint32 { return uint32(i) & 0x7f }

// Rd returns the destination register, bits [11:7].
func (i Insn) Rd() uint32 { return uint32(i) >> 7 & 31 }

// Rs1 returns the first source register, bits [19:15].
func (i Insn) Rs1() uint32 { return uint32(i) >> 15 & 31 }

// Rs2 returns the second source register, bits [24:20].
func (i Insn) Rs2() uint32 { return uint32(i) >> 20 & 31 }

// Funct3 returns bits [14:12].
func (i Insn) Funct3() uint32 { return uint32(i) >> 12 & 7 }

// Funct7 returns bits [31:25].
func (i Insn) Funct7() uint32 { return uint32(i) >> 25 }

// CSR returns the CSR number of a Zicsr instruction, bits [31:20].
func (i Insn) CSR() uint16 { return uint16(uint32(i) >> 20) }

// ImmI returns the sign-extended I-type immediate.
func (i Insn) ImmI() uint64 { return uint64(int64(int32(i) >> 20)) }

// ImmS returns the sign-extended S-type immediate.
func (i Insn) ImmS() uint64 {
	return uint64(int64(int32(i)>>25<<5 | int32(i>>7&31)))
}

// ImmB returns the sign-extended B-type immediate (a multiple of 2).
func (i Insn) ImmB() uint64 {
	v := int32(i)>>31<<12 | int32(i>>7&1)<<11 | int32(i>>25&0x3f)<<5 | int32(i>>8&0xf)<<1
	return uint64(int64(v))
}

// ImmU returns the sign-extended U-type immediate (bits [31:12] in place).
func (i Insn) ImmU() uint64 { return uint64(int64(int32(i) &^ 0xfff)) }

// ImmJ returns the sign-extended J-type immediate (a multiple of 2).
func (i Insn) ImmJ() uint64 {
	v := int32(i)>>31<<20 | int32(i>>12&0xff)<<12 | int32(i>>20&1)<<11 | int32(i>>21&0x3ff)<<1
	return uint64(int64(v))
}

// Shamt returns the 6-bit shift amount of RV64 shift-immediate instructions.
func (i Insn) Shamt() uint32 { return uint32(i) >> 20 & 63 }

// Major opcodes (unprivileged specification, table 24.1).
const (
	OpLoad     = 0x03
	OpMiscMem  = 0x0f
	OpImm      = 0x13
	OpAuipc    = 0x17
	OpImm32    = 0x1b
	OpStore    = 0x23
	OpOp       = 0x33
	OpLui      = 0x37
	OpOp32     = 0x3b
	OpBranch   = 0x63
	OpJalr     = 0x67
	OpJal      = 0x6f
	OpSystem   = 0x73
	OpAmo      = 0x2f // the A extension
	encEcall   = 0x00000073
	encEbreak  = 0x00100073
	encMret    = 0x30200073
	encWfi     = 0x10500073
	funct7Alt  = 0x20 // sub, sra, sraw, srai(w)
	funct7MulD = 0x01 // the M extension
)
