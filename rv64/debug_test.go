package rv64

import (
	"debug/elf"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rvsim/rvsim/csr"
	"github.com/rvsim/rvsim/ndbuf"
)

func init() {
	exitNames[ExitSemihost] = "semihost"
	exitNames[ExitBreak] = "break"
	exitNames[ExitWatch] = "watch"
}

// dbgStop is one stop of a debugged run: a breakpoint, a watchpoint, or
// the exit that ended the run, with the registers there.
type dbgStop struct {
	kind             ExitKind
	pc, instret      uint64
	addr, n          uint64 // ExitWatch: the store
	x                [32]uint64
	cause, tval      uint64 // the ending exit
	memSum           uint64 // a hash of memory at the stop
	withMem, withSum bool
}

func (s dbgStop) String() string {
	str := fmt.Sprintf("%s pc %#x instret %d", s.kind.testName(), s.pc, s.instret)
	if s.kind == ExitWatch {
		str += fmt.Sprintf(" store %d bytes at %#x", s.n, s.addr)
	}
	return str
}

// memHash is a cheap hash of memory (FNV-1a over the words).
func memHash(b []byte) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i+8 <= len(b); i += 8 {
		h = (h ^ le.Uint64(b[i:])) * 1099511628211
	}
	return h
}

// dbgRun is a debugged program: a hart set up by setup, the breakpoints
// and watchpoints, the instruction limit, and the monitor's answer to an
// exit (kernel: it returns false when the run ends there).
type dbgRun struct {
	setup   func(h *Hart)
	breaks  []uint64
	watches [][2]uint64
	limit   uint64
	kernel  func(h *Hart, e Exit) bool
	hashMem bool                   // compare a hash of memory at every stop (small memories)
	newHart func(testing.TB) *Hart // newTestHart if nil
}

func (r *dbgRun) hart(t testing.TB) *Hart {
	if r.newHart != nil {
		return r.newHart(t)
	}
	return newTestHart(t)
}

func (r *dbgRun) stopAt(h *Hart, e Exit, kind ExitKind) dbgStop {
	s := dbgStop{kind: kind, pc: h.PC, instret: h.Instret(), x: h.X, cause: e.Cause, tval: e.Tval}
	if kind == ExitWatch {
		s.addr, s.n = e.Tval, e.Cause
	}
	if r.hashMem {
		s.memSum = memHash(h.Mem.Data)
	}
	return s
}

func watched(watches [][2]uint64, a, n uint64) bool {
	for _, w := range watches {
		if a < w[0]+w[1] && w[0] < a+n {
			return true
		}
	}
	return false
}

// referee single-steps the program with Run(1) on a hart without
// breakpoints or watchpoints and lists the stops a debugger must see:
// before each instruction at a breakpoint, and after each store whose
// bytes (Access, asked before the step) overlap a watchpoint.
func (r *dbgRun) referee(t testing.TB) []dbgStop {
	t.Helper()
	h := r.hart(t)
	r.setup(h)
	brk := map[uint64]bool{}
	for _, pc := range r.breaks {
		brk[pc] = true
	}
	var stops []dbgStop
	for h.Instret() < r.limit {
		if brk[h.PC] {
			stops = append(stops, r.stopAt(h, Exit{}, ExitBreak))
		}
		a, n, _, store := h.Access()
		e := h.Run(1)
		if store && (e.Kind == ExitBudget || e.Kind == ExitHost) && watched(r.watches, a, n) {
			stops = append(stops, r.stopAt(h, Exit{Tval: a, Cause: n}, ExitWatch))
		}
		if e.Kind != ExitBudget && !r.kernel(h, e) {
			stops = append(stops, r.stopAt(h, e, e.Kind))
			break
		}
	}
	return stops
}

// debugged runs the program with the breakpoints and watchpoints set, in
// Run calls of at most chunk instructions, resuming from every breakpoint
// with SkipBreakpointOnce, and lists the stops.
func (r *dbgRun) debugged(t testing.TB, chunk uint64) []dbgStop {
	t.Helper()
	h := r.hart(t)
	r.setup(h)
	for _, pc := range r.breaks {
		h.SetBreakpoint(pc)
	}
	for _, w := range r.watches {
		h.SetWatch(w[0], w[1])
	}
	var stops []dbgStop
	for h.Instret() < r.limit {
		e := h.Run(min(chunk, r.limit-h.Instret()))
		switch e.Kind {
		case ExitBudget:
		case ExitBreak:
			if e.PC != h.PC {
				t.Fatalf("ExitBreak pc %#x, hart at %#x", e.PC, h.PC)
			}
			stops = append(stops, r.stopAt(h, e, ExitBreak))
			h.SkipBreakpointOnce()
		case ExitWatch:
			stops = append(stops, r.stopAt(h, e, ExitWatch))
		default:
			if !r.kernel(h, e) {
				return append(stops, r.stopAt(h, e, e.Kind))
			}
		}
	}
	return stops
}

// compareStops reports the first difference between two stop lists.
func compareStops(t testing.TB, what string, got, want []dbgStop) {
	t.Helper()
	for k := range min(len(got), len(want)) {
		if got[k] != want[k] {
			g, w := got[k], want[k]
			t.Fatalf("%s: stop %d: got %v, want %v (x differ: %v, mem differs: %v)", what, k, g, w, g.x != w.x, g.memSum != w.memSum)
		}
	}
	if len(got) != len(want) {
		var extra dbgStop
		if len(got) > len(want) {
			extra = got[len(want)]
		} else {
			extra = want[len(got)]
		}
		t.Fatalf("%s: %d stops, want %d; first unmatched: %v", what, len(got), len(want), extra)
	}
}

// check compares the debugged run at several chunk sizes with the
// referee, and returns the referee's stops.
func (r *dbgRun) check(t testing.TB, chunks ...uint64) []dbgStop {
	t.Helper()
	want := r.referee(t)
	if len(chunks) == 0 {
		chunks = []uint64{1, 2, 3, 7, 1 << 30}
	}
	for _, c := range chunks {
		compareStops(t, fmt.Sprintf("chunks of %d", c), r.debugged(t, c), want)
	}
	return want
}

// userKernel makes the hart a U-mode program whose every exception exits;
// the kernel answers an ecall with a0 = 0 and resumes after it, and ends
// the run at any other exit.
func userKernel(h *Hart, e Exit) bool {
	if e.Kind == ExitEcall {
		h.X[10] = 0
		h.PC += 4
		return true
	}
	return false
}

// countStops counts the stops of each kind.
func countStops(stops []dbgStop) map[ExitKind]int {
	m := map[ExitKind]int{}
	for _, s := range stops {
		m[s.kind]++
	}
	return m
}

// Encodings by the GNU assembler (riscv64-unknown-elf-as -march=rv64imac).
const (
	cAddiA5m1 = 0x17fd // c.addi a5, -1
	cBnezA5   = 0xfffd // c.bnez a5, .-2
	cSdA0A2   = 0xe208 // c.sd a0, 0(a2)
	cSwA0A2   = 0xc208 // c.sw a0, 0(a2)
	cNopP     = 0x0001 // c.nop
	cLiA5_3   = 0x478d // c.li a5, 3
	cJm16     = 0xbfc5 // c.j .-16
)

// TestBreakpointFusedPair: breakpoints on either half of a fused pair
// (c.addi a5, -1; c.bnez a5, .-2, which the decode cache runs as one
// slot), on a 4-byte add before a branch, on the loop's first instruction
// and on the last instruction of a page, stop where single-stepping
// passes them, at every chunk size, resuming with SkipBreakpointOnce.
func TestBreakpointFusedPair(t *testing.T) {
	loop := []uint32{
		cLiA5_3,    // +0: c.li a5, 3
		cAddiA5m1,  // +2: c.addi a5, -1   (fused with the next)
		cBnezA5,    // +4: c.bnez a5, .-2
		0x00158593, // +6: addi a1, a1, 1  (fused with the next, 4-byte)
		0x00059363, // +10: bnez a1, .+6: always taken (a1 counts up from 1)
		cAddiA0,    // +14: never runs
		cJm16,      // +16: c.j .-16
	}
	setup := func(h *Hart) {
		place(t, h, testPC, loop...)
		h.Priv, h.UserTrapsExit = csr.PrivU, true
	}
	for _, bp := range [][]uint64{
		{testPC + 2},              // first of the fused pair
		{testPC + 4},              // second of the fused pair: splits it
		{testPC + 2, testPC + 4},  // both
		{testPC + 6},              // the 4-byte add fused with bne
		{testPC + 10},             // the bne after it
		{testPC, testPC + 16},     // the loop's entry and its closing jump
		{testPC + 14},             // never reached (bne always taken)
		{testPC + 3},              // odd: never an instruction
		{testPC + 8, testPC + 12}, // inside 4-byte instructions: never reached
	} {
		r := &dbgRun{setup: setup, breaks: bp, limit: 200, kernel: userKernel, hashMem: true}
		stops := r.check(t)
		t.Logf("breakpoints %#x: %d stops", bp, len(stops))
		hits := countStops(stops)[ExitBreak]
		reach := bp[0] != testPC+14 && bp[0] != testPC+3 && bp[0] != testPC+8
		if reach != (hits > 0) {
			t.Errorf("breakpoints %#x: %d hits", bp, hits)
		}
	}
}

// TestBreakpointPageEdges: breakpoints on the first instruction of a
// page, on a 4-byte instruction in the last halfword of a page (which
// straddles into the next), and on the instruction a jump from another
// page lands on.
func TestBreakpointPageEdges(t *testing.T) {
	pg := uint64(testPC + 0x1000) // a page boundary
	setup := func(h *Hart) {
		place(t, h, pg-8,
			0x00150513,          // pg-8: addi a0, a0, 1
			cNopP,               // pg-4
			0x00158593,          // pg-2: addi a1, a1, 1 (ends in the next page)
			0x00160613,          // pg+2: addi a2, a2, 1
			cAddiA0,             // pg+6
			encJ(-16, 0, OpJal), // pg+8: j pg-8
		)
		h.PC = pg - 8
		h.Priv, h.UserTrapsExit = csr.PrivU, true
	}
	for _, bp := range [][]uint64{{pg - 8}, {pg - 2}, {pg + 2}, {pg - 2, pg + 2}, {pg + 8}, {pg - 4, pg + 6}} {
		r := &dbgRun{setup: setup, breaks: bp, limit: 100, kernel: userKernel, hashMem: true}
		if stops := r.check(t); countStops(stops)[ExitBreak] == 0 {
			t.Errorf("breakpoints %#x: no hit", bp)
		}
	}
	// The first instruction of a page, entered by a jump from the page
	// before.
	setup2 := func(h *Hart) {
		place(t, h, pg-4, encJ(4, 0, OpJal))            // pg-4: j pg
		place(t, h, pg, 0x00150513, encJ(-8, 0, OpJal)) // pg: addi a0, a0, 1; j pg-4
		h.PC, h.Priv, h.UserTrapsExit = pg-4, csr.PrivU, true
	}
	r := &dbgRun{setup: setup2, breaks: []uint64{pg}, limit: 50, kernel: userKernel, hashMem: true}
	if n := countStops(r.check(t))[ExitBreak]; n != 17 {
		t.Errorf("breakpoint at a page's first instruction: %d hits, want 17", n)
	}
}

// TestBreakpointAtBudgetEnd: a Run whose budget ends exactly at a
// breakpoint returns ExitBudget there, with the instruction not run; the
// next Run stops there with ExitBreak at once, and after
// SkipBreakpointOnce runs it.
func TestBreakpointAtBudgetEnd(t *testing.T) {
	h := newTestHart(t)
	prog(t, h, testPC, "addi a0, a0, 1", "addi a1, a1, 1", "addi a2, a2, 1", "j .-12")
	h.SetBreakpoint(testPC + 8)
	expectExit(t, h.Run(2), Exit{Kind: ExitBudget, PC: testPC + 8})
	expectExit(t, h.Run(5), Exit{Kind: ExitBreak, PC: testPC + 8})
	if h.Instret() != 2 || h.X[12] != 0 {
		t.Fatalf("instret %d, a2 %d: want 2, 0", h.Instret(), h.X[12])
	}
	expectExit(t, h.Run(5), Exit{Kind: ExitBreak, PC: testPC + 8}) // no skip: stops again
	h.SkipBreakpointOnce()
	expectExit(t, h.Run(1), Exit{Kind: ExitBudget, PC: testPC + 12}) // the skip with a budget of one
	expectExit(t, h.Run(100), Exit{Kind: ExitBreak, PC: testPC + 8})
	if h.Instret() != 6 || h.X[12] != 1 || h.X[10] != 2 {
		t.Fatalf("instret %d, a0 %d, a2 %d: want 6, 2, 1", h.Instret(), h.X[10], h.X[12])
	}
	// A skip armed for another pc does nothing.
	h.SkipBreakpointOnce()
	h.PC = testPC
	expectExit(t, h.Run(100), Exit{Kind: ExitBreak, PC: testPC + 8})
	if h.Instret() != 8 {
		t.Fatalf("instret %d, want 8", h.Instret())
	}
	// Cleared: the loop runs on, 100 instructions from +8: 25 turns.
	h.ClearBreakpoint(testPC + 8)
	expectExit(t, h.Run(100), Exit{Kind: ExitBudget, PC: testPC + 8})
	if h.Instret() != 108 || h.X[12] != 26 {
		t.Fatalf("instret %d, a2 %d: want 108, 26", h.Instret(), h.X[12])
	}
}

// TestBreakpointSelfModifying: the guest rewrites a breakpointed
// instruction (addi a0, a0, 1 <-> c.addi a0, 1; c.addi a4, 1, changing
// the slots' lengths) and the breakpoint stays where it is; the
// referee steps.
func TestBreakpointSelfModifying(t *testing.T) {
	setup := func(h *Hart) {
		loadWordParcels(t, h)
		h.Priv, h.UserTrapsExit = csr.PrivU, true
	}
	for _, bp := range [][]uint64{{testPC + 12}, {testPC + 14}, {testPC + 16}, {testPC + 4}} {
		r := &dbgRun{setup: setup, breaks: bp, watches: [][2]uint64{{testPC + 14, 1}}, limit: 80, kernel: userKernel, hashMem: true}
		stops := r.check(t)
		c := countStops(stops)
		if c[ExitBreak] == 0 || c[ExitWatch] == 0 {
			t.Errorf("breakpoints %#x: %v", bp, c)
		}
	}
}

// TestBreakpointEcall: a breakpoint on an ecall stops before it; resumed,
// the ecall exits as before (it does not retire) and the monitor resumes
// after it. A breakpoint on the instruction after an ecall stops a Run
// that starts there right after the ecall's exit.
func TestBreakpointEcall(t *testing.T) {
	h := newTestHart(t)
	prog(t, h, testPC, "addi a0, a0, 1", "ecall", "addi a1, a1, 1", "j .-12")
	h.Priv, h.UserTrapsExit = csr.PrivU, true
	h.SetBreakpoint(testPC + 4)
	h.SetBreakpoint(testPC + 8)
	expectExit(t, h.Run(100), Exit{Kind: ExitBreak, PC: testPC + 4})
	h.SkipBreakpointOnce()
	expectExit(t, h.Run(100), Exit{Kind: ExitEcall, Cause: CauseEcallU, PC: testPC + 4})
	if h.Instret() != 1 {
		t.Fatalf("instret %d, want 1", h.Instret())
	}
	h.PC += 4
	expectExit(t, h.Run(100), Exit{Kind: ExitBreak, PC: testPC + 8})
	// The ecall exit with the monitor resuming at the ecall itself (as if
	// it restarted it): the breakpoint there stops it again.
	h.SkipBreakpointOnce()
	expectExit(t, h.Run(100), Exit{Kind: ExitBreak, PC: testPC + 4})
	h.SkipBreakpointOnce()
	expectExit(t, h.Run(100), Exit{Kind: ExitEcall, Cause: CauseEcallU, PC: testPC + 4})
	expectExit(t, h.Run(100), Exit{Kind: ExitBreak, PC: testPC + 4})
}

// TestBreakpointEbreak: a breakpoint on an ebreak stops before it;
// resumed, the ebreak raises its exception (here an exit: U-mode with
// UserTrapsExit).
func TestBreakpointEbreak(t *testing.T) {
	h := newTestHart(t)
	prog(t, h, testPC, "addi a0, a0, 1", "ebreak")
	h.Priv, h.UserTrapsExit = csr.PrivU, true
	h.SetBreakpoint(testPC + 4)
	expectExit(t, h.Run(100), Exit{Kind: ExitBreak, PC: testPC + 4})
	h.SkipBreakpointOnce()
	expectExit(t, h.Run(100), Exit{Kind: ExitTrap, Cause: CauseBreakpoint, Tval: testPC + 4, PC: testPC + 4})
	if h.Instret() != 1 {
		t.Fatalf("instret %d, want 1", h.Instret())
	}
}

// TestWatched: Watched tells the monitor whether its own write overlaps a
// watchpoint.
func TestWatched(t *testing.T) {
	h := newTestHart(t)
	if h.Watched(testBase, 8) {
		t.Error("Watched with no watchpoint")
	}
	h.SetWatch(testBase+16, 4)
	h.SetWatch(testBase+64, 1)
	for _, c := range []struct {
		addr, n uint64
		want    bool
	}{
		{testBase, 16, false}, {testBase, 17, true}, {testBase + 19, 1, true}, {testBase + 20, 44, false},
		{testBase + 20, 45, true}, {testBase + 64, 0, false}, {testBase + 65, 100, false}, {0, 1 << 63, true},
	} {
		if got := h.Watched(c.addr, c.n); got != c.want {
			t.Errorf("Watched(%#x, %d) = %v, want %v", c.addr, c.n, got, c.want)
		}
	}
	h.ClearWatch(testBase+16, 4)
	if h.Watched(testBase+16, 4) {
		t.Error("Watched after ClearWatch")
	}
	// A range past the end of the address space is cut there.
	top := ^uint64(0) - 3
	h.SetWatch(top, 100)
	if !h.Watched(^uint64(0), 1) || h.Watched(0, 1) {
		t.Error("a watchpoint at the end of the address space")
	}
	h.ClearWatch(top, 100)
	if h.Watched(^uint64(0), 1) {
		t.Error("Watched after ClearWatch at the end of the address space")
	}
}

// TestBreakpointSemihost: a breakpoint on the ebreak of a semihosting
// call stops before it; resumed, the call exits ExitSemihost.
func TestBreakpointSemihost(t *testing.T) {
	h := newTestHart(t)
	h.Semihosting = true
	load(t, h, testPC, semihostPre, semihostEbreak, semihostPost)
	h.SetBreakpoint(testPC + 4)
	expectExit(t, h.Run(100), Exit{Kind: ExitBreak, PC: testPC + 4})
	h.SkipBreakpointOnce()
	expectExit(t, h.Run(100), Exit{Kind: ExitSemihost, PC: testPC + 4})
	if h.Instret() != 1 {
		t.Fatalf("instret %d, want 1", h.Instret())
	}
}

// TestBreakpointNDExit: resuming from a breakpoint on a read of cycle
// whose ND buffer is full exits ExitNDFull with the skip still armed, so
// that the monitor's resume runs the read instead of stopping again.
func TestBreakpointNDExit(t *testing.T) {
	h := newTestHart(t)
	prog(t, h, testPC, "csrr a0, cycle", "addi a1, a1, 1", "j .-8")
	h.ND = ndbuf.New(h.CSR, ndbuf.Record, h.Mem.End(), 1)
	h.SetBreakpoint(testPC)
	expectExit(t, h.Run(100), Exit{Kind: ExitBreak, PC: testPC})
	h.SkipBreakpointOnce()
	expectExit(t, h.Run(100), Exit{Kind: ExitBreak, PC: testPC}) // the first read fits
	if h.Instret() != 3 || h.ND.Pending() != 1 {
		t.Fatalf("instret %d, pending %d: want 3, 1", h.Instret(), h.ND.Pending())
	}
	h.SkipBreakpointOnce()
	expectExit(t, h.Run(100), Exit{Kind: ExitNDFull, Cause: CauseNDFull, Tval: uint64(ndbuf.KindCycle), PC: testPC})
	h.ND.Drain(nil)
	expectExit(t, h.Run(100), Exit{Kind: ExitBreak, PC: testPC})
	if h.Instret() != 6 || h.ND.Pending() != 1 {
		t.Fatalf("instret %d, pending %d: want 6, 1", h.Instret(), h.ND.Pending())
	}
}

// TestWatchEveryStoreKind: a watchpoint on a doubleword fires after each
// kind of store that writes into it, with the store's address and size,
// and not after stores next to it or a failed SC; the referee steps and
// asks Access. Encodings by the GNU assembler (riscv64-unknown-elf-as
// -march=rv64imafdc).
func TestWatchEveryStoreKind(t *testing.T) {
	data := uint64(testBase + 0x3000)
	words := []uint32{
		0x00a60023, // sb a0, 0(a2)
		0x00a61123, // sh a0, 2(a2)
		0x00a62223, // sw a0, 4(a2)
		0x00a63023, // sd a0, 0(a2)
		0x00a63423, // sd a0, 8(a2): next to it
		0xfea63c23, // sd a0, -8(a2): before it
		0x00a62fa3, // sw a0, 31(a2): far
		cSdA0A2,    // c.sd a0, 0(a2)
		cSwA0A2,    // c.sw a0, 0(a2)
		0xe02a,     // c.sdsp a0, 0(sp)
		0xc22a,     // c.swsp a0, 4(sp)
		0x00a62227, // fsw fa0, 4(a2)
		0x00a63027, // fsd fa0, 0(a2)
		0xa208,     // c.fsd fa0, 0(a2)
		0xa02a,     // c.fsdsp fa0, 0(sp)
		0x08a6202f, // amoswap.w zero, a0, (a2)
		0x00a6302f, // amoadd.d zero, a0, (a2)
		0x1806352f, // sc.d a0, zero, (a2): no reservation, fails
		0x100636af, // lr.d a3, (a2)
		0x18a636af, // sc.d a3, a0, (a2): succeeds
		0x1006272f, // lr.w a4, (a2)
		0x18a627af, // sc.w a5, a0, (a2)... store of 4 bytes
		0x60a6302f, // amoand.d zero, a0, (a2)
		0x40a6202f, // amoor.w zero, a0, (a2)
	}
	setup := func(h *Hart) {
		place(t, h, testPC, append(words, encJ(0, 0, OpJal))...) // ends in j .
		h.X[12], h.X[2], h.X[10] = data, data, 0x1122334455667788
		h.CSR.Set(csr.Mstatus, h.CSR.Get(csr.Mstatus)|csr.FSInitial)
		h.Priv, h.UserTrapsExit = csr.PrivU, true
	}
	r := &dbgRun{setup: setup, watches: [][2]uint64{{data, 8}}, limit: uint64(len(words) + 3), kernel: userKernel, hashMem: true}
	stops := r.check(t)
	want := []uint64{1, 2, 4, 8, 8, 4, 8, 4, 4, 8, 8, 8, 4, 8, 8, 4, 8, 4}
	var got []uint64
	for _, s := range stops {
		if s.kind != ExitWatch || s.addr < data || s.addr >= data+8 {
			t.Errorf("stop %v", s)
		}
		got = append(got, s.n)
	}
	if !slices.Equal(got, want) {
		t.Errorf("watch stops of sizes %v, want %v", got, want)
	}
	// A watch on the first byte only: the halfword store at +2 and the
	// word stores at +4 miss it.
	r.watches = [][2]uint64{{data, 1}}
	if n := countStops(r.check(t, 1<<30))[ExitWatch]; n != 14 {
		t.Errorf("one-byte watch: %d stops, want 14", n)
	}
}

// TestWatchAndToHost: a store that touches both tohost and a watchpoint
// ends Run with ExitWatch; the next Run returns ExitHost at once with
// nothing run; a store into tohost alone ends with ExitHost as before.
// Save and Restore keep the pending ExitHost.
func TestWatchAndToHost(t *testing.T) {
	h := newTestHart(t)
	tohost := uint64(testBase + 0x3000)
	prog(t, h, testPC, "sd a0, 0(a2)", "sw a0, 0(a2)", "addi a0, a0, 1", "j .-12")
	h.X[12] = tohost
	h.WatchToHost(tohost)
	h.SetWatch(tohost+4, 4)
	expectExit(t, h.Run(100), Exit{Kind: ExitWatch, Tval: tohost, Cause: 8, PC: testPC + 4})
	var s State
	h.Save(&s)
	if !s.HostPending {
		t.Fatal("State does not keep the pending tohost exit")
	}
	expectExit(t, h.Run(100), Exit{Kind: ExitHost, PC: testPC + 4})
	if h.Instret() != 1 {
		t.Fatalf("instret %d, want 1", h.Instret())
	}
	expectExit(t, h.Run(100), Exit{Kind: ExitHost, PC: testPC + 8}) // sw: tohost only
	h.Restore(&s)
	expectExit(t, h.Run(100), Exit{Kind: ExitHost, PC: testPC + 4})
	h.ClearWatch(tohost+4, 4)
	h.PC = testPC
	expectExit(t, h.Run(100), Exit{Kind: ExitHost, PC: testPC + 4})
}

// TestWatchReservation: watchpoints far from the LR/SC reservation and
// tohost keep both working: the hull of all of them.
func TestWatchReservation(t *testing.T) {
	h := newTestHart(t)
	data := uint64(testBase + 0x3000)
	load(t, h, testPC,
		0x100636af, // lr.d a3, (a2)
		0x00a5b023, // sd a0, 0(a1): breaks the reservation when a1 = a2
		0x18a636af, // sc.d a3, a0, (a2)
		0x0000006f, // j .
	)
	h.X[12], h.X[11] = data, data
	h.SetWatch(testBase+0x8000, 8)
	h.SetWatch(testBase+0x100, 2)
	expectExit(t, h.Run(4), Exit{Kind: ExitBudget, PC: testPC + 12})
	if h.X[13] != 1 {
		t.Errorf("sc.d after a store into the reservation: a3 = %d, want 1 (failed)", h.X[13])
	}
	h.PC, h.X[11] = testPC, data+16
	h.SetWatch(data, 8)
	expectExit(t, h.Run(4), Exit{Kind: ExitWatch, Tval: data, Cause: 8, PC: testPC + 12})
	if h.X[13] != 0 {
		t.Errorf("sc.d: a3 = %d, want 0 (success)", h.X[13])
	}
}

// TestDebugDoesNotAllocate: Run with breakpoints and watchpoints set, and
// stops at them, allocates nothing.
func TestDebugDoesNotAllocate(t *testing.T) {
	h := newTestHart(t)
	prog(t, h, testPC, "addi a0, a0, 1", "sd a0, 0(a2)", "addi a1, a1, 1", "j .-12")
	h.X[12] = testBase + 0x3000
	h.SetBreakpoint(testPC + 8)
	h.SetWatch(testBase+0x3000, 8)
	h.Run(100)
	if a := testing.AllocsPerRun(100, func() {
		h.SkipBreakpointOnce()
		h.Run(10000)
	}); a != 0 {
		t.Errorf("Run allocates %v times", a)
	}
}

// FuzzBreakpoints runs random streams of parcels (as FuzzMixedBlocks) with
// random breakpoints and write watchpoints inside the code, which the
// registers point into, in Run calls of several sizes, and compares the
// stops with a referee that single-steps: the same stops, at the same pc
// and instret, with the same registers and memory.
func FuzzBreakpoints(f *testing.F) {
	f.Add([]byte{0x05, 0x05, 0x93, 0x85, 0x15, 0x00, 0xfd, 0x16, 0xfd, 0xfe}, uint64(0), []byte{1, 3}, uint16(0x0402), uint16(0), uint8(40))
	f.Add([]byte{0x2f, 0xa5, 0xc5, 0x08, 0x23, 0xa0, 0xe7, 0x00, 0xf5, 0xb7}, uint64(0x1ff0), []byte{0, 2, 4}, uint16(0x1e00), uint16(0x0604), uint8(60))
	f.Add([]byte{0x8d, 0x47, 0xfd, 0x17, 0xfd, 0xfb, 0x93, 0x85, 0x15, 0x00, 0x63, 0x94, 0x05, 0x00, 0x05, 0x05, 0xe5, 0xbf}, uint64(0xff8), []byte{1, 2, 7}, uint16(0), uint16(0), uint8(200))
	f.Add([]byte{0x23, 0x30, 0xa6, 0x00, 0x23, 0x20, 0xa6, 0x00, 0xe5, 0xbf}, uint64(0x20), []byte{4}, uint16(0x1000), uint16(0x8000), uint8(30))
	f.Fuzz(func(t *testing.T, code []byte, at uint64, bps []byte, w1, w2 uint16, steps uint8) {
		if len(code) > 256 {
			code = code[:256]
		}
		if len(bps) > 16 {
			bps = bps[:16]
		}
		at = at &^ 1 % 0x1f00
		start := testBase + at
		setup := func(h *Hart) {
			b, _ := h.Mem.Slice(start, uint64(len(code)))
			copy(b, code)
			h.Invalidate(start, uint64(len(code)))
			h.PC = start
			for i := 1; i < 32; i++ {
				h.X[i] = start + uint64(i*6)%uint64(len(code)+8)
			}
			h.CSR.Set(csr.Mstatus, h.CSR.Get(csr.Mstatus)|csr.FSInitial)
			h.UserTrapsExit = true
			h.Priv = csr.PrivU
			if w2&0x8000 != 0 {
				// tohost inside the code too: a store may touch it
				// and a watchpoint at once.
				h.WatchToHost(start + uint64(w2>>4&0xff)%uint64(len(code)+8))
			}
		}
		kernel := func(h *Hart, e Exit) bool { return e.Kind == ExitHost || userKernel(h, e) }
		r := &dbgRun{setup: setup, limit: uint64(steps), kernel: kernel, hashMem: true}
		for _, b := range bps {
			r.breaks = append(r.breaks, start+uint64(b)%uint64(len(code)+2))
		}
		for _, w := range []uint16{w1, w2 & 0x7fff} {
			if n := uint64(w>>9) & 15; n != 0 {
				r.watches = append(r.watches, [2]uint64{start + uint64(w&0x1ff)%uint64(len(code)+8), n})
			}
		}
		r.check(t, 1, 3, 1<<20)
	})
}

// loadELF loads the PT_LOAD segments of a program of programs/bin into a
// hart with size bytes of memory at base and returns the hart and the
// program's symbols.
func loadELF(t testing.TB, name string, base, size uint64) (*Hart, map[string]uint64) {
	t.Helper()
	f, err := elf.Open(filepath.Join("..", "programs", "bin", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	mem, err := NewMemory(base, size)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(mem.Close)
	h := New(mem, csr.New(testHost()))
	for _, p := range f.Progs {
		if p.Type != elf.PT_LOAD || p.Filesz == 0 {
			continue
		}
		// At the virtual address, and at the physical one where the
		// program keeps a load image (picolibc's .data in flash).
		for _, a := range []uint64{p.Vaddr, p.Paddr} {
			b, ok := h.Mem.Slice(a, p.Filesz)
			if !ok {
				t.Fatalf("%s: segment at %#x outside memory", name, a)
			}
			if n, err := p.ReadAt(b, 0); n != len(b) {
				t.Fatalf("%s: segment at %#x: %v", name, a, err)
			}
		}
	}
	syms, err := f.Symbols()
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]uint64{}
	for _, s := range syms {
		m[s.Name] = s.Value
	}
	h.PC = f.Entry
	return h, m
}

// linuxStart makes h a Linux user-mode program started with args (as the
// project's crt0 expects: argc, argv, NULL, envp NULL, auxv AT_NULL at
// sp), FP on.
func linuxStart(h *Hart, args ...string) {
	top := h.Mem.End() - 4096
	strs := top
	var ptrs []uint64
	for _, a := range args {
		b, _ := h.Mem.Slice(strs, uint64(len(a)+1))
		copy(b, a)
		b[len(a)] = 0
		ptrs = append(ptrs, strs)
		strs += uint64(len(a) + 1)
	}
	sp := top - 256
	b, _ := h.Mem.Slice(sp, 256)
	clear(b)
	le.PutUint64(b, uint64(len(args)))
	for i, p := range ptrs {
		le.PutUint64(b[8+8*i:], p)
	}
	h.X[2] = sp
	h.Priv, h.UserTrapsExit = csr.PrivU, true
	h.CSR.Set(csr.Mcounteren, 7)
	h.CSR.Set(csr.Mstatus, h.CSR.Get(csr.Mstatus)|csr.MstatusTW|csr.FSInitial)
}

// miniKernel is the least Linux a program of the project's runtime
// needs: write to stdout (kept in out), exit; every other call fails with
// ENOSYS. It ends the run at exit and at any other exit kind.
func miniKernel(out *strings.Builder) func(h *Hart, e Exit) bool {
	return func(h *Hart, e Exit) bool {
		if e.Kind != ExitEcall {
			return false
		}
		switch h.X[17] {
		case 64: // write
			if b, ok := h.Mem.Slice(h.X[11], h.X[12]); ok && out != nil && h.X[10] == 1 {
				out.Write(b)
			}
			h.X[10] = h.X[12]
		case 93, 94: // exit, exit_group
			return false
		default:
			h.X[10] = ^uint64(38 - 1) // -ENOSYS
		}
		h.PC += 4
		return true
	}
}

// TestBreakpointsBench debugs a real program built -march=rv64gc
// (programs/bin/bench_rv64gc.elf, compressed code with fused pairs):
// breakpoints at functions from the ELF's symbols and at pcs the program
// runs through, watchpoints on globals, against single-stepping. The
// program's output must be qemu-riscv64's (when installed): the hart ran
// it right.
func TestBreakpointsBench(t *testing.T) {
	const base, size = 0x10000, 1 << 20
	h0, syms := loadELF(t, "bench_rv64gc.elf", base, size)
	for _, s := range []string{"main", "memset", "table", "sieve", "arr"} {
		if syms[s] == 0 {
			t.Fatalf("no symbol %s", s)
		}
	}
	var image []byte
	image = append(image, h0.Mem.Data...)
	entry := h0.PC
	var out strings.Builder
	kernel := miniKernel(&out)
	setup := func(h *Hart) {
		copy(h.Mem.Data, image)
		h.Invalidate(h.Mem.Base, h.Mem.Size())
		h.PC = entry
		linuxStart(h, "bench", "1")
	}
	newHart := func(t testing.TB) *Hart {
		h, _ := loadELF(t, "bench_rv64gc.elf", base, size)
		return h
	}

	// The pcs the program runs, in order of first run, from a plain run
	// in single steps, and its output.
	ref := newHart(t)
	setup(ref)
	var pcs []uint64
	runs := map[uint64]int{}
	for {
		if runs[ref.PC] == 0 {
			pcs = append(pcs, ref.PC)
		}
		runs[ref.PC]++
		if e := ref.Run(1); e.Kind != ExitBudget && !kernel(ref, e) {
			break
		}
	}
	// Branches that the decode cache fused with the add before them, run
	// at least twice, and the adds.
	var fused []uint64
	for pn, pg := range ref.code {
		if pg == nil {
			continue
		}
		for k := range uint64(pageSlots - 1) {
			switch pg[k].op {
			case opADDIb, opADDIWb, opADDb, opADDWb:
				pc := ref.Mem.Base + uint64(pn)<<pageShift + k<<1
				if br := pc + pg[k].size()<<1; runs[br] >= 2 && len(fused) < 6 {
					fused = append(fused, pc, br)
				}
			}
		}
	}
	if len(fused) == 0 {
		t.Fatal("no fused pair ran")
	}
	total := ref.Instret()
	if q, err := exec.LookPath("qemu-riscv64"); err == nil {
		want, err := exec.Command(q, filepath.Join("..", "programs", "bin", "bench_rv64gc.elf"), "1").Output()
		if err != nil {
			t.Fatalf("qemu-riscv64: %v", err)
		}
		if out.String() != string(want) {
			t.Fatalf("output %q, qemu-riscv64's %q", out.String(), want)
		}
	}
	t.Logf("%d instructions, %d distinct pcs, output %q", total, len(pcs), out.String())

	rng := rand.New(rand.NewPCG(1, 2))
	var some []uint64
	for range 6 {
		some = append(some, pcs[rng.IntN(len(pcs))])
	}
	table, sieve, arr := syms["table"], syms["sieve"], syms["arr"]
	dbgRuns := []*dbgRun{
		{breaks: []uint64{syms["memset"]}},
		{breaks: fused[1:2], watches: [][2]uint64{{sieve + 65535, 1}}},
		{breaks: fused},
		{breaks: []uint64{syms["main"], syms["memset"]}, watches: [][2]uint64{{table + 3*8, 8}}},
		{breaks: some, watches: [][2]uint64{{sieve + 100, 1}, {arr + 4*4095, 4}}},
		{watches: [][2]uint64{{table + 1023*8 + 4, 2}}},
	}
	for k, r := range dbgRuns {
		r.setup, r.kernel, r.limit, r.newHart = setup, kernel, total+1, newHart
		stops := r.referee(t)
		c := countStops(stops)
		if c[ExitBreak]+c[ExitWatch] == 0 {
			t.Errorf("run %d: no stop", k)
		}
		t.Logf("run %d: %d breakpoint stops, %d watch stops", k, c[ExitBreak], c[ExitWatch])
		if k == 0 && c[ExitBreak] != 5 {
			// bench.c at scale 1: memset(sieve) once, memset(table)
			// after every 1024 of 4096 inserts.
			t.Errorf("breakpoint on memset: %d stops, want 5", c[ExitBreak])
		}
		for _, chunk := range []uint64{1 << 30, 1000} {
			compareStops(t, fmt.Sprintf("run %d, chunks of %d", k, chunk), r.debugged(t, chunk), stops)
		}
	}
}

// TestAccessGNU checks Access against every load, store, AMO and LR/SC
// form, 32-bit and compressed, integer and FP, as the GNU assembler
// encodes them: the address from the register and offset written in the
// source, the size from the mnemonic; and, run, each store writes only
// inside what Access reported.
func TestAccessGNU(t *testing.T) {
	as, objdump := gnuTool(t, "as"), gnuTool(t, "objdump")
	type acase struct {
		src         string
		reg         int   // the base register
		off         int64 // the offset
		n           uint64
		load, store bool
	}
	cases := []acase{
		{"lb a0, -3(a1)", 11, -3, 1, true, false},
		{"lh a0, 6(a2)", 12, 6, 2, true, false},
		{"lw a0, 2044(a3)", 13, 2044, 4, true, false},
		{"ld a0, -2048(a4)", 14, -2048, 8, true, false},
		{"lbu a0, 1(a1)", 11, 1, 1, true, false},
		{"lhu a0, 0(a1)", 11, 0, 2, true, false},
		{"lwu a0, 12(a1)", 11, 12, 4, true, false},
		{"lw zero, 8(a1)", 11, 8, 4, true, false},
		{"ld zero, 16(s0)", 8, 16, 8, true, false},
		{"sb a0, 7(a1)", 11, 7, 1, false, true},
		{"sh a0, -2(a2)", 12, -2, 2, false, true},
		{"sw a0, 100(sp)", 2, 100, 4, false, true},
		{"sd a0, -8(s1)", 9, -8, 8, false, true},
		{"flw fa0, 4(a1)", 11, 4, 4, true, false},
		{"fld fa0, -16(a2)", 12, -16, 8, true, false},
		{"fsw fa0, 20(a3)", 13, 20, 4, false, true},
		{"fsd fa0, 24(a4)", 14, 24, 8, false, true},
		{"c.lw a0, 4(a1)", 11, 4, 4, true, false},
		{"c.ld a0, 8(a2)", 12, 8, 8, true, false},
		{"c.sw a0, 12(a3)", 13, 12, 4, false, true},
		{"c.sd a0, 16(a4)", 14, 16, 8, false, true},
		{"c.lwsp a0, 20(sp)", 2, 20, 4, true, false},
		{"c.ldsp a0, 24(sp)", 2, 24, 8, true, false},
		{"c.swsp a0, 28(sp)", 2, 28, 4, false, true},
		{"c.sdsp a0, 32(sp)", 2, 32, 8, false, true},
		{"c.fld fa0, 40(a1)", 11, 40, 8, true, false},
		{"c.fsd fa0, 48(a2)", 12, 48, 8, false, true},
		{"c.fldsp fa0, 56(sp)", 2, 56, 8, true, false},
		{"c.fsdsp fa0, 64(sp)", 2, 64, 8, false, true},
		{"lr.w a0, (a1)", 11, 0, 4, true, false},
		{"lr.d.aq a0, (a2)", 12, 0, 8, true, false},
		{"sc.w a0, a5, (a1)", 11, 0, 4, false, true}, // with a reservation set below
		{"sc.d a0, a5, (a1)", 11, 0, 8, false, true},
		{"amoswap.w a0, a5, (a1)", 11, 0, 4, true, true},
		{"amoadd.d a0, a5, (a2)", 12, 0, 8, true, true},
		{"amoxor.w.aqrl a0, a5, (a3)", 13, 0, 4, true, true},
		{"amoand.d a0, a5, (a4)", 14, 0, 8, true, true},
		{"amoor.w zero, a5, (a1)", 11, 0, 4, true, true},
		{"amomin.d a0, a5, (a1)", 11, 0, 8, true, true},
		{"amomax.w a0, a5, (a1)", 11, 0, 4, true, true},
		{"amominu.d a0, a5, (a1)", 11, 0, 8, true, true},
		{"amomaxu.w a0, a5, (a1)", 11, 0, 4, true, true},
		{"add a0, a1, a2", 0, 0, 0, false, false},
		{"c.addi a0, 1", 0, 0, 0, false, false},
		{"jalr ra, 8(a1)", 0, 0, 0, false, false},
		{"csrr a0, fcsr", 0, 0, 0, false, false},
		{"fadd.d fa0, fa1, fa2", 0, 0, 0, false, false},
		{"ecall", 0, 0, 0, false, false},
		{"fence", 0, 0, 0, false, false},
	}
	var src strings.Builder
	for _, c := range cases {
		if strings.HasPrefix(c.src, "c.") {
			src.WriteString(".option rvc\n")
		} else {
			src.WriteString(".option norvc\n")
		}
		src.WriteString(c.src + "\n")
	}
	dir := t.TempDir()
	s, o := filepath.Join(dir, "a.s"), filepath.Join(dir, "a.o")
	if err := os.WriteFile(s, []byte(src.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(as, "-march=rv64imafdc", "-o", o, s).CombinedOutput(); err != nil {
		t.Fatalf("as: %v\n%s", err, out)
	}
	out, err := exec.Command(objdump, "-d", "-M", "no-aliases", o).Output()
	if err != nil {
		t.Fatalf("objdump: %v", err)
	}
	var words []uint32
	for _, line := range strings.Split(string(out), "\n") {
		if m := objdumpLine.FindStringSubmatch(line); m != nil && strings.Contains(line, "\t") {
			var w uint32
			fmt.Sscanf(m[2], "%x", &w)
			words = append(words, w)
		}
	}
	if len(words) != len(cases) {
		t.Fatalf("objdump lists %d instructions, want %d", len(words), len(cases))
	}
	data := uint64(testBase + 0x8000)
	for k, c := range cases {
		h := newTestHart(t)
		place(t, h, testPC, words[k])
		for i := 1; i < 32; i++ {
			h.X[i] = data + uint64(i)*0x100
		}
		h.CSR.Set(csr.Mstatus, h.CSR.Get(csr.Mstatus)|csr.FSInitial)
		if strings.HasPrefix(c.src, "sc.") {
			h.SetReservation(h.X[11], c.n)
		}
		addr, n, load, store := h.Access()
		want := uint64(0)
		if c.load || c.store {
			want = h.X[c.reg] + uint64(c.off)
		}
		if addr != want || n != c.n || load != c.load || store != c.store {
			t.Errorf("%s (%#x): Access %#x %d load %v store %v, want %#x %d %v %v", c.src, words[k], addr, n, load, store, want, c.n, c.load, c.store)
			continue
		}
		// Run it: a store writes nothing outside [addr, addr+n).
		for i := range h.Mem.Data {
			h.Mem.Data[i] ^= 0x5a // every byte differs from what a0/a5/fa0 store, almost surely
		}
		place(t, h, testPC, words[k])
		h.X[10], h.X[15], h.F[10] = 0x0102030405060708, 0x1112131415161718, 0x2122232425262728
		before := append([]byte(nil), h.Mem.Data...)
		e := h.Run(1)
		if e.Kind != ExitBudget {
			if c.src == "ecall" {
				continue
			}
			t.Errorf("%s: exit %s cause %d at %#x", c.src, e.Kind.testName(), e.Cause, e.PC)
			continue
		}
		var lo, hi uint64 = ^uint64(0), 0
		for i := range before {
			if before[i] != h.Mem.Data[i] {
				a := h.Mem.Base + uint64(i)
				lo, hi = min(lo, a), max(hi, a+1)
			}
		}
		if hi != 0 && (!store || lo < addr || hi > addr+n) {
			t.Errorf("%s: wrote [%#x, %#x), Access said %#x %d store %v", c.src, lo, hi, addr, n, store)
		}
		if store && hi == 0 && !strings.HasPrefix(c.src, "amomin") && !strings.HasPrefix(c.src, "amomax") {
			// (amomin and amomax may store back the value that was there.)
			t.Errorf("%s: Access said a store of %d at %#x; nothing written", c.src, n, addr)
		}
	}
	// An SC without the reservation stores nothing: Access says so.
	h := newTestHart(t)
	place(t, h, testPC, words[31])
	h.X[11] = data
	if _, _, load, store := h.Access(); load || store {
		t.Errorf("sc.w without reservation: Access load %v store %v", load, store)
	}
	// A pc outside memory, or odd: nothing.
	h.PC = h.Mem.End()
	if _, n, load, store := h.Access(); n != 0 || load || store {
		t.Error("Access at a pc outside memory reports an access")
	}
}

// BenchmarkRunLoopDebugIdle is BenchmarkRunLoop with a breakpoint and a
// write watchpoint set elsewhere (another page, data the loop never
// stores to): what debugging costs code it does not stop.
func BenchmarkRunLoopDebugIdle(b *testing.B) {
	h := newTestHart(b)
	h.SetBreakpoint(testPC + 0x2000)
	h.SetWatch(testBase+0x8000, 8)
	benchProgram(b, h, benchLoop...)
}

// BenchmarkLoadStoreDebugIdle is BenchmarkLoadStore with a write
// watchpoint on the doubleword after the one the loop stores to last, so
// that its stores take the watch path, and a breakpoint on another page.
func BenchmarkLoadStoreDebugIdle(b *testing.B) {
	h := newTestHart(b)
	h.X[3] = testBase
	h.SetBreakpoint(testPC + 0x2000)
	h.SetWatch(testBase+0x2000+24, 8)
	benchProgram(b, h, memLoop...)
}

// semiKernel is the least semihosting a picolibc program needs: the
// console (SYS_OPEN of ":tt", SYS_WRITE, SYS_WRITEC, SYS_WRITE0, kept in
// out), SYS_GET_CMDLINE (cmdline), SYS_HEAPINFO (nothing known), and
// SYS_EXIT and SYS_EXIT_EXTENDED, which end the run (status in *status);
// every other call fails. It ends the run at any other exit kind.
func semiKernel(out *strings.Builder, cmdline string, status *uint64) func(h *Hart, e Exit) bool {
	return func(h *Hart, e Exit) bool {
		if e.Kind != ExitSemihost {
			return false
		}
		arg := h.X[11]
		word := func(k uint64) uint64 {
			b, ok := h.Mem.Slice(arg+8*k, 8)
			if !ok {
				return 0
			}
			return le.Uint64(b)
		}
		str := func(a uint64) string {
			var s []byte
			for {
				b, ok := h.Mem.Slice(a, 1)
				if !ok || b[0] == 0 {
					return string(s)
				}
				s, a = append(s, b[0]), a+1
			}
		}
		r := ^uint64(0)
		switch h.X[10] {
		case 0x01: // SYS_OPEN
			if str(word(0)) == ":tt" {
				r = 1
			}
		case 0x02: // SYS_CLOSE
			r = 0
		case 0x03: // SYS_WRITEC
			if b, ok := h.Mem.Slice(arg, 1); ok {
				out.Write(b)
			}
			r = h.X[10]
		case 0x04: // SYS_WRITE0
			out.WriteString(str(arg))
			r = h.X[10]
		case 0x05: // SYS_WRITE
			if b, ok := h.Mem.Slice(word(1), word(2)); ok {
				out.Write(b)
			}
			r = 0
		case 0x09: // SYS_ISTTY
			r = 0
		case 0x15: // SYS_GET_CMDLINE
			if b, ok := h.Mem.Slice(word(0), word(1)); ok && uint64(len(cmdline)) < word(1) {
				copy(b, cmdline+"\x00")
				le.PutUint64(h.Mem.Data[arg+8-h.Mem.Base:], uint64(len(cmdline)))
				r = 0
			}
		case 0x16: // SYS_HEAPINFO
			if b, ok := h.Mem.Slice(word(0), 32); ok {
				clear(b)
				r = 0
			}
		case 0x18: // SYS_EXIT: the reason, and the subcode
			*status = word(1)
			return false
		case 0x20: // SYS_EXIT_EXTENDED
			*status = word(1)
			return false
		}
		h.X[10] = r
		h.PC += 4
		return true
	}
}

// TestBreakpointsSemihost debugs a picolibc semihosting program built
// rv64gc (programs/bin/semihost_hello.elf, M-mode, compressed code):
// breakpoints on printf, on main, and on the ebreak of the semihosting
// sequence (every call stops there, and resumed, exits ExitSemihost),
// and a watchpoint on main's stack frame, against single-stepping. Its
// output must be the end-to-end tests' golden text.
func TestBreakpointsSemihost(t *testing.T) {
	const base, size = 0x10000000, 0x10008000 // flash at 0x10000000, RAM at 0x20000000
	h0, syms := loadELF(t, "semihost_hello.elf", base, size)
	// Flash (code and the load image of .data) and RAM: the rest stays
	// zero, and copying it would cost 256 MiB a hart.
	const ram = 0x20000000
	flash := append([]byte(nil), h0.Mem.Data[:0x10000]...)
	ramImage := append([]byte(nil), h0.Mem.Data[ram-base:]...)
	entry := h0.PC
	h0.Mem.Close()
	var ebreak uint64
	for pc := syms["sys_semihost"]; pc < syms["sys_semihost"]+64; pc += 2 {
		if le.Uint32(flash[pc-base:]) == semihostEbreak {
			ebreak = pc
			break
		}
	}
	if ebreak == 0 {
		t.Fatalf("no semihosting ebreak in sys_semihost (%#x)", syms["sys_semihost"])
	}
	golden, err := os.ReadFile(filepath.Join("..", "programs", "testdata", "semihost_hello-x-7.out"))
	if err != nil {
		t.Fatal(err)
	}
	want := strings.ReplaceAll(string(golden), "{prog}", "hello")
	var out strings.Builder
	var status uint64
	kernel := semiKernel(&out, "hello x 7", &status)
	setup := func(h *Hart) {
		copy(h.Mem.Data, flash)
		copy(h.Mem.Data[ram-base:], ramImage)
		h.PC = entry
		h.Semihosting = true
	}
	newHart := func(t testing.TB) *Hart {
		mem, err := NewMemory(base, size)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(mem.Close)
		return New(mem, csr.New(testHost()))
	}
	// A plain run first: the program works under this monitor.
	ref := newHart(t)
	setup(ref)
	for {
		e := ref.Run(1 << 20)
		if e.Kind != ExitBudget && !kernel(ref, e) {
			if e.Kind != ExitSemihost || out.String() != want || status != 7 {
				t.Fatalf("plain run: exit %s at %#x, status %d, output %q, want %q", e.Kind.testName(), e.PC, status, out.String(), want)
			}
			break
		}
	}
	total := ref.Instret()
	stack := syms["__stack"]
	for k, r := range []*dbgRun{
		{breaks: []uint64{ebreak}},
		{breaks: []uint64{syms["printf"], syms["main"]}, watches: [][2]uint64{{stack - 256, 256}}},
		{breaks: []uint64{ebreak - 4, ebreak + 4}}, // the slli and the srai around it
	} {
		r.setup, r.kernel, r.limit, r.newHart = setup, kernel, total+1, newHart
		out.Reset()
		stops := r.referee(t)
		c := countStops(stops)
		t.Logf("run %d: %d breakpoint stops, %d watch stops", k, c[ExitBreak], c[ExitWatch])
		if c[ExitBreak] == 0 || len(r.watches) > 0 && c[ExitWatch] == 0 {
			t.Errorf("run %d: stops %v", k, c)
		}
		for _, chunk := range []uint64{1 << 30, 100} {
			out.Reset()
			compareStops(t, fmt.Sprintf("run %d, chunks of %d", k, chunk), r.debugged(t, chunk), stops)
			if out.String() != want {
				t.Errorf("run %d: output %q", k, out.String())
			}
		}
	}
}
