//go:build linux && amd64

package jit

import (
	"cmp"
	"math"
	"slices"
	"unsafe"

	"github.com/rvsim/rvsim/csr"
	"github.com/rvsim/rvsim/rv64"
)

// ctx is what translated code reads and writes besides the guest's
// registers and memory. enter loads the first three words into registers;
// the offsets below are its layout.
type ctx struct {
	regs     uintptr   // &h.X[0], in R15
	mem      uintptr   // &h.Mem.Data[0], in R14
	budget   int64     // instructions left, in R12 while code runs
	reason   uint64    // why the code returned (exit*)
	pc       uint64    // the pc to go on at
	arg      uint64    // exitInterp: instructions to interpret
	base     uint64    // guest memory's base address
	codeTab  uintptr   // rv64.Hart.CodeTable
	watchLo  uint64    // the watch range's start as a memory offset
	watchLen uint64    // its length
	lim      [4]uint64 // size-1, size-2, size-4, size-8: the largest offset of an access of 1, 2, 4, 8 bytes
	nd       ndCtx     // for reads of cycle, time and seed (nd_linux_amd64.go)
	fp       fpCtx     // for the F and D extensions (fp_linux_amd64.go)
	// mxcsr is MXCSR as the code left it, its exception flags those its
	// F and D instructions raised (enter clears them before the code
	// runs).
	mxcsr uint32
	// mxIn is MXCSR as enter sets it before the code runs: every
	// exception masked, no flag set, and the rounding control of frm
	// (syncFrm).
	mxIn uint32
	res  resCtx // for LR and SC (amo_linux_amd64.go)
	// codeLo and codeLen bound the stores that may touch a page with
	// code: [codeLo, codeLo+codeLen) holds the memory offset of every
	// store of up to 8 bytes into a page of rv64.Hart.CodeHull (codeCheck).
	codeLo, codeLen uint64
}

const (
	offBudget   = 16
	offReason   = 24
	offPC       = 32
	offArg      = 40
	offBase     = 48
	offWatchLo  = 64
	offWatchLen = 72
	offLim      = 80
)

var (
	offCodeLo  = int32(unsafe.Offsetof(ctx{}.codeLo))
	offCodeLen = int32(unsafe.Offsetof(ctx{}.codeLen))
)

// Why translated code returns.
const (
	exitBudget = 1 + iota // the block at pc needs more instructions than are left
	exitInterp            // the interpreter must run arg instructions at pc
	exitChain             // a jump to the block at pc, which has no code yet
	exitJALR              // an indirect jump to pc, not in the lookup table
	exitWatch             // the block at pc has stores unchecked against the watch range, which is no longer empty
)

// Host registers: R12-R15 and RBP (the code table) are pinned (enter),
// RAX, RCX and RDX are scratch, and these hold guest registers within a
// block.
var pool = [...]reg{rbx, rsi, rdi, r8, r9, r10, r11}

const maxBlock = 200 // guest instructions in a block at most

// loopAlign is the alignment of the code a loop jumps back to (its body):
// where it falls in the host's fetch blocks and cache lines changed a
// loop's speed by as much as 8%.
const loopAlign = 32

// pending is a side exit, emitted after the block's main path.
type pending struct {
	fix   int    // the jcc's displacement
	pc    uint64 // the instruction that exits, not yet run
	back  int64  // instructions to give back to the budget
	count uint64 // instructions the interpreter runs from pc
	dirty []hostGuest
	// budget marks the exit taken when the budget ends before the part
	// of the block that starts at pc: it returns exitBudget, not
	// exitInterp.
	budget bool
	// branch marks a conditional branch taken in the middle of the
	// block: it writes back dirty and jumps to the block at pc, with the
	// budget as it is.
	branch bool
	// code marks the look into the code table of a store of code bytes
	// at memory offset rcx that codeCheck found near code: the side
	// exit if a page the store touches has code, else back to rejoin
	// (aligned as for storeAddress).
	code    int
	aligned bool
	rejoin  int
}

// link is a jump from a block to the block at pc: a rel32 at fix (an
// offset in the block), which goes to the block's stub at stub until the
// target is translated, and straight to the target's code after.
type link struct {
	pc        uint64
	fix, stub int
}

type hostGuest struct {
	h reg
	g uint8
}

// xlate translates one block.
type xlate struct {
	e      *Engine
	a      asm
	g2h    [32]int8
	h2g    [16]int8
	dirty  uint32 // guest registers whose value is only in their host register
	wrote  uint32 // guest registers the block's instructions write (put)
	locked uint16 // host registers the current instruction uses
	use    [16]int
	tick   int
	exits  []pending
	links  []link    // the block's jumps to other blocks
	end    int       // the index after the part of the block being emitted (partEnd)
	refs   [32]int32 // how many times the block's instructions name each guest register
	// A block that loops on itself keeps its guest registers in host
	// registers from one time round to the next (loopRegs): body is where
	// the loop goes back to, first the length of its first part, pinned
	// the host registers that keep them when they are not all of the
	// block's (no other guest register goes there). watch is whether
	// stores check the watch range; without, the block starts with a
	// check that it is empty (watchGuard). resident are the
	// guest registers that stay in host registers round the loop; those
	// the loop writes are dirty from its start on, and written back only
	// on the ways out.
	loop     bool
	body     int
	first    int
	pinned   uint16
	resident uint32
	watch    bool
	// hull is whether the code lay in few enough pages, when the block
	// was translated, that its stores compare their address with the
	// code's hull before they look into the code table (codeCheck).
	hull bool
	// fpGuarded is set once the block has checked, at its first F or D
	// instruction, that they may run natively (fpGuard); fpFrm when that
	// check includes frm, for the block has an instruction that rounds
	// as frm says.
	fpGuarded bool
	fpFrm     bool
}

func (t *xlate) reset() {
	for i := range t.g2h {
		t.g2h[i] = -1
	}
	for i := range t.h2g {
		t.h2g[i] = -1
	}
	t.dirty, t.locked, t.exits, t.links = 0, 0, t.exits[:0], t.links[:0]
	t.loop, t.pinned, t.resident, t.wrote, t.refs = false, 0, 0, 0, [32]int32{}
	t.fpGuarded = false
}

func gmem(g uint8) mem { return at(r15, int32(g)*8) }

// alloc returns a free host register, writing back the least recently
// used one if none is.
func (t *xlate) alloc() reg {
	best, bestUse := reg(255), math.MaxInt
	for _, h := range pool {
		if (t.locked|t.pinned)&(1<<h) != 0 {
			continue
		}
		if t.h2g[h] < 0 {
			return h
		}
		if t.use[h] < bestUse {
			best, bestUse = h, t.use[h]
		}
	}
	g := uint8(t.h2g[best])
	if t.dirty&(1<<g) != 0 {
		t.a.store(true, gmem(g), best)
		t.dirty &^= 1 << g
	}
	t.g2h[g], t.h2g[best] = -1, -1
	return best
}

func (t *xlate) touch(h reg) {
	t.tick++
	t.use[h] = t.tick
	t.locked |= 1 << h
}

// get returns a host register holding guest register g.
func (t *xlate) get(g uint8) reg {
	t.refs[g]++
	if h := t.g2h[g]; h >= 0 {
		t.touch(reg(h))
		return reg(h)
	}
	h := t.alloc()
	t.fetch(h, g)
	t.g2h[g], t.h2g[h] = int8(h), int8(g)
	t.touch(h)
	return h
}

// fetch emits h = guest register g: zero for x0, without a load.
func (t *xlate) fetch(h reg, g uint8) {
	if g == 0 {
		t.a.aluRR(false, aluXOR, h, h)
		return
	}
	t.a.load(true, h, gmem(g))
}

// put returns the host register to write guest register g (never 0) into.
func (t *xlate) put(g uint8) reg {
	t.refs[g]++
	h, ok := reg(0), false
	if x := t.g2h[g]; x >= 0 {
		h, ok = reg(x), true
	}
	if !ok {
		h = t.alloc()
		t.g2h[g], t.h2g[h] = int8(h), int8(g)
	}
	t.dirty |= 1 << g
	t.wrote |= 1 << g
	t.touch(h)
	return h
}

// putRAX emits the write of rax to guest register g: all of it (w) or
// its low 32 bits sign-extended.
func (t *xlate) putRAX(g uint8, w bool) {
	dst := t.put(g)
	if w {
		t.a.movRR(true, dst, rax)
	} else {
		t.a.movsxd(dst, rax)
	}
}

// dirtyRegs lists the guest registers held only in host registers.
func (t *xlate) dirtyRegs() []hostGuest {
	var l []hostGuest
	for g := uint8(1); g < 32; g++ {
		if t.dirty&(1<<g) != 0 {
			l = append(l, hostGuest{reg(t.g2h[g]), g})
		}
	}
	return l
}

// flush writes back every dirty guest register (no flags change).
func (t *xlate) flush() { t.flushExcept(0) }

// flushExcept writes back the dirty guest registers not in keep, which
// stay dirty (no flags change).
func (t *xlate) flushExcept(keep uint32) {
	for _, p := range t.dirtyRegs() {
		if keep&(1<<p.g) == 0 {
			t.a.store(true, gmem(p.g), p.h)
		}
	}
	t.dirty &= keep
}

// sideExit emits a jcc to a side exit that hands the instruction at pc
// (the block's k-th) to the interpreter.
func (t *xlate) sideExit(cc byte, pc uint64, k int) {
	t.exits = append(t.exits, pending{fix: t.a.jcc(cc), pc: pc, back: int64(t.end - k), count: 1, dirty: t.dirtyRegs()})
}

// exitTo emits the return to Go with reason and pc (arg in arg).
func (t *xlate) exitTo(reason uint64, pc uint64, arg uint64) {
	a := &t.a
	a.movImm(rax, pc)
	a.store(true, at(r13, offPC), rax)
	if reason == exitInterp {
		a.storeImm(at(r13, offArg), int32(arg))
	}
	a.storeImm(at(r13, offReason), int32(reason))
	a.jmpAbs(t.e.exitTail)
}

// chain emits the jump to the block at pc: a direct jump, patched to go
// to the block once it is translated; until then to a stub that returns
// to Go with pc (emitted with the cold code).
func (t *xlate) chain(pc uint64) { t.link(t.a.jmp(), pc) }

// again emits the jump back of a loop that starts at pc, where the only
// dirty registers are resident ones (the caller wrote back the others):
// it takes the budget of the first part and goes to the body, those
// still in host registers and dirty; a budget that ends writes them back
// and returns to Go at the loop's start. The dirty registers are as they
// were before again when it returns, for the way out that follows it.
func (t *xlate) again(pc uint64) {
	a := &t.a
	dirty := t.dirty
	a.aluRI(true, aluSUB, r12, int32(t.first))
	a.bindTo(a.jcc(ccGE), t.body)
	a.aluRI(true, aluADD, r12, int32(t.first))
	t.flush()
	t.exitTo(exitBudget, pc, 0)
	t.dirty = dirty
}

// link makes the jump whose rel32 is at fix a link to the block at pc.
func (t *xlate) link(fix int, pc uint64) {
	t.links = append(t.links, link{pc: pc, fix: fix})
}

// translate emits the block of instructions ins (whose first is at pc);
// next is the pc after the last; tail, if not zero, is how many
// instructions from next on the interpreter must run.
//
// A block that jumps back to its own start (a loop: selfLoop) is
// translated twice: the first time to learn which registers it uses, the
// second with them, or those it names most, loaded before the loop
// (loopRegs).
func (t *xlate) translate(pc uint64, ins []rv64.Decoded, tail uint64) {
	var regs []uint8
	pin := false
	var wrote uint32
	if selfLoop(pc, ins) {
		start := len(t.a.b)
		t.emit(pc, ins, tail, nil, false, 0)
		regs, pin = loopRegs(&t.refs)
		wrote = t.wrote
		t.a.b = t.a.b[:start]
	}
	t.emit(pc, ins, tail, regs, pin, wrote)
}

// selfLoop reports whether the block ins at pc ends with a jump or branch
// back to pc.
func selfLoop(pc uint64, ins []rv64.Decoded) bool {
	p := pc
	for _, d := range ins[:len(ins)-1] {
		p += d.Len
	}
	d := ins[len(ins)-1]
	return (isBranch(d.Op) || d.Op == rv64.OperJ || d.Op == rv64.OperJAL) && p+d.Imm == pc
}

// loopPinned is how many guest registers a loop that uses more than
// there are host registers for keeps in host registers: the others share
// the rest, three at least, as many as one instruction names.
const loopPinned = len(pool) - 3

// loopRegs returns the guest registers a loop keeps in host registers,
// from how many times its instructions name each (refs): all those named
// if there are host registers enough; else the loopPinned named most
// often (not x0, which costs no load), and pin is true.
func loopRegs(refs *[32]int32) (regs []uint8, pin bool) {
	for g, n := range refs {
		if n > 0 {
			regs = append(regs, uint8(g))
		}
	}
	if len(regs) <= len(pool) {
		return regs, false
	}
	regs = slices.DeleteFunc(regs, func(g uint8) bool { return g == 0 })
	slices.SortStableFunc(regs, func(x, y uint8) int { return cmp.Compare(refs[y], refs[x]) })
	return regs[:loopPinned], true
}

// emit emits the block; with regs, as a loop that loads them into host
// registers before its first time round and keeps them there: those of
// them it writes (in wrote) are dirty from the start, so that every way
// out of the block writes them back, and the jump back goes on past the
// loads without writing them back.
func (t *xlate) emit(pc uint64, ins []rv64.Decoded, tail uint64, regs []uint8, pin bool, wrote uint32) {
	t.reset()
	t.fpFrm = slices.ContainsFunc(ins, usesFrm)
	a := &t.a
	watchFix := -1
	if !t.watch && slices.ContainsFunc(ins, isStore) {
		watchFix = t.watchGuard()
	}
	// The budget: the whole of each part of the block or nothing (parts
	// end at the conditional branches inside the block).
	first := partEnd(ins, 0)
	t.end, t.first = first, first
	a.aluRI(true, aluSUB, r12, int32(first))
	budgetFix := a.jcc(ccL)
	if regs != nil {
		for i, g := range regs {
			h := pool[i]
			t.fetch(h, g)
			t.g2h[g], t.h2g[h] = int8(h), int8(g)
			if pin {
				t.pinned |= 1 << h
			}
			t.resident |= 1 << g
		}
		t.dirty = t.resident & wrote
		t.loop, t.body = true, a.pos()
	}

	p := pc
	for k := 0; k < len(ins); k++ {
		d := ins[k]
		t.locked = 0
		if k == t.end {
			t.end = partEnd(ins, k)
			a.aluRI(true, aluSUB, r12, int32(t.end-k))
			t.exits = append(t.exits, pending{fix: a.jcc(ccL), pc: p, back: int64(t.end - k), dirty: t.dirtyRegs(), budget: true})
		}
		if n := t.indexedLoad(p, k, ins); n > 0 {
			for _, f := range ins[k : k+n] {
				p += f.Len
			}
			k += n - 1
			continue
		}
		last := k == len(ins)-1
		t.insn(p, k, d, last)
		p += d.Len
	}
	t.locked = 0
	if ctl := ins[len(ins)-1].Op; !isControl(ctl) {
		t.flush()
		if tail != 0 {
			t.exitTo(exitInterp, p, tail)
		} else {
			t.chain(p)
		}
	}

	// Cold code: the side exits, then the budget's.
	for _, x := range t.exits {
		a.bind(x.fix)
		if x.code > 0 {
			t.lookCode(x)
		}
		for _, hg := range x.dirty {
			a.store(true, gmem(hg.g), hg.h)
		}
		if x.branch {
			t.chain(x.pc)
			continue
		}
		a.aluRI(true, aluADD, r12, int32(x.back))
		if x.budget {
			t.exitTo(exitBudget, x.pc, 0)
			continue
		}
		t.exitTo(exitInterp, x.pc, x.count)
	}
	a.bind(budgetFix)
	a.aluRI(true, aluADD, r12, int32(first))
	t.exitTo(exitBudget, pc, 0)
	if watchFix >= 0 {
		a.bind(watchFix)
		t.exitTo(exitWatch, pc, 0)
	}
	for i := range t.links {
		l := &t.links[i]
		l.stub = a.pos()
		a.bind(l.fix)
		t.exitTo(exitChain, l.pc, 0)
	}
}

// watchGuard emits the start of a block whose stores do not check the
// watch range: a jump to an exit if the range is not empty. In native
// code only an LR widens the range (a block with one checks it at every
// store), and only by a jump or branch to another block does it go on, so
// checking it where the block starts is checking it at every store.
func (t *xlate) watchGuard() int {
	t.a.aluMI(true, aluCMP, at(r13, offWatchLen), 0)
	return t.a.jcc(ccNE)
}

// isStore reports whether d writes memory: a store (FSW and FSD too) or
// an AMO.
func isStore(d rv64.Decoded) bool {
	switch d.Op {
	case rv64.OperSB, rv64.OperSH, rv64.OperSW, rv64.OperSD, rv64.OperFSW, rv64.OperFSD:
		return true
	}
	return isAMO(d.Op)
}

// partEnd returns where the part of the block ins that starts at index k
// ends: after the first conditional branch from k on that is not the
// block's last instruction, or at the block's end. Each part takes its
// instructions from the budget as it starts, so that a branch taken in
// the middle of the block leaves with the budget right.
func partEnd(ins []rv64.Decoded, k int) int {
	for i := k; i < len(ins)-1; i++ {
		if isBranch(ins[i].Op) {
			return i + 1
		}
	}
	return len(ins)
}

// isBranch reports whether o is a conditional branch.
func isBranch(o rv64.Operation) bool {
	switch o {
	case rv64.OperBEQ, rv64.OperBNE, rv64.OperBLT, rv64.OperBGE, rv64.OperBLTU, rv64.OperBGEU:
		return true
	}
	return false
}

// goesOn reports whether a block goes on past the control transfer d: a
// conditional branch forward, which a block takes as not taken (a
// backward one most often closes a loop, and ends the block).
func goesOn(d rv64.Decoded) bool { return isBranch(d.Op) && int64(d.Imm) > 0 }

// isControl reports whether o transfers control: a jump or a conditional
// branch.
func isControl(o rv64.Operation) bool {
	switch o {
	case rv64.OperJAL, rv64.OperJ, rv64.OperJALR, rv64.OperJR:
		return true
	}
	return isBranch(o)
}

// translatable reports whether the engine translates instruction d.
func (e *Engine) translatable(d rv64.Decoded) bool {
	switch d.Op {
	case rv64.OperOther:
		return false
	case rv64.OperCSR:
		if d.Insn.CSR() == csr.Fflags {
			return true
		}
		_, ok := e.csrInline(d)
		return ok
	case rv64.OperFLW, rv64.OperFLD, rv64.OperFSW, rv64.OperFSD, rv64.OperFP:
		return e.fpTranslatable(d)
	}
	return true
}

// width returns the bytes a load or store operation accesses.
func width(o rv64.Operation, in rv64.Insn) int {
	switch o {
	case rv64.OperLB, rv64.OperLBU, rv64.OperSB:
		return 1
	case rv64.OperLH, rv64.OperLHU, rv64.OperSH:
		return 2
	case rv64.OperLW, rv64.OperLWU, rv64.OperSW, rv64.OperFLW, rv64.OperFSW:
		return 4
	case rv64.OperLX0:
		switch in.Funct3() & 3 {
		case 0:
			return 1
		case 1:
			return 2
		case 2:
			return 4
		}
	}
	return 8
}

// limIndex is the index into ctx.lim for an access of n bytes.
func limIndex(n int) int32 {
	switch n {
	case 1:
		return 0
	case 2:
		return 1
	case 4:
		return 2
	}
	return 3
}

// address emits rcx = the memory offset of an access of n bytes at
// X[rs1]+imm, and the side exit if it is outside memory.
func (t *xlate) address(d rv64.Decoded, n int, pc uint64, k int) {
	t.offset(at(t.get(d.Rs1), 0), d.Imm, n)
	t.sideExit(ccA, pc, k)
}

// offset emits rcx = the memory offset of an access of n bytes at m's
// address (its base, and index if any) plus imm, compared with the
// largest offset such an access may have: outside memory if above. It
// may use RAX.
func (t *xlate) offset(m mem, imm uint64, n int) {
	a := &t.a
	// The base folds into the displacement when that fits (the code
	// cache is emptied when the base changes).
	switch disp := int64(imm - t.e.base); {
	case disp == int64(int32(disp)):
		m.disp = int32(disp)
		a.lea(rcx, m)
	case !m.hasIndex:
		// A base above 2^31 (a Linux program's, like qemu's): the
		// displacement in RAX, loaded apart from the address's chain.
		a.movImm(rax, uint64(disp))
		a.lea(rcx, atIdx(m.base, rax, 1, 0))
	default:
		m.disp = int32(int64(imm))
		a.lea(rcx, m)
		a.aluRM(true, aluSUB, rcx, at(r13, offBase))
	}
	a.aluRM(true, aluCMP, rcx, at(r13, offLim+8*limIndex(n)))
}

// storeAddress emits rcx = the memory offset of a store of n bytes at
// X[rs1]+imm, and the side exits if it is outside memory, into a page
// with code, or into the watch range (if the block checks it): the
// interpreter makes those. aligned says the address is a multiple of n
// (checked before), so that the store's last byte is in its first's page.
func (t *xlate) storeAddress(d rv64.Decoded, n int, pc uint64, k int, aligned bool) {
	a := &t.a
	t.address(d, n, pc, k)
	t.codeCheck(n, pc, k, aligned)
	if t.watch {
		a.movRR(true, rax, rcx)
		a.aluRM(true, aluSUB, rax, at(r13, offWatchLo))
		a.aluRM(true, aluCMP, rax, at(r13, offWatchLen))
		t.sideExit(ccB, pc, k)
	}
}

// codeCheck emits the side exit of a store of n bytes at memory offset
// rcx into a page with code; aligned as for storeAddress. It uses RAX.
// In a block translated while the code lies in a few pages (hull), only a
// store near code (within ctx's codeLo and codeLen) looks into the code
// table, in the cold code (lookCode); elsewhere every store does.
func (t *xlate) codeCheck(n int, pc uint64, k int, aligned bool) {
	a := &t.a
	if !t.hull {
		t.lookTable(n, aligned, func() { t.sideExit(ccNE, pc, k) })
		return
	}
	a.movRR(true, rax, rcx)
	a.aluRM(true, aluSUB, rax, at(r13, offCodeLo))
	a.aluRM(true, aluCMP, rax, at(r13, offCodeLen))
	fix := a.jcc(ccB)
	t.exits = append(t.exits, pending{fix: fix, pc: pc, back: int64(t.end - k), count: 1, dirty: t.dirtyRegs(),
		code: n, aligned: aligned, rejoin: a.pos()})
}

// lookCode emits, in the cold code, codeCheck's look into the code table
// for x: back to the store if no page it touches has code, else on to
// the side exit that follows.
func (t *xlate) lookCode(x pending) {
	a := &t.a
	var hits []int
	t.lookTable(x.code, x.aligned, func() { hits = append(hits, a.jcc(ccNE)) })
	a.bindTo(a.jmp(), x.rejoin)
	for _, h := range hits {
		a.bind(h)
	}
}

// lookTable emits the look into the code table (in RBP) for a store of n
// bytes at memory offset rcx: the entry of its first byte's page and, if
// it may cross into the next (more than a byte, its alignment unknown),
// its last byte's, each compared with nil and followed by hit, which
// emits the jump taken when it is not. It uses RAX.
func (t *xlate) lookTable(n int, aligned bool, hit func()) {
	a := &t.a
	a.movRR(true, rax, rcx)
	a.shiftI(true, shSHR, rax, 12)
	a.aluMI(true, aluCMP, atIdx(rbp, rax, 8, 0), 0)
	hit()
	if n > 1 && !aligned {
		a.lea(rax, at(rcx, int32(n-1)))
		a.shiftI(true, shSHR, rax, 12)
		a.aluMI(true, aluCMP, atIdx(rbp, rax, 8, 0), 0)
		hit()
	}
}

// loadOp emits the load d into dst from the memory offset in rcx.
func (t *xlate) loadOp(d rv64.Decoded, dst reg) {
	a := &t.a
	m := atIdx(r14, rcx, 1, 0)
	switch d.Op {
	case rv64.OperLB:
		a.loadSX8(dst, m)
	case rv64.OperLH:
		a.loadSX16(dst, m)
	case rv64.OperLW:
		a.loadSX32(dst, m)
	case rv64.OperLD:
		a.load(true, dst, m)
	case rv64.OperLBU:
		a.loadZX8(dst, m)
	case rv64.OperLHU:
		a.loadZX16(dst, m)
	case rv64.OperLWU:
		a.load(false, dst, m)
	}
}

// insn emits instruction d at pc, the block's k-th.
func (t *xlate) insn(pc uint64, k int, d rv64.Decoded, last bool) {
	a := &t.a
	imm := int32(int64(d.Imm)) // 12-bit immediates and shift amounts fit
	switch d.Op {
	case rv64.OperNOP, rv64.OperFENCE:
		// FENCE.I: every store into code already left translated code
		// and dropped what it wrote.
	case rv64.OperLUI:
		a.movImm(t.put(d.Rd), d.Imm)
	case rv64.OperAUIPC:
		a.movImm(t.put(d.Rd), pc+d.Imm)

	case rv64.OperJAL, rv64.OperJ:
		if d.Op == rv64.OperJAL {
			a.movImm(t.put(d.Rd), pc+d.Len)
		}
		if last && t.loop {
			t.flushExcept(t.resident)
			t.again(pc + d.Imm)
			break
		}
		t.flush()
		t.chain(pc + d.Imm)
	case rv64.OperJALR, rv64.OperJR:
		s1 := t.get(d.Rs1)
		a.lea(rax, at(s1, imm))
		a.aluRI(true, aluAND, rax, -2)
		if d.Op == rv64.OperJALR {
			a.movImm(t.put(d.Rd), pc+d.Len)
		}
		t.flush()
		t.lookup()
	case rv64.OperBEQ, rv64.OperBNE, rv64.OperBLT, rv64.OperBGE, rv64.OperBLTU, rv64.OperBGEU:
		t.compare(d)
		if last && t.loop {
			t.flushExcept(t.resident)
			out := a.jcc(branchCC(d.Op) ^ 1)
			t.again(pc + d.Imm)
			a.bind(out)
			t.flush()
			t.chain(pc + d.Len)
			break
		}
		if last {
			t.flush()
			t.link(a.jcc(branchCC(d.Op)), pc+d.Imm)
			t.chain(pc + d.Len)
			break
		}
		// A forward branch (partEnd): the block goes on with the branch
		// not taken, the guest registers it holds in host registers
		// still there and still dirty; taken, it writes back the dirty
		// ones in the cold code on its way to the target.
		if t.dirty == 0 {
			t.link(a.jcc(branchCC(d.Op)), pc+d.Imm)
			break
		}
		t.exits = append(t.exits, pending{fix: a.jcc(branchCC(d.Op)), pc: pc + d.Imm, dirty: t.dirtyRegs(), branch: true})

	case rv64.OperLB, rv64.OperLH, rv64.OperLW, rv64.OperLD, rv64.OperLBU, rv64.OperLHU, rv64.OperLWU, rv64.OperLX0:
		n := width(d.Op, d.Insn)
		t.address(d, n, pc, k)
		if d.Op == rv64.OperLX0 {
			break
		}
		t.loadOp(d, t.put(d.Rd))

	case rv64.OperSB, rv64.OperSH, rv64.OperSW, rv64.OperSD:
		n := width(d.Op, d.Insn)
		s2 := t.get(d.Rs2)
		t.storeAddress(d, n, pc, k, false)
		m := atIdx(r14, rcx, 1, 0)
		switch n {
		case 1:
			a.store8(m, s2)
		case 2:
			a.store16(m, s2)
		case 4:
			a.store(false, m, s2)
		default:
			a.store(true, m, s2)
		}

	case rv64.OperADDI:
		if d.Rs1 == 0 { // li
			a.movImm(t.put(d.Rd), d.Imm)
			break
		}
		s1 := t.get(d.Rs1)
		dst := t.put(d.Rd)
		if dst == s1 {
			a.aluRI(true, aluADD, dst, imm)
		} else {
			a.lea(dst, at(s1, imm))
		}
	case rv64.OperADDIW:
		s1 := t.get(d.Rs1)
		dst := t.put(d.Rd)
		if imm == 0 { // sext.w
			a.movsxd(dst, s1)
			break
		}
		a.lea(dst, at(s1, imm))
		a.movsxd(dst, dst)
	case rv64.OperSLTI, rv64.OperSLTIU:
		s1 := t.get(d.Rs1)
		a.aluRI(true, aluCMP, s1, imm)
		cc := byte(ccL)
		if d.Op == rv64.OperSLTIU {
			cc = ccB
		}
		a.setcc(cc, t.put(d.Rd))
	case rv64.OperXORI, rv64.OperORI, rv64.OperANDI:
		s1 := t.get(d.Rs1)
		dst := t.put(d.Rd)
		if dst != s1 {
			a.movRR(true, dst, s1)
		}
		op := aluAND
		switch d.Op {
		case rv64.OperXORI:
			op = aluXOR
		case rv64.OperORI:
			op = aluOR
		}
		a.aluRI(true, op, dst, imm)
	case rv64.OperSLLI, rv64.OperSRLI, rv64.OperSRAI, rv64.OperSLLIW, rv64.OperSRLIW, rv64.OperSRAIW:
		s1 := t.get(d.Rs1)
		dst := t.put(d.Rd)
		w := d.Op == rv64.OperSLLI || d.Op == rv64.OperSRLI || d.Op == rv64.OperSRAI
		if dst != s1 || !w {
			a.movRR(w, dst, s1)
		}
		a.shiftI(w, shiftOp(d.Op), dst, uint8(d.Imm))
		if !w {
			a.movsxd(dst, dst)
		}

	case rv64.OperADD, rv64.OperSUB, rv64.OperXOR, rv64.OperOR, rv64.OperAND,
		rv64.OperADDW, rv64.OperSUBW:
		t.alu(d)
	case rv64.OperSLL, rv64.OperSRL, rv64.OperSRA, rv64.OperSLLW, rv64.OperSRLW, rv64.OperSRAW:
		s1, s2 := t.get(d.Rs1), t.get(d.Rs2)
		w := d.Op == rv64.OperSLL || d.Op == rv64.OperSRL || d.Op == rv64.OperSRA
		a.movRR(true, rcx, s2)
		if w { // rcx holds the amount: dst may be s2
			dst := t.put(d.Rd)
			if dst != s1 {
				a.movRR(true, dst, s1)
			}
			a.shiftCL(true, shiftOp(d.Op), dst)
			break
		}
		a.movRR(w, rax, s1)
		a.shiftCL(w, shiftOp(d.Op), rax)
		t.putRAX(d.Rd, w)
	case rv64.OperSLT, rv64.OperSLTU:
		s1, s2 := t.get(d.Rs1), t.get(d.Rs2)
		a.aluRR(true, aluCMP, s1, s2)
		cc := byte(ccL)
		if d.Op == rv64.OperSLTU {
			cc = ccB
		}
		a.setcc(cc, t.put(d.Rd))

	case rv64.OperMUL, rv64.OperMULW:
		s1, s2 := t.get(d.Rs1), t.get(d.Rs2)
		w := d.Op == rv64.OperMUL
		if w {
			dst := t.put(d.Rd)
			a.imulRR(true, dst, t.commuted(dst, s1, s2))
			break
		}
		a.movRR(true, rax, s1)
		a.imulRR(w, rax, s2)
		t.putRAX(d.Rd, w)
	case rv64.OperMULH, rv64.OperMULHU, rv64.OperMULHSU:
		s1, s2 := t.get(d.Rs1), t.get(d.Rs2)
		a.movRR(true, rax, s1)
		if d.Op == rv64.OperMULH {
			a.imul(true, s2)
		} else {
			a.mul(true, s2)
		}
		if d.Op == rv64.OperMULHSU {
			// Unsigned high half, less b when a is negative.
			a.movRR(true, rcx, s1)
			a.shiftI(true, shSAR, rcx, 63)
			a.aluRR(true, aluAND, rcx, s2)
			a.aluRR(true, aluSUB, rdx, rcx)
		}
		a.movRR(true, t.put(d.Rd), rdx)
	case rv64.OperDIV, rv64.OperDIVU, rv64.OperREM, rv64.OperREMU,
		rv64.OperDIVW, rv64.OperDIVUW, rv64.OperREMW, rv64.OperREMUW:
		t.divide(d)
	case rv64.OperCSR:
		if d.Insn.CSR() == csr.Fflags {
			t.fflags(pc, k, d)
			break
		}
		r, _ := t.e.csrInline(d)
		t.csrRead(d, r, pc, k)
	case rv64.OperFLW, rv64.OperFLD, rv64.OperFSW, rv64.OperFSD, rv64.OperFP:
		t.fp(pc, k, d)
	case rv64.OperLRW, rv64.OperLRD:
		t.lr(pc, k, d)
	case rv64.OperSCW, rv64.OperSCD:
		t.sc(pc, k, d)
	default:
		if isAMO(d.Op) {
			t.amo(pc, k, d)
		}
	}
}

func branchCC(o rv64.Operation) byte {
	switch o {
	case rv64.OperBEQ:
		return ccE
	case rv64.OperBNE:
		return ccNE
	case rv64.OperBLT:
		return ccL
	case rv64.OperBGE:
		return ccGE
	case rv64.OperBLTU:
		return ccB
	}
	return ccAE
}

func shiftOp(o rv64.Operation) int {
	switch o {
	case rv64.OperSLLI, rv64.OperSLLIW, rv64.OperSLL, rv64.OperSLLW:
		return shSHL
	case rv64.OperSRLI, rv64.OperSRLIW, rv64.OperSRL, rv64.OperSRLW:
		return shSHR
	}
	return shSAR
}

// alu emits a register-register ADD, SUB, XOR, OR, AND, ADDW or SUBW.
func (t *xlate) alu(d rv64.Decoded) {
	a := &t.a
	var op int
	w := true
	switch d.Op {
	case rv64.OperADD:
		op = aluADD
	case rv64.OperSUB:
		op = aluSUB
	case rv64.OperXOR:
		op = aluXOR
	case rv64.OperOR:
		op = aluOR
	case rv64.OperAND:
		op = aluAND
	case rv64.OperADDW:
		op, w = aluADD, false
	case rv64.OperSUBW:
		op, w = aluSUB, false
	}
	if d.Op == rv64.OperSUB && d.Rs1 == 0 { // neg
		s2 := t.get(d.Rs2)
		dst := t.put(d.Rd)
		if dst != s2 {
			a.movRR(true, dst, s2)
		}
		a.neg(true, dst)
		return
	}
	s1, s2 := t.get(d.Rs1), t.get(d.Rs2)
	dst := t.put(d.Rd)
	switch {
	case w && op != aluSUB:
		a.aluRR(true, op, dst, t.commuted(dst, s1, s2))
	case w && dst == s2 && dst != s1: // rd = rs1 - rd
		a.neg(true, dst)
		a.aluRR(true, aluADD, dst, s1)
	case w:
		if dst != s1 {
			a.movRR(true, dst, s1)
		}
		a.aluRR(true, op, dst, s2)
	default:
		a.movRR(true, rax, s1)
		a.aluRR(w, op, rax, s2)
		if w {
			a.movRR(true, dst, rax)
		} else {
			a.movsxd(dst, rax)
		}
	}
}

// commuted prepares dst = s1 op s2 for an operation op that commutes and
// that the caller emits as dst = dst op src: it returns src, the source
// that is not dst, after moving s1 into dst when dst is neither.
func (t *xlate) commuted(dst, s1, s2 reg) reg {
	switch dst {
	case s1:
		return s2
	case s2:
		return s1
	}
	t.a.movRR(true, dst, s1)
	return s2
}

// compare emits the comparison of a conditional branch d, into the flags
// its condition code (branchCC) tests: against x0 a test of the other
// register (x0 is then not fetched), which sets the flags of a comparison
// with zero (ZF, SF; CF and OF clear) for rs2 = x0, and for beq and bne
// either way round.
func (t *xlate) compare(d rv64.Decoded) {
	a := &t.a
	switch {
	case d.Rs2 == 0:
		s1 := t.get(d.Rs1)
		a.test(true, s1, s1)
	case d.Rs1 == 0 && (d.Op == rv64.OperBEQ || d.Op == rv64.OperBNE):
		s2 := t.get(d.Rs2)
		a.test(true, s2, s2)
	default:
		a.aluRR(true, aluCMP, t.get(d.Rs1), t.get(d.Rs2))
	}
}

// divide emits the M extension's divisions (table 13.1: by zero, all ones
// or the dividend; MIN / -1, MIN remainder 0), which x86 would trap on.
func (t *xlate) divide(d rv64.Decoded) {
	a := &t.a
	s1, s2 := t.get(d.Rs1), t.get(d.Rs2)
	w := true
	signed, remainder := false, false
	switch d.Op {
	case rv64.OperDIV:
		signed = true
	case rv64.OperREM:
		signed, remainder = true, true
	case rv64.OperREMU:
		remainder = true
	case rv64.OperDIVW:
		w, signed = false, true
	case rv64.OperREMW:
		w, signed, remainder = false, true, true
	case rv64.OperDIVUW:
		w = false
	case rv64.OperREMUW:
		w, remainder = false, true
	}
	a.movRR(true, rcx, s2)
	a.movRR(true, rax, s1)
	a.test(w, rcx, rcx)
	zero := a.jcc(ccE)
	var minus1 int
	if signed {
		a.aluRI(w, aluCMP, rcx, -1)
		minus1 = a.jcc(ccE)
		if w {
			a.cqo()
		} else {
			a.cdq()
		}
		a.idiv(w, rcx)
	} else {
		a.aluRR(false, aluXOR, rdx, rdx)
		a.div(w, rcx)
	}
	if remainder {
		a.movRR(true, rax, rdx)
	}
	done := []int{a.jmp()}
	if signed {
		// By -1: the negation (MIN stays MIN), remainder 0.
		a.bind(minus1)
		if remainder {
			a.aluRR(false, aluXOR, rax, rax)
		} else {
			a.neg(w, rax)
		}
		done = append(done, a.jmp())
	}
	// By zero: all ones, or the dividend (in rax already).
	a.bind(zero)
	if !remainder {
		a.movImm(rax, math.MaxUint64)
	}
	for _, f := range done {
		a.bind(f)
	}
	t.putRAX(d.Rd, w)
}

// lookup emits the indirect jump to the guest pc in rax through the
// lookup table, returning to Go when it has no entry for it.
func (t *xlate) lookup() {
	a := &t.a
	a.movRR(true, rcx, rax)
	a.shiftI(true, shSHR, rcx, 1)
	a.aluRI(false, aluAND, rcx, lookupLen-1)
	a.shiftI(true, shSHL, rcx, 4)
	a.lea(rdx, ripAt(t.e.lookupAddr()))
	a.aluRM(true, aluCMP, rax, atIdx(rdx, rcx, 1, 0))
	miss := a.jcc(ccNE)
	a.jmpMem(atIdx(rdx, rcx, 1, 8))
	a.bind(miss)
	a.store(true, at(r13, offPC), rax)
	a.storeImm(at(r13, offReason), exitJALR)
	a.jmpAbs(t.e.exitTail)
}
