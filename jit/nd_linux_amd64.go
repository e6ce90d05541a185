//go:build linux && amd64

package jit

import (
	"os"
	"strings"
	"sync"
	"unsafe"

	"github.com/rvsim/rvsim/csr"
	"github.com/rvsim/rvsim/ndbuf"
	"github.com/rvsim/rvsim/rv64"
)

// Reads of cycle, mcycle, time and seed run inline, as the record/replay
// unit of the specification does in hardware: in record mode the read
// appends its entry at ndtail (side exit to the interpreter, which exits
// with cause 24, when the buffer is full); in replay mode it takes the
// entry at ndhead after checking its kind, position and pc (side exit to
// the interpreter, which exits with cause 25 or reports the divergence,
// when the buffer is empty or the entry is not this read); in normal mode
// it just reads. The values come from the host's time-stamp counter, with
// the arithmetic of the CSR file's csr.Clock (so translated and
// interpreted reads agree), and from RDRAND for seed; a host without them
// has these reads interpreted in normal and record modes.

// ndCtx is the part of ctx that inline reads use. The code does not touch
// the Xndrr CSRs: it moves a pointer to the next entry, which Go sets from
// ndtail (record) or ndhead (replay) before it enters the code and turns
// back into the CSR after (ndEntry, ndLeave).
type ndCtx struct {
	instretEnd uint64  // the instret at which the budget given to the code ends
	priv       uintptr // &h.Priv
	mcounteren uintptr // the CSR file's storage of mcounteren
	mseccfg    uintptr // and of mseccfg
	ptr        uintptr // the next entry to write (record) or read (replay)
	end        uintptr // the end of the buffer (record) or of the entries in it (replay)
	cycleOff   uintptr // the offset mcycle writes set
	tsc0       uint64  // the clock's csr.Clock
	nsMult     uint64
	tickMult   uint64
}

var offND = int32(unsafe.Offsetof(ctx{}.nd))

func ndOff(field uintptr) int32 { return offND + int32(field) }

var (
	offInstretEnd = ndOff(unsafe.Offsetof(ndCtx{}.instretEnd))
	offPriv       = ndOff(unsafe.Offsetof(ndCtx{}.priv))
	offMcounteren = ndOff(unsafe.Offsetof(ndCtx{}.mcounteren))
	offMseccfg    = ndOff(unsafe.Offsetof(ndCtx{}.mseccfg))
	offNdPtr      = ndOff(unsafe.Offsetof(ndCtx{}.ptr))
	offNdEnd      = ndOff(unsafe.Offsetof(ndCtx{}.end))
	offCycleOff   = ndOff(unsafe.Offsetof(ndCtx{}.cycleOff))
	offTSC0       = ndOff(unsafe.Offsetof(ndCtx{}.tsc0))
	offNsMult     = ndOff(unsafe.Offsetof(ndCtx{}.nsMult))
	offTickMult   = ndOff(unsafe.Offsetof(ndCtx{}.tickMult))
)

// ndLimit is the instret from which reads run interpreted: an entry's
// position is the low 56 bits of instret, and the code adds the kind above
// them without masking.
const ndLimit = 1<<56 - 1<<32

// ndEntry sets the entry pointer from the buffer's CSRs, before the code
// runs.
func (e *Engine) ndEntry() {
	u := e.h.ND
	if u == nil || len(u.Mem) == 0 {
		return
	}
	n, f := &e.c.nd, e.h.CSR
	mem := uintptr(unsafe.Pointer(&u.Mem[0]))
	entries := uint64(len(u.Mem)) / ndbuf.EntrySize
	switch e.key.mode {
	case ndbuf.Record:
		n.ptr = mem + uintptr(min(f.Raw(csr.Ndtail), entries))*ndbuf.EntrySize
		n.end = mem + uintptr(min(f.Raw(csr.Ndsize), entries))*ndbuf.EntrySize
	case ndbuf.Replay:
		n.ptr = mem + uintptr(min(f.Raw(csr.Ndhead), entries))*ndbuf.EntrySize
		n.end = mem + uintptr(min(f.Raw(csr.Ndtail), entries))*ndbuf.EntrySize
	}
}

// ndLeave turns the entry pointer back into ndtail or ndhead, after the
// code ran.
func (e *Engine) ndLeave() {
	u := e.h.ND
	if u == nil || len(u.Mem) == 0 {
		return
	}
	i := uint64(e.c.nd.ptr-uintptr(unsafe.Pointer(&u.Mem[0]))) / ndbuf.EntrySize
	switch e.key.mode {
	case ndbuf.Record:
		e.h.CSR.SetRaw(csr.Ndtail, i)
	case ndbuf.Replay:
		e.h.CSR.SetRaw(csr.Ndhead, i)
	}
}

var (
	cpuFlagsOnce sync.Once
	cpuFlags     string // the flags line of /proc/cpuinfo, with a space at each end
)

// hasCPUFlag reports whether the host processor has the feature that
// /proc/cpuinfo calls name (rdrand, fma, avx).
func hasCPUFlag(name string) bool {
	cpuFlagsOnce.Do(func() {
		b, err := os.ReadFile("/proc/cpuinfo")
		if err != nil {
			return
		}
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "flags") {
				cpuFlags = " " + strings.ReplaceAll(l, "\t", " ") + " "
				return
			}
		}
	})
	return strings.Contains(cpuFlags, " "+name+" ")
}

// hasRDRAND reports whether the host processor has RDRAND.
func hasRDRAND() bool { return hasCPUFlag("rdrand") }

// ndKey is what inline reads were translated for: a change of it empties
// the code cache.
type ndKey struct {
	unit    *ndbuf.Unit
	mode    ndbuf.Mode
	clock   *csr.Clock
	entropy bool // the host's entropy may come from RDRAND
}

func (e *Engine) ndKey() ndKey {
	h := e.h
	host := h.CSR.Host()
	k := ndKey{unit: h.ND, clock: host.Clock, entropy: host.NativeEntropy}
	if h.ND != nil {
		k.mode = h.ND.Mode()
	}
	return k
}

// syncND fills the inline reads' part of ctx.
func (e *Engine) syncND() {
	h, n := e.h, &e.c.nd
	f := h.CSR
	n.priv = uintptr(unsafe.Pointer(&h.Priv))
	n.mcounteren = uintptr(unsafe.Pointer(f.Addr(csr.Mcounteren)))
	n.mseccfg = uintptr(unsafe.Pointer(f.Addr(csr.Mseccfg)))
	n.cycleOff = uintptr(unsafe.Pointer(f.CycleOffset()))
	if c := e.key.clock; c != nil && e.clockUsed {
		n.tsc0 = c.TSC0
		n.nsMult, n.tickMult = c.Mults()
	}
}

// ndRead is how a CSR instruction that reads cycle, mcycle, time or seed
// runs inline.
type ndRead struct {
	kind   ndbuf.Kind
	num    uint16
	priv   uint8
	guard  int32  // offset in ctx of the CSR whose value the access rules depended on, or 0
	guardV uint64 // its value
}

// csrInline reports how the CSR instruction d runs inline, if it can: a
// read of cycle, mcycle, time or seed that the access rules allow now
// (the code checks that the privilege and the CSR they depend on are still
// what they are now), and whose value the code can get in the unit's
// mode.
func (e *Engine) csrInline(d rv64.Decoded) (ndRead, bool) {
	h := e.h
	num := d.Insn.CSR()
	kind := ndbuf.KindOf(num)
	if kind == 0 {
		return ndRead{}, false
	}
	op := d.Insn.Funct3() & 3
	read, write := op != csr.OpWrite || d.Rd != 0, op == csr.OpWrite || d.Insn.Rs1() != 0
	if !read || write && num != csr.Seed || h.CSR.Denied(num, h.Priv, write) {
		return ndRead{}, false
	}
	mode := ndbuf.Normal
	if h.ND != nil {
		mode = h.ND.Mode()
	}
	if mode != ndbuf.Replay {
		if num == csr.Seed && (!hasRDRAND() || !e.key.entropy) || num != csr.Seed && e.key.clock == nil {
			return ndRead{}, false
		}
		if num != csr.Seed && !e.clockUsed {
			e.clockUsed = true // from now on syncND fills in the clock
			e.syncND()
		}
	}
	r := ndRead{kind: kind, num: num, priv: h.Priv}
	if h.Priv < csr.PrivM {
		if num == csr.Seed {
			r.guard, r.guardV = offMseccfg, h.CSR.Raw(csr.Mseccfg)
		} else {
			r.guard, r.guardV = offMcounteren, h.CSR.Raw(csr.Mcounteren)
		}
	}
	return r, true
}

// ndValue emits rax = the value of a read of r's CSR, from the host.
func (t *xlate) ndValue(r ndRead, pc uint64, k int) {
	a := &t.a
	if r.num == csr.Seed {
		a.movImm(rdx, 10)
		loop := a.pos()
		a.rdrand32(rax)
		ok := a.jcc(0x2) // CF set: jb
		a.aluRI(false, aluSUB, rdx, 1)
		again := a.jcc(ccNE)
		a.bindTo(again, loop)
		t.sideExit(ccE, pc, k) // no valid value in 10 tries (ZF is set here): the interpreter reads
		a.bind(ok)
		a.movzx16(rax, rax)
		a.movImm(rdx, csr.SeedES16)
		a.aluRR(true, aluOR, rax, rdx)
		return
	}
	a.rdtsc()
	a.shiftI(true, shSHL, rdx, 32)
	a.aluRR(true, aluOR, rax, rdx)
	a.aluRM(true, aluSUB, rax, at(r13, offTSC0))
	if r.num == csr.Time {
		a.mulMem(at(r13, offTickMult))
	} else {
		a.mulMem(at(r13, offNsMult))
	}
	a.shiftI(true, shSHR, rax, 32)
	a.shiftI(true, shSHL, rdx, 32)
	a.aluRR(true, aluOR, rax, rdx)
	if r.num != csr.Time {
		a.load(true, rdx, at(r13, offCycleOff))
		a.aluRM(true, aluADD, rax, at(rdx, 0))
	}
}

// ndWord0 emits rdx = an entry's first word for a read of kind by the
// block's k-th instruction: the kind above the low 56 bits of its
// instret (below ndLimit, so no masking is needed).
func (t *xlate) ndWord0(kind ndbuf.Kind, k int) {
	a := &t.a
	a.load(true, rdx, at(r13, offInstretEnd))
	a.aluRR(true, aluSUB, rdx, r12)
	a.movImm(rax, uint64(kind)<<56-uint64(t.end-k))
	a.aluRR(true, aluADD, rdx, rax)
}

// csrRead emits the CSR instruction d at pc, the block's k-th, which
// csrInline accepted as r.
func (t *xlate) csrRead(d rv64.Decoded, r ndRead, pc uint64, k int) {
	a := &t.a
	a.load(true, rax, at(r13, offPriv))
	a.cmpMem8(at(rax, 0), r.priv)
	t.sideExit(ccNE, pc, k)
	if r.guard != 0 {
		a.load(true, rax, at(r13, r.guard))
		a.load(true, rax, at(rax, 0))
		a.movImm(rdx, r.guardV)
		a.aluRR(true, aluCMP, rax, rdx)
		t.sideExit(ccNE, pc, k)
	}
	mode := ndbuf.Normal
	if t.e.h.ND != nil {
		mode = t.e.h.ND.Mode()
	}
	switch mode {
	case ndbuf.Replay:
		a.load(true, rcx, at(r13, offNdPtr))
		a.aluRM(true, aluCMP, rcx, at(r13, offNdEnd))
		t.sideExit(ccAE, pc, k) // empty
		t.ndWord0(r.kind, k)
		a.aluRM(true, aluCMP, rdx, at(rcx, 0))
		t.sideExit(ccNE, pc, k)
		a.movImm(rax, pc)
		a.aluRM(true, aluCMP, rax, at(rcx, 8))
		t.sideExit(ccNE, pc, k)
		if d.Rd != 0 {
			a.load(true, t.put(d.Rd), at(rcx, 16))
		}
		a.aluMI(true, aluADD, at(r13, offNdPtr), ndbuf.EntrySize)
	case ndbuf.Record:
		a.load(true, rcx, at(r13, offNdPtr))
		a.aluRM(true, aluCMP, rcx, at(r13, offNdEnd))
		t.sideExit(ccAE, pc, k) // full
		t.ndValue(r, pc, k)
		a.store(true, at(rcx, 16), rax)
		if d.Rd != 0 {
			a.movRR(true, t.put(d.Rd), rax)
		}
		t.ndWord0(r.kind, k)
		a.store(true, at(rcx, 0), rdx)
		a.movImm(rax, pc)
		a.store(true, at(rcx, 8), rax)
		a.aluMI(true, aluADD, at(r13, offNdPtr), ndbuf.EntrySize)
	default:
		t.ndValue(r, pc, k)
		if d.Rd != 0 {
			a.movRR(true, t.put(d.Rd), rax)
		}
	}
}
