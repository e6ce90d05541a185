package rv64

// The C extension (unprivileged specification, chapter 16, "C" Standard
// Extension for Compressed Instructions, RV64C). A compressed parcel is
// expanded into the 32-bit instruction it stands for and decoded as that
// one, so that it runs as the same operation as the 32-bit form; the slot
// keeps the 16-bit parcel in insn (its illegal-instruction tval, and how
// Run knows the instruction is two bytes long). Reserved encodings and
// those of RV32C or RV128C only are illegal; HINTs run as the no-ops
// their expansions are.

// Major opcodes of the 32-bit forms of C.FLD, C.FSD, C.FLDSP and C.FSDSP.
const (
	majLoadFP  = 0x07
	majStoreFP = 0x27
)

// decodeC decodes a compressed parcel (low two bits not 11).
func decodeC(p uint16) slot {
	w, ok := expandC(p)
	if !ok {
		return slot{op: opIllegal, insn: Insn(p)}
	}
	s := decode(w)
	s.insn = Insn(p)
	s.rd |= slotC
	return s
}

// Fields of a compressed parcel.
func cbits(p uint16, hi, lo uint) uint32 { return uint32(p) >> lo & (1<<(hi-lo+1) - 1) }
func crd(p uint16) uint32                { return cbits(p, 11, 7) }    // rd/rs1, full register
func crs2(p uint16) uint32               { return cbits(p, 6, 2) }     // rs2, full register
func crdp(p uint16) uint32               { return 8 + cbits(p, 4, 2) } // rd'/rs2', x8-x15
func crs1p(p uint16) uint32              { return 8 + cbits(p, 9, 7) } // rs1'/rd', x8-x15

// cimm6 returns the sign-extended 6-bit immediate imm[5] = bit 12,
// imm[4:0] = bits 6:2 (C.ADDI, C.ADDIW, C.LI, C.ANDI).
func cimm6(p uint16) int64 { return int64(cbits(p, 12, 12))<<63>>58 | int64(cbits(p, 6, 2)) }

// 32-bit encoders for the expansions.
func encItype(imm int64, rs1, f3, rd, op uint32) Insn {
	return Insn(uint32(imm&0xfff)<<20 | rs1<<15 | f3<<12 | rd<<7 | op)
}

func encStype(imm int64, rs2, rs1, f3, op uint32) Insn {
	i := uint32(imm & 0xfff)
	return Insn(i>>5<<25 | rs2<<20 | rs1<<15 | f3<<12 | (i&31)<<7 | op)
}

func encRtype(f7, rs2, rs1, f3, rd, op uint32) Insn {
	return Insn(f7<<25 | rs2<<20 | rs1<<15 | f3<<12 | rd<<7 | op)
}

func encBtype(imm int64, rs2, rs1, f3 uint32) Insn {
	i := uint32(imm & 0x1fff)
	return Insn(i>>12<<31 | (i>>5&0x3f)<<25 | rs2<<20 | rs1<<15 | f3<<12 | (i>>1&0xf)<<8 | (i>>11&1)<<7 | OpBranch)
}

func encJtype(imm int64, rd uint32) Insn {
	i := uint32(imm & 0x1fffff)
	return Insn(i>>20<<31 | (i>>1&0x3ff)<<21 | (i>>11&1)<<20 | (i>>12&0xff)<<12 | rd<<7 | OpJal)
}

// expandC returns the 32-bit instruction a compressed parcel stands for,
// or false for an illegal or reserved one (RVC table 16.5-16.7 for RV64).
func expandC(p uint16) (Insn, bool) {
	f3 := cbits(p, 15, 13)
	switch p & 3 {
	case 0: // quadrant 0
		// uimm[5:3] = bits 12:10, uimm[7:6] = bits 6:5 (doubleword forms)
		ud := int64(cbits(p, 12, 10)<<3 | cbits(p, 6, 5)<<6)
		// uimm[5:3] = bits 12:10, uimm[2] = bit 6, uimm[6] = bit 5 (word forms)
		uw := int64(cbits(p, 12, 10)<<3 | cbits(p, 6, 6)<<2 | cbits(p, 5, 5)<<6)
		switch f3 {
		case 0: // C.ADDI4SPN: nzuimm[5:4|9:6|2|3] = bits 12:5
			imm := int64(cbits(p, 12, 11)<<4 | cbits(p, 10, 7)<<6 | cbits(p, 6, 6)<<2 | cbits(p, 5, 5)<<3)
			if imm == 0 {
				return 0, false // includes the all-zero parcel
			}
			return encItype(imm, 2, 0, crdp(p), OpImm), true
		case 1: // C.FLD
			return encItype(ud, crs1p(p), 3, crdp(p), majLoadFP), true
		case 2: // C.LW
			return encItype(uw, crs1p(p), 2, crdp(p), OpLoad), true
		case 3: // C.LD
			return encItype(ud, crs1p(p), 3, crdp(p), OpLoad), true
		case 5: // C.FSD
			return encStype(ud, crdp(p), crs1p(p), 3, majStoreFP), true
		case 6: // C.SW
			return encStype(uw, crdp(p), crs1p(p), 2, OpStore), true
		case 7: // C.SD
			return encStype(ud, crdp(p), crs1p(p), 3, OpStore), true
		}
		return 0, false // 4: reserved
	case 1: // quadrant 1
		rd := crd(p)
		switch f3 {
		case 0: // C.ADDI (C.NOP; HINTs with rd = 0 or imm = 0)
			return encItype(cimm6(p), rd, 0, rd, OpImm), true
		case 1: // C.ADDIW (RV64; rd = 0 reserved)
			if rd == 0 {
				return 0, false
			}
			return encItype(cimm6(p), rd, 0, rd, OpImm32), true
		case 2: // C.LI (rd = 0: HINT)
			return encItype(cimm6(p), 0, 0, rd, OpImm), true
		case 3:
			if rd == 2 { // C.ADDI16SP: nzimm[9] = bit 12, nzimm[4|6|8:7|5] = bits 6:2
				imm := int64(cbits(p, 12, 12))<<63>>54 | int64(cbits(p, 6, 6)<<4|cbits(p, 5, 5)<<6|cbits(p, 4, 3)<<7|cbits(p, 2, 2)<<5)
				if imm == 0 {
					return 0, false
				}
				return encItype(imm, 2, 0, 2, OpImm), true
			}
			// C.LUI: nzimm[17] = bit 12, nzimm[16:12] = bits 6:2 (rd = 0: HINT)
			imm := cimm6(p)
			if imm == 0 {
				return 0, false
			}
			return Insn(uint32(imm)<<12 | rd<<7 | OpLui), true
		case 4:
			rd := crs1p(p)
			switch cbits(p, 11, 10) {
			case 0: // C.SRLI (shamt 0: HINT)
				return encItype(int64(cbits(p, 12, 12)<<5|cbits(p, 6, 2)), rd, 5, rd, OpImm), true
			case 1: // C.SRAI
				return encItype(int64(0x400|cbits(p, 12, 12)<<5|cbits(p, 6, 2)), rd, 5, rd, OpImm), true
			case 2: // C.ANDI
				return encItype(cimm6(p), rd, 7, rd, OpImm), true
			}
			rs2 := crdp(p)
			switch cbits(p, 12, 12)<<2 | cbits(p, 6, 5) {
			case 0: // C.SUB
				return encRtype(funct7Alt, rs2, rd, 0, rd, OpOp), true
			case 1: // C.XOR
				return encRtype(0, rs2, rd, 4, rd, OpOp), true
			case 2: // C.OR
				return encRtype(0, rs2, rd, 6, rd, OpOp), true
			case 3: // C.AND
				return encRtype(0, rs2, rd, 7, rd, OpOp), true
			case 4: // C.SUBW
				return encRtype(funct7Alt, rs2, rd, 0, rd, OpOp32), true
			case 5: // C.ADDW
				return encRtype(0, rs2, rd, 0, rd, OpOp32), true
			}
			return 0, false // reserved
		case 5: // C.J: imm[11|4|9:8|10|6|7|3:1|5] = bits 12:2
			imm := int64(cbits(p, 12, 12))<<63>>52 | int64(cbits(p, 11, 11)<<4|cbits(p, 10, 9)<<8|cbits(p, 8, 8)<<10|
				cbits(p, 7, 7)<<6|cbits(p, 6, 6)<<7|cbits(p, 5, 3)<<1|cbits(p, 2, 2)<<5)
			return encJtype(imm, 0), true
		}
		// C.BEQZ, C.BNEZ: imm[8|4:3] = bits 12:10, imm[7:6|2:1|5] = bits 6:2
		imm := int64(cbits(p, 12, 12))<<63>>55 | int64(cbits(p, 11, 10)<<3|cbits(p, 6, 5)<<6|cbits(p, 4, 3)<<1|cbits(p, 2, 2)<<5)
		return encBtype(imm, 0, crs1p(p), f3&1), true
	case 2: // quadrant 2
		rd, rs2 := crd(p), crs2(p)
		// uimm[5] = bit 12, uimm[4:3|8:6] = bits 6:2 (doubleword loads)
		ld := int64(cbits(p, 12, 12)<<5 | cbits(p, 6, 5)<<3 | cbits(p, 4, 2)<<6)
		// uimm[5:3|8:6] = bits 12:7 (doubleword stores)
		sd := int64(cbits(p, 12, 10)<<3 | cbits(p, 9, 7)<<6)
		switch f3 {
		case 0: // C.SLLI (rd = 0 or shamt 0: HINT)
			return encItype(int64(cbits(p, 12, 12)<<5|cbits(p, 6, 2)), rd, 1, rd, OpImm), true
		case 1: // C.FLDSP
			return encItype(ld, 2, 3, rd, majLoadFP), true
		case 2: // C.LWSP: uimm[5] = bit 12, uimm[4:2|7:6] = bits 6:2 (rd = 0 reserved)
			if rd == 0 {
				return 0, false
			}
			imm := int64(cbits(p, 12, 12)<<5 | cbits(p, 6, 4)<<2 | cbits(p, 3, 2)<<6)
			return encItype(imm, 2, 2, rd, OpLoad), true
		case 3: // C.LDSP (rd = 0 reserved)
			if rd == 0 {
				return 0, false
			}
			return encItype(ld, 2, 3, rd, OpLoad), true
		case 4:
			switch {
			case cbits(p, 12, 12) == 0 && rs2 == 0: // C.JR (rs1 = 0 reserved)
				if rd == 0 {
					return 0, false
				}
				return encItype(0, rd, 0, 0, OpJalr), true
			case cbits(p, 12, 12) == 0: // C.MV (rd = 0: HINT)
				return encRtype(0, rs2, 0, 0, rd, OpOp), true
			case rd == 0 && rs2 == 0: // C.EBREAK
				return encEbreak, true
			case rs2 == 0: // C.JALR
				return encItype(0, rd, 0, 1, OpJalr), true
			}
			// C.ADD (rd = 0: HINT)
			return encRtype(0, rs2, rd, 0, rd, OpOp), true
		case 5: // C.FSDSP
			return encStype(sd, rs2, 2, 3, majStoreFP), true
		case 6: // C.SWSP: uimm[5:2|7:6] = bits 12:7
			imm := int64(cbits(p, 12, 9)<<2 | cbits(p, 8, 7)<<6)
			return encStype(imm, rs2, 2, 2, OpStore), true
		case 7: // C.SDSP
			return encStype(sd, rs2, 2, 3, OpStore), true
		}
	}
	return 0, false
}
