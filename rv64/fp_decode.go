package rv64

// Decoding of the F and D extensions (unprivileged specification, chapters
// 11 and 12). Loads and stores get ops of their own (opFLW, opFLD, opFSW,
// opFSD); every other F or D instruction is one op, opFP, whose slot
// carries the operation (an fpOp) in imm and whose insn keeps the rm and
// rs3 fields. Run hands opFP slots to execFP, outside its own switch.

// Major opcodes of the F and D extensions (unprivileged specification,
// table 24.1).
const (
	OpLoadFP  = 0x07 // FLW, FLD
	OpStoreFP = 0x27 // FSW, FSD
	OpMadd    = 0x43 // FMADD.S, FMADD.D
	OpMsub    = 0x47 // FMSUB.S, FMSUB.D
	OpNmsub   = 0x4b // FNMSUB.S, FNMSUB.D
	OpNmadd   = 0x4f // FNMADD.S, FNMADD.D
	OpFP      = 0x53 // the other F and D instructions
)

// Rounding modes of the rm field and of frm (unprivileged specification,
// table 11.1): 5 and 6 are reserved, 7 in rm selects frm.
const (
	rmDyn = 7
)

// fpOp is an F or D operation. The operations that have a rounding mode
// come first, before fpNoRM.
type fpOp uint8

const (
	fADDS fpOp = iota
	fSUBS
	fMULS
	fDIVS
	fSQRTS
	fMADDS
	fMSUBS
	fNMSUBS
	fNMADDS
	fCVTWS
	fCVTWUS
	fCVTLS
	fCVTLUS
	fCVTSW
	fCVTSWU
	fCVTSL
	fCVTSLU
	fADDD
	fSUBD
	fMULD
	fDIVD
	fSQRTD
	fMADDD
	fMSUBD
	fNMSUBD
	fNMADDD
	fCVTWD
	fCVTWUD
	fCVTLD
	fCVTLUD
	fCVTDW
	fCVTDWU
	fCVTDL
	fCVTDLU
	fCVTSD
	fCVTDS

	fSGNJS // the first operation without a rounding mode (fpNoRM)
	fSGNJNS
	fSGNJXS
	fMINS
	fMAXS
	fEQS
	fLTS
	fLES
	fCLASSS
	fMVXW
	fMVWX
	fSGNJD
	fSGNJND
	fSGNJXD
	fMIND
	fMAXD
	fEQD
	fLTD
	fLED
	fCLASSD
	fMVXD
	fMVDX

	fpNoRM = fSGNJS
)

// decodeFP decodes the F or D instruction in s.insn into s, which decode
// has filled with the register fields and opIllegal. Reserved encodings
// stay illegal: another fmt than S or D, a static rm of 5 or 6, a non-zero
// rs2 where the instruction has none, an unknown funct3.
func decodeFP(s *slot) {
	in := s.insn
	f3 := in.Funct3()
	switch in.Opcode() {
	case OpLoadFP:
		s.imm = in.ImmI()
		switch f3 {
		case 2:
			s.op = opFLW
		case 3:
			s.op = opFLD
		}
		return
	case OpStoreFP:
		s.imm = in.ImmS()
		switch f3 {
		case 2:
			s.op = opFSW
		case 3:
			s.op = opFSD
		}
		return
	}
	fmt := uint32(in) >> 25 & 3
	if fmt > 1 { // H and Q are not implemented
		return
	}
	o, ok := fpOp(0), false
	pick := func(single, double fpOp) {
		o, ok = single, true
		if fmt == 1 {
			o = double
		}
	}
	switch in.Opcode() {
	case OpMadd:
		pick(fMADDS, fMADDD)
	case OpMsub:
		pick(fMSUBS, fMSUBD)
	case OpNmsub:
		pick(fNMSUBS, fNMSUBD)
	case OpNmadd:
		pick(fNMADDS, fNMADDD)
	case OpFP:
		rs2 := in.Rs2()
		switch in.Funct7() >> 2 {
		case 0x00:
			pick(fADDS, fADDD)
		case 0x01:
			pick(fSUBS, fSUBD)
		case 0x02:
			pick(fMULS, fMULD)
		case 0x03:
			pick(fDIVS, fDIVD)
		case 0x0b:
			if rs2 == 0 {
				pick(fSQRTS, fSQRTD)
			}
		case 0x04:
			switch f3 {
			case 0:
				pick(fSGNJS, fSGNJD)
			case 1:
				pick(fSGNJNS, fSGNJND)
			case 2:
				pick(fSGNJXS, fSGNJXD)
			}
		case 0x05:
			switch f3 {
			case 0:
				pick(fMINS, fMIND)
			case 1:
				pick(fMAXS, fMAXD)
			}
		case 0x08: // FCVT.S.D (fmt S, rs2 D) and FCVT.D.S (fmt D, rs2 S)
			switch {
			case fmt == 0 && rs2 == 1:
				o, ok = fCVTSD, true
			case fmt == 1 && rs2 == 0:
				o, ok = fCVTDS, true
			}
		case 0x14:
			switch f3 {
			case 0:
				pick(fLES, fLED)
			case 1:
				pick(fLTS, fLTD)
			case 2:
				pick(fEQS, fEQD)
			}
		case 0x18:
			if rs2 <= 3 { // W, WU, L, LU
				pick(fCVTWS+fpOp(rs2), fCVTWD+fpOp(rs2))
			}
		case 0x1a:
			if rs2 <= 3 {
				pick(fCVTSW+fpOp(rs2), fCVTDW+fpOp(rs2))
			}
		case 0x1c:
			switch {
			case rs2 == 0 && f3 == 0:
				pick(fMVXW, fMVXD)
			case rs2 == 0 && f3 == 1:
				pick(fCLASSS, fCLASSD)
			}
		case 0x1e:
			if rs2 == 0 && f3 == 0 {
				pick(fMVWX, fMVDX)
			}
		}
	}
	if !ok || o < fpNoRM && (f3 == 5 || f3 == 6) {
		return
	}
	s.op, s.imm = opFP, uint64(o)
}
