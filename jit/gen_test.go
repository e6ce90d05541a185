//go:build linux && amd64

package jit

import (
	"bytes"
	"encoding/binary"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rvsim/rvsim/csr"
)

// The differential tests' instruction encoders and random program
// generator. The encoders follow the RISC-V unprivileged specification
// (chapter 34, "RV32/64G Instruction Set Listings", and chapter 26 for
// the compressed forms); TestEncodersMatchAssembler checks them against
// the GNU assembler when it is installed.

// Integer register numbers the tests name.
const (
	rZero = 0
	rRA   = 1
	rSP   = 2
	rGP   = 3 // the generator's pointer near the end of memory: never written
	rTP   = 4 // the generator's loop counter: only its guards write it
	rT0   = 5
	rT1   = 6
	rT2   = 7
	rS0   = 8 // the generator's data pointer: never written
	rS1   = 9 // the generator's code pointer: never written
	rA0   = 10
	rA1   = 11
	rA2   = 12
	rA3   = 13
	rA4   = 14
	rA5   = 15
	rA6   = 16
	rA7   = 17
	rT3   = 28
	rT6   = 31 // the trap handler's scratch register
)

// Major opcodes.
const (
	opLoad   = 0x03
	opFP     = 0x53
	opLoadFP = 0x07
	opMisc   = 0x0f
	opImm    = 0x13
	opAuipc  = 0x17
	opImm32  = 0x1b
	opStore  = 0x23
	opStorFP = 0x27
	opAmo    = 0x2f
	opOp     = 0x33
	opLui    = 0x37
	opOp32   = 0x3b
	opBranch = 0x63
	opJalr   = 0x67
	opJal    = 0x6f
	opSystem = 0x73
)

// 32-bit instruction formats.

func insR(f7, rs2, rs1, f3, rd, op uint32) uint32 {
	return f7<<25 | rs2&31<<20 | rs1&31<<15 | f3<<12 | rd&31<<7 | op
}

func insI(imm int64, rs1, f3, rd, op uint32) uint32 {
	return uint32(imm&0xfff)<<20 | rs1&31<<15 | f3<<12 | rd&31<<7 | op
}

func insS(imm int64, rs2, rs1, f3, op uint32) uint32 {
	i := uint32(imm & 0xfff)
	return i>>5<<25 | rs2&31<<20 | rs1&31<<15 | f3<<12 | (i&31)<<7 | op
}

func insB(imm int64, rs2, rs1, f3 uint32) uint32 {
	i := uint32(imm & 0x1fff)
	return i>>12<<31 | (i>>5&0x3f)<<25 | rs2&31<<20 | rs1&31<<15 | f3<<12 | (i>>1&0xf)<<8 | (i>>11&1)<<7 | opBranch
}

func insU(imm20 int64, rd, op uint32) uint32 { return uint32(imm20&0xfffff)<<12 | rd&31<<7 | op }

func insJ(imm int64, rd uint32) uint32 {
	i := uint32(imm & 0x1fffff)
	return i>>20<<31 | (i>>1&0x3ff)<<21 | (i>>11&1)<<20 | (i>>12&0xff)<<12 | rd&31<<7 | opJal
}

// A few named instructions the targeted tests use.

func addi(rd, rs1 uint32, imm int64) uint32 { return insI(imm, rs1, 0, rd, opImm) }
func add(rd, rs1, rs2 uint32) uint32        { return insR(0, rs2, rs1, 0, rd, opOp) }
func xor(rd, rs1, rs2 uint32) uint32        { return insR(0, rs2, rs1, 4, rd, opOp) }
func lui(rd uint32, imm20 int64) uint32     { return insU(imm20, rd, opLui) }
func ld(rd, rs1 uint32, imm int64) uint32   { return insI(imm, rs1, 3, rd, opLoad) }
func lw(rd, rs1 uint32, imm int64) uint32   { return insI(imm, rs1, 2, rd, opLoad) }
func lbu(rd, rs1 uint32, imm int64) uint32  { return insI(imm, rs1, 4, rd, opLoad) }
func sd(rs2, rs1 uint32, imm int64) uint32  { return insS(imm, rs2, rs1, 3, opStore) }
func sw(rs2, rs1 uint32, imm int64) uint32  { return insS(imm, rs2, rs1, 2, opStore) }
func sb(rs2, rs1 uint32, imm int64) uint32  { return insS(imm, rs2, rs1, 0, opStore) }
func bne(rs1, rs2 uint32, off int64) uint32 { return insB(off, rs2, rs1, 1) }
func blt(rs1, rs2 uint32, off int64) uint32 { return insB(off, rs2, rs1, 4) }
func beq(rs1, rs2 uint32, off int64) uint32 { return insB(off, rs2, rs1, 0) }
func jal(rd uint32, off int64) uint32       { return insJ(off, rd) }
func jalr(rd, rs1 uint32, imm int64) uint32 { return insI(imm, rs1, 0, rd, opJalr) }
func csrr(rd uint32, num uint16) uint32     { return uint32(num)<<20 | 2<<12 | rd<<7 | opSystem }
func csrw(num uint16, rs1 uint32) uint32    { return uint32(num)<<20 | rs1<<15 | 1<<12 | opSystem }

// mop returns an M-extension (funct7 1) register-register instruction:
// f3 0 mul, 1 mulh, 2 mulhsu, 3 mulhu, 4 div, 5 divu, 6 rem, 7 remu; w
// selects the 32-bit (OP-32) forms.
func mop(f3, rd, rs1, rs2 uint32, w bool) uint32 {
	op := uint32(opOp)
	if w {
		op = opOp32
	}
	return insR(1, rs2, rs1, f3, rd, op)
}

const (
	insnNop    = 0x00000013
	insnEcall  = 0x00000073
	insnEbreak = 0x00100073
	insnMret   = 0x30200073
	insnFenceI = 0x0000100f
	insnFence  = 0x0ff0000f
)

// Compressed formats (C extension). Registers in the 3-bit fields are
// x8-x15.

func cReg(r uint32) uint32 { return (r - 8) & 7 }

func cAddi(rd uint32, imm int64) uint16 { // also c.li with f3 2, c.addiw with f3 1
	return cCI(0, rd, imm, 1)
}

func cCI(f3, rd uint32, imm int64, op uint32) uint16 {
	i := uint32(imm & 0x3f)
	return uint16(f3<<13 | i>>5<<12 | rd&31<<7 | (i&31)<<2 | op)
}

func cMv(rd, rs2 uint32) uint16  { return uint16(0x8002 | rd&31<<7 | rs2&31<<2) }
func cAdd(rd, rs2 uint32) uint16 { return uint16(0x9002 | rd&31<<7 | rs2&31<<2) }
func cJr(rs1 uint32) uint16      { return uint16(0x8002 | rs1&31<<7) }
func cJalr(rs1 uint32) uint16    { return uint16(0x9002 | rs1&31<<7) }
func cSlli(rd, sh uint32) uint16 { return cCI(0, rd, int64(sh), 2) }
func cArith(f2, rd, rs2 uint32, w bool) uint16 { // c.sub c.xor c.or c.and; w: c.subw c.addw
	base := uint32(0x8c01)
	if w {
		base = 0x9c01
	}
	return uint16(base | cReg(rd)<<7 | f2<<5 | cReg(rs2)<<2)
}

func cShiftAndi(f2, rd uint32, imm int64) uint16 { // f2 0 c.srli, 1 c.srai, 2 c.andi
	i := uint32(imm & 0x3f)
	return uint16(4<<13 | i>>5<<12 | f2<<10 | cReg(rd)<<7 | (i&31)<<2 | 1)
}

// cLS encodes c.lw (f3 2), c.ld (3), c.sw (6) and c.sd (7): off is a
// multiple of 4 (lw/sw, below 128) or 8 (ld/sd, below 256).
func cLS(f3, r, base uint32, off uint32) uint16 {
	var lo uint32
	if f3&1 == 0 { // word: uimm[2|6]
		lo = (off>>2&1)<<1 | off>>6&1
	} else { // doubleword: uimm[7:6]
		lo = off >> 6 & 3
	}
	return uint16(f3<<13 | (off>>3&7)<<10 | cReg(base)<<7 | lo<<5 | cReg(r)<<2)
}

// cBranch encodes c.beqz (f3 6) and c.bnez (7), off in [-256, 254].
func cBranch(f3, rs1 uint32, off int64) uint16 {
	o := uint32(off & 0x1ff)
	return uint16(f3<<13 | (o>>8&1)<<12 | (o>>3&3)<<10 | cReg(rs1)<<7 | (o>>6&3)<<5 | (o>>1&3)<<3 | (o>>5&1)<<2 | 1)
}

// cJ encodes c.j, off in [-2048, 2046].
func cJ(off int64) uint16 {
	o := uint32(off & 0xfff)
	return uint16(5<<13 | (o>>11&1)<<12 | (o>>4&1)<<11 | (o>>8&3)<<9 | (o>>10&1)<<8 | (o>>6&1)<<7 |
		(o>>7&1)<<6 | (o>>1&7)<<3 | (o>>5&1)<<2 | 1)
}

// source is where the generator takes its choices from: a seeded
// math/rand for the random tests, the fuzzer's bytes for FuzzJIT.
type source interface {
	intn(n int) int // in [0, n); n > 0
	u64() uint64
}

type randSource struct{ r *rand.Rand }

func (s randSource) intn(n int) int { return s.r.Intn(n) }
func (s randSource) u64() uint64    { return s.r.Uint64() }

// byteSource reads choices from bytes; once they run out every choice is
// zero (which the generator makes a plain ALU instruction).
type byteSource struct{ b []byte }

func (s *byteSource) byte() byte {
	if len(s.b) == 0 {
		return 0
	}
	c := s.b[0]
	s.b = s.b[1:]
	return c
}

func (s *byteSource) intn(n int) int {
	v := int(s.byte())
	if n > 256 {
		v = v<<8 | int(s.byte())
	}
	return v % n
}

func (s *byteSource) u64() uint64 {
	var b [8]byte
	for i := range b {
		b[i] = s.byte()
	}
	return binary.LittleEndian.Uint64(b[:])
}

// The layout of a generated program's memory (offsets from memBase).
const (
	memBase   = 0x80000000
	memSize   = 0x10000
	handlerAt = memBase + 0xe000 // mtvec: skips the trapping instruction; page 0 holds no code
	codeAt    = memBase + 0x1000
	codeMax   = 0x2000 // bytes of code at most
	dataAt    = memBase + 0x5000
	dataPtr   = dataAt + 0x800 // s0: loads and stores reach dataAt..dataAt+0xfff
	hostAt    = dataPtr        // the watched tohost doubleword, when watched
	memEnd    = memBase + memSize
	gpPtr     = memEnd - 16 // gp: loads and stores around the end of memory
)

// handler is the M-mode trap handler at mtvec. It sits above the data,
// where no generated store reaches. A fetch fault (causes 0 and
// 1) resumes at the start of the code (s1); any other trap skips four
// bytes past mepc.
var handler = []uint32{
	0x34202ff3,          // csrr t6, mcause
	addi(rT6, rT6, -2),  // addi t6, t6, -2
	insB(16, 0, rT6, 5), // bge t6, zero, .+16
	addi(rT6, rS1, 0),   // mv t6, s1
	0x341f9073,          // csrw mepc, t6
	insnMret,            // mret
	0x34102ff3,          // csrr t6, mepc
	addi(rT6, rT6, 4),   // addi t6, t6, 4
	0x341f9073,          // csrw mepc, t6
	insnMret,            // mret
}

// gen makes random instruction streams.
type gen struct {
	s     source
	slots []slot
	// narrow, when set, is where reg and rd pick registers: a loop's
	// few (loop).
	narrow []uint32
	// fpShare is the percentage of instructions that are F or D ones (a
	// tenth of them A ones) over the usual mix's 3.
	fpShare int
}

// slot is one generated instruction; a jump or branch is encoded once
// every slot's address is known.
type slot struct {
	size             int    // 2 or 4
	word             uint32 // the encoding (the low half for size 2)
	branch           int    // 0: none; else which kind of control transfer to fix up
	f3, rs1, rs2, rd uint32
	target           int // slot index the transfer goes to
}

// Control transfers the generator fixes up once the layout is known.
const (
	fixBranch = 1 + iota
	fixJal
	fixCBranch
	fixCJ
)

// writableRegs are the registers the structured instructions write: all
// but x0, gp, tp, s0 and s1.
var writableRegs = func() []uint32 {
	var r []uint32
	for i := uint32(1); i < 32; i++ {
		if i != rGP && i != rTP && i != rS0 && i != rS1 {
			r = append(r, i)
		}
	}
	return r
}()

func (g *gen) rd() uint32 {
	if g.s.intn(16) == 0 {
		return 0 // a write to x0
	}
	if g.narrow != nil {
		return g.narrow[g.s.intn(len(g.narrow))]
	}
	return writableRegs[g.s.intn(len(writableRegs))]
}

func (g *gen) reg() uint32 {
	if g.narrow != nil {
		if g.s.intn(8) == 0 {
			return 0
		}
		return g.narrow[g.s.intn(len(g.narrow))]
	}
	return uint32(g.s.intn(32))
}

// branchFunct3 lists the conditional branches' funct3: beq, bne, blt,
// bge, bltu, bgeu.
var branchFunct3 = []uint32{0, 1, 4, 5, 6, 7}

// loop appends a loop: a few random instructions on one to three
// registers, then a guarded jump or branch back to the first of them. The
// engine translates it as a block that loops on itself with its registers
// in host registers, when they are few enough.
func (g *gen) loop() {
	s := g.s
	g.narrow = make([]uint32, 1+s.intn(3))
	for i := range g.narrow {
		g.narrow[i] = writableRegs[s.intn(len(writableRegs))]
	}
	start := len(g.slots)
	for n := 1 + s.intn(8); n > 0; n-- {
		switch s.intn(4) {
		case 0:
			g.one()
		case 1: // addi, mostly a step
			g.emit32(insI([]int64{1, -1, 8, g.imm12()}[s.intn(4)], g.reg(), 0, g.rd(), opImm))
		case 2: // a load or store in the data region
			base, off := uint32(rS0), int64(s.intn(64))*8
			if s.intn(2) == 0 {
				g.emit32(insI(off, base, uint32(s.intn(7)), g.rd(), opLoad))
			} else {
				g.emit32(insS(off, g.reg(), base, uint32(s.intn(4)), opStore))
			}
		default: // register-register
			g.emit32(insR([]uint32{0, 0, 1}[s.intn(3)], g.reg(), g.reg(), uint32(s.intn(8)), g.rd(), opOp))
		}
	}
	g.guard(4)
	if s.intn(2) == 0 {
		g.slots = append(g.slots, slot{size: 4, branch: fixJal, target: start})
	} else {
		g.slots = append(g.slots, slot{size: 4, branch: fixBranch, f3: branchFunct3[s.intn(len(branchFunct3))], rs1: g.reg(), rs2: g.reg(), target: start})
	}
	g.narrow = nil
}

// cRd is a compressed destination among x10-x15.
func (g *gen) cRd() uint32 { return uint32(10 + g.s.intn(6)) }

func (g *gen) imm12() int64 {
	switch g.s.intn(4) {
	case 0:
		return int64(g.s.intn(5)) - 2
	case 1:
		return []int64{-2048, 2047, -1, 31, 32, 63, 64}[g.s.intn(7)]
	}
	return int64(g.s.intn(4096)) - 2048
}

func (g *gen) emit32(w uint32) { g.slots = append(g.slots, slot{size: 4, word: w}) }
func (g *gen) emit16(w uint16) { g.slots = append(g.slots, slot{size: 2, word: uint32(w)}) }

// loopBudget is how many backward transfers one pass through a generated
// program may take: each is guarded by a decrement of tp, and the last
// instruction before the jump back to the start sets tp again.
const loopBudget = 24

// program returns n random instructions (at most codeMax bytes).
func (g *gen) program(n int) []byte {
	g.slots = g.slots[:0]
	size := 0
	for i := 0; i < n && size < codeMax-16; i++ {
		k := len(g.slots)
		g.one()
		for _, s := range g.slots[k:] {
			size += s.size
		}
	}
	// The last instructions start a new pass from the first.
	g.emit32(addi(rTP, 0, loopBudget))
	g.slots = append(g.slots, slot{size: 4, branch: fixJal, target: 0})
	return g.layout()
}

// layout assigns addresses and encodes the control transfers.
func (g *gen) layout() []byte {
	addr := make([]int64, len(g.slots)+1)
	for i, s := range g.slots {
		addr[i+1] = addr[i] + int64(s.size)
	}
	out := make([]byte, addr[len(g.slots)])
	for i, s := range g.slots {
		t := len(g.slots) - 2 // past the end: the reset of tp before the jump back
		if s.target < len(g.slots) {
			t = s.target
		}
		off := addr[t] - addr[i]
		w := s.word
		switch s.branch {
		case fixBranch:
			w = insB(off, s.rs2, s.rs1, s.f3)
		case fixJal:
			w = insJ(off, s.rd)
		case fixCBranch:
			if off < -256 || off > 254 {
				off = 2 // falls through either way
			}
			w = uint32(cBranch(s.f3, s.rs1, off))
		case fixCJ:
			if off < -2048 || off > 2046 {
				off = 2
			}
			w = uint32(cJ(off))
		}
		if s.size == 4 {
			binary.LittleEndian.PutUint32(out[addr[i]:], w)
		} else {
			binary.LittleEndian.PutUint16(out[addr[i]:], uint16(w))
		}
	}
	return out
}

// target picks the slot a transfer from the current slot goes to: most
// near it, forward; some anywhere in the program. A backward transfer
// (or one that may go anywhere) gets a guard first: tp is decremented and
// the transfer skipped once it is negative, so that every pass through
// the program ends. size is the transfer's size in bytes.
func (g *gen) target(size int) int {
	here := len(g.slots)
	t := here + 1 + g.s.intn(12)
	if g.s.intn(4) == 0 {
		t = g.s.intn(here + 24)
	}
	if t <= here {
		g.guard(size) // t == here: back to the guard
	}
	return t
}

// transfer appends a jump or branch to a target target chooses.
func (g *gen) transfer(sl slot) {
	sl.target = g.target(sl.size)
	g.slots = append(g.slots, sl)
}

// guard emits "addi tp, tp, -1; blt tp, zero, over the next size bytes".
func (g *gen) guard(size int) {
	g.emit32(addi(rTP, rTP, -1))
	g.emit32(insB(int64(4+size), 0, rTP, 4))
}

// one appends one random instruction.
func (g *gen) one() {
	s := g.s
	if g.fpShare > 0 && s.intn(100) < g.fpShare {
		if s.intn(10) == 0 {
			g.amo()
		} else {
			g.fp()
		}
		return
	}
	switch k := s.intn(100); {
	case k < 18: // register-register, RV64IM
		f7 := []uint32{0, 0, 0x20, 1}[s.intn(4)]
		f3 := uint32(s.intn(8))
		if f7 == 0x20 && f3 != 0 && f3 != 5 {
			f7 = 0
		}
		op := uint32(opOp)
		if s.intn(3) == 0 {
			op = opOp32
			if f7 != 1 && f3 != 0 && f3 != 1 && f3 != 5 {
				f3 = 0
			}
			if f7 == 1 && (f3 == 1 || f3 == 2 || f3 == 3) {
				f3 = 0
			}
		}
		g.emit32(insR(f7, g.reg(), g.reg(), f3, g.rd(), op))
	case k < 30: // register-immediate
		f3 := uint32(s.intn(8))
		op := uint32(opImm)
		w32 := s.intn(4) == 0
		if w32 {
			op = opImm32
			f3 = []uint32{0, 1, 5}[s.intn(3)]
		}
		imm := g.imm12()
		switch f3 {
		case 1:
			imm &= 63
			if w32 {
				imm &= 31
			}
		case 5:
			imm &= 63
			if w32 {
				imm &= 31
			}
			if s.intn(2) == 0 {
				imm |= 0x400 // srai
			}
		}
		g.emit32(insI(imm, g.reg(), f3, g.rd(), op))
	case k < 33: // lui, auipc
		op := uint32(opLui)
		if s.intn(2) == 0 {
			op = opAuipc
		}
		g.emit32(insU(int64(s.u64()), g.rd(), op))
	case k < 43: // loads
		f3 := uint32(s.intn(7))
		if s.intn(4) == 0 {
			g.indexedLoad(f3)
			break
		}
		base, off := g.memOperand()
		g.emit32(insI(off, base, f3, g.rd(), opLoad))
	case k < 51: // stores
		f3 := uint32(s.intn(4))
		base, off := g.memOperand()
		if s.intn(3) == 0 {
			// Into the code: self-modifying; some from the page below
			// (which holds no code) across into the code's page.
			base, off = rS1, int64(s.intn(2048+8))-8
		}
		g.emit32(insS(off, g.reg(), base, f3, opStore))
	case k < 59: // branches
		g.transfer(slot{size: 4, branch: fixBranch, f3: branchFunct3[s.intn(len(branchFunct3))], rs1: g.reg(), rs2: g.reg()})
	case k < 62: // jal
		g.transfer(slot{size: 4, branch: fixJal, rd: []uint32{0, rRA, g.rd()}[s.intn(3)]})
	case k < 64: // jalr from the code pointer: anywhere in the code, sometimes odd
		g.guard(4)
		g.emit32(insI(int64(s.intn(256))*2+int64(s.intn(2)), rS1, 0, []uint32{0, rRA, g.rd()}[s.intn(3)], opJalr))
	case k < 65: // jalr through any register
		g.guard(4)
		g.emit32(insI(g.imm12(), g.reg(), 0, g.rd(), opJalr))
	case k < 69: // CSR reads and writes
		g.emit32(g.csrInsn())
	case k < 70:
		g.amo()
	case k < 72: // F and D
		g.fp()
	case k < 74:
		g.emit32([]uint32{insnEcall, insnEcall, insnEbreak, insnMret, 0x10500073}[s.intn(5)]) // ecall ebreak mret wfi
	case k < 76:
		g.emit32([]uint32{insnFenceI, insnFence}[s.intn(2)])
	case k < 77: // illegal or random words
		g.emit32([]uint32{0, 0xffffffff, uint32(s.u64()) | 3}[s.intn(3)])
	case k < 79 && g.narrow == nil:
		g.loop()
	default: // compressed
		g.compressed()
	}
}

// indexedLoad appends a table lookup as compilers emit it, a load of
// width f3 from base + index<<shift + imm computed into the register it
// loads (andi x, y, 63 mostly first, to stay in the data; the shift
// sometimes left out; the add's operands either way round).
func (g *gen) indexedLoad(f3 uint32) {
	s := g.s
	x, y := g.rd(), g.reg()
	if s.intn(4) != 0 {
		g.emit32(insI(63, y, 7, x, opImm)) // andi x, y, 63
		y = x
	}
	if s.intn(4) != 0 {
		g.emit32(insI(int64(s.intn(5)), y, 1, x, opImm)) // slli x, y, 0..4
		y = x
	}
	b := []uint32{rS0, rS0, rGP, g.reg()}[s.intn(4)]
	if s.intn(2) == 0 {
		g.emit32(insR(0, y, b, 0, x, opOp)) // add x, b, y
	} else {
		g.emit32(insR(0, b, y, 0, x, opOp)) // add x, y, b
	}
	off := int64(s.intn(64)) * 4
	if s.intn(4) == 0 {
		off = g.imm12()
	}
	g.emit32(insI(off, x, f3, x, opLoad))
}

// amo appends one A instruction: LR, SC or an AMO on the data region
// (some near the end of memory, some misaligned).
func (g *gen) amo() {
	s := g.s
	f5 := []uint32{0x02, 0x03, 0x00, 0x01, 0x0c, 0x08, 0x14, 0x1c, 0x04, 0x10, 0x18}[s.intn(11)] // lr sc add swap and or max maxu xor min minu
	f3 := uint32(2 + s.intn(2))
	g.emit32(insR(f5<<2|uint32(s.intn(4)), g.reg(), []uint32{rS0, rS0, rS0, rGP}[s.intn(4)], f3, g.rd(), opAmo))
}

// fp appends one F or D instruction: any of their operations on random
// f registers, with rounding modes mostly dynamic or to nearest (the
// directed ones often, the others, the reserved ones too, now and then),
// or a load or store.
func (g *gen) fp() {
	s := g.s
	fmt := uint32(s.intn(2)) // 0 S, 1 D
	f := func() uint32 { return uint32(s.intn(32)) }
	rm := func() uint32 {
		switch s.intn(8) {
		case 0:
			return uint32(s.intn(8))
		case 1:
			return uint32(1 + s.intn(3)) // towards zero, down, up
		case 2, 3:
			return 0
		}
		return 7
	}
	op := func(f5, rs2, f3, rd uint32) { g.emit32(insR(f5<<2|fmt, rs2, f(), f3, rd, opFP)) }
	switch s.intn(16) {
	case 0, 1, 2: // fadd, fsub, fmul, fdiv
		op(uint32(s.intn(4)), f(), rm(), f())
	case 3: // fsqrt
		op(0x0b, 0, rm(), f())
	case 4: // fmadd, fmsub, fnmsub, fnmadd
		g.emit32(f()<<27 | insR(fmt, f(), f(), rm(), f(), []uint32{0x43, 0x47, 0x4b, 0x4f}[s.intn(4)]))
	case 5: // fsgnj, fsgnjn, fsgnjx; fmin, fmax
		if s.intn(3) == 0 {
			op(0x05, f(), uint32(s.intn(2)), f())
		} else {
			op(0x04, f(), uint32(s.intn(3)), f())
		}
	case 6: // fcvt.s.d, fcvt.d.s
		op(0x08, 1-fmt, rm(), f())
	case 7: // fle, flt, feq
		op(0x14, f(), uint32(s.intn(3)), g.rd())
	case 8: // fcvt.w, wu, l, lu from a float
		op(0x18, uint32(s.intn(4)), rm(), g.rd())
	case 9: // fcvt to a float from w, wu, l, lu
		g.emit32(insR(0x1a<<2|fmt, uint32(s.intn(4)), g.reg(), rm(), f(), opFP))
	case 10: // fmv.x.w, fmv.x.d; fclass
		op(0x1c, 0, uint32(s.intn(2)), g.rd())
	case 11: // fmv.w.x, fmv.d.x
		g.emit32(insR(0x1e<<2|fmt, 0, g.reg(), 0, f(), opFP))
	case 12, 13: // flw, fld
		base, off := g.memOperand()
		g.emit32(insI(off, base, 2+fmt, f(), opLoadFP))
	case 14: // fsw, fsd, some into the code
		base, off := g.memOperand()
		if s.intn(4) == 0 {
			base, off = rS1, int64(s.intn(2048+8))-8
		}
		g.emit32(insS(off, f(), base, 2+fmt, opStorFP))
	default: // frm, fflags or fcsr written or read
		num := []uint32{0x001, 0x002, 0x003}[s.intn(3)]
		if s.intn(2) == 0 {
			g.emit32(num<<20 | uint32(s.intn(8))<<15 | 5<<12 | g.rd()<<7 | opSystem) // csrrwi: frm mostly 0-4
		} else {
			g.emit32(num<<20 | 2<<12 | g.rd()<<7 | opSystem) // csrr
		}
	}
}

// memOperand returns a base register and offset for a load or store:
// mostly in the data region, some near the end of memory (the last bytes
// and past them), some through any register.
func (g *gen) memOperand() (uint32, int64) {
	switch g.s.intn(10) {
	case 0:
		return rGP, int64(g.s.intn(32)) - 8
	case 1:
		return g.reg(), g.imm12()
	}
	return rS0, g.imm12()
}

func (g *gen) csrInsn() uint32 {
	s := g.s
	nums := []uint16{0xc00, 0xc01, 0xc02, 0xb00, 0xb02, 0x340, 0x300, 0x305, 0x341, 0x342, 0x343, 0x015, 0x003, 0x001, 0x7c0}
	num := uint32(nums[s.intn(len(nums))])
	f3 := uint32(2) // csrrs: a read
	rs1 := uint32(0)
	switch s.intn(4) {
	case 0:
		f3, rs1 = uint32(1+s.intn(3)), g.reg() // csrrw/s/c with a register
	case 1:
		f3, rs1 = uint32(5+s.intn(3)), uint32(s.intn(32))
	}
	if num == 0x015 && s.intn(2) == 0 { // seed is read with csrrw
		f3, rs1 = 1, 0
	}
	return num<<20 | rs1<<15 | f3<<12 | g.rd()<<7 | opSystem
}

// compressed appends one compressed instruction.
func (g *gen) compressed() {
	s := g.s
	switch s.intn(14) {
	case 0:
		g.emit16(cAddi(g.rd(), int64(s.intn(64))-32))
	case 1:
		g.emit16(cCI(2, g.rd(), int64(s.intn(64))-32, 1)) // c.li
	case 2:
		g.emit16(cCI(1, g.rd()|1, int64(s.intn(64))-32, 1)) // c.addiw, rd != 0
	case 3:
		g.emit16(cSlli(g.rd(), uint32(1+s.intn(63))))
	case 4:
		if rs := g.reg(); rs != 0 {
			g.emit16(cMv(g.rd(), rs))
		} else {
			g.emit16(cAdd(g.rd(), rA0))
		}
	case 5:
		g.emit16(cArith(uint32(s.intn(4)), g.cRd(), uint32(8+s.intn(8)), false))
	case 6:
		g.emit16(cArith(uint32(s.intn(2)), g.cRd(), uint32(8+s.intn(8)), true))
	case 7:
		g.emit16(cShiftAndi(uint32(s.intn(3)), g.cRd(), int64(s.intn(64))))
	case 8: // c.lw / c.ld from the data region
		if s.intn(2) == 0 {
			g.emit16(cLS(2, g.cRd(), rS0, uint32(s.intn(32))*4))
		} else {
			g.emit16(cLS(3, g.cRd(), rS0, uint32(s.intn(32))*8))
		}
	case 9: // c.sw / c.sd into the data region or the code
		base := []uint32{rS0, rS0, rS1}[s.intn(3)]
		r := uint32(8 + s.intn(8))
		if s.intn(2) == 0 {
			g.emit16(cLS(6, r, base, uint32(s.intn(32))*4))
		} else {
			g.emit16(cLS(7, r, base, uint32(s.intn(32))*8))
		}
	case 10:
		g.transfer(slot{size: 2, branch: fixCBranch, f3: uint32(6 + s.intn(2)), rs1: uint32(8 + s.intn(8))})
	case 11:
		g.transfer(slot{size: 2, branch: fixCJ})
	case 12: // c.jr / c.jalr through the code pointer or ra
		r := []uint32{rS1, rRA}[s.intn(2)]
		g.guard(2)
		if s.intn(2) == 0 {
			g.emit16(cJr(r))
		} else {
			g.emit16(cJalr(r))
		}
	default: // any parcel that is not a 32-bit instruction's
		w := uint16(s.u64())
		if w&3 == 3 {
			w &^= 1
		}
		g.emit16(w)
	}
}

// TestEncodersMatchAssembler assembles instructions with the GNU
// assembler and compares its bytes with the encoders'.
func TestEncodersMatchAssembler(t *testing.T) {
	as, err := exec.LookPath("riscv64-unknown-elf-as")
	if err != nil {
		t.Skip("no riscv64-unknown-elf-as")
	}
	objcopy, err := exec.LookPath("riscv64-unknown-elf-objcopy")
	if err != nil {
		t.Skip("no riscv64-unknown-elf-objcopy")
	}
	cases := []struct {
		src string
		enc uint32 // a compressed one below 0x10000 with low bits not 11
	}{
		{"addi a0, a1, -2048", addi(rA0, rA1, -2048)},
		{"add t0, s1, a5", add(rT0, rS1, rA5)},
		{"lui t0, 0x45150", lui(rT0, 0x45150)},
		{"ld a1, -8(t0)", ld(rA1, rT0, -8)},
		{"lw a0, 2047(s0)", lw(rA0, rS0, 2047)},
		{"lbu a0, 1(gp)", lbu(rA0, rGP, 1)},
		{"sd a1, -2048(t0)", sd(rA1, rT0, -2048)},
		{"sw a1, 12(s1)", sw(rA1, rS1, 12)},
		{"sb a1, 0(t0)", sb(rA1, rT0, 0)},
		{"bne a4, zero, .-20", bne(rA4, 0, -20)},
		{"beq a4, zero, .+4094", beq(rA4, 0, 4094)},
		{"bge t6, zero, .-4096", insB(-4096, 0, rT6, 5)},
		{"jal ra, .+0x3f8", jal(rRA, 0x3f8)},
		{"jal zero, .-0x100c", jal(0, -0x100c)},
		{"jalr ra, 1(t0)", jalr(rRA, rT0, 1)},
		{"csrr a0, cycle", csrr(rA0, csr.Cycle)},
		{"csrw mepc, t6", csrw(csr.Mepc, rT6)},
		{"csrrw a2, seed, zero", csrrwSeed(rA2)},
		{"mulhsu a0, a1, a2", mop(2, rA0, rA1, rA2, false)},
		{"remuw a0, a1, a2", mop(7, rA0, rA1, rA2, true)},
		{"sraiw a0, a1, 31", insI(0x400|31, rA1, 5, rA0, opImm32)},
		{"sraw a0, a1, a2", insR(0x20, rA2, rA1, 5, rA0, opOp32)},
		{"fence.i", insnFenceI},
		{"fence", insnFence},
		{"mret", insnMret},
		{"c.addi a0, -32", uint32(cAddi(rA0, -32))},
		{"c.li a5, 31", uint32(cCI(2, rA5, 31, 1))},
		{"c.addiw t0, -1", uint32(cCI(1, rT0, -1, 1))},
		{"c.slli a0, 63", uint32(cSlli(rA0, 63))},
		{"c.mv a0, t6", uint32(cMv(rA0, rT6))},
		{"c.add s2, a1", uint32(cAdd(rS2, rA1))},
		{"c.jr s1", uint32(cJr(rS1))},
		{"c.jalr ra", uint32(cJalr(rRA))},
		{"c.sub a0, s1", uint32(cArith(0, rA0, rS1, false))},
		{"c.and a5, a4", uint32(cArith(3, rA5, rA4, false))},
		{"c.addw a0, a1", uint32(cArith(1, rA0, rA1, true))},
		{"c.srai a2, 33", uint32(cShiftAndi(1, rA2, 33))},
		{"c.andi a3, -5", uint32(cShiftAndi(2, rA3, -5))},
		{"c.lw a0, 124(s0)", uint32(cLS(2, rA0, rS0, 124))},
		{"c.ld a5, 248(s0)", uint32(cLS(3, rA5, rS0, 248))},
		{"c.sw s0, 68(s1)", uint32(cLS(6, rS0, rS1, 68))},
		{"c.sd a1, 136(s1)", uint32(cLS(7, rA1, rS1, 136))},
		{"c.beqz a0, .-256", uint32(cBranch(6, rA0, -256))},
		{"c.bnez a5, .+254", uint32(cBranch(7, rA5, 254))},
		{"c.j .-2048", uint32(cJ(-2048))},
		{"c.j .+1366", uint32(cJ(1366))},
	}
	dir := t.TempDir()
	var src strings.Builder
	src.WriteString(".option norelax\n")
	for _, c := range cases {
		if strings.HasPrefix(c.src, "c.") {
			src.WriteString(".option rvc\n")
		} else {
			src.WriteString(".option norvc\n")
		}
		src.WriteString(c.src + "\n")
	}
	s, o, bin := filepath.Join(dir, "e.s"), filepath.Join(dir, "e.o"), filepath.Join(dir, "e.bin")
	if err := os.WriteFile(s, []byte(src.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(as, "-march=rv64gc_zicsr_zifencei_zkr", "-o", o, s).CombinedOutput(); err != nil {
		t.Fatalf("as: %v\n%s", err, out)
	}
	if out, err := exec.Command(objcopy, "-O", "binary", "-j", ".text", o, bin).CombinedOutput(); err != nil {
		t.Fatalf("objcopy: %v\n%s", err, out)
	}
	got, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		w := words(c.enc)
		if len(got) < len(w) {
			t.Fatalf("%s: the assembler's output ends early", c.src)
		}
		if !bytes.Equal(got[:len(w)], w) {
			t.Errorf("%s: encoder % x, assembler % x", c.src, w, got[:len(w)])
		}
		got = got[len(w):]
	}
}
