package rv64

import (
	"fmt"
	"testing"

	"github.com/rvsim/rvsim/csr"
	"github.com/rvsim/rvsim/ndbuf"
)

// Run executes blocks: straight-line runs of slots ended by a taken branch
// or jump, the end of a page, or the end of the budget, with instret
// counted once per block. These tests cover what blocks could break.

// straightProgram loads at addr a loop whose body is a long straight line
// that crosses into the next page (when addr is near a page end), jumps
// within the page, traps into testVec once per iteration, and has adds
// fused with the branch after them, one taken and one not.
func straightProgram(t testing.TB, h *Hart, addr uint64) {
	prog(t, h, testVec,
		"csrr t6, mepc",
		"addi t6, t6, 4",
		"csrw mepc, t6",
		"addi s2, s2, 1",
		"mret",
	)
	var body []string
	body = append(body, "addi t0, t0, 1") // loop:
	for k := range 24 {
		body = append(body, fmt.Sprintf("addi a%d, a%d, %d", k%8, (k+1)%8, k+1))
	}
	body = append(body,
		"csrr a7, instret",
		"beq zero, zero, .+8", // a taken branch inside the page
		"ebreak",              // skipped
		"ecall",               // a trap in the middle of the line
		"auipc s3, 0",
		"sw t0, 0(s1)",
		"lw s4, 0(s1)",
		"addi t2, t0, 0", // an add and a branch run as one slot: taken
		"bne t2, zero, .+8",
		"ebreak",          // skipped
		"addw t3, t0, t2", // and not taken
		"beq t3, zero, .+8",
		fmt.Sprintf("j .-%d", 4*(24+13)),
	)
	prog(t, h, addr, body...)
	h.PC = addr
	h.X[9] = testBase + 0x8000 // s1: data
}

// TestBudgetAnywhere: for every budget up to several loop iterations, Run
// at once ends in the same state as single steps and as chunks of other
// sizes; the budget lands at every slot of the line, before and after the
// page boundary, the taken branch and the trap.
func TestBudgetAnywhere(t *testing.T) {
	for _, addr := range []uint64{testPC, testPC + 0x1000 - 40} { // the second crosses a page
		// The reference: one instruction per Run.
		ref := newTestHart(t)
		straightProgram(t, ref, addr)
		var states []*expected
		for n := 0; n <= 120; n++ {
			e := Exit{Kind: ExitBudget, PC: ref.PC}
			s := snapshot(ref)
			s.Exit = e
			states = append(states, s)
			if got := ref.Run(1); got.Kind != ExitBudget {
				t.Fatalf("step %d: exit %s at %#x", n, got.Kind.testName(), got.PC)
			}
		}
		for n, want := range states {
			for _, chunk := range []int{n, 3, 7, 31, 1 << 20} {
				h := newTestHart(t)
				straightProgram(t, h, addr)
				last := Exit{Kind: ExitBudget, PC: h.PC}
				for left := n; left > 0; {
					c := min(chunk, left)
					last = h.Run(uint64(c))
					left -= c
				}
				for _, d := range want.diff(h, last) {
					t.Errorf("start %#x, budget %d in chunks of %d: %s", addr, n, chunk, d)
				}
			}
		}
		if ref.X[18] == 0 || ref.X[17] == 0 {
			t.Fatalf("start %#x: the loop did not trap or read instret (s2 %d, a7 %d)", addr, ref.X[18], ref.X[17])
		}
	}
}

// TestTrapMidBlock: a fault in the middle of a straight line leaves the
// instructions before it retired, mepc at the faulting one, and instret
// counting exactly those before it.
func TestTrapMidBlock(t *testing.T) {
	h := newTestHart(t)
	prog(t, h, testVec,
		"csrr s2, instret",
		"csrr s1, mepc",
		"csrr s3, mcause",
		"j .",
	)
	prog(t, h, testPC,
		"li a0, 1",
		"li a1, 2",
		"li a2, 3",
		"ld a3, 0(zero)", // load access fault: memory starts at testBase
		"li a4, 5",
	)
	h.Run(1000)
	expectRegs(t, h, map[string]uint64{"a0": 1, "a1": 2, "a2": 3, "a3": 0, "a4": 0,
		"s1": testPC + 12, "s2": 3, "s3": CauseLoadAccess})
}

// TestCodeWrittenThenRun: the guest writes a routine into a page it never
// ran, executes fence.i and calls it; then rewrites the routine, now
// decoded, and calls it again. Each call runs the words last stored.
func TestCodeWrittenThenRun(t *testing.T) {
	h := newTestHart(t)
	r1 := mustAsm("li a0, 42", "ret")
	r2 := mustAsm("li a0, 43", "ret")
	const routine = testBase + 0x4000 // a page of its own
	prog(t, h, testPC,
		"sw t1, 0(s1)",
		"sw t2, 4(s1)",
		"fence.i",
		"jalr ra, 0(s1)",
		"mv s2, a0",
		"sw t3, 0(s1)",
		"fence.i",
		"jalr ra, 0(s1)",
		"mv s3, a0",
		"j .",
	)
	h.X[9] = routine
	h.X[6], h.X[7], h.X[28] = uint64(r1[0]), uint64(r1[1]), uint64(r2[0])
	expectExit(t, h.Run(100), Exit{Kind: ExitBudget, PC: testPC + 36})
	expectRegs(t, h, map[string]uint64{"s2": 42, "s3": 43})
}

// TestNDExitsMidBlock: with a one-entry buffer, every second counter read
// in a straight line exits (cause 24 when recording, 25 when replaying)
// at that read, with pc and instret exact; replay then returns the values
// recorded, and each exit resumes in the middle of the line.
func TestNDExitsMidBlock(t *testing.T) {
	lines := []string{
		"csrr a0, cycle",
		"addi t0, t0, 1",
		"csrr a1, time",
		"csrr a2, cycle",
		"addi t0, t0, 1",
		"csrr a3, time",
		"add a4, a0, a1",
		"j .",
	}
	reads := []uint64{0, 2, 3, 5} // slot of each read
	run := func(h *Hart, mode ndbuf.Mode, entries []ndbuf.Entry) []ndbuf.Entry {
		t.Helper()
		var got []ndbuf.Entry
		exits := 0
		for h.Instret() < 8 {
			e := h.Run(8 - h.Instret())
			switch e.Kind {
			case ExitBudget:
			case ExitNDFull, ExitNDEmpty:
				slot := (e.PC - testPC) / 4
				if h.Instret() != slot {
					t.Fatalf("%v exit at slot %d with instret %d", mode, slot, h.Instret())
				}
				if mode == ndbuf.Record {
					got = h.ND.Drain(got)
				} else {
					h.ND.Fill(entries[:1])
					entries = entries[1:]
				}
				exits++
			default:
				t.Fatalf("%v: exit %s at %#x", mode, e.Kind.testName(), e.PC)
			}
		}
		if mode == ndbuf.Record {
			got = h.ND.Drain(got)
		}
		if want := len(reads) - 1; exits != want && mode == ndbuf.Record {
			t.Errorf("record: %d exits, want %d", exits, want)
		}
		return got
	}
	rec := newTestHart(t)
	prog(t, rec, testPC, lines...)
	rec.ND = ndbuf.New(rec.CSR, ndbuf.Record, rec.Mem.End(), 1)
	entries := run(rec, ndbuf.Record, nil)
	if len(entries) != len(reads) {
		t.Fatalf("recorded %d entries, want %d", len(entries), len(reads))
	}
	for k, e := range entries {
		if e.Instret != reads[k] || e.PC != testPC+4*reads[k] {
			t.Errorf("entry %d: instret %d pc %#x, want %d %#x", k, e.Instret, e.PC, reads[k], testPC+4*reads[k])
		}
	}

	rep := newTestHart(t)
	prog(t, rep, testPC, lines...)
	rep.ND = ndbuf.New(rep.CSR, ndbuf.Replay, rep.Mem.End(), 1)
	rep.CSR.Set(csr.Mcycle, 999_999) // replay must not read its own clock
	run(rep, ndbuf.Replay, entries)
	for _, r := range []string{"a0", "a1", "a2", "a3", "a4", "t0"} {
		n, _ := regNum(r)
		if rep.X[n] != rec.X[n] {
			t.Errorf("replay %s = %#x, recorded %#x", r, rep.X[n], rec.X[n])
		}
	}
}
