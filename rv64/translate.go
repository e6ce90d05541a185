package rv64

import "unsafe"

// This file is the hart's side of a translating engine (package jit): the
// decoded form of an instruction, and what such an engine must know of the
// decode cache so that stores into code reach it.

// Operation is what a decoded instruction does, for an engine that
// translates the hart's code. The engine translates the operations it
// knows and hands every other instruction (OperOther: ECALL,
// EBREAK, MRET, WFI, illegal words) to the interpreter.
type Operation uint8

// Operations, one per mnemonic of RV64IM (the compressed forms decode to
// these too; those of F and D are in fp_translate.go, the AMOs in
// amo_translate.go). Their values are the interpreter's own op numbers.
const (
	OperOther  Operation = 0
	OperLUI              = Operation(opLUI)
	OperAUIPC            = Operation(opAUIPC)
	OperJAL              = Operation(opJAL)
	OperJALR             = Operation(opJALR)
	OperBEQ              = Operation(opBEQ)
	OperBNE              = Operation(opBNE)
	OperBLT              = Operation(opBLT)
	OperBGE              = Operation(opBGE)
	OperBLTU             = Operation(opBLTU)
	OperBGEU             = Operation(opBGEU)
	OperLB               = Operation(opLB)
	OperLH               = Operation(opLH)
	OperLW               = Operation(opLW)
	OperLD               = Operation(opLD)
	OperLBU              = Operation(opLBU)
	OperLHU              = Operation(opLHU)
	OperLWU              = Operation(opLWU)
	OperSB               = Operation(opSB)
	OperSH               = Operation(opSH)
	OperSW               = Operation(opSW)
	OperSD               = Operation(opSD)
	OperADDI             = Operation(opADDI)
	OperSLTI             = Operation(opSLTI)
	OperSLTIU            = Operation(opSLTIU)
	OperXORI             = Operation(opXORI)
	OperORI              = Operation(opORI)
	OperANDI             = Operation(opANDI)
	OperSLLI             = Operation(opSLLI)
	OperSRLI             = Operation(opSRLI)
	OperSRAI             = Operation(opSRAI)
	OperADDIW            = Operation(opADDIW)
	OperSLLIW            = Operation(opSLLIW)
	OperSRLIW            = Operation(opSRLIW)
	OperSRAIW            = Operation(opSRAIW)
	OperADD              = Operation(opADD)
	OperSUB              = Operation(opSUB)
	OperSLL              = Operation(opSLL)
	OperSLT              = Operation(opSLT)
	OperSLTU             = Operation(opSLTU)
	OperXOR              = Operation(opXOR)
	OperSRL              = Operation(opSRL)
	OperSRA              = Operation(opSRA)
	OperOR               = Operation(opOR)
	OperAND              = Operation(opAND)
	OperMUL              = Operation(opMUL)
	OperMULH             = Operation(opMULH)
	OperMULHSU           = Operation(opMULHSU)
	OperMULHU            = Operation(opMULHU)
	OperDIV              = Operation(opDIV)
	OperDIVU             = Operation(opDIVU)
	OperREM              = Operation(opREM)
	OperREMU             = Operation(opREMU)
	OperADDW             = Operation(opADDW)
	OperSUBW             = Operation(opSUBW)
	OperSLLW             = Operation(opSLLW)
	OperSRLW             = Operation(opSRLW)
	OperSRAW             = Operation(opSRAW)
	OperMULW             = Operation(opMULW)
	OperDIVW             = Operation(opDIVW)
	OperDIVUW            = Operation(opDIVUW)
	OperREMW             = Operation(opREMW)
	OperREMUW            = Operation(opREMUW)
	OperFENCE            = Operation(opFENCE) // FENCE, FENCE.I
	OperCSR              = Operation(opCSR)   // CSRRW..CSRRCI: Insn holds the CSR and funct3
	OperNOP              = Operation(opNOP)   // an instruction whose only effect is writing x0
	OperJ                = Operation(opJ)     // JAL x0
	OperJR               = Operation(opJR)    // JALR x0
	OperLX0              = Operation(opLX0)   // a load into x0 (it may still fault); Insn's funct3 is the width
)

// Decoded is one instruction as the hart decodes it.
type Decoded struct {
	Op           Operation
	Rd, Rs1, Rs2 uint8  // register numbers; Rd is never 0 for an operation that writes it
	Imm          uint64 // the sign-extended immediate or shift amount
	Len          uint64 // its length in bytes: 2 (compressed) or 4
	Insn         Insn   // the 32-bit word, or a compressed instruction's parcel
	FP           FPOp   // for OperFP, the F or D operation (fp_translate.go)
}

// DecodeAt decodes the instruction at guest address pc from memory, as the
// interpreter would run it (a compressed parcel expanded). It reports false
// if the instruction does not lie wholly inside memory or pc is odd.
func (h *Hart) DecodeAt(pc uint64) (Decoded, bool) {
	off := pc - h.Mem.Base
	if pc&1 != 0 || pc < h.Mem.Base || off >= h.Mem.Size() {
		return Decoded{}, false
	}
	s, ok := decodeAt(h.Mem.Data, off)
	if !ok || s.op == opDecode {
		return Decoded{}, false
	}
	d := Decoded{Rd: s.rd &^ slotC, Rs1: s.rs1, Rs2: s.rs2, Imm: s.imm, Len: s.size() * 2, Insn: s.insn}
	switch o := s.op; {
	case o >= opLUI && o <= opREMUW, o == opFENCE, o == opCSR, o >= opNOP && o <= opLX0, o >= opFLW && o <= opFSD, o >= opLRW && o <= opAMOMAXUD:
		d.Op = Operation(o)
	case o == opFP:
		d.Op, d.FP, d.Imm = OperFP, FPOp(s.imm), 0
	}
	return d, true
}

// CodeWritten returns the range of memory offsets [lo, hi) that holds
// every byte of decoded code written since its last call, and resets it;
// ok is false if none was. Code is written by a store into a page with
// decoded code (by the guest, through the interpreter, or by the monitor
// through Invalidate), and all of it when the decode cache is dropped.
// An engine that keeps translations calls it before it runs them again.
func (h *Hart) CodeWritten() (lo, hi uint64, ok bool) {
	lo, hi = h.codeLo, h.codeHi
	h.codeLo, h.codeHi = 0, 0
	return lo, hi, hi > lo
}

// codeWrite adds [lo, hi) to the range CodeWritten reports.
func (h *Hart) codeWrite(lo, hi uint64) {
	if h.codeHi <= h.codeLo {
		h.codeLo, h.codeHi = lo, hi
		return
	}
	h.codeLo, h.codeHi = min(h.codeLo, lo), max(h.codeHi, hi)
}

// WatchCode makes the pages of [addr, addr+n) inside memory code pages, if
// they are not already: a store into them then takes the interpreter's
// slow path (and CodeWritten reports them), as a store into decoded code does.
func (h *Hart) WatchCode(addr, n uint64) {
	off, last, ok := h.codeRange(addr, n)
	if !ok {
		return
	}
	for pn := off >> pageShift; pn <= last>>pageShift; pn++ {
		if h.code[pn] == nil {
			// Decoded, not empty: limit's walk stops at the first
			// branch it finds decoded, and would walk an empty page
			// to the budget's end at every block.
			h.decodePage(pn)
		}
	}
}

// CodeTable returns the address of the decode cache table: one pointer
// per 4 KiB page of memory, nil for a page without decoded code. A store
// into a page whose entry is not nil must take the interpreter's path.
// The table moves only when the hart drops its whole decode cache, which
// CodeWritten reports.
func (h *Hart) CodeTable() uintptr {
	if h.code == nil {
		h.code = make([]*codePage, codePages(h.Mem.Size()))
		h.decLo, h.decHi = 0, 0
		h.codeWrite(0, h.Mem.Size())
	}
	return uintptr(unsafe.Pointer(&h.code[0]))
}

// CodeHull returns memory offsets [lo, hi) that hold every page of the
// decode cache table (CodeTable) whose entry is not nil, or lo == hi if
// there is none: a store outside [lo-7, hi) needs no look into the table.
// It only grows, until the hart drops its whole decode cache (which
// CodeWritten reports).
func (h *Hart) CodeHull() (lo, hi uint64) { return h.decLo, h.decHi }

// WatchRange returns the range of addresses a store must not start in
// without taking the interpreter's path: [lo, lo+n) holds every store of
// up to 8 bytes that may touch tohost, the LR/SC reservation or a write
// watchpoint. n is 0 when there is none.
func (h *Hart) WatchRange() (lo, n uint64) { return h.watchLo, h.watchLen }

// Debugging reports whether breakpoints or watchpoints were ever set on
// the hart: a translating engine then leaves it to the interpreter, which
// stops exactly where they say.
func (h *Hart) Debugging() bool { return h.dbg != nil }
