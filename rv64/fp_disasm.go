package rv64

import "fmt"

// fABINames are the ABI names of the floating-point registers (RISC-V
// psABI).
var fABINames = [32]string{
	"ft0", "ft1", "ft2", "ft3", "ft4", "ft5", "ft6", "ft7",
	"fs0", "fs1", "fa0", "fa1", "fa2", "fa3", "fa4", "fa5",
	"fa6", "fa7", "fs2", "fs3", "fs4", "fs5", "fs6", "fs7",
	"fs8", "fs9", "fs10", "fs11", "ft8", "ft9", "ft10", "ft11",
}

// rmNames are the rounding modes as the GNU assembler writes them; 7
// (dynamic) is written as nothing.
var rmNames = [8]string{"rne", "rtz", "rdn", "rup", "rmm", "", "", ""}

// fpForm is how an operation's operands are written.
type fpForm uint8

const (
	formFFF  fpForm = iota // fd, fs1, fs2 [, rm]
	formFF                 // fd, fs1 [, rm]
	formFFFF               // fd, fs1, fs2, fs3 [, rm]
	formXF                 // rd, fs1 [, rm]
	formFX                 // fd, rs1 [, rm]
	formXFF                // rd, fs1, fs2
)

// fpNames gives each fpOp its mnemonic and operand form.
var fpNames = [...]struct {
	name string
	form fpForm
}{
	fADDS: {"fadd.s", formFFF}, fSUBS: {"fsub.s", formFFF}, fMULS: {"fmul.s", formFFF}, fDIVS: {"fdiv.s", formFFF},
	fSQRTS: {"fsqrt.s", formFF}, fMADDS: {"fmadd.s", formFFFF}, fMSUBS: {"fmsub.s", formFFFF},
	fNMSUBS: {"fnmsub.s", formFFFF}, fNMADDS: {"fnmadd.s", formFFFF},
	fCVTWS: {"fcvt.w.s", formXF}, fCVTWUS: {"fcvt.wu.s", formXF}, fCVTLS: {"fcvt.l.s", formXF}, fCVTLUS: {"fcvt.lu.s", formXF},
	fCVTSW: {"fcvt.s.w", formFX}, fCVTSWU: {"fcvt.s.wu", formFX}, fCVTSL: {"fcvt.s.l", formFX}, fCVTSLU: {"fcvt.s.lu", formFX},
	fADDD: {"fadd.d", formFFF}, fSUBD: {"fsub.d", formFFF}, fMULD: {"fmul.d", formFFF}, fDIVD: {"fdiv.d", formFFF},
	fSQRTD: {"fsqrt.d", formFF}, fMADDD: {"fmadd.d", formFFFF}, fMSUBD: {"fmsub.d", formFFFF},
	fNMSUBD: {"fnmsub.d", formFFFF}, fNMADDD: {"fnmadd.d", formFFFF},
	fCVTWD: {"fcvt.w.d", formXF}, fCVTWUD: {"fcvt.wu.d", formXF}, fCVTLD: {"fcvt.l.d", formXF}, fCVTLUD: {"fcvt.lu.d", formXF},
	fCVTDW: {"fcvt.d.w", formFX}, fCVTDWU: {"fcvt.d.wu", formFX}, fCVTDL: {"fcvt.d.l", formFX}, fCVTDLU: {"fcvt.d.lu", formFX},
	fCVTSD: {"fcvt.s.d", formFF}, fCVTDS: {"fcvt.d.s", formFF},
	fSGNJS: {"fsgnj.s", formFFF}, fSGNJNS: {"fsgnjn.s", formFFF}, fSGNJXS: {"fsgnjx.s", formFFF},
	fMINS: {"fmin.s", formFFF}, fMAXS: {"fmax.s", formFFF},
	fEQS: {"feq.s", formXFF}, fLTS: {"flt.s", formXFF}, fLES: {"fle.s", formXFF},
	fCLASSS: {"fclass.s", formXF}, fMVXW: {"fmv.x.w", formXF}, fMVWX: {"fmv.w.x", formFX},
	fSGNJD: {"fsgnj.d", formFFF}, fSGNJND: {"fsgnjn.d", formFFF}, fSGNJXD: {"fsgnjx.d", formFFF},
	fMIND: {"fmin.d", formFFF}, fMAXD: {"fmax.d", formFFF},
	fEQD: {"feq.d", formXFF}, fLTD: {"flt.d", formXFF}, fLED: {"fle.d", formXFF},
	fCLASSD: {"fclass.d", formXF}, fMVXD: {"fmv.x.d", formXF}, fMVDX: {"fmv.d.x", formFX},
}

// disasmFP returns the GNU assembler text of word if it has one of the F
// and D major opcodes, and whether it has: an encoding rvsim does not
// decode comes out as illegal. As the GNU disassembler does, it writes a
// static rounding mode and omits the dynamic one (and any on the exact
// conversions fcvt.d.w, fcvt.d.wu and fcvt.d.s), and writes fsgnj, fsgnjn
// and fsgnjx with equal sources as fmv, fneg and fabs.
func disasmFP(word uint32) (string, bool) {
	in := Insn(word)
	switch in.Opcode() {
	case OpLoadFP, OpStoreFP, OpMadd, OpMsub, OpNmsub, OpNmadd, OpFP:
	default:
		return "", false
	}
	s := slot{op: opIllegal, rd: uint8(in.Rd()), rs1: uint8(in.Rs1()), rs2: uint8(in.Rs2()), insn: in}
	decodeFP(&s)
	x, f := abiNames, fABINames
	switch s.op {
	case opFLW, opFLD:
		return fmt.Sprintf("fl%c %s, %d(%s)", "wd"[s.op-opFLW], f[s.rd&31], int64(s.imm), x[s.rs1]), true
	case opFSW, opFSD:
		return fmt.Sprintf("fs%c %s, %d(%s)", "wd"[s.op-opFSW], f[s.rs2], int64(s.imm), x[s.rs1]), true
	case opFP:
	default:
		return fmt.Sprintf(".word 0x%08x (illegal)", word), true
	}
	o := fpOp(s.imm)
	n := fpNames[o]
	rd, rs1, rs2, rs3 := s.rd&31, s.rs1, s.rs2, uint8(word>>27)
	var t string
	switch n.form {
	case formFFF:
		if rs1 == rs2 && o >= fSGNJS && (o <= fSGNJXS || o >= fSGNJD && o <= fSGNJXD) {
			alias := [3]string{"fmv", "fneg", "fabs"}[(o-fSGNJS)%(fSGNJD-fSGNJS)]
			return fmt.Sprintf("%s.%c %s, %s", alias, n.name[len(n.name)-1], f[rd], f[rs1]), true
		}
		t = fmt.Sprintf("%s %s, %s, %s", n.name, f[rd], f[rs1], f[rs2])
	case formFF:
		t = fmt.Sprintf("%s %s, %s", n.name, f[rd], f[rs1])
	case formFFFF:
		t = fmt.Sprintf("%s %s, %s, %s, %s", n.name, f[rd], f[rs1], f[rs2], f[rs3])
	case formXF:
		t = fmt.Sprintf("%s %s, %s", n.name, x[rd], f[rs1])
	case formFX:
		t = fmt.Sprintf("%s %s, %s", n.name, f[rd], x[rs1])
	case formXFF:
		t = fmt.Sprintf("%s %s, %s, %s", n.name, x[rd], f[rs1], f[rs2])
	}
	if rm := rmNames[in.Funct3()]; o < fpNoRM && rm != "" && o != fCVTDW && o != fCVTDWU && o != fCVTDS {
		t += ", " + rm
	}
	return t, true
}
