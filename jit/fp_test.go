//go:build linux && amd64

package jit

import (
	"fmt"
	"strings"
	"testing"

	"github.com/rvsim/rvsim/csr"
	"github.com/rvsim/rvsim/rv64"
)

// fpInsn returns an OP-FP instruction: funct5 f5, fmt (0 S, 1 D), and
// the register fields.
func fpInsn(f5, fmt, rs2, rs1, f3, rd uint32) uint32 { return insR(f5<<2|fmt, rs2, rs1, f3, rd, opFP) }

// fpCase is one F or D instruction for TestFPEdges: rd fa0 or a0, rs1 fa1
// or a1, rs2 fa2, rs3 fa3.
type fpCase struct {
	name  string
	insn  uint32
	fromX bool // rs1 is an x register (a conversion or move from an integer)
}

// fpCases lists the F and D instructions with the rounding modes
// programs use: every one the engine translates, and those it leaves to
// the interpreter.
func fpCases() []fpCase {
	const fa0, fa1, fa2, fa3 = 10, 11, 12, 13
	var l []fpCase
	for fmt, sfx := range []string{".s", ".d"} {
		f := uint32(fmt)
		for _, rm := range []uint32{0, 1, 2, 3, 4, 7} {
			for op, name := range []string{"fadd", "fsub", "fmul", "fdiv"} {
				l = append(l, fpCase{name: fmt2(name, sfx, rm), insn: fpInsn(uint32(op), f, fa2, fa1, rm, fa0)})
			}
			for op, name := range []string{"fmadd", "fmsub", "fnmsub", "fnmadd"} {
				l = append(l, fpCase{name: fmt2(name, sfx, rm), insn: fa3<<27 | insR(f, fa2, fa1, rm, fa0, []uint32{0x43, 0x47, 0x4b, 0x4f}[op])})
			}
		}
		l = append(l,
			fpCase{name: "fsqrt" + sfx, insn: fpInsn(0x0b, f, 0, fa1, 7, fa0)},
			fpCase{name: "fsqrt" + sfx + " rdn", insn: fpInsn(0x0b, f, 0, fa1, 2, fa0)},
			fpCase{name: "fsgnj" + sfx, insn: fpInsn(0x04, f, fa2, fa1, 0, fa0)},
			fpCase{name: "fsgnjn" + sfx, insn: fpInsn(0x04, f, fa2, fa1, 1, fa0)},
			fpCase{name: "fsgnjx" + sfx, insn: fpInsn(0x04, f, fa2, fa1, 2, fa0)},
			fpCase{name: "fmin" + sfx, insn: fpInsn(0x05, f, fa2, fa1, 0, fa0)},
			fpCase{name: "fmax" + sfx, insn: fpInsn(0x05, f, fa2, fa1, 1, fa0)},
			fpCase{name: "fle" + sfx, insn: fpInsn(0x14, f, fa2, fa1, 0, rA0)},
			fpCase{name: "flt" + sfx, insn: fpInsn(0x14, f, fa2, fa1, 1, rA0)},
			fpCase{name: "feq" + sfx, insn: fpInsn(0x14, f, fa2, fa1, 2, rA0)},
			fpCase{name: "fclass" + sfx, insn: fpInsn(0x1c, f, 0, fa1, 1, rA0)},
			fpCase{name: "fmv.x" + sfx, insn: fpInsn(0x1c, f, 0, fa1, 0, rA0)},
			fpCase{name: "fmv" + sfx + ".x", insn: fpInsn(0x1e, f, 0, rA1, 0, fa0), fromX: true},
			fpCase{name: "fcvt" + sfx + "." + map[uint32]string{0: "d", 1: "s"}[f], insn: fpInsn(0x08, f, 1-f, fa1, 7, fa0)},
			fpCase{name: "fcvt" + sfx + "." + map[uint32]string{0: "d", 1: "s"}[f] + " rup", insn: fpInsn(0x08, f, 1-f, fa1, 3, fa0)},
		)
		for i, to := range []string{"w", "wu", "l", "lu"} {
			for _, rm := range []uint32{0, 1, 2, 3, 4, 7} {
				l = append(l, fpCase{name: fmt2("fcvt."+to+sfx, "", rm), insn: fpInsn(0x18, f, uint32(i), fa1, rm, rA0)})
				l = append(l, fpCase{name: fmt2("fcvt"+sfx+"."+to, "", rm), insn: fpInsn(0x1a, f, uint32(i), rA1, rm, fa0), fromX: true})
			}
		}
	}
	return l
}

func fmt2(name, sfx string, rm uint32) string { return fmt.Sprintf("%s%s rm%d", name, sfx, rm) }

// intSpecials are integers at the edges of the conversions to floats.
var intSpecials = []uint64{0, 1, ^uint64(0), 1 << 63, 1<<63 - 1, 1 << 31, 1<<31 - 1, 1<<32 - 1, 1<<53 + 1, 1<<24 + 1,
	0xffffffff_80000000, 0x12345678_9abcdef1, 1<<63 + 1<<11 + 1, 3,
	1 << 53, 1<<53 - 1, -(1 << 53) & (1<<64 - 1), -(1<<53 + 1) & (1<<64 - 1), 1 << 24, 1<<24 - 1,
	-(1 << 24) & (1<<64 - 1), -(1<<24 + 1) & (1<<64 - 1), 1<<25 + 2}

// TestFPEdges runs each F and D instruction on the edge values of its
// operands (fpSpecials: zeros, infinities, NaNs of each kind, subnormals,
// singles boxed and not; intSpecials for the conversions from integers),
// in a block the engine translates, with the exception flags cleared
// before each and frm each of the five modes in turn: result, flags and
// every other part of the state must be
// the interpreter's. The cases with an unboxed operand take the side
// exits; the others must have run as native code: the
// block must be translated exactly for the instructions the engine says
// it translates, 50 of them at least (more with FMA3 and SSE4.1); once
// with what the host has, once as on a host without FMA3 and SSE4.1.
func TestFPEdges(t *testing.T) {
	t.Run("host", func(t *testing.T) { testFPEdges(t, hasFMA(), hasSSE41()) })
	t.Run("sse2", func(t *testing.T) { testFPEdges(t, false, false) })
}

// testFPEdges is TestFPEdges with the fused multiply-adds translated or
// not, and the conversions into integers in the directed rounding modes.
func testFPEdges(t *testing.T, fma, sse41 bool) {
	nativeOps := 0
	for _, c := range fpCases() {
		t.Run(c.name, func(t *testing.T) {
			m := progMachine(c.insn, jSelf)
			m.csrs[csr.Mstatus] = csr.FSDirty
			p := newPair(t, m)
			p.eng.fma, p.eng.sse41 = fma, sse41
			vals := fpSpecials
			if c.fromX {
				vals = intSpecials
			}
			n := 0
			for i, a := range vals {
				for j := 0; j < 8; j++ {
					b := fpSpecials[(i*5+j*7)%len(fpSpecials)]
					switch j {
					case 6: // a with the other sign: min and max of +0 and -0
						b = a ^ 1<<63
					case 7:
						b = a ^ 1<<31
					}
					cc := fpSpecials[(i*3+j*11+1)%len(fpSpecials)]
					p.both(func(h *rv64.Hart) {
						h.PC = codeAt
						h.X[rA1], h.F[11], h.F[12], h.F[13] = a, a, b, cc
						h.CSR.Set(csr.Fflags, 0)
						h.CSR.Set(csr.Frm, uint64(n/2%5))
					})
					p.log = append(p.log, fmt.Sprintf("operands %#x %#x %#x, frm %d", a, b, cc, n/2%5))
					p.step(1 + uint64(n%2))
					n++
				}
			}
			d, _ := p.jh.DecodeAt(codeAt)
			b := p.eng.blocks[codeAt]
			native := b != nil && b.code != 0
			if want := p.eng.fpTranslatable(d); native != want {
				t.Errorf("translated %v, want %v", native, want)
			}
			if native {
				nativeOps++
			}
		})
	}
	t.Logf("%d of %d instructions translated", nativeOps, len(fpCases()))
	if nativeOps < 50 {
		t.Errorf("%d of the instructions were translated", nativeOps)
	}
}

// TestFPGuard: an F or D instruction in translated code runs only while
// mstatus.FS is Dirty, and one with a dynamic rounding mode only while
// frm is one of x86's modes (to nearest even, towards zero, down, up);
// otherwise the interpreter runs it (FS Off: illegal; Initial or Clean:
// it becomes Dirty; frm to nearest with ties away: the result rounds as
// it says; frm reserved: illegal), as when the state changes between
// runs of the same translated block.
func TestFPGuard(t *testing.T) {
	// fadd.d fa0, fa1, fa2 (dynamic), fsgnj.d fa3, fa1, fa1 (fmv.d), j .
	code := []uint32{fpInsn(0, 1, 12, 11, 7, 10), fpInsn(0x04, 1, 11, 11, 0, 13), jSelf}
	// frflags a0, fsflags a1, fadd.d fa0, fa1, fa2, j .: the CSR
	// instructions on fflags first.
	flags := []uint32{uint32(csr.Fflags)<<20 | 2<<12 | rA0<<7 | opSystem, uint32(csr.Fflags)<<20 | rA1<<15 | 1<<12 | opSystem, code[0], jSelf}
	for _, fs := range []uint64{csr.FSOff, csr.FSInitial, csr.FSClean, csr.FSDirty} {
		for _, frm := range []uint64{0, 1, 2, 3, 4, 5, 7, 8} {
			name, code := fmt.Sprintf("FS %#x frm %d", fs, frm), code
			if frm == 8 {
				name, code = fmt.Sprintf("FS %#x fflags", fs), flags
			}
			t.Run(name, func(t *testing.T) {
				m := progMachine(code...)
				p := newPair(t, m)
				for run := 0; run < 6; run++ {
					// Dirty and to nearest for the first runs, which
					// translate the block; the state under test after.
					s, r := uint64(csr.FSDirty), uint64(0)
					if run >= 3 {
						s, r = fs, frm
					}
					p.both(func(h *rv64.Hart) {
						h.PC = codeAt
						h.F[11], h.F[12] = 0x3ff0000000000001, 0x3ca0000000000000 // 1+ulp + ulp/2: rounds up or down
						h.X[rA1] = 0x15
						h.CSR.Set(csr.Mstatus, s)
						h.CSR.Set(csr.Frm, r&7)
						h.CSR.Set(csr.Fflags, 0)
						h.CSR.Set(csr.Mcause, 0)
					})
					interpreted := p.stepInterpreted(uint64(len(code))) != 0
					if want := fs != csr.FSDirty || frm == 4 || frm == 5 || frm == 7; run >= 3 && interpreted != want {
						t.Errorf("run %d: interpreted %v, want %v", run, interpreted, want)
					}
				}
				if b := p.eng.blocks[codeAt]; b == nil || b.code == 0 {
					t.Error("the block was not translated")
				}
			})
		}
	}
}

// TestFflagsOps runs each CSR instruction on fflags (csrrw, csrrs, csrrc
// and their immediate forms) in a translated block between F and D
// instructions that raise flags (an fdiv.d, then an fadd.d), with the
// flags set before and values of every kind written: what each reads,
// what it leaves in fflags and what the next instruction adds must be the
// interpreter's; the block must have run as native code.
func TestFflagsOps(t *testing.T) {
	ops := []string{"", "csrrw", "csrrs", "csrrc", "", "csrrwi", "csrrsi", "csrrci"}
	// fa1 / fa2: exact, inexact, divide by zero, overflow, underflow.
	divs := [][2]uint64{{0x3ff0000000000000, 0x3ff0000000000000}, {0x3ff0000000000000, 0x4008000000000000},
		{0x3ff0000000000000, 0}, {0x7fefffffffffffff, 0x3fb999999999999a}, {0x0010000000000000, 0x4024000000000000}}
	for _, f3 := range []uint32{1, 2, 3, 5, 6, 7} {
		for _, rd := range []uint32{rA0, 0, rA1} {
			t.Run(fmt.Sprintf("%s rd x%d", ops[f3], rd), func(t *testing.T) {
				k := 0
				for _, src := range []uint32{0, 0x1f, 0x15, 0x0a, 1} {
					code := []uint32{
						fpInsn(0x03, 1, 12, 11, 7, 10),                           // fdiv.d fa0, fa1, fa2
						uint32(csr.Fflags)<<20 | src<<15 | f3<<12 | rd<<7 | 0x73, // the CSR instruction
						fpInsn(0x00, 1, 11, 11, 7, 13),                           // fadd.d fa3, fa1, fa1
						uint32(csr.Fflags)<<20 | 2<<12 | rA5<<7 | 0x73,           // frflags a5
						jSelf,
					}
					m := progMachine(code...)
					m.csrs[csr.Mstatus] = csr.FSDirty
					p := newPair(t, m)
					p.eng.hotAfter = 0
					for _, dv := range divs {
						for _, before := range []uint64{0, 0x1f, 0x01, 0x10} {
							p.both(func(h *rv64.Hart) {
								h.PC = codeAt
								if src != 0 { // the source, when a register
									h.X[src] = []uint64{0, 0x1f, 0x15, 0x0a, 0xffffffffffffffe1}[k%5]
								}
								h.F[11], h.F[12] = dv[0], dv[1]
								h.CSR.Set(csr.Fflags, before)
							})
							p.log = append(p.log, fmt.Sprintf("src x%d %#x, %#x / %#x, fflags %#x", src, p.ref.X[src], dv[0], dv[1], before))
							p.step(5)
							k++
						}
					}
					if b := p.eng.blocks[codeAt]; b == nil || b.code == 0 {
						t.Errorf("src %d: the block was not translated", src)
					}
				}
			})
		}
	}
}

// TestFPNaNResults runs the arithmetic, the square roots, minimum and
// maximum, the fused multiply-adds and the conversions between the
// precisions on every combination of zeros, infinities, ones and NaNs
// (quiet with and without a payload, signalling), singles and doubles:
// results (the canonical NaN for every NaN, the other operand for FMIN
// and FMAX) and flags (invalid for a signalling operand, an invalid
// operation, and infinity times zero plus a quiet NaN) must be the
// interpreter's, and all but the fused multiply-adds with a NaN addend
// and a NaN result (a side exit) must run in native code.
func TestFPNaNResults(t *testing.T) {
	const fa0, fa1, fa2, fa3 = 10, 11, 12, 13
	d := []uint64{0, 1 << 63, 0x7ff0000000000000, 0xfff0000000000000, 0x3ff0000000000000,
		0x7ff8000000000000, 0xfff8000000000001, 0x7ff4000000000000}
	s := []uint64{0xffffffff00000000, 0xffffffff80000000, 0xffffffff7f800000, 0xffffffffff800000, 0xffffffff3f800000,
		0xffffffff7fc00000, 0xffffffffffc00001, 0xffffffff7fa00000}
	for prec, vals := range [][]uint64{s, d} {
		f := uint32(prec)
		var code []uint32
		for op := uint32(0); op < 4; op++ { // fadd, fsub, fmul, fdiv
			code = append(code, fpInsn(op, f, fa2, fa1, 0, fa0))
		}
		code = append(code, fpInsn(0x0b, f, 0, fa1, 7, fa0))   // fsqrt
		code = append(code, fpInsn(0x05, f, fa2, fa1, 0, fa0)) // fmin
		code = append(code, fpInsn(0x05, f, fa2, fa1, 1, fa0)) // fmax
		code = append(code, fpInsn(0x08, 1-f, f, fa1, 7, fa0)) // fcvt to the other precision, of fa1 in this one
		nonFMA := len(code)
		if hasFMA() {
			for _, opc := range []uint32{0x43, 0x47, 0x4b, 0x4f} {
				code = append(code, fa3<<27|insR(f, fa2, fa1, 7, fa0, opc))
			}
		}
		code = append(code, jSelf)
		for i, c := range code[:len(code)-1] {
			t.Run(fmt.Sprintf("%s insn %d", map[uint32]string{0: "single", 1: "double"}[f], i), func(t *testing.T) {
				m := progMachine(c, jSelf)
				m.csrs[csr.Mstatus] = csr.FSDirty
				p := newPair(t, m)
				p.eng.fma, p.eng.hotAfter = hasFMA(), 0
				for _, a := range vals {
					for _, b := range vals {
						for _, x := range vals {
							p.both(func(h *rv64.Hart) {
								h.PC = codeAt
								h.F[11], h.F[12], h.F[13] = a, b, x
								h.CSR.Set(csr.Fflags, 0)
							})
							interpreted := p.stepInterpreted(2)
							nanAddend := (x<<1 > 0xffe0000000000000 && f == 1) || (uint32(x)<<1 > 0xff000000 && f == 0)
							if (i < nonFMA || !nanAddend) && interpreted != 0 {
								t.Fatalf("%#x, %#x, %#x: the interpreter ran an instruction", a, b, x)
							}
						}
					}
				}
			})
		}
	}
}

// TestFPRoundingModes runs each F and D instruction that rounds in every
// rounding mode x86 has, static (to nearest even, towards zero, down, up)
// and dynamic with frm set to each of them, on operands whose results
// differ between the modes: results and flags must be the interpreter's,
// and every instruction must have run in native code (none interpreted).
// With frm to nearest with ties away (4), which x86 has not, the block's
// dynamic instruction is the interpreter's.
func TestFPRoundingModes(t *testing.T) {
	const fa1, fa2, fa3 = 11, 12, 13
	one, ulp := uint64(0x3ff0000000000001), uint64(0x3ca0000000000000) // 1+ulp, and half an ulp of 1
	neg := func(v uint64) uint64 { return v ^ 1<<63 }
	box := func(v uint64) uint64 { return 0xffffffff00000000 | v }
	// Doubles: 1+ulp and ulp/2 (the sum is half way), 1/3 and 3 (the
	// quotient and the square root round), 2.5 and -2.5 (to an integer),
	// 2^53-ish products; the same negated.
	dbl := [][3]uint64{{one, ulp, ulp}, {neg(one), neg(ulp), ulp}, {0x3fd5555555555555, 0x4008000000000000, one},
		{0x4004000000000000, 0xc004000000000000, 0x3ff8000000000000}, {0x4000000000000000, 0x3ff0000000000003, neg(one)},
		{0x41dfffffffe00000, 0x3fe8000000000000, 0x7fefffffffffffff}, {0xbfe8000000000000, 0x7fefffffffffffff, 0x0010000000000001}}
	// Singles (boxed): 1+ulp and ulp/2, 1/3 and 3, 2.5 and -2.5.
	sgl := [][3]uint64{{box(0x3f800001), box(0x33800000), box(0x33800000)}, {box(0xbf800001), box(0xb3800000), box(0x3f800001)},
		{box(0x3eaaaaab), box(0x40400000), box(0x3f800003)}, {box(0x40200000), box(0xc0200000), box(0x3fc00000)}}
	// Into integers, values in range that round apart (2.5, 1+ulp, 0.5,
	// 1/3, 7.75; -2.5, -(1+ulp), -0.75 for the signed ones), and from
	// them, values a double or a single cannot hold (of 64 bits but below
	// 2^63 for the unsigned ones): no side exit.
	toU := [][3]uint64{{0x4004000000000000}, {one}, {0x3fe0000000000000}, {0x3fd5555555555555}, {0x401f000000000000}}
	toS := append(toU, [3]uint64{0xc004000000000000}, [3]uint64{neg(one)}, [3]uint64{0xbfe8000000000000})
	toUs := [][3]uint64{{box(0x40200000)}, {box(0x3f800001)}, {box(0x3f000000)}, {box(0x3eaaaaab)}, {box(0x40f80000)}}
	toSs := append(toUs, [3]uint64{box(0xc0200000)}, [3]uint64{box(0xbf800001)}, [3]uint64{box(0xbf400000)})
	intsU := []uint64{1<<53 + 1, 1<<24 + 1, 1<<62 + 3, 0x7fffffff, 0xffffffff_80000001 >> 1, 5}
	ints := append(intsU, -(1<<53+1)&(1<<64-1), 0xffffffff_80000001)
	type op struct {
		name   string
		insn   func(rm, rd uint32) uint32
		single bool
		vals   [][3]uint64 // operands in fa1, fa2, fa3 (dbl or sgl if nil)
		ints   []uint64    // operands in a1 (ints if nil)
	}
	ops := []op{}
	for f, sfx := range []string{".s", ".d"} {
		fmt := uint32(f)
		for i, n := range []string{"fadd", "fsub", "fmul", "fdiv"} {
			ops = append(ops, op{name: n + sfx, single: f == 0, insn: func(rm, rd uint32) uint32 { return fpInsn(uint32(i), fmt, fa2, fa1, rm, rd) }})
		}
		ops = append(ops, op{name: "fsqrt" + sfx, single: f == 0, insn: func(rm, rd uint32) uint32 { return fpInsn(0x0b, fmt, 0, fa1, rm, rd) }})
		for i, n := range []string{"fmadd", "fmsub", "fnmsub", "fnmadd"} {
			ops = append(ops, op{name: n + sfx, single: f == 0, insn: func(rm, rd uint32) uint32 {
				return fa3<<27 | insR(fmt, fa2, fa1, rm, rd, []uint32{0x43, 0x47, 0x4b, 0x4f}[i])
			}})
		}
		for i, to := range []string{"w", "wu", "l", "lu"} {
			from, is := [][][3]uint64{toSs, toS}[f], ints
			if i%2 == 1 {
				from = [][][3]uint64{toUs, toU}[f]
			}
			if i == 3 {
				is = intsU
			}
			ops = append(ops, op{name: "fcvt." + to + sfx, single: f == 0, vals: from, insn: func(rm, rd uint32) uint32 { return fpInsn(0x18, fmt, uint32(i), fa1, rm, rd) }},
				op{name: "fcvt" + sfx + "." + to, single: f == 0, ints: is, insn: func(rm, rd uint32) uint32 { return fpInsn(0x1a, fmt, uint32(i), rA1, rm, rd) }})
		}
	}
	ops = append(ops, op{name: "fcvt.s.d", insn: func(rm, rd uint32) uint32 { return fpInsn(0x08, 0, 1, fa1, rm, rd) }})
	for _, o := range ops {
		t.Run(o.name, func(t *testing.T) {
			// The instruction in each mode, into f14-f18 (x10-x14 for a
			// conversion to an integer), each followed by fsflags x20-x24,
			// zero: the flags each raised.
			var code []uint32
			for i, rm := range []uint32{0, 1, 2, 3, 7} {
				rd := uint32(14 + i)
				if strings.HasPrefix(o.name, "fcvt.") && !strings.HasPrefix(o.name, "fcvt.s.") && !strings.HasPrefix(o.name, "fcvt.d.") {
					rd = uint32(rA0 + i)
				}
				code = append(code, o.insn(rm, rd), uint32(csr.Fflags)<<20|1<<12|uint32(20+i)<<7|opSystem)
			}
			code = append(code, jSelf)
			m := progMachine(code...)
			m.csrs[csr.Mstatus] = csr.FSDirty
			p := newPair(t, m)
			p.eng.hotAfter = 0
			d, _ := p.jh.DecodeAt(codeAt)
			native := p.eng.fpTranslatable(d)
			vals, is := dbl, ints
			if o.single {
				vals = sgl
			}
			if o.vals != nil {
				vals = o.vals
			}
			if o.ints != nil {
				is = o.ints
			}
			for run := 0; run < 3; run++ {
				for i := range max(len(vals), len(is)) {
					v := vals[i%len(vals)]
					for _, frm := range []uint64{0, 1, 2, 3, 4} {
						p.both(func(h *rv64.Hart) {
							h.PC = codeAt
							h.F[fa1], h.F[fa2], h.F[fa3] = v[0], v[1], v[2]
							h.X[rA1] = is[i%len(is)]
							h.CSR.Set(csr.Frm, frm)
							h.CSR.Set(csr.Fflags, 0)
						})
						p.log = append(p.log, fmt.Sprintf("operands %#x %#x, frm %d", v, p.ref.X[rA1], frm))
						got := p.stepInterpreted(uint64(len(code)))
						switch {
						case run == 0 || !native:
						case frm <= 3 && got != 0:
							t.Errorf("frm %d, operands %#x %#x: %d instructions interpreted, want none", frm, v, p.ref.X[rA1], got)
						case frm == 4 && got == 0:
							t.Errorf("frm 4: nothing interpreted, want the instruction that rounds as frm says")
						}
					}
				}
			}
			if b := p.eng.blocks[codeAt]; (b != nil && b.code != 0) != native {
				t.Errorf("translated %v, want %v", !native, native)
			}
		})
	}
}

// TestFPToUnsignedNearZero: a conversion to an unsigned integer towards
// zero or up of a value above -1 (a C cast of a small negative value)
// gives 0, inexact unless the value is a zero, in native code; from -1
// or below, or a NaN, the interpreter saturates it to 0 and raises
// invalid. Results and flags must be the interpreter's.
func TestFPToUnsignedNearZero(t *testing.T) {
	const fa1 = 11
	box := func(v uint64) uint64 { return 0xffffffff00000000 | v }
	for f, sfx := range []string{".s", ".d"} {
		ft := uint32(f)
		// -0.5, -0.999.., -0, the least subnormal negated, -1, -1.5, a NaN.
		vals := []uint64{0xbfe0000000000000, 0xbfefffffffffffff, 1 << 63, 0x8000000000000001, 0xbff0000000000000, 0xbff8000000000000, 0x7ff8000000000000}
		if f == 0 {
			vals = []uint64{box(0xbf000000), box(0xbf7fffff), box(0x80000000), box(0x80000001), box(0xbf800000), box(0xbfc00000), box(0x7fc00000)}
		}
		for i, to := range []string{"wu", "lu"} {
			for _, rm := range []uint32{1, 3} {
				name := fmt2("fcvt."+to+sfx, "", rm)
				t.Run(name, func(t *testing.T) {
					code := []uint32{fpInsn(0x18, ft, uint32(2*i+1), fa1, rm, rA0), uint32(csr.Fflags)<<20 | 1<<12 | rA2<<7 | opSystem, jSelf}
					m := progMachine(code...)
					m.csrs[csr.Mstatus] = csr.FSDirty
					p := newPair(t, m)
					p.eng.hotAfter = 0
					for run := 0; run < 2; run++ {
						for k, v := range vals {
							p.both(func(h *rv64.Hart) {
								h.PC = codeAt
								h.F[fa1] = v
								h.X[rA0] = 0x5555
							})
							p.log = append(p.log, fmt.Sprintf("operand %#x", v))
							interpreted := p.stepInterpreted(uint64(len(code))) != 0
							if want := k >= 4; run > 0 && interpreted != want {
								t.Errorf("operand %#x: interpreted %v, want %v", v, interpreted, want)
							}
						}
					}
				})
			}
		}
	}
}

// TestFPToSignedSaturates: a conversion to a signed integer of a NaN, an
// infinity or a value out of range saturates in native code as RISC-V
// says (the greatest integer for a NaN or a positive value, the lowest
// for a negative one, invalid raised), and one that rounds to the lowest
// integer itself gives it, inexact if it was not one: results and flags
// must be the interpreter's, in every static rounding mode and with frm
// each of x86's, with and without SSE4.1, and nothing interpreted.
func TestFPToSignedSaturates(t *testing.T) {
	const fa1 = 11
	box := func(v uint64) uint64 { return 0xffffffff00000000 | v }
	// NaNs (quiet, negative, signalling), infinities, huge values, -2^31
	// and its neighbours (-2^31-0.5, -2^31+0.5, 2^31-0.5), -2^63, the
	// double below it, 2^63.
	dbl := []uint64{0x7ff8000000000000, 0xfff8000000000000, 0x7ff4000000000000, 0x7ff0000000000000, 0xfff0000000000000,
		0x7e37e43c8800759c, 0xfe37e43c8800759c, 0xc1e0000000000000, 0xc1e0000000100000, 0xc1dfffffffe00000, 0x41dfffffffe00000,
		0xc3e0000000000000, 0xc3e0000000000001, 0x43e0000000000000}
	// The same for singles, and -2^31 with its neighbours -2^31-256 and
	// -2^31+128.
	sgl := []uint64{box(0x7fc00000), box(0xffc00000), box(0x7fa00000), box(0x7f800000), box(0xff800000),
		box(0x7f7fffff), box(0xff7fffff), box(0xcf000000), box(0xcf000001), box(0xceffffff), box(0x4effffff),
		box(0xdf000000), box(0xdf000001), box(0x5f000000)}
	for _, sse41 := range []bool{true, false} {
		for f, sfx := range []string{".s", ".d"} {
			ft := uint32(f)
			vals := [][]uint64{sgl, dbl}[f]
			for i, to := range []string{"w", "l"} {
				t.Run(fmt.Sprintf("fcvt.%s%s sse4.1 %v", to, sfx, sse41), func(t *testing.T) {
					// In each mode into a0-a5, each followed by fsflags into
					// x20-x25, zero: the flags each raised.
					rms := []uint32{0, 1, 2, 3, 7}
					if sse41 && hasSSE41() {
						rms = append(rms, 4) // to nearest with ties away: with SSE4.1's rounds only
					}
					var code []uint32
					for j, rm := range rms {
						code = append(code, fpInsn(0x18, ft, uint32(2*i), fa1, rm, uint32(rA0+j)), uint32(csr.Fflags)<<20|1<<12|uint32(20+j)<<7|opSystem)
					}
					code = append(code, jSelf)
					m := progMachine(code...)
					m.csrs[csr.Mstatus] = csr.FSDirty
					p := newPair(t, m)
					p.eng.hotAfter = 0
					p.eng.sse41 = sse41 && hasSSE41()
					for run := 0; run < 2; run++ {
						for _, v := range vals {
							for _, frm := range []uint64{0, 1, 2, 3} {
								p.both(func(h *rv64.Hart) {
									h.PC = codeAt
									h.F[fa1] = v
									h.CSR.Set(csr.Frm, frm)
									h.CSR.Set(csr.Fflags, 0)
								})
								p.log = append(p.log, fmt.Sprintf("operand %#x, frm %d", v, frm))
								if got := p.stepInterpreted(uint64(len(code))); run > 0 && got != 0 {
									t.Errorf("operand %#x, frm %d: %d instructions interpreted, want none", v, frm, got)
								}
							}
						}
					}
				})
			}
		}
	}
}
