package rv64

import "unsafe"

// The hart decodes each instruction word once, into a slot of a per-page
// decode cache, and executes slots: the operation is a dense number (one
// jump-table switch in Run) and the immediate is already sign-extended.
// A store into a page that has a decoded page marks the slots it wrote
// stale (opDecode), and so does the monitor when it writes guest memory
// (Invalidate); a stale slot is decoded again from memory when it runs.
// So self-modifying code sees its stores at once, as if every instruction
// were fetched anew, and a store to data that shares a page with code
// costs no decoding at all.

// op is a decoded operation, one per mnemonic.
type op uint8

const (
	opDecode op = iota // slot to decode when it runs: written since, or past the end of memory
	opIllegal
	opLUI
	opAUIPC
	opJAL
	opJALR
	opBEQ
	opBNE
	opBLT
	opBGE
	opBLTU
	opBGEU
	opLB
	opLH
	opLW
	opLD
	opLBU
	opLHU
	opLWU
	opSB
	opSH
	opSW
	opSD
	opADDI
	opSLTI
	opSLTIU
	opXORI
	opORI
	opANDI
	opSLLI
	opSRLI
	opSRAI
	opADDIW
	opSLLIW
	opSRLIW
	opSRAIW
	opADD
	opSUB
	opSLL
	opSLT
	opSLTU
	opXOR
	opSRL
	opSRA
	opOR
	opAND
	opMUL
	opMULH
	opMULHSU
	opMULHU
	opDIV
	opDIVU
	opREM
	opREMU
	opADDW
	opSUBW
	opSLLW
	opSRLW
	opSRAW
	opMULW
	opDIVW
	opDIVUW
	opREMW
	opREMUW
	opFENCE // FENCE and FENCE.I: nothing to do for one hart that fetches through the cache
	opECALL
	opEBREAK
	opMRET
	opWFI
	opCSR // CSRRW CSRRS CSRRC CSRRWI CSRRSI CSRRCI; funct3 in insn

	// Forms with rd = x0, so that no instruction writes x0 and Run needs
	// no per-instruction reset of it.
	opNOP // an instruction whose only effect is writing x0
	opJ   // JAL x0: a jump that links nothing
	opJR  // JALR x0: an indirect jump that links nothing (ret, jr)
	opLX0 // a load into x0: it still faults; funct3 in insn gives the width
	opEnd // not an instruction: the block ends before this slot

	// An ADDI, ADDIW, ADD or ADDW whose next slot is a conditional branch:
	// the slot runs both, without a second dispatch.
	opADDIb
	opADDIWb
	opADDb
	opADDWb

	// The A extension (amo.go): Run hands these to Hart.amo.
	opLRW
	opLRD
	opSCW
	opSCD
	opAMOSWAPW
	opAMOADDW
	opAMOXORW
	opAMOANDW
	opAMOORW
	opAMOMINW
	opAMOMAXW
	opAMOMINUW
	opAMOMAXUW
	opAMOSWAPD
	opAMOADDD
	opAMOXORD
	opAMOANDD
	opAMOORD
	opAMOMIND
	opAMOMAXD
	opAMOMINUD
	opAMOMAXUD

	opFLW // FLW (fp_decode.go)
	opFLD // FLD
	opFSW // FSW
	opFSD // FSD
	opFP  // every other F and D instruction: an fpOp in imm (fp_decode.go)

	opBreak // a breakpoint (debug.go): Run exits before the instruction
)

// slot is one decoded instruction.
// slotC marks, in slot.rd, a compressed instruction's slot: the loop's
// step to the next slot tests it in the byte it has already loaded.
const slotC = 0x80

type slot struct {
	op           op
	rd, rs1, rs2 uint8
	insn         Insn   // the word, or a compressed instruction's 16-bit parcel: illegal-instruction tval, CSR fields, length
	imm          uint64 // sign-extended immediate or shift amount
}

// size returns the length of the slot's instruction in halfwords: 2 for a
// 32-bit word (low bits 11), 1 for a compressed parcel.
func (s *slot) size() uint64 { return 1 + uint64(s.insn&3+1)>>2 }

const (
	pageShift = 12
	pageSlots = 1 << pageShift / 2 // one slot per halfword (IALIGN=16)
)

// codePage is the decode cache of one 4 KiB page of guest memory: slot k
// holds the instruction that starts at byte 2k, as if the pc were there.
// Two more slots, always opEnd, end a block that runs off the page: after
// a 4-byte instruction in the last halfword it continues at the second.
type codePage [pageSlots + 2]slot

// decode turns an instruction word into a slot (unprivileged specification,
// chapters 2, 5, 7, 13; privileged specification, chapter 3.3).
func decode(in Insn) slot {
	s := slot{op: opIllegal, rd: uint8(in.Rd()), rs1: uint8(in.Rs1()), rs2: uint8(in.Rs2()), insn: in}
	f3, f7 := in.Funct3(), in.Funct7()
	pick := func(ops ...op) {
		if int(f3) < len(ops) {
			s.op = ops[f3]
		}
	}
	switch in.Opcode() {
	case OpLui:
		s.op, s.imm = opLUI, in.ImmU()
	case OpAuipc:
		s.op, s.imm = opAUIPC, in.ImmU()
	case OpJal:
		s.op, s.imm = opJAL, in.ImmJ()
	case OpJalr:
		if f3 == 0 {
			s.op, s.imm = opJALR, in.ImmI()
		}
	case OpBranch:
		s.imm = in.ImmB()
		pick(opBEQ, opBNE, opIllegal, opIllegal, opBLT, opBGE, opBLTU, opBGEU)
	case OpLoad:
		s.imm = in.ImmI()
		pick(opLB, opLH, opLW, opLD, opLBU, opLHU, opLWU, opIllegal)
	case OpStore:
		s.imm = in.ImmS()
		pick(opSB, opSH, opSW, opSD)
	case OpImm:
		s.imm = in.ImmI()
		switch f3 {
		case 1:
			if in>>26 == 0 {
				s.op, s.imm = opSLLI, uint64(in.Shamt())
			}
		case 5:
			switch in >> 26 {
			case 0:
				s.op, s.imm = opSRLI, uint64(in.Shamt())
			case 0x10:
				s.op, s.imm = opSRAI, uint64(in.Shamt())
			}
		default:
			pick(opADDI, opIllegal, opSLTI, opSLTIU, opXORI, opIllegal, opORI, opANDI)
		}
	case OpImm32:
		switch {
		case f3 == 0:
			s.op, s.imm = opADDIW, in.ImmI()
		case f3 == 1 && f7 == 0:
			s.op, s.imm = opSLLIW, uint64(in.Rs2())
		case f3 == 5 && f7 == 0:
			s.op, s.imm = opSRLIW, uint64(in.Rs2())
		case f3 == 5 && f7 == funct7Alt:
			s.op, s.imm = opSRAIW, uint64(in.Rs2())
		}
	case OpOp:
		switch f7 {
		case 0:
			pick(opADD, opSLL, opSLT, opSLTU, opXOR, opSRL, opOR, opAND)
		case funct7Alt:
			pick(opSUB, opIllegal, opIllegal, opIllegal, opIllegal, opSRA)
		case funct7MulD:
			pick(opMUL, opMULH, opMULHSU, opMULHU, opDIV, opDIVU, opREM, opREMU)
		}
	case OpOp32:
		switch f7 {
		case 0:
			pick(opADDW, opSLLW, opIllegal, opIllegal, opIllegal, opSRLW)
		case funct7Alt:
			pick(opSUBW, opIllegal, opIllegal, opIllegal, opIllegal, opSRAW)
		case funct7MulD:
			pick(opMULW, opIllegal, opIllegal, opIllegal, opDIVW, opDIVUW, opREMW, opREMUW)
		}
	case OpAmo:
		s.op = decodeAMO(in)
	case OpMiscMem:
		if f3 <= 1 {
			s.op = opFENCE
		}
	case OpLoadFP, OpStoreFP, OpMadd, OpMsub, OpNmsub, OpNmadd, OpFP:
		decodeFP(&s)
	case OpSystem:
		switch {
		case f3 == 4:
		case f3 != 0:
			s.op = opCSR
		case in == encEcall:
			s.op = opECALL
		case in == encEbreak:
			s.op = opEBREAK
		case in == encMret:
			s.op = opMRET
		case in == encWfi:
			s.op = opWFI
		}
	}
	if s.rd == 0 {
		switch {
		case s.op == opJAL:
			s.op = opJ
		case s.op == opJALR:
			s.op = opJR
		case s.op >= opLB && s.op <= opLWU:
			s.op = opLX0
		case s.op == opLUI || s.op == opAUIPC || s.op >= opADDI && s.op <= opREMUW:
			s.op = opNOP
		}
	}
	return s
}

// decodeAt decodes the instruction at memory offset o: a compressed
// parcel is expanded (rvc.go), a 32-bit word is decoded. It reports false
// if the instruction does not lie inside memory.
func decodeAt(mem []byte, o uint64) (slot, bool) {
	if o+2 > uint64(len(mem)) {
		return slot{}, false
	}
	p := le.Uint16(mem[o:])
	if p&3 != 3 {
		return decodeC(p), true
	}
	if o+4 > uint64(len(mem)) {
		return slot{}, false
	}
	return decode(Insn(le.Uint32(mem[o:]))), true
}

// decodePage fills the decode cache of page pn (an index into memory),
// with an instruction at every halfword.
func (h *Hart) decodePage(pn uint64) *codePage {
	p := h.newPage(pn)
	start := pn << pageShift
	// The last slot stays to decode when it runs (redecode): a 4-byte
	// instruction there reaches into the next page, which must then get a
	// decode cache (crossing), and only code that runs it should make
	// stores into that page take the slow path.
	for i := range uint64(pageSlots - 1) {
		p[i], _ = decodeAt(h.Mem.Data, start+i<<1) // outside memory: opDecode, a fetch fault
	}
	for i := range uint64(pageSlots - 1) {
		p[i].op = fuse(p[i].op, p[i+p[i].size()].op)
	}
	if h.dbg != nil && len(h.dbg.breaks) != 0 {
		h.markBreaks(p, pn)
	}
	return p
}

// newPage installs an empty decode cache for page pn: every slot is
// decoded when it first runs.
func (h *Hart) newPage(pn uint64) *codePage {
	p := new(codePage)
	p[pageSlots].op, p[pageSlots+1].op = opEnd, opEnd
	h.code[pn] = p
	h.keepCode(pn, p)
	lo, hi := pn<<pageShift, (pn+1)<<pageShift
	if h.decHi == 0 {
		h.decLo, h.decHi = lo, hi
	} else {
		h.decLo, h.decHi = min(h.decLo, lo), max(h.decHi, hi)
	}
	return p
}

// crossing makes sure that a store into the first halfword of page pn+1
// finds a decoded page there, and so marks stale the 4-byte instruction
// that starts in the last halfword of pn, p, and ends in pn+1: the next
// page gets an empty decode cache if it has none.
func (h *Hart) crossing(pn uint64, p *codePage) {
	if p[pageSlots-1].insn&3 == 3 && pn+1 < uint64(len(h.code)) && h.code[pn+1] == nil {
		h.newPage(pn + 1)
	}
}

// fuse returns the op of a slot whose next slot has op next: an ADDI,
// ADDIW, ADD or ADDW before a conditional branch becomes its fused form,
// and a fused form before anything else becomes plain again.
func fuse(o, next op) op {
	branch := next >= opBEQ && next <= opBGEU
	switch o {
	case opADDI, opADDIb:
		o = opADDI
		if branch {
			o = opADDIb
		}
	case opADDIW, opADDIWb:
		o = opADDIW
		if branch {
			o = opADDIWb
		}
	case opADD, opADDb:
		o = opADD
		if branch {
			o = opADDb
		}
	case opADDW, opADDWb:
		o = opADDW
		if branch {
			o = opADDWb
		}
	}
	return o
}

// Invalidate makes the hart see what the monitor wrote into guest memory
// [addr, addr+n): it calls it after every such write, between calls of
// Run. Decoded pages the write covers whole are dropped; in the others
// the slots written are marked stale, to be decoded again when they run.
// A write that touches the reservation of LR/SC clears it.
func (h *Hart) Invalidate(addr, n uint64) {
	h.BreakReservation(addr, n)
	h.InvalidateCode(addr, n)
}

// InvalidateCode is Invalidate without the reservation: the monitor calls
// it for a buffer it is about to fill with a count of bytes not yet known
// (a read), and BreakReservation for the bytes it then wrote, so that the
// reservation sees exactly the bytes a replay writes again.
func (h *Hart) InvalidateCode(addr, n uint64) {
	off, last, ok := h.codeRange(addr, n)
	if !ok {
		return
	}
	for pn := off >> pageShift; pn <= last>>pageShift; pn++ {
		lo, hi := max(off, pn<<pageShift), min(last, pn<<pageShift+1<<pageShift-1)
		if h.code[pn] == nil {
			continue
		}
		if lo == pn<<pageShift && hi == pn<<pageShift+1<<pageShift-1 {
			h.code[pn] = nil
			h.codeWrite(lo, hi+1)
			if pn > 0 && h.code[pn-1] != nil {
				// The instruction in the last halfword of the page
				// before may end in this one.
				h.setRealOp(h.code[pn-1], pageSlots-1, opDecode)
			}
			continue
		}
		h.stale(lo, hi-lo+1)
	}
}

// codeRange returns the memory offsets of the first and last byte of
// [addr, addr+n) that lie in memory, if the hart has a decode cache and
// any byte does.
func (h *Hart) codeRange(addr, n uint64) (off, last uint64, ok bool) {
	off = addr - h.Mem.Base
	if n == 0 || h.code == nil || addr < h.Mem.Base || off >= h.Mem.Size() {
		return 0, 0, false
	}
	return off, min(off+n-1, h.Mem.Size()-1), true
}

// stale marks stale the slots that hold the bytes at memory offsets
// [off, off+n) (n >= 1, all inside memory) in the pages that are decoded:
// the slots that start in that range, and the one that starts a halfword
// before it (a 4-byte instruction), perhaps in the page before.
// A fused add before a stale slot stays fused: Run finds no branch after
// it and dispatches the stale slot, and redecode then fuses or splits it.
func (h *Hart) stale(off, n uint64) {
	h.codeWrite(off, off+n)
	j := off >> 1
	if j > 0 {
		j--
	}
	for ; j <= (off+n-1)>>1; j++ {
		pg := h.code[j>>(pageShift-1)]
		if pg == nil {
			continue
		}
		k := j & (pageSlots - 1)
		h.setRealOp(pg, k, opDecode)
	}
}

// redecode decodes slot k of page pn, pg, again from memory: Run calls it
// for a stale slot it is about to run, which is never limit's opEnd. The
// slot is fused with the slot after it (looking through limit's opEnd),
// and the slots that may end just before it (a compressed instruction a
// halfword before, a 4-byte one two halfwords before) are fused with it or
// split from it. It reports false, and leaves the slot as it is, if the
// instruction is not inside memory.
func (h *Hart) redecode(pg *codePage, pn, k uint64) bool {
	s, ok := decodeAt(h.Mem.Data, pn<<pageShift+k<<1)
	if !ok {
		return false
	}
	if n := k + s.size(); n < pageSlots {
		s.op = fuse(s.op, h.realOp(pg, n))
	}
	if h.dbg != nil && h.dbg.isBreak(h.Mem.Base+pn<<pageShift+k<<1) {
		s.op = opBreak // the fusions below split from it
	}
	pg[k] = s
	if k > 0 && pg[k-1].size() == 1 {
		pg[k-1].op = fuse(pg[k-1].op, s.op)
	}
	if k > 1 && pg[k-2].size() == 2 {
		pg[k-2].op = fuse(pg[k-2].op, s.op)
	}
	if k == pageSlots-1 {
		h.crossing(pn, pg)
	}
	return true
}

// realOp returns the op of slot k of pg, looking through limit's opEnd.
func (h *Hart) realOp(pg *codePage, k uint64) op {
	if h.stop == &pg[k] {
		return h.stopOp
	}
	return pg[k].op
}

// setRealOp sets the op of slot k of pg, leaving limit's opEnd in place.
func (h *Hart) setRealOp(pg *codePage, k uint64, o op) {
	if h.stop == &pg[k] {
		h.stopOp = o
		return
	}
	pg[k].op = o
}

// at returns slot i of p without a bounds check, which with the nil check
// of p cost block three instructions per instruction run (about 10% of the
// host instructions of an RV64IM program, by cachegrind). i < len(p) holds
// by construction: block enters a page at i < pageSlots (Run masks it, a
// jump within the page is < 1<<pageShift bytes from its start), and steps
// from a slot below pageSlots by at most 2, onto the two opEnd sentinels
// at most, where it returns.
// TestSlotAtBounds checks the sentinels it relies on.
func (p *codePage) at(i uint64) *slot {
	return (*slot)(unsafe.Add(unsafe.Pointer(p), i*uint64(unsafe.Sizeof(slot{}))))
}
