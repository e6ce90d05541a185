//go:build linux && amd64

package jit

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand"
	"strings"
	"testing"

	"github.com/rvsim/rvsim/csr"
	"github.com/rvsim/rvsim/ndbuf"
	"github.com/rvsim/rvsim/rv64"
)

// The differential harness: two harts built identically, one run by the
// interpreter (rv64.Hart.Run), the referee, the other by the engine, in
// lockstep steps of the same budgets; at every exit the exits and the
// whole states must be equal.

// Fixed values of the deterministic host both harts read.
const (
	hostCycle   = 0x1234_5678_9abc
	hostTime    = 0x0fed_cba9
	hostEntropy = 0xbeef
)

// detHost is a csr.Host of fixed functions.
func detHost() csr.Host {
	return csr.Host{
		Cycle:   func() uint64 { return hostCycle },
		Time:    func() uint64 { return hostTime },
		Entropy: func() uint16 { return hostEntropy },
	}
}

// ndBufBase is the ND buffer's physical address: outside guest memory.
const ndBufBase = 1 << 40

// machine describes how to build a hart: its memory contents, registers,
// privilege and configuration. build makes a fresh hart from it, so that
// the two harts of a pair are built by the same code from the same data.
type machine struct {
	base      uint64            // guest memory's first address; memBase if 0
	atZero    bool              // guest memory at address 0 (base is 0)
	code      map[uint64][]byte // bytes to load, by address
	x         [32]uint64
	f         [32]uint64
	pc        uint64
	priv      uint8
	csrs      map[uint16]uint64 // CSR values set with csr.File.Set
	userExits bool              // UserTrapsExit
	host      *csr.Host         // the CSR file's host; detHost if nil
	tohost    uint64            // WatchToHost address, 0 for none
	ndMode    ndbuf.Mode
	ndSize    uint64           // ND buffer entries (record or replay)
	ndFill    []ndbuf.Entry    // replay: the entries the buffer starts with
	breaks    []uint64         // breakpoints
	watches   [][2]uint64      // write watchpoints: address, length
	prepare   func(*rv64.Hart) // anything else, applied last
}

// build returns a fresh hart set up as m says.
func (m *machine) build(t testing.TB) *rv64.Hart {
	t.Helper()
	base := m.base
	if base == 0 && !m.atZero {
		base = memBase
	}
	mem, err := rv64.NewMemory(base, memSize)
	if err != nil {
		t.Fatal(err)
	}
	host := detHost()
	if m.host != nil {
		host = *m.host
	}
	h := rv64.New(mem, csr.New(host))
	for addr, b := range m.code {
		dst, ok := h.Mem.Slice(addr, uint64(len(b)))
		if !ok {
			t.Fatalf("%d bytes at %#x outside memory", len(b), addr)
		}
		copy(dst, b)
		h.Invalidate(addr, uint64(len(b)))
	}
	h.X, h.F = m.x, m.f
	h.X[0] = 0
	h.PC = m.pc
	h.Priv = m.priv
	for n, v := range m.csrs {
		h.CSR.Set(n, v)
	}
	h.UserTrapsExit = m.userExits
	if m.tohost != 0 {
		h.WatchToHost(m.tohost)
	}
	if m.ndMode != ndbuf.Normal {
		h.ND = ndbuf.New(h.CSR, m.ndMode, ndBufBase, m.ndSize)
		if len(m.ndFill) > 0 {
			h.ND.Fill(m.ndFill)
		}
	}
	for _, pc := range m.breaks {
		h.SetBreakpoint(pc)
	}
	for _, w := range m.watches {
		h.SetWatch(w[0], w[1])
	}
	if m.prepare != nil {
		m.prepare(h)
	}
	return h
}

// pair is the referee hart and the engine's hart.
type pair struct {
	t   testing.TB
	ref *rv64.Hart // run by the interpreter
	jh  *rv64.Hart // run by the engine
	eng *Engine
	log []string // the steps so far, for the failure report

	sa, sb rv64.State // reused by diff
}

// pairs counts the pairs built.
var pairs int

// newPair builds both harts from m and the engine for the second. It
// skips the test on a host the engine does not run on.
func newPair(t testing.TB, m *machine) *pair {
	t.Helper()
	p := &pair{t: t, ref: m.build(t), jh: m.build(t)}
	eng, err := New(p.jh)
	if errors.Is(err, ErrUnsupported) {
		t.Skipf("no native-code engine here: %v", err)
	}
	if err != nil {
		t.Fatalf("jit.New: %v", err)
	}
	p.eng = eng
	// Every other pair translates a block the first time it starts, so
	// that random code, which runs a block a few times at most, runs
	// mostly native; the others keep the engine's tiering.
	// Two pairs in four check every store against the code table, as
	// in a program whose code is spread out (hullMax), the others first
	// against the code's hull.
	if pairs++; pairs%2 == 0 {
		eng.hotAfter = 0
	}
	if pairs%4 >= 2 {
		eng.hullMax = 0
	}
	t.Cleanup(func() {
		eng.Close()
		p.ref.Mem.Close()
		p.jh.Mem.Close()
	})
	if d := diffHarts(p.ref, p.jh); len(d) > 0 {
		t.Fatalf("the two harts differ before running: %s", d[0])
	}
	return p
}

// step runs both harts for budget instructions and fails the test on the
// first difference in their exits or states. It returns the exit.
func (p *pair) step(budget uint64) rv64.Exit {
	p.t.Helper()
	pc := p.ref.PC
	want := p.ref.Run(budget)
	got := p.eng.Run(budget)
	p.log = append(p.log, fmt.Sprintf("Run(%d) from pc %#x: %s", budget, pc, exitString(want)))
	if d := diffExit(got, want); d != "" {
		p.fail(d)
	}
	if d := diffStates(p.ref, p.jh, &p.sa, &p.sb); len(d) > 0 {
		p.fail(d...)
	}
	return want
}

// stepInterpreted is step, and returns how many instructions the engine
// handed to the interpreter meanwhile.
func (p *pair) stepInterpreted(budget uint64) uint64 {
	p.t.Helper()
	before := p.eng.Stats().Interpreted
	p.step(budget)
	return p.eng.Stats().Interpreted - before
}

// fail reports the differences with the steps that led to them.
func (p *pair) fail(d ...string) {
	p.t.Helper()
	steps := p.log
	if len(steps) > 12 {
		steps = append([]string{fmt.Sprintf("... %d steps before", len(steps)-12)}, steps[len(steps)-12:]...)
	}
	if len(d) > 20 {
		d = append(d[:20], "...")
	}
	p.t.Fatalf("engine differs from the interpreter (first: %s)\nall: %s\nsteps:\n  %s\ncode at the referee's pc %#x: %s",
		d[0], strings.Join(d, "; "), strings.Join(steps, "\n  "), p.ref.PC, around(p.ref, p.ref.PC))
}

// around disassembles the instructions at pc and after it.
func around(h *rv64.Hart, pc uint64) string {
	var s []string
	for i := 0; i < 4; i++ {
		b, ok := h.Mem.Slice(pc, 4)
		if !ok {
			break
		}
		w := binary.LittleEndian.Uint32(b)
		s = append(s, fmt.Sprintf("%#x: %08x %s", pc, w, rv64.Disasm(w, pc)))
		if w&3 == 3 {
			pc += 4
		} else {
			pc += 2
		}
	}
	return strings.Join(s, " | ")
}

var exitKindNames = map[rv64.ExitKind]string{
	rv64.ExitBudget: "budget", rv64.ExitEcall: "ecall", rv64.ExitTrap: "trap", rv64.ExitHost: "host",
	rv64.ExitNDFull: "nd-full", rv64.ExitNDEmpty: "nd-empty", rv64.ExitDiverge: "diverge",
	rv64.ExitSemihost: "semihost", rv64.ExitBreak: "break", rv64.ExitWatch: "watch",
}

func exitString(e rv64.Exit) string {
	k, ok := exitKindNames[e.Kind]
	if !ok {
		k = fmt.Sprintf("kind%d", e.Kind)
	}
	return fmt.Sprintf("%s cause %d tval %#x pc %#x", k, e.Cause, e.Tval, e.PC)
}

// diffExit names the first field of the engine's exit that differs from
// the interpreter's.
func diffExit(got, want rv64.Exit) string {
	switch {
	case got.Kind != want.Kind:
		return fmt.Sprintf("exit kind: engine %s, interpreter %s", exitString(got), exitString(want))
	case got.Cause != want.Cause:
		return fmt.Sprintf("exit cause: engine %d, interpreter %d (%s)", got.Cause, want.Cause, exitString(want))
	case got.Tval != want.Tval:
		return fmt.Sprintf("exit tval: engine %#x, interpreter %#x (%s)", got.Tval, want.Tval, exitString(want))
	case got.PC != want.PC:
		return fmt.Sprintf("exit pc: engine %#x, interpreter %#x (%s)", got.PC, want.PC, exitString(want))
	}
	return ""
}

// regName returns the ABI name of register i.
func regName(i int) string {
	return [...]string{"zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1", "a2", "a3", "a4", "a5",
		"a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6"}[i]
}

// diffHarts compares the engine's hart b against the interpreter's a and
// names every field that differs, in the order pc, privilege, instret,
// x, f, the CSR file (every CSR's stored value, and minstret, mcycle and
// the counters as they read), the LR/SC reservation, the tohost latch,
// the ND buffer, memory.
func diffHarts(a, b *rv64.Hart) []string {
	var sa, sb rv64.State
	return diffStates(a, b, &sa, &sb)
}

// diffStates is diffHarts saving the harts' states into sa and sb.
func diffStates(a, b *rv64.Hart, sa, sb *rv64.State) []string {
	var d []string
	add := func(field string, got, want uint64) {
		if got != want {
			d = append(d, fmt.Sprintf("%s: engine %#x, interpreter %#x", field, got, want))
		}
	}
	a.Save(sa)
	b.Save(sb)
	add("pc", sb.PC, sa.PC)
	add("priv", uint64(sb.Priv), uint64(sa.Priv))
	add("instret", sb.CSR.Instret, sa.CSR.Instret)
	for i := range sa.X {
		add(fmt.Sprintf("x%d (%s)", i, regName(i)), sb.X[i], sa.X[i])
	}
	for i := range sa.F {
		add(fmt.Sprintf("f%d", i), sb.F[i], sa.F[i])
	}
	for n := uint16(0); n < 4096; n++ {
		if x, y := sb.CSR.Raw(n), sa.CSR.Raw(n); x != y {
			add("csr "+csr.Name(n), x, y)
		}
	}
	for _, n := range []uint16{csr.Minstret, csr.Instret, csr.Mcycle, csr.Cycle, csr.Time, csr.Mstatus, csr.Fcsr} {
		add("csr "+csr.Name(n)+" (read)", sb.CSR.Get(n), sa.CSR.Get(n))
	}
	add("reservation address", sb.ResAddr, sa.ResAddr)
	add("reservation length", sb.ResLen, sa.ResLen)
	if sa.HostPending != sb.HostPending {
		d = append(d, fmt.Sprintf("tohost pending: engine %v, interpreter %v", sb.HostPending, sa.HostPending))
	}
	if !bytes.Equal(sa.ND, sb.ND) {
		d = append(d, firstByteDiff("nd buffer", 0, sb.ND, sa.ND)...)
	}
	if !bytes.Equal(a.Mem.Data, b.Mem.Data) {
		d = append(d, firstByteDiff("mem", a.Mem.Base, b.Mem.Data, a.Mem.Data)...)
	}
	return d
}

// firstByteDiff names up to four bytes where got and want differ.
func firstByteDiff(what string, base uint64, got, want []byte) []string {
	if len(got) != len(want) {
		return []string{fmt.Sprintf("%s: engine %d bytes, interpreter %d", what, len(got), len(want))}
	}
	var d []string
	for i := range want {
		if got[i] != want[i] {
			if len(d) == 4 {
				return append(d, what+": more bytes differ")
			}
			d = append(d, fmt.Sprintf("%s[%#x]: engine %#02x, interpreter %#02x", what, base+uint64(i), got[i], want[i]))
		}
	}
	return d
}

// both applies fn to both harts: what the monitor does between runs.
func (p *pair) both(fn func(h *rv64.Hart)) {
	fn(p.ref)
	fn(p.jh)
}

// monitor handles an exit on both harts as a monitor would, identically,
// so that the run can go on; it returns false when the run is over.
// rng chooses replay values and whether an entry given on ND-empty is
// wrong (to reach a divergence).
func (p *pair) monitor(e rv64.Exit, rng *rand.Rand) bool {
	switch e.Kind {
	case rv64.ExitBudget, rv64.ExitHost, rv64.ExitWatch:
		return true
	case rv64.ExitBreak:
		p.both(func(h *rv64.Hart) { h.SkipBreakpointOnce() })
		return true
	case rv64.ExitEcall:
		v := rng.Uint64()
		p.both(func(h *rv64.Hart) { h.X[rA0] = v; h.PC += 4 })
		return true
	case rv64.ExitSemihost:
		p.both(func(h *rv64.Hart) { h.PC += 4 })
		return true
	case rv64.ExitTrap:
		if !p.ref.UserTrapsExit || p.ref.Priv != csr.PrivU {
			return false // no handler: the run is over
		}
		// A signal handler that skips the instruction, or goes back to
		// the start of the code after a fetch fault.
		next := uint64(codeAt)
		if e.Cause != rv64.CauseFetchAccess && e.Cause != rv64.CauseMisalignedFetch {
			next = e.PC + 4
			if b, ok := p.ref.Mem.Slice(e.PC, 2); ok && b[0]&3 != 3 {
				next = e.PC + 2
			}
		}
		p.both(func(h *rv64.Hart) { h.PC = next })
		return true
	case rv64.ExitNDFull:
		var da, db []ndbuf.Entry
		da = p.ref.ND.Drain(da)
		db = p.jh.ND.Drain(db)
		if fmt.Sprint(da) != fmt.Sprint(db) {
			p.fail(fmt.Sprintf("drained entries: engine %v, interpreter %v", db, da))
		}
		return true
	case rv64.ExitNDEmpty:
		w := uint32(0)
		if b, ok := p.ref.Mem.Slice(e.PC, 4); ok {
			w = binary.LittleEndian.Uint32(b)
		}
		ent := ndbuf.Entry{Kind: ndbuf.KindOf(uint16(w >> 20)), Instret: p.ref.Instret(), PC: e.PC, Value: rng.Uint64()}
		switch rng.Intn(24) { // an entry for another read: a divergence
		case 0:
			ent.Kind = ndbuf.KindSeed + 1 - ent.Kind%3
		case 1:
			ent.PC += 4
		case 2:
			ent.Instret++
		}
		p.both(func(h *rv64.Hart) { h.ND.Fill([]ndbuf.Entry{ent}) })
		return true
	}
	return false // a divergence: the replay is over
}

// runLockstep runs the pair for about total instructions in steps of
// random budgets in [1, maxBudget], handling exits as monitor does, and
// fails on the first difference. Now and then between steps the monitor
// copies four bytes of the code over another place in it (as a read
// system call into a buffer among code would) and calls Invalidate. It
// returns how many steps it took.
func (p *pair) runLockstep(rng *rand.Rand, total, maxBudget int) int {
	p.t.Helper()
	steps := 0
	for start := p.ref.Instret(); p.ref.Instret()-start < uint64(total) && steps < 4*total; steps++ {
		e := p.step(uint64(1 + rng.Intn(maxBudget)))
		if !p.monitor(e, rng) {
			break
		}
		if rng.Intn(64) == 0 {
			from, to := codeAt+2*uint64(rng.Intn(256)), codeAt+2*uint64(rng.Intn(256))
			p.log = append(p.log, fmt.Sprintf("monitor: 4 bytes from %#x written at %#x", from, to))
			p.both(func(h *rv64.Hart) {
				src, _ := h.Mem.Slice(from, 4)
				dst, _ := h.Mem.Slice(to, 4)
				copy(dst, append([]byte(nil), src...))
				h.Invalidate(to, 4)
			})
		}
	}
	return steps
}

// TestDiffHarnessCatches checks the harness itself: a difference in any
// part of the state, or in the exit, is reported and named.
func TestDiffHarnessCatches(t *testing.T) {
	m := &machine{pc: codeAt, priv: csr.PrivM, code: map[uint64][]byte{codeAt: words(addi(rA0, rA0, 1), jal(0, -4))},
		ndMode: ndbuf.Record, ndSize: 4}
	for _, c := range []struct {
		field string
		poke  func(h *rv64.Hart)
	}{
		{"x10 (a0)", func(h *rv64.Hart) { h.X[rA0]++ }},
		{"f3", func(h *rv64.Hart) { h.F[3] = 1 }},
		{"pc", func(h *rv64.Hart) { h.PC += 4 }},
		{"priv", func(h *rv64.Hart) { h.Priv = csr.PrivU }},
		{"instret", func(h *rv64.Hart) { h.CSR.Instret++ }},
		{"csr mscratch", func(h *rv64.Hart) { h.CSR.Set(csr.Mscratch, 5) }},
		{"csr minstret (read)", func(h *rv64.Hart) { h.CSR.Set(csr.Minstret, 99) }},
		{"reservation address", func(h *rv64.Hart) { h.SetReservation(dataAt, 8) }},
		{"nd buffer", func(h *rv64.Hart) { h.ND.Mem[5] = 1 }},
		{"mem[0x80005010]", func(h *rv64.Hart) { h.Mem.Data[0x5010] = 1 }},
	} {
		a, b := m.build(t), m.build(t)
		if d := diffHarts(a, b); len(d) != 0 {
			t.Fatalf("identical harts differ: %v", d)
		}
		c.poke(b)
		d := diffHarts(a, b)
		if len(d) == 0 || !strings.HasPrefix(d[0], c.field+":") && !strings.HasPrefix(d[0], c.field) {
			t.Errorf("poking %s: differences %v", c.field, d)
		}
	}
	if diffExit(rv64.Exit{Kind: rv64.ExitTrap, Cause: 5}, rv64.Exit{Kind: rv64.ExitTrap, Cause: 7}) == "" {
		t.Error("exits of different causes compare equal")
	}
	if diffExit(rv64.Exit{PC: 4}, rv64.Exit{PC: 4}) != "" {
		t.Error("equal exits compare different")
	}
}

// words returns instruction words as little-endian bytes; a word below
// 0x10000 whose low bits are not 11 is a compressed parcel of two bytes.
func words(ws ...uint32) []byte {
	var b []byte
	for _, w := range ws {
		if w&3 != 3 && w < 0x10000 {
			b = binary.LittleEndian.AppendUint16(b, uint16(w))
			continue
		}
		b = binary.LittleEndian.AppendUint32(b, w)
	}
	return b
}
