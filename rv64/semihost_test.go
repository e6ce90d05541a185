package rv64

import (
	"testing"

	"github.com/rvsim/rvsim/csr"
)

// semihostSeq is the RISC-V semihosting call (the RISC-V semihosting
// specification): the words are those GNU objdump shows in picolibc's
// sys_semihost: 01f01013 slli zero,zero,0x1f; 00100073 ebreak;
// 40705013 srai zero,zero,0x7.
var semihostSeq = []string{"li a0, 3", "slli zero, zero, 31", "ebreak", "srai zero, zero, 7", "li a1, 9"}

func TestSemihostSequenceWords(t *testing.T) {
	w := mustAsm(semihostSeq[1:4]...)
	if w[0] != 0x01f01013 || w[1] != 0x00100073 || w[2] != 0x40705013 {
		t.Fatalf("assembled %08x %08x %08x", w[0], w[1], w[2])
	}
}

// TestSemihostExit: with Semihosting set, the sequence in M-mode exits
// with ExitSemihost at the ebreak, which has not retired; the hart resumes
// where the monitor puts the pc.
func TestSemihostExit(t *testing.T) {
	h := newTestHart(t)
	h.Semihosting = true
	prog(t, h, testPC, semihostSeq...)
	expectExit(t, h.Run(100), Exit{Kind: ExitSemihost, PC: testPC + 8})
	if h.PC != testPC+8 || h.Instret() != 2 {
		t.Fatalf("pc %#x instret %d, want %#x 2", h.PC, h.Instret(), testPC+8)
	}
	expectRegs(t, h, map[string]uint64{"a0": 3, "a1": 0})
	h.PC += 4 // the monitor resumes after the ebreak
	expectExit(t, h.Run(2), Exit{Kind: ExitBudget, PC: testPC + 20})
	expectRegs(t, h, map[string]uint64{"a1": 9})

	// A budget that ends just before the ebreak, then the call.
	h.PC, h.CSR.Instret = testPC, 0
	expectExit(t, h.Run(2), Exit{Kind: ExitBudget, PC: testPC + 8})
	expectExit(t, h.Run(5), Exit{Kind: ExitSemihost, PC: testPC + 8})
}

// TestSemihostOnlyTheSequence: an ebreak is a breakpoint exception (cause
// 3, mtval its pc) without Semihosting, in U-mode, and when a neighbour is
// not the sequence's; an ebreak at the first or last word of memory,
// whose neighbours lie outside it, is one too.
func TestSemihostOnlyTheSequence(t *testing.T) {
	breakpoint := func(name string, h *Hart, pc uint64) {
		t.Helper()
		trapHandler(t, h)
		h.PC = pc
		// li, the instruction before the ebreak, and the handler's 8.
		if e := h.Run(10); e.Kind != ExitBudget {
			t.Fatalf("%s: exit %s at %#x", name, e.Kind.testName(), e.PC)
		}
		if h.X[10] != CauseBreakpoint || h.X[12] != pc+8 || h.X[8] != 1 {
			t.Fatalf("%s: mcause %d mtval %#x traps %d, want %d %#x 1", name, h.X[10], h.X[12], h.X[8], CauseBreakpoint, pc+8)
		}
	}
	h := newTestHart(t)
	prog(t, h, testPC, semihostSeq...)
	breakpoint("Semihosting off", h, testPC)

	for _, c := range []struct {
		name      string
		pre, post string
	}{{"slli 30 before", "slli zero, zero, 30", "srai zero, zero, 7"}, {"srai 6 after", "slli zero, zero, 31", "srai zero, zero, 6"},
		{"nop after", "slli zero, zero, 31", "addi zero, zero, 0"}} {
		h := newTestHart(t)
		h.Semihosting = true
		prog(t, h, testPC, "li a0, 3", c.pre, "ebreak", c.post)
		breakpoint(c.name, h, testPC)
	}

	h = newTestHart(t)
	h.Semihosting = true
	h.UserTrapsExit = true
	prog(t, h, testPC, semihostSeq...)
	h.Priv = csr.PrivU
	expectExit(t, h.Run(100), Exit{Kind: ExitTrap, Cause: CauseBreakpoint, Tval: testPC + 8, PC: testPC + 8})

	for _, pc := range []uint64{testBase, testBase + testSize - 4} {
		h := newTestHart(t)
		h.Semihosting = true
		h.CSR.Set(csr.Mtvec, 0) // outside memory: the breakpoint is an exit
		prog(t, h, pc, "ebreak")
		h.PC = pc
		expectExit(t, h.Run(10), Exit{Kind: ExitTrap, Cause: CauseBreakpoint, Tval: pc, PC: pc})
	}
}
