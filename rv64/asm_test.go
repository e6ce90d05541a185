package rv64

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/rvsim/rvsim/csr"
)

// A tiny assembler for the tests: one RV64IM/Zicsr/Zifencei instruction per
// line in GNU syntax, with ABI or xN register names, CSR names or numbers,
// branch and jump targets as byte offsets (".+8", ".-4" or a plain number),
// and the pseudo-instructions nop, li (12-bit), mv, j, ret, csrr and csrw.
// ".word N" emits a raw word.

func encR(f7, rs2, rs1, f3, rd, op uint32) uint32 {
	return f7<<25 | rs2<<20 | rs1<<15 | f3<<12 | rd<<7 | op
}

func encI(imm int64, rs1, f3, rd, op uint32) uint32 {
	return uint32(imm&0xfff)<<20 | rs1<<15 | f3<<12 | rd<<7 | op
}

func encS(imm int64, rs2, rs1, f3, op uint32) uint32 {
	i := uint32(imm & 0xfff)
	return i>>5<<25 | rs2<<20 | rs1<<15 | f3<<12 | (i&31)<<7 | op
}

func encB(imm int64, rs2, rs1, f3, op uint32) uint32 {
	i := uint32(imm & 0x1fff)
	return i>>12<<31 | (i>>5&0x3f)<<25 | rs2<<20 | rs1<<15 | f3<<12 | (i>>1&0xf)<<8 | (i>>11&1)<<7 | op
}

func encU(imm20 int64, rd, op uint32) uint32 { return uint32(imm20&0xfffff)<<12 | rd<<7 | op }

func encJ(imm int64, rd, op uint32) uint32 {
	i := uint32(imm & 0x1fffff)
	return i>>20<<31 | (i>>1&0x3ff)<<21 | (i>>11&1)<<20 | (i>>12&0xff)<<12 | rd<<7 | op
}

// regNum returns the number of register name s (xN or ABI name).
func regNum(s string) (uint32, bool) {
	if s == "fp" {
		return 8, true
	}
	for i, n := range abiNames {
		if s == n {
			return uint32(i), true
		}
	}
	if len(s) > 1 && s[0] == 'x' {
		if n, err := strconv.ParseUint(s[1:], 10, 8); err == nil && n < 32 {
			return uint32(n), true
		}
	}
	return 0, false
}

// parseInt parses a decimal or 0x-hex number with an optional sign.
func parseInt(s string) (int64, error) {
	neg := strings.HasPrefix(s, "-")
	u, err := strconv.ParseUint(strings.TrimPrefix(strings.TrimPrefix(s, "-"), "+"), 0, 64)
	if err != nil {
		return 0, err
	}
	if neg {
		return -int64(u), nil
	}
	return int64(u), nil
}

var (
	rOps = map[string][3]uint32{ // funct7, funct3, opcode
		"add": {0, 0, OpOp}, "sub": {0x20, 0, OpOp}, "sll": {0, 1, OpOp}, "slt": {0, 2, OpOp},
		"sltu": {0, 3, OpOp}, "xor": {0, 4, OpOp}, "srl": {0, 5, OpOp}, "sra": {0x20, 5, OpOp},
		"or": {0, 6, OpOp}, "and": {0, 7, OpOp},
		"mul": {1, 0, OpOp}, "mulh": {1, 1, OpOp}, "mulhsu": {1, 2, OpOp}, "mulhu": {1, 3, OpOp},
		"div": {1, 4, OpOp}, "divu": {1, 5, OpOp}, "rem": {1, 6, OpOp}, "remu": {1, 7, OpOp},
		"addw": {0, 0, OpOp32}, "subw": {0x20, 0, OpOp32}, "sllw": {0, 1, OpOp32},
		"srlw": {0, 5, OpOp32}, "sraw": {0x20, 5, OpOp32},
		"mulw": {1, 0, OpOp32}, "divw": {1, 4, OpOp32}, "divuw": {1, 5, OpOp32},
		"remw": {1, 6, OpOp32}, "remuw": {1, 7, OpOp32},
	}
	iOps = map[string][2]uint32{ // funct3, opcode
		"addi": {0, OpImm}, "slti": {2, OpImm}, "sltiu": {3, OpImm}, "xori": {4, OpImm},
		"ori": {6, OpImm}, "andi": {7, OpImm}, "addiw": {0, OpImm32},
	}
	shOps = map[string][4]uint32{ // funct6 (imm[11:6]), funct3, opcode, shamt limit
		"slli": {0, 1, OpImm, 64}, "srli": {0, 5, OpImm, 64}, "srai": {0x10, 5, OpImm, 64},
		"slliw": {0, 1, OpImm32, 32}, "srliw": {0, 5, OpImm32, 32}, "sraiw": {0x10, 5, OpImm32, 32},
	}
	loadOps  = map[string]uint32{"lb": 0, "lh": 1, "lw": 2, "ld": 3, "lbu": 4, "lhu": 5, "lwu": 6}
	storeOps = map[string]uint32{"sb": 0, "sh": 1, "sw": 2, "sd": 3}
	brOps    = map[string]uint32{"beq": 0, "bne": 1, "blt": 4, "bge": 5, "bltu": 6, "bgeu": 7}
	csrOps   = map[string]uint32{"csrrw": 1, "csrrs": 2, "csrrc": 3, "csrrwi": 5, "csrrsi": 6, "csrrci": 7}
	fixed    = map[string]uint32{
		"ecall": encEcall, "ebreak": encEbreak, "mret": encMret, "wfi": encWfi,
		"fence.i": 0x0000100f, "nop": 0x00000013, "ret": 0x00008067,
	}
)

// asm assembles one instruction.
func asm(line string) (uint32, error) {
	line = strings.TrimSpace(line)
	mn, rest, _ := strings.Cut(line, " ")
	var ops []string
	if rest = strings.TrimSpace(rest); rest != "" {
		for _, o := range strings.Split(rest, ",") {
			ops = append(ops, strings.TrimSpace(o))
		}
	}
	bad := func(format string, a ...any) (uint32, error) {
		return 0, fmt.Errorf("%q: %s", line, fmt.Sprintf(format, a...))
	}
	want := func(n int) error {
		if len(ops) != n {
			return fmt.Errorf("%q: want %d operands, have %d", line, n, len(ops))
		}
		return nil
	}
	var err error
	reg := func(s string) uint32 {
		r, ok := regNum(s)
		if !ok && err == nil {
			err = fmt.Errorf("%q: bad register %q", line, s)
		}
		return r
	}
	num := func(s string) int64 {
		v, e := parseInt(s)
		if e != nil && err == nil {
			err = fmt.Errorf("%q: bad number %q", line, s)
		}
		return v
	}
	rel := func(s string) int64 { // branch and jump targets: ".", ".+8", "-4"
		if s == "." {
			return 0
		}
		return num(strings.TrimPrefix(s, "."))
	}
	mem := func(s string) (int64, uint32) { // imm(reg)
		o, r, ok := strings.Cut(s, "(")
		if !ok || !strings.HasSuffix(r, ")") {
			if err == nil {
				err = fmt.Errorf("%q: bad memory operand %q", line, s)
			}
			return 0, 0
		}
		var imm int64
		if o != "" {
			imm = num(o)
		}
		return imm, reg(strings.TrimSuffix(r, ")"))
	}
	csrNum := func(s string) uint32 {
		if n, ok := csr.ByName(s); ok {
			return uint32(n)
		}
		return uint32(num(s)) & 0xfff
	}
	var w uint32
	if f, ok := rOps[mn]; ok {
		if err := want(3); err != nil {
			return 0, err
		}
		w = encR(f[0], reg(ops[2]), reg(ops[1]), f[1], reg(ops[0]), f[2])
	} else if f, ok := iOps[mn]; ok {
		if err := want(3); err != nil {
			return 0, err
		}
		imm := num(ops[2])
		if imm < -2048 || imm > 2047 {
			return bad("immediate out of range")
		}
		w = encI(imm, reg(ops[1]), f[0], reg(ops[0]), f[1])
	} else if f, ok := shOps[mn]; ok {
		if err := want(3); err != nil {
			return 0, err
		}
		sh := num(ops[2])
		if sh < 0 || sh >= int64(f[3]) {
			return bad("shift amount out of range")
		}
		w = encI(int64(f[0])<<6|sh, reg(ops[1]), f[1], reg(ops[0]), f[2])
	} else if f3, ok := loadOps[mn]; ok {
		if err := want(2); err != nil {
			return 0, err
		}
		imm, rs1 := mem(ops[1])
		w = encI(imm, rs1, f3, reg(ops[0]), OpLoad)
	} else if f3, ok := storeOps[mn]; ok {
		if err := want(2); err != nil {
			return 0, err
		}
		imm, rs1 := mem(ops[1])
		w = encS(imm, reg(ops[0]), rs1, f3, OpStore)
	} else if f3, ok := brOps[mn]; ok {
		if err := want(3); err != nil {
			return 0, err
		}
		w = encB(rel(ops[2]), reg(ops[1]), reg(ops[0]), f3, OpBranch)
	} else if f3, ok := csrOps[mn]; ok {
		if err := want(3); err != nil {
			return 0, err
		}
		src := uint32(0)
		if f3 >= 5 {
			src = uint32(num(ops[2]))
			if src > 31 {
				return bad("immediate out of range")
			}
		} else {
			src = reg(ops[2])
		}
		w = csrNum(ops[1])<<20 | src<<15 | f3<<12 | reg(ops[0])<<7 | OpSystem
	} else if v, ok := fixed[mn]; ok {
		if err := want(0); err != nil {
			return 0, err
		}
		w = v
	} else {
		switch mn {
		case "lui", "auipc":
			if err := want(2); err != nil {
				return 0, err
			}
			op := uint32(OpLui)
			if mn == "auipc" {
				op = OpAuipc
			}
			w = encU(num(ops[1]), reg(ops[0]), op)
		case "jal":
			if len(ops) == 1 {
				ops = []string{"ra", ops[0]}
			}
			if err := want(2); err != nil {
				return 0, err
			}
			w = encJ(rel(ops[1]), reg(ops[0]), OpJal)
		case "jalr":
			if err := want(2); err != nil {
				return 0, err
			}
			imm, rs1 := mem(ops[1])
			w = encI(imm, rs1, 0, reg(ops[0]), OpJalr)
		case "j":
			if err := want(1); err != nil {
				return 0, err
			}
			w = encJ(rel(ops[0]), 0, OpJal)
		case "li":
			if err := want(2); err != nil {
				return 0, err
			}
			v := num(ops[1])
			if (v < -2048 || v > 2047) && err == nil {
				// One addi: a larger value would be cut to 12 bits.
				err = fmt.Errorf("%q: li of %d needs more than addi", line, v)
			}
			w = encI(v, 0, 0, reg(ops[0]), OpImm)
		case "mv":
			if err := want(2); err != nil {
				return 0, err
			}
			w = encI(0, reg(ops[1]), 0, reg(ops[0]), OpImm)
		case "csrr":
			if err := want(2); err != nil {
				return 0, err
			}
			w = csrNum(ops[1])<<20 | 2<<12 | reg(ops[0])<<7 | OpSystem
		case "csrw":
			if err := want(2); err != nil {
				return 0, err
			}
			w = csrNum(ops[0])<<20 | reg(ops[1])<<15 | 1<<12 | OpSystem
		case "fence":
			pred, succ := uint32(15), uint32(15)
			if len(ops) == 2 {
				pred, succ = fenceSet(ops[0]), fenceSet(ops[1])
			} else if err := want(0); err != nil {
				return 0, err
			}
			w = pred<<24 | succ<<20 | OpMiscMem
		case ".word":
			if err := want(1); err != nil {
				return 0, err
			}
			w = uint32(num(ops[0]))
		default:
			return bad("unknown mnemonic")
		}
	}
	return w, err
}

func fenceSet(s string) uint32 {
	var v uint32
	for _, c := range s {
		v |= map[rune]uint32{'i': 8, 'o': 4, 'r': 2, 'w': 1}[c]
	}
	return v
}

// mustAsm assembles a program, one instruction per element.
func mustAsm(lines ...string) []uint32 {
	out := make([]uint32, len(lines))
	for i, l := range lines {
		w, err := asm(l)
		if err != nil {
			panic(err)
		}
		out[i] = w
	}
	return out
}
