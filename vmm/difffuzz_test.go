package vmm

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rvsim/rvsim/csr"
	"github.com/rvsim/rvsim/rv64"
)

// Program layout. x31 and sp hold scr, the scratch area, throughout the
// body; the body never writes them. The state area below it holds the
// initial values, then the final ones: x1-x30, f0-f31, fcsr.
const (
	dfBase     = 0x10000
	dfStateLen = 30*8 + 32*8 + 8 // x1-x30, f0-f31, fcsr
	dfScrLen   = 512
	dfXOff     = -dfStateLen   // x1 is at scr+dfXOff
	dfFOff     = dfXOff + 30*8 // f0
	dfFcsrOff  = dfFOff + 32*8 // fcsr
	dfMaxBody  = 96            // instructions
	dfPageSize = 0x1000
)

// dfValues are the boundary values a register starts with: integers, and
// doubles and NaN-boxed singles at the edges of their formats.
var dfValues = []uint64{
	0, 1, 2, 0xffffffffffffffff, 0x8000000000000000, 0x7fffffffffffffff,
	0x80000000, 0x7fffffff, 0xffffffff80000000, 0x100000000, 0xffffffff, 0x12345678deadbeef,
	0x3ff0000000000000, // 1.0
	0xbff0000000000000, // -1.0
	0x8000000000000000, // -0.0
	0x3fd5555555555555, // 1/3
	0x3fe0000000000000, // 0.5
	0x3fdfffffffffffff, // 0.49999999999999994
	0x3ff8000000000000, // 1.5
	0x4004000000000000, // 2.5
	0xc004000000000000, // -2.5
	0x7fefffffffffffff, // max finite
	0x0010000000000000, // min normal
	0x000fffffffffffff, // max subnormal
	0x0000000000000001, // min subnormal
	0x7ff0000000000000, // inf
	0xfff0000000000000, // -inf
	0x7ff8000000000000, // canonical qNaN
	0x7ff0000000000001, // sNaN
	0xfff8000000000001, // negative qNaN with payload
	0x41e0000000000000, // 2^31
	0xc1e0000000000000, // -2^31
	0xc1e0000000200000, // -2^31-1
	0x41efffffffe00000, // 2^32-1
	0x43e0000000000000, // 2^63
	0xc3e0000000000000, // -2^63
	0x43f0000000000000, // 2^64
	0x4330000000000001, // 2^52+1
	0xffffffff3f800000, // 1.0f
	0xffffffffbf800000, // -1.0f
	0xffffffff80000000, // -0.0f
	0xffffffff3eaaaaab, // 1/3 f
	0xffffffff7f7fffff, // max finite f
	0xffffffff00800000, // min normal f
	0xffffffff007fffff, // max subnormal f
	0xffffffff00000001, // min subnormal f
	0xffffffff7f800000, // inf f
	0xffffffffff800000, // -inf f
	0xffffffff7fc00000, // canonical qNaN f
	0xffffffff7f800001, // sNaN f
	0xffffffff4f000000, // 2^31 f
	0xffffffffcf000000, // -2^31 f
	0xffffffff5f000000, // 2^63 f
	0xffffffff5f800000, // 2^64 f
	0xffffffff3fc00000, // 1.5f
	0xffffffff40200000, // 2.5f
	0x000000003f800000, // 1.0f, not NaN-boxed
	0xfffffffe3f800000, // 1.0f, badly boxed
}

// Instruction encoders (the RISC-V unprivileged ISA's base formats).
func encR(op, f3, f7, rd, rs1, rs2 uint32) uint32 {
	return f7<<25 | rs2<<20 | rs1<<15 | f3<<12 | rd<<7 | op
}

func encI(op, f3, rd, rs1 uint32, imm int32) uint32 {
	return uint32(imm)<<20 | rs1<<15 | f3<<12 | rd<<7 | op
}

func encS(op, f3, rs1, rs2 uint32, imm int32) uint32 {
	u := uint32(imm)
	return (u>>5&0x7f)<<25 | rs2<<20 | rs1<<15 | f3<<12 | (u&0x1f)<<7 | op
}

func encR4(op, rm, fmt, rd, rs1, rs2, rs3 uint32) uint32 {
	return rs3<<27 | fmt<<25 | rs2<<20 | rs1<<15 | rm<<12 | rd<<7 | op
}

// Opcodes.
const (
	opLoadFP  = 0x07
	opOpImm   = 0x13
	opAuipc   = 0x17
	opOpImm32 = 0x1b
	opStoreFP = 0x27
	opAMO     = 0x2f
	opOp      = 0x33
	opLui     = 0x37
	opOp32    = 0x3b
	opMadd    = 0x43
	opMsub    = 0x47
	opNmsub   = 0x4b
	opNmadd   = 0x4f
	opFP      = 0x53
	opSystem  = 0x73
)

// Register classes of an operand in fpOps.
const (
	regNone = iota
	regX
	regF
)

// fpOp is one OP-FP instruction form: its fixed bits (funct7, funct3 or
// rs2 where fixed) and the class of each register operand.
type fpOp struct {
	name          string
	word          uint32
	rd, rs1, rs2  int
	rm            bool // funct3 is a rounding mode
	ext           byte // 'F' or 'D'
	fixedRS2Field bool
}

// dfFPOps lists every F and D OP-FP instruction.
var dfFPOps = func() []fpOp {
	var ops []fpOp
	for _, fm := range []struct {
		s   string
		fmt uint32
		ext byte
	}{{"s", 0, 'F'}, {"d", 1, 'D'}} {
		f7 := func(f5 uint32) uint32 { return f5<<2 | fm.fmt }
		add := func(name string, f5, f3 uint32, rd, rs1, rs2 int, rm bool, rs2v uint32) {
			w := encR(opFP, f3, f7(f5), 0, 0, rs2v)
			ops = append(ops, fpOp{name: name + "." + fm.s, word: w, rd: rd, rs1: rs1, rs2: rs2, rm: rm, ext: fm.ext, fixedRS2Field: rs2 == regNone})
		}
		for i, n := range []string{"fadd", "fsub", "fmul", "fdiv"} {
			add(n, uint32(i), 0, regF, regF, regF, true, 0)
		}
		add("fsqrt", 0x0b, 0, regF, regF, regNone, true, 0)
		add("fsgnj", 0x04, 0, regF, regF, regF, false, 0)
		add("fsgnjn", 0x04, 1, regF, regF, regF, false, 0)
		add("fsgnjx", 0x04, 2, regF, regF, regF, false, 0)
		add("fmin", 0x05, 0, regF, regF, regF, false, 0)
		add("fmax", 0x05, 1, regF, regF, regF, false, 0)
		add("feq", 0x14, 2, regX, regF, regF, false, 0)
		add("flt", 0x14, 1, regX, regF, regF, false, 0)
		add("fle", 0x14, 0, regX, regF, regF, false, 0)
		add("fclass", 0x1c, 1, regX, regF, regNone, false, 0)
		add("fmv.x", 0x1c, 0, regX, regF, regNone, false, 0)
		add("fmv.from.x", 0x1e, 0, regF, regX, regNone, false, 0)
		for i, n := range []string{"w", "wu", "l", "lu"} {
			add("fcvt."+n, 0x18, 0, regX, regF, regNone, true, uint32(i))
			add("fcvt.from."+n, 0x1a, 0, regF, regX, regNone, true, uint32(i))
		}
	}
	// fcvt.s.d and fcvt.d.s need both F and D; D implies F.
	ops = append(ops,
		fpOp{name: "fcvt.s.d", word: encR(opFP, 0, 0x08<<2|0, 0, 0, 1), rd: regF, rs1: regF, rm: true, ext: 'D', fixedRS2Field: true},
		fpOp{name: "fcvt.d.s", word: encR(opFP, 0, 0x08<<2|1, 0, 0, 0), rd: regF, rs1: regF, rm: true, ext: 'D', fixedRS2Field: true})
	return ops
}()

// dfIntR lists the R-type integer instructions: opcode, funct3, funct7.
var dfIntR = [][3]uint32{
	{opOp, 0, 0}, {opOp, 0, 0x20}, {opOp, 1, 0}, {opOp, 2, 0}, {opOp, 3, 0}, {opOp, 4, 0},
	{opOp, 5, 0}, {opOp, 5, 0x20}, {opOp, 6, 0}, {opOp, 7, 0},
	{opOp32, 0, 0}, {opOp32, 0, 0x20}, {opOp32, 1, 0}, {opOp32, 5, 0}, {opOp32, 5, 0x20},
	// M
	{opOp, 0, 1}, {opOp, 1, 1}, {opOp, 2, 1}, {opOp, 3, 1}, {opOp, 4, 1}, {opOp, 5, 1}, {opOp, 6, 1}, {opOp, 7, 1},
	{opOp32, 0, 1}, {opOp32, 4, 1}, {opOp32, 5, 1}, {opOp32, 6, 1}, {opOp32, 7, 1},
}

// dfAMO lists the AMO funct5 values (LR and SC are left out: whether an SC
// after a store of the same hart succeeds is the implementation's choice).
var dfAMO = []uint32{0x00, 0x01, 0x04, 0x08, 0x0c, 0x10, 0x14, 0x18, 0x1c}

// dfReader hands out the fuzz input a piece at a time, zeros past its end.
type dfReader struct {
	b []byte
}

func (r *dfReader) byte() uint32 {
	if len(r.b) == 0 {
		return 0
	}
	v := r.b[0]
	r.b = r.b[1:]
	return uint32(v)
}

func (r *dfReader) word() uint32 {
	return r.byte() | r.byte()<<8 | r.byte()<<16 | r.byte()<<24
}

// dfExts are the extensions the body may use.
type dfExts struct{ A, C, F, D bool }

func misaExts(misa uint64) dfExts {
	bit := func(c byte) bool { return misa>>(c-'A')&1 != 0 }
	return dfExts{A: bit('A'), C: bit('C'), F: bit('F'), D: bit('D')}
}

// dfProgram is a generated test program.
type dfProgram struct {
	elf  []byte
	body []string // the body's instructions in hex, for messages
	scr  uint64   // the scratch area's address, in x31 and sp
}

// rdX picks an integer destination: any register but sp (x2) and x31,
// which point at the scratch area.
func rdX(v uint32) uint32 {
	switch v &= 31; v {
	case 2:
		return 3
	case 31:
		return 30
	}
	return v
}

// pickRM picks a rounding mode field from 10 bits of v: mostly the five
// modes and dynamic, one time in 512 a reserved one (5, 6), which must be
// illegal (and ends the run).
func pickRM(v uint32) uint32 {
	if v&0x1ff == 0x1ff {
		return 5 + v>>9&1
	}
	return []uint32{0, 1, 2, 3, 4, 7, 7, 7}[v&7]
}

// genCompressed makes a 16-bit instruction from v: any encoding of
// quadrants 0-2 but the jumps, branches, ebreak and the loads and stores
// based on x8-x15 (the reserved ones included: they must be illegal under
// both), with sp and x31 never written. The sp-based loads and stores
// (C.FLDSP, C.FSDSP and the integer ones) reach the scratch area.
func genCompressed(v uint32) (uint16, bool) {
	p := uint16(v)
	q := p & 3
	if q == 3 {
		q = uint16(v>>16) % 3
		p = p&^3 | q
	}
	f3 := p >> 13
	rs2 := p >> 2 & 31
	// keepRD turns a destination of sp or x31 into x3 or x30.
	keepRD := func() {
		switch p >> 7 & 31 {
		case 2, 31:
			p ^= 1 << 7
		}
	}
	switch q {
	case 0:
		if f3 == 4 && v>>18&31 != 0 {
			// Reserved (Zcb's loads and stores in later versions):
			// one in 32 stays, the rest become c.addi4spn.
			p &^= 7 << 13
			f3 = 0
		}
		if f3 != 0 && f3 != 4 { // loads and stores through x8-x15
			return 0, false
		}
	case 1:
		if f3 >= 5 { // c.j, c.beqz, c.bnez
			return 0, false
		}
		if f3 <= 3 { // c.addi, c.addiw, c.li, c.lui/c.addi16sp
			keepRD()
		}
	case 2:
		switch f3 {
		case 0, 2, 3: // c.slli, c.lwsp, c.ldsp
			keepRD()
		case 4:
			if rs2 == 0 { // c.jr, c.jalr, c.ebreak
				return 0, false
			}
			keepRD() // c.mv, c.add
		}
		// 1, 5, 6, 7: c.fldsp, c.fsdsp, c.swsp, c.sdsp
	}
	return p, true
}

// genBody turns fuzz input into the body's instructions (2- or 4-byte
// parcels) in the extensions ext.
func genBody(r *dfReader, ext dfExts) []uint32 {
	n := int(r.byte()) % (dfMaxBody + 1)
	var body []uint32
	branches := map[int]dfBranch{}
	for len(body) < n && len(r.b) > 0 {
		sel := r.byte()
		v := r.word()
		rd, rs1, rs2, rs3 := v&31, v>>5&31, v>>10&31, v>>15&31
		switch k := sel % 16; {
		case k == 0: // integer register-register, M included
			o := dfIntR[int(v>>20)%len(dfIntR)]
			body = append(body, encR(o[0], o[1], o[2], rdX(rd), rs1, rs2))
		case k == 1: // integer immediate
			imm := int32(v>>20) & 0xfff
			imm = imm << 20 >> 20
			switch f := v >> 17 & 7; f {
			case 1: // slli
				body = append(body, encI(opOpImm, 1, rdX(rd), rs1, imm&63))
			case 5: // srli, srai
				body = append(body, encI(opOpImm, 5, rdX(rd), rs1, imm&63|imm&0x400))
			default:
				body = append(body, encI(opOpImm, f, rdX(rd), rs1, imm))
			}
		case k == 2: // word immediate, lui, auipc, forward branches
			imm := int32(v>>20) << 20 >> 20
			switch v >> 17 & 7 {
			case 0:
				body = append(body, encI(opOpImm32, 0, rdX(rd), rs1, imm))
			case 1:
				body = append(body, encI(opOpImm32, 1, rdX(rd), rs1, imm&31))
			case 2:
				body = append(body, encI(opOpImm32, 5, rdX(rd), rs1, imm&31|imm&0x400))
			case 3:
				body = append(body, v&0xfffff000|rdX(rd)<<7|opLui)
			case 4, 5:
				body = append(body, v&0xfffff000|rdX(rd)<<7|opAuipc)
			default: // a forward branch or jump, encoded once laid out
				b := dfBranch{kind: int(v >> 25 & 3), f3: []uint32{0, 1, 4, 5, 6, 7}[int(v>>27&7)%6],
					rs1: rs1, rs2: rs2, rd: rdX(rd), target: len(body) + 1 + int(v>>29)}
				if b.kind >= brCB && !ext.C {
					b.kind -= 2
				}
				if b.kind == brCB {
					b.f3, b.rs1 = 6+v>>28&1, v>>5&7 // c.beqz, c.bnez; rs1' x8-x15
				}
				branches[len(body)] = b
				body = append(body, b.placeholder())
			}
		case k == 3 && ext.A: // AMO on the scratch area's first doubleword
			f5 := dfAMO[int(v>>20)%len(dfAMO)]
			w := uint32(2 + v>>25&1) // .w or .d
			body = append(body, encR(opAMO, w, f5<<2|v>>26&3, rdX(rd), 31, rs2))
		case k >= 4 && k <= 8 && ext.F: // OP-FP
			o := dfFPOps[int(v>>20)%len(dfFPOps)]
			if o.ext == 'D' && !ext.D {
				continue
			}
			w := o.word
			if o.rd == regX {
				w |= rdX(rd) << 7
			} else {
				w |= rd << 7
			}
			w |= rs1 << 15
			if !o.fixedRS2Field {
				w |= rs2 << 20
			}
			if o.rm {
				w |= pickRM(v>>26|sel>>4<<6) << 12
			}
			body = append(body, w)
		case k == 9 && ext.F: // fused multiply-add
			fmt := uint32(0)
			if ext.D {
				fmt = v >> 20 & 1
			}
			op := []uint32{opMadd, opMsub, opNmsub, opNmadd}[v>>21&3]
			body = append(body, encR4(op, pickRM(v>>23|sel>>4<<9), fmt, rd, rs1, rs2, rs3))
		case k == 10 && v>>31 == 1: // integer loads and stores through sp, aligned or not
			f3 := v >> 28 & 7
			off := int32(v>>19&0x3f) * 7 // in [0, 441]: aligned or not
			if v>>27&1 == 1 {
				body = append(body, encS(0x23, f3&3, 2, rs2, off)) // sb, sh, sw, sd
			} else {
				if f3 == 7 {
					f3 = 3 // ld
				}
				body = append(body, encI(0x03, f3, rdX(rd), 2, off)) // lb, lh, lw, ld, lbu, lhu, lwu
			}
		case k == 10 && ext.F: // FP loads and stores in the scratch area
			d := ext.D && v>>20&1 == 1
			f3 := uint32(2)
			if d {
				f3 = 3
			}
			off := int32(v>>21&63) * 8
			if v>>27&1 == 1 {
				body = append(body, encS(opStoreFP, f3, 31, rs2, off))
			} else {
				body = append(body, encI(opLoadFP, f3, rd, 31, off))
			}
		case k == 11 && ext.F: // fcsr, fflags, frm
			// Mostly fflags: a random frm (5-7) makes the dynamic
			// rounding that follows illegal, ending the run.
			c := int32(1)
			if v>>20&7 == 0 {
				c = 2 + int32(v>>23&1)
			}
			f3 := []uint32{1, 2, 3, 5, 6, 7}[int(v>>22)%6] // csrrw, csrrs, csrrc and the i forms
			body = append(body, encI(opSystem, f3, rdX(rd), rs1, c))
		case k >= 12 && ext.C:
			if p, ok := genCompressed(v); ok {
				body = append(body, uint32(p))
			}
		}
	}
	resolveBranches(body, branches)
	return body
}

// Forward branches and jumps: the body has no loops, so it ends.
const (
	brB   = iota // beq, bne, blt, bge, bltu, bgeu
	brJAL        // jal rd
	brCB         // c.beqz, c.bnez
	brCJ         // c.j
)

// dfBranch is a forward branch at some instruction of the body to the
// instruction target (the end of the body at most).
type dfBranch struct {
	kind         int
	f3           uint32
	rs1, rs2, rd uint32
	target       int
}

// placeholder is a word of the branch's size, until it is encoded.
func (b dfBranch) placeholder() uint32 {
	if b.kind >= brCB {
		return 1
	}
	return 0x63
}

// resolveBranches encodes each branch of body for its target's offset.
func resolveBranches(body []uint32, branches map[int]dfBranch) {
	at := make([]int32, len(body)+1) // the byte offset of each instruction
	for i, w := range body {
		at[i+1] = at[i] + 4
		if w&3 != 3 {
			at[i+1] = at[i] + 2
		}
	}
	for i, b := range branches {
		off := at[min(b.target, len(body))] - at[i]
		switch b.kind {
		case brB:
			body[i] = encBranch(b.f3, b.rs1, b.rs2, off)
		case brJAL:
			body[i] = encJAL(b.rd, off)
		case brCB:
			body[i] = encCB(b.f3, b.rs1, off)
		case brCJ:
			body[i] = encCJ(off)
		}
	}
}

// encBranch encodes a B-type branch (funct3 f3) by off bytes.
func encBranch(f3, rs1, rs2 uint32, off int32) uint32 {
	i := uint32(off)
	return (i>>12&1)<<31 | (i>>5&0x3f)<<25 | rs2<<20 | rs1<<15 | f3<<12 | (i>>1&0xf)<<8 | (i>>11&1)<<7 | 0x63
}

// encJAL encodes jal rd by off bytes.
func encJAL(rd uint32, off int32) uint32 {
	i := uint32(off)
	return (i>>20&1)<<31 | (i>>1&0x3ff)<<21 | (i>>11&1)<<20 | (i>>12&0xff)<<12 | rd<<7 | 0x6f
}

// encCB encodes c.beqz (f3 6) or c.bnez (f3 7) of x8+rs1p by off bytes.
func encCB(f3, rs1p uint32, off int32) uint32 {
	i := uint32(off)
	return f3<<13 | (i>>8&1)<<12 | (i>>3&3)<<10 | rs1p<<7 | (i>>6&3)<<5 | (i>>1&3)<<3 | (i>>5&1)<<2 | 1
}

// encCJ encodes c.j by off bytes.
func encCJ(off int32) uint32 {
	i := uint32(off)
	return 5<<13 | (i>>11&1)<<12 | (i>>4&1)<<11 | (i>>8&3)<<9 | (i>>10&1)<<8 | (i>>6&1)<<7 | (i>>7&1)<<6 | (i>>1&7)<<3 | (i>>5&1)<<2 | 1
}

// buildDiffProgram assembles the program for body and the initial state
// picked by r, as a static Linux ELF: one RWX segment at dfBase whose code
// starts so that the body crosses a page boundary.
func buildDiffProgram(r *dfReader, ext dfExts) *dfProgram {
	var init [dfStateLen]byte
	for i := 0; i < 62; i++ {
		binary.LittleEndian.PutUint64(init[8*i:], dfValues[int(r.byte())%len(dfValues)])
	}
	binary.LittleEndian.PutUint64(init[dfStateLen-8:], uint64(r.byte()%5)<<5) // frm, no flags
	body := genBody(r, ext)

	var pro []uint32 // after "auipc x31, 0; addi x31, x31, OFF", filled in below
	for i := uint32(1); i <= 30; i++ {
		pro = append(pro, encI(0x03, 3, i, 31, dfXOff+int32(8*(i-1)))) // ld xi
	}
	pro = append(pro, encI(opOpImm, 0, 2, 31, 0)) // mv sp, x31
	if ext.F {
		f3 := uint32(2)
		if ext.D {
			f3 = 3
		}
		for i := uint32(0); i < 32; i++ {
			pro = append(pro, encI(opLoadFP, f3, i, 31, dfFOff+int32(8*i))) // fld fi
		}
		pro = append(pro,
			encI(0x03, 3, 1, 31, dfFcsrOff), // ld x1, fcsr
			encI(opSystem, 1, 0, 1, 3),      // csrw fcsr, x1
			encI(0x03, 3, 1, 31, dfXOff))    // ld x1
	}
	var epi []uint32
	for i := uint32(1); i <= 30; i++ {
		epi = append(epi, encS(0x23, 3, 31, i, dfXOff+int32(8*(i-1)))) // sd xi
	}
	if ext.F {
		f3 := uint32(2)
		if ext.D {
			f3 = 3
		}
		for i := uint32(0); i < 32; i++ {
			epi = append(epi, encS(opStoreFP, f3, 31, i, dfFOff+int32(8*i))) // fsd fi
		}
		epi = append(epi,
			encI(opSystem, 2, 1, 0, 3),      // csrr x1, fcsr
			encS(0x23, 3, 31, 1, dfFcsrOff)) // sd x1
	}
	epi = append(epi,
		encI(opOpImm, 0, 10, 0, 1),                   // li a0, 1
		encI(opOpImm, 0, 11, 31, dfXOff),             // addi a1, x31, state
		encI(opOpImm, 0, 12, 0, dfStateLen+dfScrLen), // li a2, length
		encI(opOpImm, 0, 17, 0, 64),                  // li a7, write
		0x00000073,                                   // ecall
		encI(opOpImm, 0, 10, 0, 0),                   // li a0, 0
		encI(opOpImm, 0, 17, 0, 93),                  // li a7, exit
		0x00000073)                                   // ecall

	// Lay out: headers, code from codeOff, the state area, scratch.
	code := new(bytes.Buffer)
	put32 := func(w uint32) { binary.Write(code, binary.LittleEndian, w) }
	codeOff := uint64(dfPageSize - 4*(2+len(pro)) - 16)
	for _, w := range body {
		if w&3 != 3 {
			binary.Write(code, binary.LittleEndian, uint16(w))
		} else {
			put32(w)
		}
	}
	bodyLen := code.Len()
	code.Reset()
	codeLen := 4*(2+len(pro)) + bodyLen + 4*len(epi)
	stateOff := (codeOff + uint64(codeLen) + 7) &^ 7
	scr := dfBase + stateOff + dfStateLen
	auipcAt := dfBase + codeOff
	off := int32(scr - auipcAt)
	put32(uint32(off+0x800)&0xfffff000 | 31<<7 | opAuipc)
	put32(encI(opOpImm, 0, 31, 31, off<<20>>20))
	for _, w := range pro {
		put32(w)
	}
	var hexBody []string
	for _, w := range body {
		if w&3 != 3 {
			binary.Write(code, binary.LittleEndian, uint16(w))
			hexBody = append(hexBody, fmt.Sprintf("%04x", w))
		} else {
			put32(w)
			hexBody = append(hexBody, fmt.Sprintf("%08x", w))
		}
	}
	for _, w := range epi {
		put32(w)
	}
	file := make([]byte, stateOff+dfStateLen+dfScrLen)
	copy(file[codeOff:], code.Bytes())
	copy(file[stateOff:], init[:])
	for i := 0; i < dfScrLen/8; i++ {
		binary.LittleEndian.PutUint64(file[stateOff+dfStateLen+uint64(8*i):], dfValues[i%len(dfValues)])
	}
	// ELF header and one program header.
	le := binary.LittleEndian
	copy(file, "\x7fELF\x02\x01\x01")
	le.PutUint16(file[16:], 2)   // ET_EXEC
	le.PutUint16(file[18:], 243) // EM_RISCV
	le.PutUint32(file[20:], 1)   // EV_CURRENT
	le.PutUint64(file[24:], auipcAt)
	le.PutUint64(file[32:], 64) // e_phoff
	le.PutUint16(file[52:], 64) // e_ehsize
	le.PutUint16(file[54:], 56) // e_phentsize
	le.PutUint16(file[56:], 1)  // e_phnum
	le.PutUint16(file[58:], 64) // e_shentsize
	ph := file[64:]
	le.PutUint32(ph[0:], 1) // PT_LOAD
	le.PutUint32(ph[4:], 7) // RWX
	le.PutUint64(ph[16:], dfBase)
	le.PutUint64(ph[24:], dfBase)
	le.PutUint64(ph[32:], uint64(len(file)))
	le.PutUint64(ph[40:], uint64(len(file)))
	le.PutUint64(ph[48:], dfPageSize)
	return &dfProgram{elf: file, body: hexBody, scr: scr}
}

// dfOutcome is how a run ended: what it wrote, or the signal that killed
// it.
type dfOutcome struct {
	out    []byte
	signal int
	detail string // rvsim's fault, for messages
}

func (o dfOutcome) String() string {
	if o.signal != 0 {
		return fmt.Sprintf("killed by signal %d %s", o.signal, o.detail)
	}
	return fmt.Sprintf("%d bytes of output", len(o.out))
}

const dfMem = 4 << 20

// runRvsim runs the program on rvsim as `rvsim run` does.
func runRvsim(t *testing.T, elf []byte) dfOutcome {
	prog, err := Parse("diff.elf", elf)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	var out, errOut bytes.Buffer
	m, err := New(prog, Config{MemSize: dfMem, MaxInsns: 100000, Stdout: &out, Stderr: &errOut, Stdin: bytes.NewReader(nil)})
	if err != nil {
		t.Fatalf("new machine: %v", err)
	}
	defer m.Close()
	res, err := m.Run()
	var fe *FaultError
	switch {
	case errors.As(err, &fe):
		return dfOutcome{signal: faultSignal(fe.Cause), detail: "(" + fe.Error() + ")"}
	case err != nil:
		t.Fatalf("rvsim: %v", err)
	case res.Status != 0:
		t.Fatalf("rvsim: exit status %d (stderr %q)", res.Status, errOut.String())
	}
	return dfOutcome{out: out.Bytes()}
}

// runStepwise runs the program on a fresh machine's hart one instruction
// per Run, answering its two system calls itself.
func runStepwise(t *testing.T, elf []byte) dfOutcome {
	prog, err := Parse("diff.elf", elf)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	m, err := New(prog, Config{MemSize: dfMem, Stdout: new(bytes.Buffer), Stderr: new(bytes.Buffer), Stdin: bytes.NewReader(nil)})
	if err != nil {
		t.Fatalf("new machine: %v", err)
	}
	defer m.Close()
	h := m.Hart
	var out []byte
	for i := 0; i < 100000; i++ {
		e := h.Run(1)
		switch e.Kind {
		case rv64.ExitBudget:
		case rv64.ExitEcall:
			switch h.X[17] {
			case 64:
				b, ok := h.Mem.Slice(h.X[11], h.X[12])
				if !ok {
					t.Fatalf("stepwise: write of [%#x, +%d) outside memory", h.X[11], h.X[12])
				}
				out = append(out, b...)
				h.X[10] = h.X[12]
			case 93:
				return dfOutcome{out: out}
			default:
				t.Fatalf("stepwise: system call %d at pc %#x", h.X[17], h.PC)
			}
			h.PC += 4
		case rv64.ExitTrap:
			return dfOutcome{signal: faultSignal(e.Cause), detail: fmt.Sprintf("(cause %d at pc %#x)", e.Cause, e.PC)}
		default:
			t.Fatalf("stepwise: exit kind %d at pc %#x", e.Kind, e.PC)
		}
	}
	t.Fatalf("stepwise: no exit after 100000 instructions, pc %#x", h.PC)
	return dfOutcome{}
}

// qemuPath is qemu-riscv64 if it is installed.
var qemuPath, _ = exec.LookPath("qemu-riscv64")

// runQemu runs the program under qemu-riscv64.
func runQemu(t *testing.T, elf []byte) dfOutcome {
	path := filepath.Join(t.TempDir(), "diff.elf")
	if err := os.WriteFile(path, elf, 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, qemuPath, path)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return dfOutcome{signal: int(ws.Signal())}
		}
		t.Fatalf("qemu-riscv64: %v (stderr %q)", err, errOut.String())
	} else if err != nil {
		t.Fatalf("qemu-riscv64: %v", err)
	}
	return dfOutcome{out: out.Bytes()}
}

// dfDiff describes how two outcomes differ: the registers and scratch
// doublewords whose values differ.
func dfDiff(got, want dfOutcome) string {
	if got.signal != want.signal || len(got.out) != len(want.out) {
		return fmt.Sprintf("%v, want %v", got, want)
	}
	var s string
	for i := 0; i+8 <= len(got.out); i += 8 {
		g, w := binary.LittleEndian.Uint64(got.out[i:]), binary.LittleEndian.Uint64(want.out[i:])
		if g == w {
			continue
		}
		var name string
		switch {
		case i < 30*8:
			name = fmt.Sprintf("x%d", 1+i/8)
		case i < 62*8:
			name = fmt.Sprintf("f%d", i/8-30)
		case i == 62*8:
			name = "fcsr"
		default:
			name = fmt.Sprintf("scratch+%d", i-dfStateLen)
		}
		s += fmt.Sprintf("\n\t%s: got %#x, want %#x", name, g, w)
	}
	return s
}

// dfSeeds are the seed inputs: each register start value in turn, and
// bodies of every instruction class.
func dfSeeds() [][]byte {
	var seeds [][]byte
	for k := 0; k < 16; k++ {
		b := make([]byte, 63, 63+1+5*40)
		for i := range 62 {
			b[i] = byte(i*7 + k*13)
		}
		b[62] = byte(k % 5)
		b = append(b, 40)
		for i := 0; i < 40; i++ {
			b = append(b, byte(k+7*i), byte(i*37+k), byte(i*91), byte(i*13+k*5), byte(i*57+k))
		}
		seeds = append(seeds, b)
	}
	return seeds
}

// FuzzDiffQemu is the differential fuzz target. It turns its input into a
// Linux program, a straight line of random integer, A, F, D and compressed
// instructions (loads and stores in a scratch area, through sp and x31),
// between a fixed prologue, which loads x1-x30, f0-f31 and fcsr from
// values the input picks, and a fixed epilogue, which writes them and the
// scratch area to stdout. The program runs on rvsim and, where
// qemu-riscv64 is installed, under qemu-riscv64, the referee: the outputs,
// or the signals that ended the runs, must be the same. It also runs on a
// second hart one instruction per Run call, the monitor's loop bypassed
// (no block or fused pair runs as a whole), which must agree with the
// normal run whether qemu-riscv64 is there or not.
//
// The instructions are made by the test's own encoder from the RISC-V
// instruction formats (not by rvsim), and only of the extensions misa
// reports: a hart that claims an extension must run all of it.
//
// Run it with `go test ./vmm -run '^$' -fuzz FuzzDiffQemu -fuzztime 60s`.
func FuzzDiffQemu(f *testing.F) {
	for _, s := range dfSeeds() {
		f.Add(s)
	}
	// The extensions the hart reports.
	misa := csr.New(csr.DefaultHost()).Get(csr.Misa)
	ext := misaExts(misa)
	f.Fuzz(func(t *testing.T, data []byte) {
		p := buildDiffProgram(&dfReader{b: data}, ext)
		got := runRvsim(t, p.elf)
		if d := dfDiff(got, runStepwise(t, p.elf)); d != "" {
			t.Errorf("rvsim run vs. one instruction per Run: %s\nbody: %v", d, p.body)
		}
		if qemuPath == "" {
			return
		}
		if d := dfDiff(got, runQemu(t, p.elf)); d != "" {
			t.Errorf("rvsim vs. qemu-riscv64: %s\nbody: %v", d, p.body)
		}
	})
}

// TestDiffHarness checks the fuzz target's program against qemu-riscv64:
// with an empty body, what the epilogue writes is the state the prologue
// loaded, with every extension, and with those of rvsim's hart.
func TestDiffHarness(t *testing.T) {
	in := make([]byte, 64)
	for i := range 62 {
		in[i] = byte(i * 5)
	}
	in[62], in[63] = 2, 0 // frm RDN; no body
	hart := misaExts(csr.New(csr.DefaultHost()).Get(csr.Misa))
	for k, ext := range []dfExts{{A: true, C: true, F: true, D: true}, hart} {
		p := buildDiffProgram(&dfReader{b: in}, ext)
		if len(p.body) != 0 {
			t.Fatalf("body %v, want none", p.body)
		}
		want := make([]byte, dfStateLen+dfScrLen)
		for i := range 30 {
			binary.LittleEndian.PutUint64(want[8*i:], dfValues[int(in[i])%len(dfValues)])
		}
		binary.LittleEndian.PutUint64(want[8:], p.scr) // sp
		// Without F the f registers' and fcsr's slots keep their
		// initial values: the same.
		for i := 30; i < 62; i++ {
			binary.LittleEndian.PutUint64(want[8*i:], dfValues[int(in[i])%len(dfValues)])
		}
		binary.LittleEndian.PutUint64(want[dfStateLen-8:], 2<<5)
		for i := 0; i < dfScrLen/8; i++ {
			binary.LittleEndian.PutUint64(want[dfStateLen+8*i:], dfValues[i%len(dfValues)])
		}
		wantOut := dfOutcome{out: want}
		if k == 1 {
			if d := dfDiff(runRvsim(t, p.elf), wantOut); d != "" {
				t.Errorf("rvsim, extensions %+v: %s", ext, d)
			}
		}
		if qemuPath == "" {
			continue
		}
		if d := dfDiff(runQemu(t, p.elf), wantOut); d != "" {
			t.Errorf("qemu-riscv64, extensions %+v: %s", ext, d)
		}
	}
}

// TestDiffBranchEncoders checks the fuzz target's branch encoders against
// the GNU disassembler (riscv64-linux-gnu-objdump): each must jump by the
// offset it was given.
func TestDiffBranchEncoders(t *testing.T) {
	objdump, err := exec.LookPath("riscv64-linux-gnu-objdump")
	if err != nil {
		t.Skip("riscv64-linux-gnu-objdump is not installed")
	}
	type enc struct {
		w      uint32
		size   int
		mn     string
		target int64 // its address plus the offset
	}
	var cases []enc
	var blob bytes.Buffer
	for off := int32(-256); off < 256; off += 2 {
		for _, c := range []enc{
			{encBranch(0, 10, 11, off), 4, "beq", int64(off)},
			{encBranch(7, 10, 11, off), 4, "bgeu", int64(off)},
			{encJAL(1, off*9), 4, "jal", int64(off) * 9},
			{encCB(6, 3, off), 2, "c.beqz", int64(off)},
			{encCB(7, 3, off), 2, "c.bnez", int64(off)},
			{encCJ(off * 7), 2, "c.j", int64(off) * 7},
		} {
			c.target += int64(blob.Len())
			cases = append(cases, c)
			b := binary.LittleEndian.AppendUint32(nil, c.w)
			blob.Write(b[:c.size])
		}
	}
	bin := filepath.Join(t.TempDir(), "branches.bin")
	if err := os.WriteFile(bin, blob.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(objdump, "-D", "-b", "binary", "-m", "riscv:rv64", "-M", "no-aliases", bin).Output()
	if err != nil {
		t.Fatalf("objdump: %v", err)
	}
	// Lines like "   1c:\t00b50063          \tbeq\ta0,a1,0x1c".
	var got []string
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Split(line, "\t")
		if len(f) >= 4 && strings.HasSuffix(strings.TrimSpace(f[0]), ":") {
			got = append(got, strings.TrimSpace(f[2])+" "+strings.TrimSpace(f[3]))
		}
	}
	if len(got) != len(cases) {
		t.Fatalf("objdump listed %d instructions, want %d", len(got), len(cases))
	}
	for i, c := range cases {
		mn, ops, _ := strings.Cut(got[i], " ")
		comma := strings.LastIndex(ops, ",")
		target, err := strconv.ParseUint(strings.TrimPrefix(ops[comma+1:], "0x"), 16, 64)
		if mn != c.mn || err != nil || target != uint64(c.target) {
			t.Errorf("%#x: objdump says %q, want %s to %#x", c.w, got[i], c.mn, c.target)
		}
	}
}
