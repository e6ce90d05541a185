package rv64

import (
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/rvsim/rvsim/csr"
)

// Encoders of the F and D instructions the tests run, from the fields of
// the unprivileged specification's opcode map (chapter 34, RV32F/RV32D/
// RV64F/RV64D); TestFPTestEncodings checks them against the GNU assembler.
func fpR(f7, rs2, rs1, rm, rd uint32) uint32 { return encR(f7, rs2, rs1, rm, rd, OpFP) }
func faddS(rd, a, b, rm uint32) uint32       { return fpR(0x00, b, a, rm, rd) }
func faddD(rd, a, b, rm uint32) uint32       { return fpR(0x01, b, a, rm, rd) }
func fdivD(rd, a, b, rm uint32) uint32       { return fpR(0x0d, b, a, rm, rd) }
func fsgnjS(rd, a, b uint32) uint32          { return fpR(0x10, b, a, 0, rd) }
func fsgnjnS(rd, a, b uint32) uint32         { return fpR(0x10, b, a, 1, rd) }
func fsgnjD(rd, a, b uint32) uint32          { return fpR(0x11, b, a, 0, rd) }
func feqS(rd, a, b uint32) uint32            { return fpR(0x50, b, a, 2, rd) }
func fclassS(rd, a uint32) uint32            { return fpR(0x70, 0, a, 1, rd) }
func fmvXW(rd, a uint32) uint32              { return fpR(0x70, 0, a, 0, rd) }
func fmvXD(rd, a uint32) uint32              { return fpR(0x71, 0, a, 0, rd) }
func fmvWX(rd, a uint32) uint32              { return fpR(0x78, 0, a, 0, rd) }
func fmvDX(rd, a uint32) uint32              { return fpR(0x79, 0, a, 0, rd) }
func fcvtDS(rd, a, rm uint32) uint32         { return fpR(0x21, 0, a, rm, rd) }
func fcvtWUD(rd, a, rm uint32) uint32        { return fpR(0x61, 1, a, rm, rd) }
func fmaddD(rd, a, b, c, rm uint32) uint32 {
	return c<<27 | 1<<25 | b<<20 | a<<15 | rm<<12 | rd<<7 | OpMadd
}
func flw(rd, rs1 uint32, imm int64) uint32  { return encI(imm, rs1, 2, rd, OpLoadFP) }
func fld(rd, rs1 uint32, imm int64) uint32  { return encI(imm, rs1, 3, rd, OpLoadFP) }
func fsw(rs2, rs1 uint32, imm int64) uint32 { return encS(imm, rs2, rs1, 2, OpStoreFP) }
func fsd(rs2, rs1 uint32, imm int64) uint32 { return encS(imm, rs2, rs1, 3, OpStoreFP) }

const (
	a0, a1, a2, t0 = 10, 11, 12, 5
	rmRNE, rmRTZ   = 0, 1
	boxedOne       = 0xffffffff_3f800000 // 1.0f NaN-boxed
	qNaN32         = 0x7fc00000
	qNaN64         = 0x7ff8000000000000
)

// gnuAs assembles lines (RV64G, no compressed instructions) with the GNU
// assembler and returns the object file, or skips the test without it.
func gnuAs(t *testing.T, lines []string) string {
	t.Helper()
	if _, err := exec.LookPath("riscv64-linux-gnu-as"); err != nil {
		t.Skip("riscv64-linux-gnu-as not installed")
	}
	dir := t.TempDir()
	src, obj := filepath.Join(dir, "t.s"), filepath.Join(dir, "t.o")
	if err := os.WriteFile(src, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if b, err := exec.Command("riscv64-linux-gnu-as", "-march=rv64g", "-o", obj, src).CombinedOutput(); err != nil {
		t.Fatalf("as: %v\n%s", err, b)
	}
	return obj
}

// objdump returns the instruction words of obj and the GNU disassembler's
// text for each, operands separated by ", ".
func objdump(t *testing.T, obj string) (words []uint32, texts []string) {
	t.Helper()
	out, err := exec.Command("riscv64-linux-gnu-objdump", "-d", obj).Output()
	if err != nil {
		t.Skipf("riscv64-linux-gnu-objdump: %v", err)
	}
	for _, l := range strings.Split(string(out), "\n") {
		f := strings.SplitN(l, "\t", 4)
		if len(f) < 3 || !strings.HasSuffix(f[0], ":") {
			continue
		}
		w, err := strconv.ParseUint(strings.TrimSpace(f[1]), 16, 32)
		if err != nil {
			continue
		}
		text := strings.TrimSpace(f[2])
		if len(f) == 4 {
			ops, _, _ := strings.Cut(f[3], "#") // a comment with the address
			text += " " + strings.ReplaceAll(strings.TrimSpace(ops), ",", ", ")
		}
		words, texts = append(words, uint32(w)), append(texts, text)
	}
	return words, texts
}

// fpAsmLines has every F and D mnemonic, with static and dynamic rounding
// modes, the sign-injection aliases, and every ABI name of the f registers.
var fpAsmLines = []string{
	"flw ft0, 8(sp)", "fld fs0, -16(a0)", "fsw fa0, 2047(t6)", "fsd fs11, -2048(zero)",
	"fadd.s ft1, ft2, ft3", "fadd.s ft4, ft5, ft6, rne", "fsub.s ft7, fs1, fa1, rtz", "fmul.s fa2, fa3, fa4, rdn",
	"fdiv.s fa5, fa6, fa7, rup", "fsqrt.s fs2, fs3, rmm", "fsqrt.s fs4, fs5",
	"fadd.d fs6, fs7, fs8", "fsub.d fs9, fs10, ft8, rmm", "fmul.d ft9, ft10, ft11, rne", "fdiv.d fa0, fa1, fa2, rtz",
	"fsqrt.d fa0, fa1", "fsqrt.d fa0, fa1, rup",
	"fmadd.s fa0, fa1, fa2, fa3", "fmsub.s fa0, fa1, fa2, fa3, rtz", "fnmsub.s fa0, fa1, fa2, fa3, rdn",
	"fnmadd.s fa0, fa1, fa2, fa3, rup", "fmadd.d ft0, ft1, ft2, ft3, rmm", "fmsub.d ft0, ft1, ft2, ft3",
	"fnmsub.d ft8, ft9, ft10, ft11", "fnmadd.d fs0, fs1, fs2, fs3, rne",
	"fsgnj.s fa0, fa1, fa2", "fsgnjn.s fa0, fa1, fa2", "fsgnjx.s fa0, fa1, fa2",
	"fsgnj.d fa0, fa1, fa2", "fsgnjn.d fa0, fa1, fa2", "fsgnjx.d fa0, fa1, fa2",
	"fmv.s fa0, fa1", "fneg.s fa0, fa1", "fabs.s fa0, fa1", "fmv.d fa0, fa1", "fneg.d fa0, fa1", "fabs.d fa0, fa1",
	"fmin.s fa0, fa1, fa2", "fmax.s fa0, fa1, fa2", "fmin.d fa0, fa1, fa2", "fmax.d fa0, fa1, fa2",
	"feq.s a0, fa0, fa1", "flt.s a0, fa0, fa1", "fle.s a0, fa0, fa1",
	"feq.d a0, fa0, fa1", "flt.d a0, fa0, fa1", "fle.d a0, fa0, fa1",
	"fclass.s a0, fa0", "fclass.d t6, ft11",
	"fcvt.w.s a0, fa0", "fcvt.wu.s a0, fa0, rtz", "fcvt.l.s a0, fa0, rne", "fcvt.lu.s a0, fa0, rmm",
	"fcvt.w.d a0, fa0, rtz", "fcvt.wu.d a0, fa0", "fcvt.l.d a0, fa0, rdn", "fcvt.lu.d a0, fa0, rup",
	"fcvt.s.w fa0, a0", "fcvt.s.wu fa0, a0, rtz", "fcvt.s.l fa0, a0, rne", "fcvt.s.lu fa0, a0, rmm",
	"fcvt.d.w fa0, a0", "fcvt.d.wu fa0, a0", "fcvt.d.l fa0, a0, rtz", "fcvt.d.lu fa0, a0",
	"fcvt.s.d fa0, fa1", "fcvt.s.d fa0, fa1, rtz", "fcvt.d.s fa0, fa1",
	"fmv.x.w a0, fa0", "fmv.w.x fa0, a0", "fmv.x.d a0, fa0", "fmv.d.x fa0, a0",
}

// TestFPDecodeAndDisasm assembles every F and D mnemonic with the GNU
// assembler: each word decodes to the FP op of its mnemonic, and Disasm
// writes what the GNU disassembler writes.
func TestFPDecodeAndDisasm(t *testing.T) {
	words, texts := objdump(t, gnuAs(t, fpAsmLines))
	if len(words) != len(fpAsmLines) {
		t.Fatalf("objdump shows %d instructions for %d lines", len(words), len(fpAsmLines))
	}
	aliases := map[string]string{"fmv.s": "fsgnj.s", "fneg.s": "fsgnjn.s", "fabs.s": "fsgnjx.s",
		"fmv.d": "fsgnj.d", "fneg.d": "fsgnjn.d", "fabs.d": "fsgnjx.d"}
	seen := map[string]bool{}
	for i, w := range words {
		if got := Disasm(w, 0x1000); got != texts[i] {
			t.Errorf("%08x (%s): Disasm %q, objdump %q", w, fpAsmLines[i], got, texts[i])
		}
		mn, _, _ := strings.Cut(texts[i], " ")
		if a, ok := aliases[mn]; ok {
			mn = a
		}
		s := decode(Insn(w))
		var name string
		switch s.op {
		case opFLW, opFLD, opFSW, opFSD:
			name = [...]string{"flw", "fld", "fsw", "fsd"}[s.op-opFLW]
		case opFP:
			name = fpNames[s.imm].name
		default:
			t.Errorf("%08x (%s) decodes to op %d", w, fpAsmLines[i], s.op)
			continue
		}
		if name != mn {
			t.Errorf("%08x (%s) decodes to %s", w, fpAsmLines[i], name)
		}
		seen[name] = true
	}
	for o := range fpNames {
		if !seen[fpNames[o].name] {
			t.Errorf("no test line for %s", fpNames[o].name)
		}
	}
}

// TestFPTestEncodings checks the tests' FP encoders against the GNU
// assembler.
func TestFPTestEncodings(t *testing.T) {
	cases := []struct {
		text string
		word uint32
	}{
		{"fadd.s fa0, fa1, fa2, rtz", faddS(a0, a1, a2, rmRTZ)},
		{"fadd.d fa0, fa1, fa2", faddD(a0, a1, a2, rmDyn)},
		{"fdiv.d fa0, fa1, fa2, rne", fdivD(a0, a1, a2, rmRNE)},
		{"fsgnj.s fa0, fa1, fa2", fsgnjS(a0, a1, a2)},
		{"fsgnjn.s fa0, fa1, fa2", fsgnjnS(a0, a1, a2)},
		{"fsgnj.d fa0, fa1, fa2", fsgnjD(a0, a1, a2)},
		{"feq.s a0, fa1, fa2", feqS(a0, a1, a2)},
		{"fclass.s a0, fa1", fclassS(a0, a1)},
		{"fmv.x.w a0, fa1", fmvXW(a0, a1)},
		{"fmv.x.d a0, fa1", fmvXD(a0, a1)},
		{"fmv.w.x fa0, a1", fmvWX(a0, a1)},
		{"fmv.d.x fa0, a1", fmvDX(a0, a1)},
		{"fcvt.d.s fa0, fa1", fcvtDS(a0, a1, 0)},
		{"fcvt.wu.d a0, fa1, rtz", fcvtWUD(a0, a1, rmRTZ)},
		{"fmadd.d fa0, fa1, fa2, fa3", fmaddD(a0, a1, a2, 13, rmDyn)},
		{"flw fa0, -4(t0)", flw(a0, t0, -4)},
		{"fld fa0, 16(t0)", fld(a0, t0, 16)},
		{"fsw fa0, -4(t0)", fsw(a0, t0, -4)},
		{"fsd fa0, 2040(t0)", fsd(a0, t0, 2040)},
	}
	var lines []string
	for _, c := range cases {
		lines = append(lines, c.text)
	}
	words, _ := objdump(t, gnuAs(t, lines))
	if len(words) != len(cases) {
		t.Fatalf("%d words for %d lines", len(words), len(cases))
	}
	for i, c := range cases {
		if words[i] != c.word {
			t.Errorf("%s: GNU as %08x, test encoder %08x", c.text, words[i], c.word)
		}
	}
}

// TestFPDecodeReserved: encodings the specification reserves are illegal
// instructions, and Disasm says so.
func TestFPDecodeReserved(t *testing.T) {
	for _, c := range []struct {
		name string
		word uint32
	}{
		{"fadd.h (fmt 2, Zfh)", fpR(0x02, a2, a1, 0, a0)},
		{"fadd.q (fmt 3, Q)", fpR(0x03, a2, a1, 0, a0)},
		{"fadd.d rm 5", faddD(a0, a1, a2, 5)},
		{"fadd.s rm 6", faddS(a0, a1, a2, 6)},
		{"fmadd.d rm 5", fmaddD(a0, a1, a2, 13, 5)},
		{"fcvt.d.s rm 6", fcvtDS(a0, a1, 6)},
		{"fmadd.h (fmt 2)", 13<<27 | 2<<25 | a2<<20 | a1<<15 | a0<<7 | OpMadd},
		{"fnmadd.q (fmt 3)", 13<<27 | 3<<25 | a2<<20 | a1<<15 | a0<<7 | OpNmadd},
		{"fsqrt.d with rs2 1", fpR(0x2d, 1, a1, 0, a0)},
		{"fsqrt.s with rs2 31", fpR(0x2c, 31, a1, 0, a0)},
		{"fcvt.w.d with rs2 4", fpR(0x61, 4, a1, 0, a0)},
		{"fcvt.d.w with rs2 5", fpR(0x69, 5, a1, 0, a0)},
		{"fcvt.s.s (funct5 8, rs2 0)", fpR(0x20, 0, a1, 0, a0)},
		{"fcvt.d.d (funct5 8, rs2 1)", fpR(0x21, 1, a1, 0, a0)},
		{"fcvt.s.q (rs2 3)", fpR(0x20, 3, a1, 0, a0)},
		{"fmv.x.w with rs2 1", fpR(0x70, 1, a1, 0, a0)},
		{"fmv.x.w funct3 2", fpR(0x70, 0, a1, 2, a0)},
		{"fclass.d with rs2 2", fpR(0x71, 2, a1, 1, a0)},
		{"fmv.w.x funct3 1", fpR(0x78, 0, a1, 1, a0)},
		{"fmv.d.x with rs2 1", fpR(0x79, 1, a1, 0, a0)},
		{"fsgnj.d funct3 3", fpR(0x11, a2, a1, 3, a0)},
		{"fmin.s funct3 2", fpR(0x14, a2, a1, 2, a0)},
		{"feq.d funct3 3", fpR(0x51, a2, a1, 3, a0)},
		{"funct5 6", fpR(0x18, a2, a1, 0, a0)},
		{"funct5 0x1f", fpR(0x7d, a2, a1, 0, a0)},
		{"flh (funct3 1)", encI(0, a1, 1, a0, OpLoadFP)},
		{"flq (funct3 4)", encI(0, a1, 4, a0, OpLoadFP)},
		{"vector load (funct3 0)", encI(0, a1, 0, a0, OpLoadFP)},
		{"fsh (funct3 1)", encS(0, a0, a1, 1, OpStoreFP)},
		{"fsq (funct3 4)", encS(0, a0, a1, 4, OpStoreFP)},
	} {
		if s := decode(Insn(c.word)); s.op != opIllegal {
			t.Errorf("%s (%08x) decodes to op %d, want illegal", c.name, c.word, s.op)
		}
		if got := Disasm(c.word, 0); !strings.HasSuffix(got, "(illegal)") {
			t.Errorf("%s (%08x): Disasm %q", c.name, c.word, got)
		}
	}
	// Static modes 0-4 and dynamic 7 are legal.
	for _, rm := range []uint32{0, 1, 2, 3, 4, 7} {
		if s := decode(Insn(faddD(a0, a1, a2, rm))); s.op != opFP {
			t.Errorf("fadd.d rm %d is illegal", rm)
		}
	}
}

// newFPHart returns a test hart with mstatus.FS Initial, the trap handler
// of trapHandler and the words at testPC.
func newFPHart(t *testing.T, words ...uint32) *Hart {
	t.Helper()
	h := newTestHart(t)
	trapHandler(t, h)
	h.CSR.Set(csr.Mstatus, h.CSR.Get(csr.Mstatus)|csr.FSInitial)
	load(t, h, testPC, words...)
	return h
}

// runFP runs n instructions and fails on any exit but the budget's.
func runFP(t *testing.T, h *Hart, n uint64) {
	t.Helper()
	if e := h.Run(n); e.Kind != ExitBudget {
		t.Fatalf("exit %s cause %d at %#x", e.Kind.testName(), e.Cause, e.PC)
	}
}

// expectIllegal checks that the instruction at pc trapped as illegal
// (cause 2, mtval the instruction) into trapHandler, which left mcause in
// a0 and mtval in a2.
func expectIllegal(t *testing.T, h *Hart, what string, word uint32) {
	t.Helper()
	if h.X[a0] != CauseIllegal || h.X[a2] != uint64(word) {
		t.Errorf("%s: mcause %d mtval %#x, want illegal instruction %#x", what, h.X[a0], h.X[a2], word)
	}
}

// TestFPOff: with mstatus.FS Off every FP instruction and FP CSR access is
// illegal (privileged specification, 3.1.6.6).
func TestFPOff(t *testing.T) {
	for _, c := range []struct {
		name string
		word uint32
	}{
		{"flw", flw(a1, t0, 0)},
		{"fld", fld(a1, t0, 0)},
		{"fsw", fsw(a1, t0, 0)},
		{"fsd", fsd(a1, t0, 0)},
		{"fadd.s", faddS(a1, a1, a1, rmRNE)},
		{"fmadd.d", fmaddD(a1, a1, a1, a1, rmDyn)},
		{"fmv.x.w", fmvXW(a1, a1)},
		{"fmv.d.x", fmvDX(a1, a1)},
		{"feq.s", feqS(a1, a1, a1)},
		{"csrr fflags", 0x001025f3}, // csrrs a1, fflags, zero
		{"csrw fcsr", 0x00359073},   // csrrw zero, fcsr, a1
	} {
		h := newTestHart(t)
		trapHandler(t, h)
		load(t, h, testPC, c.word)
		h.X[t0] = testBase + 0x2000
		runFP(t, h, 4) // the trap (nothing retires), the handler's four csrr
		if h.PC != testVec+16 {
			t.Fatalf("%s: pc %#x, want the trap handler", c.name, h.PC)
		}
		expectIllegal(t, h, c.name, c.word)
		if h.CSR.Get(csr.Mstatus)&csr.MstatusFS != csr.FSOff {
			t.Errorf("%s: FS left Off", c.name)
		}
	}
}

// TestFPDirty: an instruction that writes an f register or raises a flag
// makes mstatus.FS Dirty and sets SD; one that only writes an integer
// register without a flag leaves FS as it was.
func TestFPDirty(t *testing.T) {
	for _, c := range []struct {
		name  string
		word  uint32
		f1    uint64
		dirty bool
	}{
		{"fmv.x.w", fmvXW(a1, 1), boxedOne, false},
		{"fclass.s", fclassS(a1, 1), boxedOne, false},
		{"feq.s of numbers", feqS(a1, 1, 1), boxedOne, false},
		{"feq.s of a signalling NaN (NV)", feqS(a1, 1, 1), boxOnes | 0x7f800001, true},
		{"fmv.w.x", fmvWX(1, a1), 0, true},
		{"flw", flw(1, t0, 0), 0, true},
		{"fsgnj.s", fsgnjS(1, 1, 1), boxedOne, true},
	} {
		h := newFPHart(t, c.word)
		h.CSR.Set(csr.Mstatus, h.CSR.Get(csr.Mstatus)&^csr.MstatusFS|csr.FSClean)
		h.X[t0] = testBase + 0x2000
		h.F[1] = c.f1
		runFP(t, h, 1)
		want := uint64(csr.FSClean)
		if c.dirty {
			want = csr.FSDirty | csr.MstatusSD
		}
		if got := h.CSR.Get(csr.Mstatus) & (csr.MstatusFS | csr.MstatusSD); got != want {
			t.Errorf("%s: mstatus FS|SD %#x, want %#x", c.name, got, want)
		}
	}
}

// TestFPDynamicRM: rm 7 takes frm; frm 5, 6 or 7 makes such an
// instruction illegal, but not one with a static mode or none.
func TestFPDynamicRM(t *testing.T) {
	third := math.Float64bits(1.0 / 3)
	for frm := uint64(0); frm < 8; frm++ {
		dyn := fdivD(a0, 1, 2, rmDyn)
		h := newFPHart(t, dyn, fdivD(3, 1, 2, rmRTZ), fsgnjD(4, 1, 2), 0x00000013)
		h.F[1], h.F[2] = math.Float64bits(1), math.Float64bits(3)
		h.CSR.Set(csr.Frm, frm)
		if frm >= 5 {
			runFP(t, h, 5)
			expectIllegal(t, h, "fdiv.d with frm "+strconv.Itoa(int(frm)), dyn)
			if h.F[a0] != 0 {
				t.Errorf("frm %d: the illegal fdiv.d wrote %#x", frm, h.F[a0])
			}
			h.PC = testPC + 4
			h.X[a0] = 0
		} else {
			runFP(t, h, 1)
			// 1/3 = 0x3fd5555555555555 + 1/3 ulp: up for RUP only.
			want := third
			if frm == 3 {
				want++
			}
			if h.F[a0] != want {
				t.Errorf("fdiv.d with frm %d: %#x, want %#x", frm, h.F[a0], want)
			}
		}
		runFP(t, h, 2)
		if h.F[3] != third || h.F[4] != h.F[1] {
			t.Errorf("frm %d: fdiv.d rtz %#x, fsgnj.d %#x", frm, h.F[3], h.F[4])
		}
	}
}

// TestNaNBoxing follows the NaN-boxing rules (unprivileged specification,
// section 12.2): single operations read an improperly boxed register as
// the canonical NaN; FMV.X.W and FSW take its low 32 bits as they are;
// single results and FLW and FMV.W.X box; D operations see all 64 bits.
func TestNaNBoxing(t *testing.T) {
	const unboxed = 0x00000000_3f800000 // 1.0f without its box
	h := newFPHart(t,
		faddS(2, 1, 1, rmRNE), // canonical NaN, no flag: it is quiet
		fsgnjS(3, 1, 1),
		fsgnjnS(4, 1, 1),
		fmvXW(a0, 1),
		fsw(1, t0, 0),
		fclassS(a1, 1),
		fcvtDS(5, 1, 0),
		fmvXD(a2, 1),
		flw(6, t0, 0), // the 0x3f800000 just stored, boxed
		fmvWX(7, t0),
		faddS(8, 6, 6, rmRNE), // a boxed 1.0f + 1.0f
		fsgnjS(9, 6, 6),
		fmvXW(13, 10), // f10: a boxed negative single, sign-extended
	)
	h.F[1] = unboxed
	h.F[10] = boxOnes | 0xbf800000
	h.X[t0] = testBase + 0x2000
	runFP(t, h, 13)
	for _, c := range []struct {
		name      string
		got, want uint64
	}{
		{"fadd.s of unboxed", h.F[2], boxOnes | qNaN32},
		{"fsgnj.s of unboxed", h.F[3], boxOnes | qNaN32},
		{"fsgnjn.s of unboxed", h.F[4], boxOnes | 1<<31 | qNaN32},
		{"fmv.x.w of unboxed", h.X[a0], 0x3f800000},
		{"fsw of unboxed", uint64(le.Uint32(h.Mem.Data[0x2000:])), 0x3f800000},
		{"fclass.s of unboxed (quiet NaN)", h.X[a1], 1 << 9},
		{"fcvt.d.s of unboxed", h.F[5], qNaN64},
		{"fmv.x.d", h.X[a2], unboxed},
		{"flw", h.F[6], boxedOne},
		{"fmv.w.x", h.F[7], boxOnes | (testBase+0x2000)&0xffffffff},
		{"fadd.s", h.F[8], boxOnes | 0x40000000},
		{"fsgnj.s", h.F[9], boxedOne},
		{"fmv.x.w sign-extends", h.X[13], 0xffffffff_bf800000},
		{"fflags", h.CSR.Get(csr.Fflags), 0},
	} {
		if c.got != c.want {
			t.Errorf("%s: %#x, want %#x", c.name, c.got, c.want)
		}
	}
}

// TestFPFlags: flags accrue into fflags (fcsr = frm<<5 | fflags), and a
// double write of the sign of FCVT.WU's 32-bit result: it is sign-extended
// (unprivileged specification, section 12.7).
func TestFPFlags(t *testing.T) {
	h := newFPHart(t,
		fdivD(3, 1, 2, rmRNE), // 1/0: DZ
		faddD(4, 1, 5, rmDyn), // 1 + 2^-60: NX
		fcvtWUD(a0, 6, rmRTZ), // 3e9 fits in 32 unsigned bits: exact
		fcvtWUD(a1, 7, rmRTZ), // -1.5: NV, result 0
		fmaddD(8, 1, 1, 5, 0), // 1*1 + 2^-60 rounds: NX
		fdivD(9, 2, 2, rmRNE), // 0/0: NV, canonical NaN
		0x00302673,            // csrr a2, fcsr
	)
	h.F[1], h.F[2] = math.Float64bits(1), 0
	h.F[5] = math.Float64bits(math.Ldexp(1, -60))
	h.F[6], h.F[7] = math.Float64bits(3e9), math.Float64bits(-1.5)
	h.CSR.Set(csr.Frm, 2)
	runFP(t, h, 7)
	const nx, dz, nv = 1, 8, 16
	if h.F[3] != math.Float64bits(math.Inf(1)) || h.F[4] != math.Float64bits(1) || h.F[9] != qNaN64 {
		t.Errorf("1/0 %#x, 1+2^-60 rounded down %#x, 0/0 %#x", h.F[3], h.F[4], h.F[9])
	}
	if h.X[a0] != 0xffffffff_b2d05e00 || h.X[a1] != 0 {
		t.Errorf("fcvt.wu.d 3e9 = %#x, -1.5 = %#x", h.X[a0], h.X[a1])
	}
	if h.X[a2] != 2<<5|nx|dz|nv {
		t.Errorf("fcsr %#x, want %#x", h.X[a2], 2<<5|nx|dz|nv)
	}
}

// TestFPMemory: FP loads and stores fault outside memory as integer ones
// do, a store into decoded code makes it decode again, and one onto the
// watched tohost ends Run.
func TestFPMemory(t *testing.T) {
	// fld from beyond memory: load access fault with the address.
	h := newFPHart(t, fld(1, t0, 8))
	h.X[t0] = testBase + testSize - 8
	runFP(t, h, 5)
	if h.X[a0] != CauseLoadAccess || h.X[a2] != testBase+testSize {
		t.Errorf("fld: mcause %d mtval %#x", h.X[a0], h.X[a2])
	}
	// fsw straddling the end: store access fault; nothing is written.
	h = newFPHart(t, fsw(1, t0, 0))
	h.X[t0] = testBase + testSize - 2
	h.F[1] = boxedOne
	runFP(t, h, 5)
	if h.X[a0] != CauseStoreAccess || h.X[a2] != testBase+testSize-2 {
		t.Errorf("fsw: mcause %d mtval %#x", h.X[a0], h.X[a2])
	}
	// A misaligned fld inside memory is carried out.
	h = newFPHart(t, fld(1, t0, 3))
	h.X[t0] = testBase + 0x2000
	le.PutUint64(h.Mem.Data[0x2003:], 0x0123456789abcdef)
	runFP(t, h, 1)
	if h.F[1] != 0x0123456789abcdef {
		t.Errorf("misaligned fld: %#x", h.F[1])
	}
	// fsd over the next instruction: the new one runs (addi a0, zero, 42
	// in the low half, nop after it).
	h = newFPHart(t, fsd(1, t0, 4), 0x00000013, 0x00000013)
	h.X[t0] = testPC
	h.F[1] = 0x00000013_02a00513
	runFP(t, h, 3)
	if h.X[a0] != 42 {
		t.Errorf("fsd over code: a0 = %d, want 42 from the stored addi", h.X[a0])
	}
	// fsw onto tohost: ExitHost after the store.
	h = newFPHart(t, fsw(1, t0, 0), 0x00000013)
	const tohost = testBase + 0x3000
	h.WatchToHost(tohost)
	h.X[t0] = tohost
	h.F[1] = boxOnes | 1
	expectExit(t, h.Run(10), Exit{Kind: ExitHost, PC: testPC + 4})
	if got := le.Uint32(h.Mem.Data[0x3000:]); got != 1 {
		t.Errorf("tohost %#x", got)
	}
}

// TestFPRunDoesNotAllocate: FP work in Run allocates nothing.
func TestFPRunDoesNotAllocate(t *testing.T) {
	h := newFPHart(t,
		fmaddD(3, 1, 2, 3, rmDyn),
		fdivD(4, 3, 2, rmRNE),
		fsd(4, t0, 0),
		fld(5, t0, 0),
		faddS(6, 6, 6, rmRNE),
		feqS(a1, 6, 6),
		encJ(-24, 0, OpJal), // j back to the fmadd.d
	)
	h.X[t0] = testBase + 0x2000
	h.F[1], h.F[2] = math.Float64bits(1.0000001), math.Float64bits(0.9999)
	h.Run(100)
	if allocs := testing.AllocsPerRun(10, func() { h.Run(10_000) }); allocs != 0 {
		t.Errorf("Run allocates: %v allocations per 10000 instructions", allocs)
	}
}
