//go:build linux && amd64

package jit

import (
	"bytes"
	"fmt"
	"math"
	"runtime"
	"slices"
	"time"
	"unsafe"

	"github.com/rvsim/rvsim/ndbuf"
	"github.com/rvsim/rvsim/rv64"
)

// block is one translation: the guest code at pc, and its native code or,
// when code is 0, how many instructions from pc the interpreter runs.
type block struct {
	pc    uint64
	guest []byte // the guest code translated, to tell when it is written
	code  uintptr
	count uint64
	out   []outSite // its jumps to other blocks
}

// outSite is a block's jump to the block at pc, at address at.
type outSite struct {
	pc uint64
	at uintptr
}

// site is a jump to be patched: the address of its rel32, and of the stub
// it goes to while its target has no code.
type site struct{ at, stub uintptr }

// Engine runs one hart's code as native code.
type Engine struct {
	h         *rv64.Hart
	c         *ctx
	cc        *cache
	x         xlate
	blocks    map[uint64]*block   // by pc
	pages     map[uint64][]*block // by memory page (offset >> 12) of any byte of their guest code
	into      map[uint64][]site   // the jumps to the block at a pc from other blocks
	base      uint64              // the memory base the code was translated for
	key       ndKey               // the record/replay unit the code was translated for
	clockUsed bool                // code reads the clock: ctx holds its multipliers
	fixed     bool                // the hart's watch range had a fixed part (tohost, watchpoints) when the code was translated (plainRes)

	exitTail uintptr // the common return to enter
	stats    Stats
	cleanup  runtime.Cleanup
	heat     map[uint64]uint8 // how often each pc started untranslated
	hotAfter uint8            // the count at which a pc is translated
	hullMax  uint64           // the largest code hull with which stores compare their address with it first (hullMax)
	short    int              // native runs in a row that ended in a side exit soon
	broken   error            // the code cache failed (a host refusal to map or protect): the interpreter runs
	fma      bool             // the host has FMA3: the fused multiply-adds are translated
	sse41    bool             // the host has SSE4.1: conversions into integers in the directed rounding modes are translated
}

// New returns an engine for h: it shares h's registers, memory, CSR file
// and ND unit, and hands h to the interpreter for whatever it does not
// translate.
func New(h *rv64.Hart) (*Engine, error) {
	if h.Mem.Size() < rv64.MinMemory {
		return nil, fmt.Errorf("jit: guest memory of %d bytes is below the minimum", h.Mem.Size())
	}
	cc, err := newCache()
	if err != nil {
		return nil, err
	}
	e := &Engine{h: h, c: new(ctx), cc: cc, heat: make(map[uint64]uint8), hotAfter: hotAfter, hullMax: hullMax, fma: hasFMA(), sse41: hasSSE41()}
	e.x.e = e
	e.c.fp.flagTab = newFlagTab()
	e.c.fp.mxStatic = newMxStatic()
	if err := e.flush(); err != nil {
		cc.close()
		return nil, err
	}
	e.stats.Flushes = 0
	// An engine never closed releases its cache once unreachable (the
	// cleanup must not reach e).
	e.cleanup = runtime.AddCleanup(e, func(c *cache) { c.close() }, cc)
	return e, nil
}

// Close releases the code cache. The engine must not be used afterwards.
func (e *Engine) Close() {
	if e.cc != nil {
		e.cleanup.Stop()
		e.cc.close()
		e.cc = nil
	}
}

// park hands the code cache to the next New (spare), or releases it if a
// cache is parked already. The engine must not be used afterwards.
func (e *Engine) park() {
	if e.cc == nil {
		return
	}
	e.cleanup.Stop()
	if !spare.CompareAndSwap(nil, e.cc) {
		e.cc.close()
	}
	e.cc = nil
}

// Stats returns what the engine did so far.
func (e *Engine) Stats() Stats { return e.stats }

// flush empties the code cache and writes its fixed code: the common exit
// (the budget left back into ctx, return to enter).
func (e *Engine) flush() (err error) {
	defer func() {
		if err != nil {
			e.broken = err
		}
	}()
	e.cc.reset()
	e.blocks = make(map[uint64]*block)
	e.pages = make(map[uint64][]*block)
	e.into = make(map[uint64][]site)
	e.base = e.h.Mem.Base
	e.key = e.ndKey()
	e.fixed = e.fixedWatch()
	e.stats.Flushes++

	a := asm{org: e.cc.next()}
	a.store(true, at(r13, offBudget), r12)
	a.ret()
	code, err := e.cc.write(a.b)
	if err != nil {
		return err
	}
	e.exitTail = code
	return nil
}

func (e *Engine) lookupAddr() uintptr { return uintptr(unsafe.Pointer(&e.cc.lookup[0])) }

// sync copies what translated code reads of the hart into ctx, and drops
// the translations of code written since the last call.
func (e *Engine) sync() {
	h, c := e.h, e.c
	c.regs = uintptr(unsafe.Pointer(&h.X[0]))
	c.mem = uintptr(unsafe.Pointer(&h.Mem.Data[0]))
	c.base = h.Mem.Base
	size := h.Mem.Size()
	c.lim = [4]uint64{size - 1, size - 2, size - 4, size - 8}
	c.codeTab = h.CodeTable()
	lo, n := h.WatchRange()
	c.watchLo, c.watchLen = lo-c.base, n
	if lo, hi, ok := h.CodeWritten(); ok {
		e.invalidate(lo, hi)
	}
	if e.ndKey() != e.key || h.Mem.Base != e.base || e.fixedWatch() != e.fixed {
		e.flush() // an error leaves the cache empty: translate then fails, and the interpreter runs
	}
	e.syncND()
	e.syncFP()
	e.syncRes()
}

// syncCode sets ctx's bounds of the stores near code (codeCheck) from the
// hart's code hull, which translating and interpreting may have widened
// since sync.
func (e *Engine) syncCode() {
	lo, hi := e.h.CodeHull()
	if lo >= hi {
		e.c.codeLo, e.c.codeLen = 0, 0
		return
	}
	lo -= min(lo, 7) // a store of 8 bytes that starts 7 before the page touches it
	e.c.codeLo, e.c.codeLen = lo, hi-lo
}

// invalidate drops the blocks whose guest code changed in memory offsets
// [lo, hi), and makes sure the pages of the others still send stores to
// the interpreter.
func (e *Engine) invalidate(lo, hi uint64) {
	h := e.h
	check := func(pn uint64) {
		l := e.pages[pn]
		keep := l[:0]
		for _, b := range l {
			off := b.pc - h.Mem.Base
			if off >= hi || off+uint64(len(b.guest)) <= lo {
				keep = append(keep, b) // its code was not written
				continue
			}
			cur, ok := h.Mem.Slice(b.pc, uint64(len(b.guest)))
			if ok && bytes.Equal(cur, b.guest) {
				keep = append(keep, b)
				h.WatchCode(b.pc, uint64(len(b.guest)))
				continue
			}
			e.drop(b)
		}
		if len(keep) == 0 {
			delete(e.pages, pn)
		} else {
			e.pages[pn] = keep
		}
	}
	if (hi-lo)>>12 > uint64(len(e.pages)) {
		for pn := range e.pages {
			if pn >= lo>>12 && pn <= (hi-1)>>12 {
				check(pn)
			}
		}
		return
	}
	for pn := lo >> 12; pn <= (hi-1)>>12; pn++ {
		if _, ok := e.pages[pn]; ok {
			check(pn)
		}
	}
}

// forget drops block b, still the translation of its guest code, and
// takes it off the lists of its pages.
func (e *Engine) forget(b *block) {
	e.unlink(b)
	first, last := e.pageSpan(b)
	for pn := first; pn <= last; pn++ {
		l := slices.DeleteFunc(e.pages[pn], func(x *block) bool { return x == b })
		if len(l) == 0 {
			delete(e.pages, pn)
		} else {
			e.pages[pn] = l
		}
	}
}

// pageSpan returns the first and last memory pages (offset >> 12) that
// hold block b's guest code: its lists in e.pages.
func (e *Engine) pageSpan(b *block) (first, last uint64) {
	off := b.pc - e.h.Mem.Base
	return off >> 12, (off + uint64(len(b.guest)) - 1) >> 12
}

// drop forgets block b, whose code was written: jumps to its pc come
// back to Go.
func (e *Engine) drop(b *block) {
	if e.blocks[b.pc] != b {
		return // already dropped through another page
	}
	e.unlink(b)
	e.stats.Invalidated++
}

// unlink takes block b out of the engine: jumps to its pc come back to Go.
func (e *Engine) unlink(b *block) {
	delete(e.blocks, b.pc)
	// Its own jumps are dead code: no longer patched.
	for _, o := range b.out {
		l := e.into[o.pc]
		for i := range l {
			if l[i].at == o.at {
				l[i] = l[len(l)-1]
				l = l[:len(l)-1]
				break
			}
		}
		if len(l) == 0 {
			delete(e.into, o.pc)
		} else {
			e.into[o.pc] = l
		}
	}
	for _, s := range e.into[b.pc] {
		e.setBroken(e.cc.patch(s.at, s.stub))
	}
	i := (b.pc >> 1) & (lookupLen - 1)
	if e.cc.lookup[i].pc == b.pc {
		e.cc.lookup[i] = lookupEntry{pc: 1}
	}
}

// Run runs the hart for at most budget instructions, with exactly the
// contract of rv64.Hart.Run: translated code for what the engine
// translates, the interpreter for the rest.
func (e *Engine) Run(budget uint64) rv64.Exit {
	h := e.h
	if h.Debugging() || len(h.Mem.Data) == 0 || e.broken != nil {
		return h.Run(budget)
	}
	end := h.CSR.Instret + budget
	if end < h.CSR.Instret {
		end = math.MaxUint64
	}
	for {
		e.sync()
		if e.broken != nil && h.CSR.Instret < end {
			return h.Run(end - h.CSR.Instret)
		}
		ret := h.CSR.Instret
		if ret >= end {
			return rv64.Exit{Kind: rv64.ExitBudget, PC: h.PC}
		}
		left := end - ret
		b := e.blocks[h.PC]
		if b == nil {
			// Code that runs once or twice costs more to translate
			// than to interpret: the interpreter runs a burst from a
			// pc without a translation the first two times, and the
			// block is translated the third.
			if heat := e.heat[h.PC]; heat < e.hotAfter {
				if len(e.heat) >= heatLen {
					clear(e.heat)
				}
				e.heat[h.PC] = heat + 1
				burst := uint64(coldBurst)
				if len(e.heat) >= flatPCs {
					burst = flatBurst
				}
				if x, stop := e.burst(burst, left); stop {
					return x
				}
				continue
			}
			b = e.block(h.PC)
		}
		if b == nil || b.code == 0 {
			n := uint64(1)
			if b != nil {
				n = b.count
			}
			if x, stop := e.interpret(min(n, left)); stop {
				return x
			}
			continue
		}
		give := min(left, 1<<62)
		if e.key.mode != ndbuf.Normal {
			if ret >= ndLimit {
				if x, stop := e.interpret(left); stop {
					return x
				}
				continue
			}
			give = min(give, ndLimit-ret)
		}
		e.c.budget = int64(give)
		e.c.nd.instretEnd = ret + give
		e.stats.Entries++
		e.ndEntry()
		e.syncCode()
		e.syncFrm()
		enter(b.code, e.c)
		e.leaveRes()
		e.accrueFlags()
		e.ndLeave()
		h.CSR.Instret += give - uint64(e.c.budget)
		h.PC = e.c.pc
		switch e.c.reason {
		case exitBudget:
			if e.c.budget > 0 {
				if x, stop := e.interpret(uint64(e.c.budget)); stop {
					return x
				}
			}
		case exitInterp:
			// Native code that keeps leaving after a few instructions
			// (stores into a page that holds code, say) runs slower
			// than the interpreter: the interpreter then takes a burst.
			n := e.c.arg
			if give-uint64(e.c.budget) < shortRun {
				if e.short++; e.short >= shortLimit {
					e.short, n = 0, interpBurst
				}
			} else {
				e.short = 0
			}
			if x, stop := e.burst(n, end-h.CSR.Instret); stop {
				return x
			}
		case exitChain:
			// h.PC is the target: the next round translates it.
		case exitWatch:
			// The block at h.PC, whose stores do not check the watch
			// range, found it not empty: it is translated again, with
			// them checking it as the range is not empty.
			if b := e.blocks[h.PC]; b != nil {
				e.forget(b)
				e.stats.Watched++
			}
		case exitJALR:
			if t := e.blocks[h.PC]; t != nil && t.code != 0 {
				e.cc.setLookup(h.PC, t.code)
			}
		}
	}
}

// setBroken records err, if not nil, as the reason to stop translating.
func (e *Engine) setBroken(err error) {
	if err != nil && e.broken == nil {
		e.broken = err
	}
}

// Tiering: a pc's block is translated once Go has found it untranslated
// hotAfter times (counted for up to heatLen pcs at once), the interpreter
// running a burst of coldBurst instructions from it each time before, or
// flatBurst once flatPCs pcs are counted: code that keeps ending bursts at
// new pcs has no hot spot to find soon. A burst ends at the first block
// boundary after its count (rv64.Hart.RunBurst), so bursts end where
// blocks start (a loop's head, a function's entry, a return address), and
// the interpreter runs them at its full speed: a burst with an exact end
// makes its last page of blocks check where it ends, and flat code (a
// call every few instructions, each site run a few times) ran at half the
// interpreter's speed in bursts of coldBurst. Native runs shorter than
// shortRun instructions that end in a side exit, shortLimit times in a
// row, hand the interpreter a burst of interpBurst instructions.
const (
	hotAfter    = 2
	coldBurst   = 256
	flatPCs     = 4096
	flatBurst   = 4096
	heatLen     = 1 << 20
	shortRun    = 32
	shortLimit  = 32
	interpBurst = 1 << 16
)

// interpret runs n instructions on the interpreter, exactly; stop is true
// if it exited for something else than its budget.
func (e *Engine) interpret(n uint64) (rv64.Exit, bool) { return e.burst(n, n) }

// burst runs at least n instructions on the interpreter, or left if fewer,
// up to the first block boundary after them; stop is true if it exited for
// something else than its budget.
func (e *Engine) burst(n, left uint64) (rv64.Exit, bool) {
	if n == 0 || left == 0 {
		return rv64.Exit{}, false
	}
	before := e.h.CSR.Instret
	x := e.h.RunBurst(n, left)
	e.stats.Interpreted += e.h.CSR.Instret - before
	return x, x.Kind != rv64.ExitBudget
}

// block returns the translation at pc, translating it if there is none;
// nil if pc holds no instruction.
func (e *Engine) block(pc uint64) *block {
	if b := e.blocks[pc]; b != nil {
		return b
	}
	start := time.Now()
	b := e.translate(pc)
	e.stats.TranslateTime += time.Since(start)
	return b
}

// maxInsnCode is more than the native code of one instruction, with its
// side exits.
const maxInsnCode = 1024

// hullMax is the largest code hull (rv64.Hart.CodeHull) with which a
// block's stores compare their address with the hull first (codeCheck): a
// hull this small (a static program's code) holds few of the addresses
// stores write, a larger one (a dynamic program's, from its code to its
// libraries' near the stack) many, and every store that falls in it looks
// into the code table too.
const hullMax = 16 << 20

// maxOther is how many untranslated instructions in a row the interpreter
// runs at once.
const maxOther = 16

// translate decodes and translates the block at pc.
func (e *Engine) translate(pc uint64) *block {
	h := e.h
	var ins []rv64.Decoded
	p := pc
	var tail uint64
	for len(ins) < maxBlock {
		d, ok := h.DecodeAt(p)
		if !ok {
			break
		}
		if !e.translatable(d) {
			tail = e.others(p)
			break
		}
		ins = append(ins, d)
		p += d.Len
		if isControl(d.Op) && !goesOn(d) || p&(1<<12-1) == 0 {
			break
		}
	}
	b := &block{pc: pc}
	if len(ins) == 0 {
		if tail == 0 {
			return nil // outside memory: the interpreter faults
		}
		b.count = tail
		p = pc
		for range tail {
			d, _ := h.DecodeAt(p)
			p += d.Len
		}
	}
	h.WatchCode(pc, p-pc) // before CodeHull, so that the hull holds the block
	if len(ins) > 0 {
		x := &e.x
		_, watching := h.WatchRange()
		x.watch = watching != 0 || slices.ContainsFunc(ins, isLR)
		lo, hi := h.CodeHull()
		x.hull = hi-lo <= e.hullMax
		for try := 0; ; try++ {
			if !e.cc.room(maxInsnCode*len(ins) + 512) {
				if e.flush() != nil {
					return nil
				}
			}
			x.a = asm{b: x.a.b[:0], org: e.cc.next()}
			x.translate(pc, ins, tail)
			if pad := int(-(x.a.org + uintptr(x.body))) & (loopAlign - 1); x.loop && pad != 0 && e.cc.room(pad+len(x.a.b)) {
				// The block starts pad bytes on, its loop's body
				// at a multiple of loopAlign.
				e.cc.skip(pad)
				x.a = asm{b: x.a.b[:0], org: e.cc.next()}
				x.translate(pc, ins, tail)
			}
			if e.cc.room(len(x.a.b)) {
				break
			}
			if try > 0 || e.flush() != nil {
				return nil // a block larger than the cache: cannot happen
			}
		}
		code, err := e.cc.write(x.a.b)
		if err != nil {
			e.broken = err
			return nil
		}
		b.code = code
		for _, l := range x.links {
			s := site{at: code + uintptr(l.fix), stub: code + uintptr(l.stub)}
			e.into[l.pc] = append(e.into[l.pc], s)
			b.out = append(b.out, outSite{pc: l.pc, at: s.at})
			if l.pc == pc {
				e.setBroken(e.cc.patch(s.at, code))
			} else if t := e.blocks[l.pc]; t != nil && t.code != 0 {
				e.setBroken(e.cc.patch(s.at, t.code))
			}
		}
		e.stats.Blocks++
		if x.loop {
			e.stats.Loops++
		}
		e.stats.CodeBytes += uint64(len(x.a.b))
	}
	g, ok := h.Mem.Slice(pc, p-pc)
	if !ok {
		return nil
	}
	b.guest = append([]byte(nil), g...)
	e.blocks[pc] = b
	first, last := e.pageSpan(b)
	for pn := first; pn <= last; pn++ {
		e.pages[pn] = append(e.pages[pn], b)
	}
	if b.code != 0 {
		for _, s := range e.into[pc] {
			e.setBroken(e.cc.patch(s.at, b.code))
		}
	}
	return b
}

// others counts the instructions from p on, up to maxOther, that the
// engine does not translate and the interpreter runs.
func (e *Engine) others(p uint64) uint64 {
	n := uint64(0)
	for n < maxOther {
		d, ok := e.h.DecodeAt(p)
		if !ok || e.translatable(d) {
			break
		}
		n++
		p += d.Len
		if p&(1<<12-1) == 0 {
			break
		}
	}
	return max(n, 1)
}
