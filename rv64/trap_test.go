package rv64

import (
	"testing"

	"github.com/rvsim/rvsim/csr"
)

// prog assembles lines and loads them at addr.
func prog(t testing.TB, h *Hart, addr uint64, lines ...string) {
	t.Helper()
	load(t, h, addr, mustAsm(lines...)...)
}

func expectExit(t testing.TB, got Exit, want Exit) {
	t.Helper()
	if got != want {
		t.Fatalf("Run: got exit %s cause %d tval %#x pc %#x, want %s cause %d tval %#x pc %#x",
			got.Kind.testName(), got.Cause, got.Tval, got.PC, want.Kind.testName(), want.Cause, want.Tval, want.PC)
	}
}

func expectRegs(t testing.TB, h *Hart, want map[string]uint64) {
	t.Helper()
	for name, v := range want {
		r, ok := regNum(name)
		if !ok {
			t.Fatalf("bad register %q", name)
		}
		if h.X[r] != v {
			t.Errorf("%s: got %#x, want %#x", name, h.X[r], v)
		}
	}
}

func expectCSRs(t testing.TB, h *Hart, want map[uint16]uint64) {
	t.Helper()
	for n, v := range want {
		if got := h.CSR.Get(n); got != v {
			t.Errorf("%s: got %#x, want %#x", csr.Name(n), got, v)
		}
	}
}

// trapHandler loads at testVec a handler that records mcause, mepc, mtval
// and mstatus in a0-a3, counts traps in s0 and returns past the
// trapping instruction.
func trapHandler(t testing.TB, h *Hart) {
	prog(t, h, testVec,
		"csrr a0, mcause",
		"csrr a1, mepc",
		"csrr a2, mtval",
		"csrr a3, mstatus",
		"addi a1, a1, 4",
		"csrw mepc, a1",
		"addi s0, s0, 1",
		"mret",
	)
}

// TestTrapAndMret follows mstatus, mepc, mcause and mtval through an mret
// to U-mode, an ecall from U (cause 8), a return, and an illegal CSR access
// from U, with mtvec in vectored mode (exceptions still go to BASE).
func TestTrapAndMret(t *testing.T) {
	h := newTestHart(t)
	h.CSR.Set(csr.Mtvec, testVec|1)
	trapHandler(t, h)
	const P = testPC
	prog(t, h, P,
		"csrrsi zero, mstatus, 8", // MIE
		"li t2, 128",
		"csrrs zero, mstatus, t2", // MPIE
		"lui t1, 2",
		"addi t1, t1, -2048",
		"csrrc zero, mstatus, t1", // MPP = U
		"auipc t0, 0",
		"addi t0, t0, 16",
		"csrrw zero, mepc, t0",
		"mret",             // to U at P+40
		"li a7, 93",        // P+40
		"ecall",            // P+44
		"csrr a5, mstatus", // P+48: illegal in U
		"j .",              // P+52
	)
	illegalWord := mustAsm("csrr a5, mstatus")[0]

	// Ten M-mode instructions, one in U, the ecall (which does not
	// retire), then the handler's four reads.
	expectExit(t, h.Run(15), Exit{Kind: ExitBudget, PC: testVec + 16})
	if h.Priv != csr.PrivM {
		t.Errorf("priv in the handler: got %s, want M", privName(h.Priv))
	}
	expectRegs(t, h, map[string]uint64{
		"a0": CauseEcallU, "a1": P + 44, "a2": 0,
		"a3": 2<<32 | csr.MstatusMPIE, // MIE was set in U: MPIE=1, MIE=0, MPP=U
		"a7": 93,
	})
	if h.Instret() != 15 {
		t.Errorf("instret: got %d, want 15", h.Instret())
	}

	expectExit(t, h.Run(100), Exit{Kind: ExitBudget, PC: P + 52})
	if h.Priv != csr.PrivU {
		t.Errorf("priv after mret: got %s, want U", privName(h.Priv))
	}
	expectRegs(t, h, map[string]uint64{
		"a0": CauseIllegal, "a1": P + 52, "a2": uint64(illegalWord),
		"a3": 2<<32 | csr.MstatusMPIE, "a5": 0, "s0": 2,
	})
	expectCSRs(t, h, map[uint16]uint64{
		csr.Mstatus: 2<<32 | csr.MstatusMPIE | csr.MstatusMIE, // MPP = U after mret
		csr.Mcause:  CauseIllegal,
		csr.Mepc:    P + 52,
		csr.Mtval:   uint64(illegalWord),
		csr.Mtvec:   testVec | 1,
	})
}

// TestEcallM: an ecall from M-mode is cause 11 and mret returns to M.
func TestEcallM(t *testing.T) {
	h := newTestHart(t)
	trapHandler(t, h)
	prog(t, h, testPC, "ecall", "ebreak", "j .")
	h.Run(100)
	expectRegs(t, h, map[string]uint64{"a0": CauseBreakpoint, "a1": testPC + 8, "a2": testPC + 4, "s0": 2})
	if h.Priv != csr.PrivM || h.PC != testPC+8 {
		t.Errorf("got priv %s pc %#x, want M %#x", privName(h.Priv), h.PC, testPC+8)
	}
	// The first trap was the ecall.
	h = newTestHart(t)
	trapHandler(t, h)
	prog(t, h, testPC, "ecall", "j .")
	h.Run(1)
	expectRegs(t, h, map[string]uint64{"a0": CauseEcallM})
	expectCSRs(t, h, map[uint16]uint64{csr.Mcause: CauseEcallM, csr.Mepc: testPC, csr.Mtval: 0,
		csr.Mstatus: 2<<32 | csr.MstatusMPP})
}

// TestUserTrapsExit: with UserTrapsExit, U-mode exceptions return to the
// monitor and leave the trap CSRs alone; the monitor resumes the guest.
func TestUserTrapsExit(t *testing.T) {
	h := newTestHart(t)
	h.UserTrapsExit = true
	h.Priv = csr.PrivU
	trapHandler(t, h)
	prog(t, h, testPC,
		"li a7, 64",
		"li a0, 1",
		"ecall",          // +8
		"addi a0, a0, 1", // +12
		"ecall",          // +16
		"csrr a1, mscratch",
		"j .",
	)
	before := snapshot(h)
	expectExit(t, h.Run(100), Exit{Kind: ExitEcall, Cause: CauseEcallU, PC: testPC + 8})
	if h.PC != testPC+8 || h.Priv != csr.PrivU || h.Instret() != 2 {
		t.Errorf("at the ecall exit: pc %#x priv %s instret %d", h.PC, privName(h.Priv), h.Instret())
	}
	// The monitor handles the call: result in a0, the ecall retires.
	h.X[10] = 42
	h.PC += 4
	h.CSR.Instret++
	expectExit(t, h.Run(100), Exit{Kind: ExitEcall, Cause: CauseEcallU, PC: testPC + 16})
	expectRegs(t, h, map[string]uint64{"a0": 43, "a7": 64})
	h.PC += 4
	h.CSR.Instret++
	w := mustAsm("csrr a1, mscratch")[0]
	expectExit(t, h.Run(100), Exit{Kind: ExitTrap, Cause: CauseIllegal, Tval: uint64(w), PC: testPC + 20})
	for _, n := range []uint16{csr.Mstatus, csr.Mepc, csr.Mcause, csr.Mtval} {
		if got := h.CSR.Get(n); got != before.CSR[n] {
			t.Errorf("%s changed by a U-mode exit: %#x -> %#x", csr.Name(n), before.CSR[n], got)
		}
	}
	if h.Priv != csr.PrivU || h.X[11] != 0 || h.Instret() != 5 {
		t.Errorf("after the trap exit: priv %s a1 %#x instret %d", privName(h.Priv), h.X[11], h.Instret())
	}
}

// TestUnhandledTrap: in M-mode, a trap whose handler cannot run returns
// ExitTrap instead of looping.
func TestUnhandledTrap(t *testing.T) {
	t.Run("mtvec outside memory", func(t *testing.T) {
		h := newTestHart(t)
		h.CSR.Set(csr.Mtvec, 0)
		prog(t, h, testPC, "nop", ".word 0")
		expectExit(t, h.Run(100), Exit{Kind: ExitTrap, Cause: CauseIllegal, Tval: 0, PC: testPC + 4})
		if h.PC != testPC+4 || h.Instret() != 1 || h.CSR.Get(csr.Mcause) != 0 {
			t.Errorf("pc %#x instret %d mcause %d", h.PC, h.Instret(), h.CSR.Get(csr.Mcause))
		}
	})
	t.Run("handler traps", func(t *testing.T) {
		h := newTestHart(t)
		load(t, h, testVec, 0xffffffff) // the handler's first instruction is illegal
		prog(t, h, testPC, "ecall")
		expectExit(t, h.Run(100), Exit{Kind: ExitTrap, Cause: CauseIllegal, Tval: 0xffffffff, PC: testVec})
		// The ecall's trap was taken; the handler's was not.
		expectCSRs(t, h, map[uint16]uint64{csr.Mcause: CauseEcallM, csr.Mepc: testPC})
		if h.Instret() != 0 {
			t.Errorf("instret %d, want 0", h.Instret())
		}
	})
	t.Run("handler jumps to a fault", func(t *testing.T) {
		// A handler that runs and then faults is a handled trap: the
		// second trap re-enters it. The budget still ends the run.
		h := newTestHart(t)
		prog(t, h, testVec, "nop", ".word 0")
		prog(t, h, testPC, ".word 0")
		expectExit(t, h.Run(10), Exit{Kind: ExitBudget, PC: testVec + 4})
		if h.Instret() != 10 {
			t.Errorf("instret %d, want 10", h.Instret())
		}
	})
}

// TestWatchToHost: a store to tohost ends Run after the store, with the
// store done and counted.
func TestWatchToHost(t *testing.T) {
	h := newTestHart(t)
	const tohost = testBase + 0x3000
	h.WatchToHost(tohost)
	prog(t, h, testPC,
		"lui t0, 0x80003", // t0 = tohost (sign-extended, then masked below)
		"slli t0, t0, 32",
		"srli t0, t0, 32",
		"li a0, 7",
		"sd a0, 8(t0)", // next to tohost: no exit
		"li a0, 3",
		"sd a0, 0(t0)", // +24
		"li a1, 9",     // +28
		"j .",
	)
	expectExit(t, h.Run(100), Exit{Kind: ExitHost, PC: testPC + 28})
	if h.PC != testPC+28 || h.Instret() != 7 {
		t.Errorf("pc %#x instret %d, want %#x 7", h.PC, h.Instret(), testPC+28)
	}
	b, _ := h.Mem.Slice(tohost, 16)
	if le.Uint64(b) != 3 || le.Uint64(b[8:]) != 7 {
		t.Errorf("tohost %#x, next %#x", le.Uint64(b), le.Uint64(b[8:]))
	}
	// The store as the last instruction of the budget still exits.
	h2 := newTestHart(t)
	h2.WatchToHost(tohost)
	copy(h2.Mem.Data[0x1000:], h.Mem.Data[0x1000:0x1000+36])
	expectExit(t, h2.Run(7), Exit{Kind: ExitHost, PC: testPC + 28})
	// Resuming runs on.
	expectExit(t, h.Run(5), Exit{Kind: ExitBudget, PC: testPC + 32})
	expectRegs(t, h, map[string]uint64{"a1": 9})
}

// loopProgram loads an endless loop that computes, branches, loads,
// stores, reads counters and takes (and returns from) an ecall trap on
// every iteration.
func loopProgram(t testing.TB, h *Hart) {
	prog(t, h, testVec,
		"csrr t6, mepc",
		"addi t6, t6, 4",
		"csrw mepc, t6",
		"mret",
	)
	prog(t, h, testPC,
		"lui s1, 0x80002",
		"slli s1, s1, 32",
		"srli s1, s1, 32", // s1 = data
		"li t0, 0",
		"li t1, 1000",
		"addi t0, t0, 1", // loop: +20
		"add a0, a0, t0",
		"xor a1, a1, a0",
		"mul a2, a0, t0",
		"divu a3, a2, t1",
		"sd a0, 0(s1)",
		"ld a4, 0(s1)",
		"csrr a5, instret",
		"csrr a6, cycle",
		"ecall",
		"bne t0, t1, .-40",
		"li t0, 0",
		"j .-48",
	)
}

// TestBudgetExact: Run(n) retires exactly n instructions, and running in
// chunks reaches the same state as running at once.
func TestBudgetExact(t *testing.T) {
	for _, n := range []uint64{0, 1, 2, 3, 7, 15, 16, 17, 100, 12345} {
		h := newTestHart(t)
		loopProgram(t, h)
		e := h.Run(n)
		if e.Kind != ExitBudget || e.PC != h.PC {
			t.Errorf("Run(%d): exit %s pc %#x (hart pc %#x)", n, e.Kind.testName(), e.PC, h.PC)
		}
		if h.Instret() != n {
			t.Errorf("Run(%d) retired %d", n, h.Instret())
		}
		want := snapshot(h)
		for _, chunk := range []uint64{1, 2, 5, 64} {
			h2 := newTestHart(t)
			loopProgram(t, h2)
			last := Exit{PC: h2.PC}
			for left := n; left > 0; {
				c := min(chunk, left)
				last = h2.Run(c)
				left -= c
			}
			for _, d := range want.diff(h2, last) {
				t.Errorf("Run(%d) vs chunks of %d: %s", n, chunk, d)
			}
		}
	}
	// A huge budget does not overflow.
	h := newTestHart(t)
	prog(t, h, testPC, "ebreak")
	h.CSR.Set(csr.Mtvec, 0)
	h.CSR.Instret = 10
	expectExit(t, h.Run(^uint64(0)), Exit{Kind: ExitTrap, Cause: CauseBreakpoint, Tval: testPC, PC: testPC})
}

// TestInstretReads: instret and minstret read the count of instructions
// retired before the reading instruction.
func TestInstretReads(t *testing.T) {
	for _, chunk := range []uint64{1, 100} {
		h := newTestHart(t)
		h.CSR.Instret = 1000
		prog(t, h, testPC,
			"nop",
			"nop",
			"csrr a0, instret",
			"csrr a1, instret",
			"csrr a2, minstret",
			"ecall", // does not retire
			"csrr a3, instret",
			"j .",
		)
		prog(t, h, testVec, "csrr a4, instret", "csrr t0, mepc", "addi t0, t0, 4", "csrw mepc, t0", "mret")
		for h.Instret() < 1000+11 {
			h.Run(chunk)
		}
		expectRegs(t, h, map[string]uint64{"a0": 1002, "a1": 1003, "a2": 1004, "a4": 1005, "a3": 1010})
	}
}

// TestMinstretWrite: a minstret write replaces the increment of the
// writing instruction: the next instruction reads the value written. The
// hart's own count (the monitor's, the position of recorded events) keeps
// counting.
func TestMinstretWrite(t *testing.T) {
	h := newTestHart(t)
	h.X[5] = 100
	prog(t, h, testPC,
		"csrrw a0, minstret, t0", // a0 = 0
		"csrr a1, minstret",      // 100
		"csrr a2, instret",       // 101
		"csrrs a3, minstret, zero",
		"csrrwi zero, minstret, 0",
		"csrr a4, instret", // 0
		"nop",
		"csrr a5, minstret", // 2
	)
	expectExit(t, h.Run(8), Exit{Kind: ExitBudget, PC: testPC + 32})
	expectRegs(t, h, map[string]uint64{"a0": 0, "a1": 100, "a2": 101, "a3": 102, "a4": 0, "a5": 2})
	if h.Instret() != 8 {
		t.Errorf("retired count %d, want 8", h.Instret())
	}
	if got := h.CSR.Get(csr.Minstret); got != 3 {
		t.Errorf("minstret after the run: %d, want 3", got)
	}
}

// TestMcycleWrite: a write of mcycle sets an offset from the host clock;
// cycle shadows mcycle.
func TestMcycleWrite(t *testing.T) {
	mem, _ := NewMemory(testBase, testSize)
	clock := uint64(5000)
	host := testHost()
	host.Cycle = func() uint64 { clock += 10; return clock }
	h := New(mem, csr.New(host))
	h.CSR.Set(csr.Mtvec, testVec)
	h.CSR.Set(csr.Mcounteren, 1)
	h.PC = testPC
	h.X[5] = 1000
	prog(t, h, testPC,
		"csrr a0, mcycle",        // 5010
		"csrrw a1, mcycle, t0",   // reads 5020; offset = 1000 - 5030
		"csrr a2, mcycle",        // 5040 - 30 = 1010
		"csrr a3, cycle",         // 1020
		"csrrs a4, mcycle, zero", // 1030
		"lui t1, 0x80001",
		"addi t1, t1, 44",
		"slli t1, t1, 32",
		"srli t1, t1, 32",
		"csrw mepc, t1", // t1 = testPC+44
		"mret",
		"csrr a5, cycle", // +44, in U: 1040
		"j .",
	)
	h.CSR.Set(csr.Mstatus, 2<<32) // MPP = U
	h.Run(13)
	expectRegs(t, h, map[string]uint64{"a0": 5010, "a1": 5020, "a2": 1010, "a3": 1020, "a4": 1030, "a5": 1040})
	if h.Priv != csr.PrivU {
		t.Errorf("priv %s, want U", privName(h.Priv))
	}
}

// TestSelfModifyingCode: the guest runs a routine, overwrites one of its
// instructions, executes fence.i and runs it again: the new instruction
// runs.
func TestSelfModifyingCode(t *testing.T) {
	h := newTestHart(t)
	const P = testPC
	prog(t, h, P,
		"auipc t0, 0",
		"addi t0, t0, 48", // t0 = P+48, the routine
		"jal ra, .+40",    // call it
		"mv s1, a0",
		"lui t1, 0x200",
		"addi t1, t1, 1299", // t1 = 0x00200513, li a0, 2
		"sw t1, 0(t0)",
		"fence.i",
		"jal ra, .+16", // call it again
		"mv s2, a0",
		"j .",
		"nop",
		"li a0, 1", // P+48
		"ret",
	)
	if w := mustAsm("li a0, 2")[0]; w != 0x00200513 {
		t.Fatalf("li a0, 2 assembles to %08x", w)
	}
	expectExit(t, h.Run(100), Exit{Kind: ExitBudget, PC: P + 40})
	expectRegs(t, h, map[string]uint64{"s1": 1, "s2": 2})
	if b, _ := h.Mem.Slice(P+48, 4); le.Uint32(b) != 0x00200513 {
		t.Errorf("routine word %08x", le.Uint32(b))
	}
}

// TestX0 checks that no instruction class can leave x0 nonzero.
func TestX0(t *testing.T) {
	for _, line := range []string{
		"lui zero, 1", "auipc zero, 1", "jal zero, .+8", "jalr zero, 0(ra)",
		"addi zero, a0, 1", "add zero, a0, a0", "addw zero, a0, a0", "mul zero, a0, a0",
		"ld zero, 0(a1)", "lb zero, 0(a1)", "csrrs zero, mscratch, zero", "csrrw zero, mscratch, a0",
		"slli zero, a0, 3", "sraiw zero, a0, 3", "divu zero, a0, zero",
	} {
		h := newTestHart(t)
		h.X[1] = testPC + 0x100
		h.X[10] = 0x1234
		h.X[11] = testBase + 0x2000
		h.CSR.Set(csr.Mscratch, 77)
		le.PutUint64(h.Mem.Data[0x2000:], ^uint64(0))
		prog(t, h, testPC, line)
		h.Run(1)
		if h.X[0] != 0 {
			t.Errorf("%s: x0 = %#x", line, h.X[0])
		}
	}
}
