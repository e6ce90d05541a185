package rv64

import "math"

// Debugging support: breakpoints, write watchpoints, and what the
// instruction at pc would access. None of it costs the hot loop anything
// while no breakpoint and no watchpoint is set.
//
// A breakpoint is a decoded slot: decoding the instruction at a pc that is
// a breakpoint (decodePage, redecode) gives opBreak, which no neighbour
// fuses with and which Run's slow path turns into ExitBreak before the
// instruction runs. Setting or clearing one marks its slots stale
// (InvalidateCode), so the next fetch decodes them again; code written by
// the guest or the monitor is decoded again too and so stays breakpointed.
// The budget's end (limit) turns a slot into opEnd over whatever op it
// holds, so a budget that ends at a breakpoint ends Run with ExitBudget and
// the next Run stops there with ExitBreak.
//
// A write watchpoint widens the watch range, which stores already test
// (the hull of tohost and the LR/SC reservation, setWatch): a store that
// starts in it takes Run's stored path, which checks the exact overlap
// with each watched range and ends Run with ExitWatch once the store has
// retired. A store that touches both tohost and a watchpoint reports
// ExitWatch first; the next Run then returns ExitHost at once, without
// running anything, so the monitor serves tohost as it would have.

// debugState is a hart's breakpoints and watchpoints; a hart that never
// had one has none (Hart.dbg is nil).
type debugState struct {
	breaks  map[uint64]struct{} // the breakpoint pcs
	watches []watchRange        // the write watchpoints

	skip   bool   // SkipBreakpointOnce is armed for skipPC
	skipPC uint64 // the pc whose breakpoint the next Run steps over

	// While Run steps over the breakpoint at stepPC (stepping), that pc
	// decodes as its real instruction.
	stepping bool
	stepPC   uint64

	hostPending bool // ExitWatch was reported for a store that also touched tohost: ExitHost comes next

	hitAddr, hitLen uint64 // the store that hit a watchpoint
}

// watchRange is a write watchpoint on [addr, addr+n), n > 0.
type watchRange struct{ addr, n uint64 }

// debug returns the hart's debug state, making it on first use.
func (h *Hart) debug() *debugState {
	if h.dbg == nil {
		h.dbg = &debugState{breaks: map[uint64]struct{}{}}
	}
	return h.dbg
}

// SetBreakpoint makes Run stop before the instruction at pc, with
// ExitBreak: PC is pc and the instruction has not run; instret counts the
// instructions before it. Several may be set; setting one twice is one.
// Run stops there even when it starts at pc, unless SkipBreakpointOnce
// was called.
func (h *Hart) SetBreakpoint(pc uint64) {
	d := h.debug()
	if _, ok := d.breaks[pc]; ok {
		return
	}
	d.breaks[pc] = struct{}{}
	h.InvalidateCode(pc, 2)
}

// ClearBreakpoint removes the breakpoint at pc, if there is one.
func (h *Hart) ClearBreakpoint(pc uint64) {
	if h.dbg == nil {
		return
	}
	if _, ok := h.dbg.breaks[pc]; !ok {
		return
	}
	delete(h.dbg.breaks, pc)
	h.InvalidateCode(pc, 2)
}

// SkipBreakpointOnce makes the next Run, if it starts at the current PC,
// run the instruction there even if it is a breakpoint: how a debugger
// resumes from a breakpoint stop. The skip ends at the first instruction
// executed, or at any exit before it, except the record/replay unit's
// exits at that instruction (ExitNDFull, ExitNDEmpty), after which the
// monitor runs the same instruction again: the skip then stays armed.
// Restore disarms it.
func (h *Hart) SkipBreakpointOnce() {
	d := h.debug()
	d.skip, d.skipPC = true, h.PC
}

// SetWatch sets a write watchpoint on [addr, addr+n): Run ends with
// ExitWatch after a store (SB, SH, SW, SD and their compressed forms,
// FSW, FSD and theirs, every AMO, an SC that succeeded) that wrote bytes
// overlapping it. The store has retired: PC is the next instruction,
// Tval the store's address and Cause its size in bytes. Several may be set;
// n = 0 watches nothing.
func (h *Hart) SetWatch(addr, n uint64) {
	if n == 0 {
		return
	}
	d := h.debug()
	d.watches = append(d.watches, watchSpan(addr, n))
	h.setWatch()
}

// watchSpan is the watchpoint [addr, addr+n), n > 0, cut at the end of
// the address space.
func watchSpan(addr, n uint64) watchRange {
	if addr+n < addr {
		n = -addr
	}
	return watchRange{addr, n}
}

// ClearWatch removes a watchpoint SetWatch set with the same addr and n
// (one of them, if it was set several times).
func (h *Hart) ClearWatch(addr, n uint64) {
	if h.dbg == nil || n == 0 {
		return
	}
	w := h.dbg.watches
	for k := range w {
		if w[k] == watchSpan(addr, n) {
			h.dbg.watches = append(w[:k], w[k+1:]...)
			h.setWatch()
			return
		}
	}
}

// Watched reports whether [addr, addr+n) overlaps a write watchpoint:
// for the monitor, whose own writes into guest memory (a system call's
// results) Run does not see.
func (h *Hart) Watched(addr, n uint64) bool {
	if h.dbg == nil || n == 0 {
		return false
	}
	for _, w := range h.dbg.watches {
		if addr-w.addr < w.n || w.addr-addr < n {
			return true
		}
	}
	return false
}

// isBreak reports whether the instruction at pc must decode as opBreak.
func (d *debugState) isBreak(pc uint64) bool {
	if len(d.breaks) == 0 || d.stepping && pc == d.stepPC {
		return false
	}
	_, ok := d.breaks[pc]
	return ok
}

// markBreaks turns the slots of the breakpoints in the freshly decoded
// page pn, p, into opBreak, and splits the adds fused with them. The last
// slot is left as decodePage leaves it, to decode when it runs (redecode
// marks it then).
func (h *Hart) markBreaks(p *codePage, pn uint64) {
	d := h.dbg
	for pc := range d.breaks {
		off := pc - h.Mem.Base
		if pc < h.Mem.Base || off >= h.Mem.Size() || off&1 != 0 || off>>pageShift != pn || !d.isBreak(pc) {
			continue
		}
		k := off & (1<<pageShift - 1) >> 1
		if k >= pageSlots-1 || p[k].op == opDecode {
			continue
		}
		p[k].op = opBreak
		if k > 0 && p[k-1].size() == 1 {
			p[k-1].op = fuse(p[k-1].op, opBreak)
		}
		if k > 1 && p[k-2].size() == 2 {
			p[k-2].op = fuse(p[k-2].op, opBreak)
		}
	}
}

// watchHit reports whether a store of n bytes at a overlaps a watchpoint,
// and if so keeps it for the exit.
func (d *debugState) watchHit(a, n uint64) bool {
	for _, w := range d.watches {
		if a-w.addr < w.n || w.addr-a < n {
			d.hitAddr, d.hitLen = a, n
			return true
		}
	}
	return false
}

// watchExit is Run's exit after a store that hit a watchpoint (hit has
// amoWatch) at pc, the next instruction; hit&amoHost: it touched tohost
// too, which the next Run reports.
func (h *Hart) watchExit(pc, hit uint64) Exit {
	d := h.dbg
	d.hostPending = hit&amoHost != 0
	return Exit{Kind: ExitWatch, Cause: d.hitLen, Tval: d.hitAddr, PC: pc}
}

// watchHull widens the watch range [lo, hi) with the stores that may touch
// a watchpoint: those of up to 8 bytes that start in [addr-7, addr+n).
func (d *debugState) watchHull(lo, hi uint64) (uint64, uint64) {
	for _, w := range d.watches {
		wlo := watchStart(w.addr)
		whi := w.addr + w.n
		if whi < w.addr {
			whi = math.MaxUint64
		}
		lo, hi = min(lo, wlo), max(hi, whi)
	}
	return lo, hi
}

// enter is Run's first step while the hart has debug state: it reports
// the exit Run returns at once, if any, and otherwise takes from budget
// what it ran. It returns ExitHost left pending by a watched store, and
// steps over the breakpoint at PC when SkipBreakpointOnce armed it: that
// one instruction runs alone (Run(1)) with its slot decoded as the real
// instruction, and is then breakpointed again.
func (h *Hart) enter(budget *uint64) (Exit, bool) {
	d := h.dbg
	if d.hostPending {
		d.hostPending, d.skip = false, false
		return Exit{Kind: ExitHost, PC: h.PC}, true
	}
	if !d.skip || *budget == 0 {
		return Exit{}, false
	}
	d.skip = false
	pc := h.PC
	if pc != d.skipPC || !d.isBreak(pc) {
		return Exit{}, false
	}
	ret := h.CSR.Instret
	d.stepping, d.stepPC = true, pc
	h.InvalidateCode(pc, 2)
	e := h.Run(1)
	d.stepping = false
	h.InvalidateCode(pc, 2)
	if e.Kind != ExitBudget {
		if (e.Kind == ExitNDFull || e.Kind == ExitNDEmpty) && e.PC == pc && h.CSR.Instret == ret {
			d.skip = true // the monitor runs it again
		}
		return e, true
	}
	*budget -= h.CSR.Instret - ret
	if *budget == 0 {
		return e, true
	}
	return Exit{}, false
}

// Access reports the guest memory the instruction at PC would read and/or
// write if it ran now, without running it: the address and size in bytes
// of a load (LB..LD, LBU..LWU, FLW, FLD, LR), a store (SB..SD, FSW, FSD,
// an SC that would succeed), or an AMO (both), compressed forms included;
// load and store are false, and addr and n zero, for an instruction that
// touches no memory, for an SC that would fail, and for a pc outside
// memory. An access that would fault is reported all the same (a debugger
// asks before the fault happens).
func (h *Hart) Access() (addr, n uint64, load, store bool) {
	off := h.PC - h.Mem.Base
	if h.PC&1 != 0 || off > h.Mem.Size()-2 || h.Mem.Size() < 2 {
		return 0, 0, false, false
	}
	var w Insn
	if p := le.Uint16(h.Mem.Data[off:]); p&3 != 3 {
		var ok bool
		if w, ok = expandC(p); !ok {
			return 0, 0, false, false
		}
	} else {
		if off > h.Mem.Size()-4 {
			return 0, 0, false, false
		}
		w = Insn(le.Uint32(h.Mem.Data[off:]))
	}
	s := decode(w)
	base := h.X[s.rs1&31]
	switch {
	case s.op >= opLB && s.op <= opLWU || s.op == opLX0 || s.op == opFLW || s.op == opFLD:
		return base + s.imm, 1 << (w.Funct3() & 3), true, false
	case s.op >= opSB && s.op <= opSD || s.op == opFSW || s.op == opFSD:
		return base + s.imm, 1 << (w.Funct3() & 3), false, true
	case isAMO(s.op):
		n := uint64(1) << (w.Funct3() & 3)
		switch s.op {
		case opLRW, opLRD:
			return base, n, true, false
		case opSCW, opSCD:
			if h.resLen == 0 || base != h.resAddr || n > h.resLen {
				return 0, 0, false, false
			}
			return base, n, false, true
		}
		return base, n, true, true
	}
	return 0, 0, false, false
}
