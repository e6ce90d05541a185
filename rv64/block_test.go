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
	straightLoop(t, h, addr, true)
}

// straightLoop loads at addr straightProgram's loop, without its csrr of
// instret and its ecall unless trapping.
func straightLoop(t testing.TB, h *Hart, addr uint64, trapping bool) {
	body := []string{"addi t0, t0, 1"} // loop:
	for k := range 24 {
		body = append(body, fmt.Sprintf("addi a%d, a%d, %d", k%8, (k+1)%8, k+1))
	}
	if trapping {
		body = append(body, "csrr a7, instret")
	}
	body = append(body,
		"beq zero, zero, .+8", // a taken branch inside the page
		"ebreak",              // skipped
	)
	if trapping {
		body = append(body, "ecall") // a trap in the middle of the line
	}
	body = append(body,
		"auipc s3, 0",
		"sw t0, 0(s1)",
		"lw s4, 0(s1)",
		"addi t2, t0, 0", // an add and a branch run as one slot: taken
		"bne t2, zero, .+8",
		"ebreak",          // skipped
		"addw t3, t0, t2", // and not taken
		"beq t3, zero, .+8",
	)
	body = append(body, fmt.Sprintf("j .-%d", 4*len(body)))
	prog(t, h, addr, body...)
	h.PC = addr
	h.X[9] = testBase + 0x8000 // s1: data
}

// stepStates returns the states of h (with a budget exit) after 0, 1, ...
// n single steps, which it runs.
func stepStates(t *testing.T, h *Hart, n int) []*expected {
	t.Helper()
	var states []*expected
	for k := 0; k <= n; k++ {
		s := snapshot(h)
		s.Exit = Exit{Kind: ExitBudget, PC: h.PC}
		states = append(states, s)
		if got := h.Run(1); got.Kind != ExitBudget {
			t.Fatalf("step %d: exit %s at %#x", k, got.Kind.testName(), got.PC)
		}
	}
	return states
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
		states := stepStates(t, ref, 120)
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

// place writes a line of mixed instructions at addr, one after the other:
// a value below 0x10000 whose low two bits are not 11 is a 16-bit parcel,
// anything else a 32-bit word. It returns the address after the last.
func place(t testing.TB, h *Hart, addr uint64, insns ...uint32) uint64 {
	t.Helper()
	start := addr
	for _, w := range insns {
		n := uint64(4)
		if w < 0x10000 && w&3 != 3 {
			n = 2
		}
		b, ok := h.Mem.Slice(addr, n)
		if !ok {
			t.Fatalf("instruction at %#x outside memory", addr)
		}
		putLE(b, int(n), uint64(w))
		addr += n
	}
	h.Invalidate(start, addr-start)
	return addr
}

// Encodings by the GNU assembler (riscv64-unknown-elf-as -march=rv64imac_zicsr).
const (
	cAddiA0  = 0x0505     // c.addi a0, 1
	cAddiA4  = 0x0705     // c.addi a4, 1
	cAddiA3m = 0x16fd     // c.addi a3, -1
	cNop     = 0x0001     // c.nop
	cJm20    = 0xb7f5     // c.j .-20
	addiA1   = 0x00158593 // addi a1, a1, 1
	addiA2   = 0x00160613 // addi a2, a2, 1
	addiA0   = 0x00150513 // addi a0, a0, 1
	addiA0x2 = 0x00250513 // addi a0, a0, 2
	csrrInst = 0xc02028f3 // csrr a7, instret
	shA1A2   = 0x00b61023 // sh a1, 0(a2)
	xorA1S2  = 0x0125c5b3 // xor a1, a1, s2
	addA5A0  = 0x00a787b3 // add a5, a5, a0
	jm22     = 0xfebff06f // jal zero, .-22
)

// TestBudgetMixedLine: a loop of 2- and 4-byte instructions that crosses a
// page, with a 4-byte instruction in the last halfword of the first page;
// the budget ends at every instruction of it, at once and in chunks, and
// every state matches a hart that decodes each instruction anew.
func TestBudgetMixedLine(t *testing.T) {
	start := uint64(testPC + 0x1000 - 8)
	ref := checkAgainstFresh(t, 70, func(h *Hart) {
		end := place(t, h, start,
			cAddiA0,  // 0x80001ff8
			addiA1,   // 0x80001ffa
			addiA2,   // 0x80001ffe: ends in the next page
			cAddiA0,  // 0x80002002
			addiA1,   // 0x80002004
			csrrInst, // 0x80002008: reads instret
			cJm20,    // 0x8000200c: back to 0x80001ff8
		)
		if end != start+22 {
			t.Fatalf("line ends at %#x", end)
		}
		h.PC = start
	})
	// The reference ran 71 instructions: ten loops of seven, then c.addi.
	expectRegs(t, ref, map[string]uint64{"a0": 21, "a1": 20, "a2": 10, "a7": 68})
	if ref.PC != start+2 {
		t.Errorf("pc %#x, want %#x", ref.PC, start+2)
	}
}

// TestFusedCompressedPair: c.addi and c.bnez, the loop tail compilers
// emit, run fused, at once and across a page boundary.
func TestFusedCompressedPair(t *testing.T) {
	// The second places the pair across the page boundary.
	for _, at := range []uint64{testPC, testPC + 0x1000 - 4} {
		ref := checkAgainstFresh(t, 16, func(h *Hart) {
			place(t, h, at, cAddiA0, cAddiA3m, 0xfefd) // c.bnez a3, .-2
			h.PC = at
			h.X[13] = 8 // a3
		})
		// c.addi a0, then eight c.addi a3 / c.bnez pairs, the last not
		// taken: 17 instructions.
		if got := ref.X[13]; got != 0 || ref.PC != at+6 || ref.X[10] != 1 {
			t.Errorf("at %#x: a3 = %d, a0 = %d, pc %#x", at, got, ref.X[10], ref.PC)
		}
	}
}

// loadWordParcels loads at testPC a loop whose store flips the instruction
// at +12 between addi a0, a0, 16 and the two compressed c.addi a0, 1;
// c.addi a4, 1 on every pass.
func loadWordParcels(t *testing.T, h *Hart) {
	prog(t, h, testPC,
		"xor a1, a1, s2",
		"sw a1, 12(a2)", // the instruction at +12
		"nop",
		"addi a0, a0, 16", // <-> c.addi a0, 1; c.addi a4, 1
		"add a5, a5, a0",
		"j .-20",
	)
	h.X[12] = testPC
	h.X[11] = uint64(word(t, h, testPC+12))
	h.X[18] = uint64(word(t, h, testPC+12) ^ (cAddiA4<<16 | cAddiA0))
}

// TestStoreTurnsWordIntoParcels: a store flips the instruction at +12
// between addi a0, a0, 16 and the two compressed c.addi a0, 1; c.addi a4,
// 1, so that the slots of the page change between one 4-byte and two
// 2-byte instructions while the budget ends anywhere around them.
func TestStoreTurnsWordIntoParcels(t *testing.T) {
	ref := checkAgainstFresh(t, 60, func(h *Hart) { loadWordParcels(t, h) })
	// Nine iterations (7, 6, 7, ... instructions: 59), then one xor.
	expectRegs(t, ref, map[string]uint64{"a0": 5 + 4*16, "a4": 5, "a5": 1 + 17 + 18 + 34 + 35 + 51 + 52 + 68 + 69})
}

// TestStoreIntoStraddlingWord: a halfword store into the first bytes of a
// page rewrites the upper half of the 4-byte instruction that starts in
// the last halfword of the page before, when nothing else of the next page
// ever ran: the next run of it sees the new word. The first case flips
// addi a0, a0, 1 and addi a0, a0, 2; the second flips the loop's closing
// jump there from .-14 (the whole loop) to .-6 (the add alone).
func TestStoreIntoStraddlingWord(t *testing.T) {
	start := uint64(testPC + 0x1000 - 16)
	ref := checkAgainstFresh(t, 56, func(h *Hart) {
		place(t, h, start,
			xorA1S2,    // 0x80001ff0
			shA1A2,     // 0x80001ff4: sh a1, 0(a2), a2 = 0x80002000
			0x00000013, // 0x80001ff8: nop
			cNop,       // 0x80001ffc
			addiA0,     // 0x80001ffe: ends in the next page
			addA5A0,    // 0x80002002
			jm22,       // 0x80002006: back to 0x80001ff0
		)
		h.PC = start
		h.X[12] = testPC + 0x1000 // a2
		h.X[11] = addiA0 >> 16
		h.X[18] = (addiA0 ^ addiA0x2) >> 16
	})
	// Eight iterations of seven: +2, +1, +2, ...
	expectRegs(t, ref, map[string]uint64{"a0": 12, "a5": 2 + 3 + 5 + 6 + 8 + 9 + 11 + 12})

	// The next page holds only the upper half of a jump, which must run
	// before it is rewritten: the first store writes the word it holds.
	toA, toB := encJ(-26, 0, OpJal), encJ(-30, 0, OpJal)
	ref = checkAgainstFresh(t, 50, func(h *Hart) {
		place(t, h, start-16,
			0x01050513,       // 0x80001fe0: addi a0, a0, 16 (B)
			xorA1S2,          // 0x80001fe4: (A)
			shA1A2,           // 0x80001fe8
			addiA0,           // 0x80001fec
			0x13, 0x13, 0x13, // nops
			cNop, // 0x80001ffc
			toA,  // 0x80001ffe: j A <-> j B, ending in the next page
		)
		h.PC = start - 12
		h.X[12] = testPC + 0x1000
		h.X[18] = uint64((toA ^ toB) >> 16)
		h.X[11] = uint64(toA>>16) ^ h.X[18]
	})
	// Passes A (8), A, B (9), A, B, A: 50; then B's add. Six times +1,
	// three times +16.
	expectRegs(t, ref, map[string]uint64{"a0": 6 + 3*16})
}

// TestRunMixedDoesNotAllocate: Run allocates nothing on compressed code.
func TestRunMixedDoesNotAllocate(t *testing.T) {
	h := newTestHart(t)
	place(t, h, testPC, cAddiA0, addiA1, cAddiA3m, 0xfefd /* c.bnez a3, .-2 */, 0xbfcd /* c.j .-14 */)
	h.PC = testPC
	h.Run(100)
	if a := testing.AllocsPerRun(10, func() { h.Run(10000) }); a != 0 {
		t.Errorf("Run allocates %v times", a)
	}
}

// FuzzMixedBlocks runs random streams of 16-bit parcels (compressed
// instructions, and 32-bit ones where two parcels make one) from two pages
// of a small memory, with the registers pointing into it so that loads,
// stores and AMOs hit code, and checks that Run with the decode cache, in
// chunks of several sizes, and RunBurst, end in the state of a simpler
// path: single steps that decode every instruction anew.
func FuzzMixedBlocks(f *testing.F) {
	f.Add([]byte{0x05, 0x05, 0x93, 0x85, 0x15, 0x00, 0xfd, 0x16, 0xfd, 0xfe}, uint64(0), uint8(40))
	f.Add([]byte{0x2f, 0xa5, 0xc5, 0x08, 0x23, 0xa0, 0xe7, 0x00, 0xf5, 0xb7}, uint64(0x1ff0), uint8(60))
	f.Fuzz(func(t *testing.T, code []byte, at uint64, steps uint8) {
		if len(code) > 256 {
			code = code[:256]
		}
		at = at &^ 1 % 0x1f00 // the program may cross from page 0 into page 1
		setup := func(h *Hart) {
			b, _ := h.Mem.Slice(testBase+at, uint64(len(code)))
			copy(b, code)
			h.Invalidate(testBase+at, uint64(len(code)))
			h.PC = testBase + at
			for i := 1; i < 32; i++ {
				h.X[i] = testBase + at + uint64(i*6)%uint64(len(code)+8)
			}
			h.UserTrapsExit = true
			h.Priv = csr.PrivU // every trap ends Run
		}
		ref := newTestHart(t)
		setup(ref)
		var states []*expected
		for n := 0; n < int(steps); n++ {
			s := snapshot(ref)
			s.Exit = Exit{Kind: ExitBudget, PC: ref.PC}
			states = append(states, s)
			ref.code = nil
			if e := ref.Run(1); e.Kind != ExitBudget {
				break
			}
		}
		for n, want := range states {
			for _, chunk := range []int{n, 3, 1 << 20} {
				h := newTestHart(t)
				setup(h)
				last := Exit{Kind: ExitBudget, PC: h.PC}
				for left := n; left > 0; {
					c := min(chunk, left)
					if last = h.Run(uint64(c)); last.Kind != ExitBudget {
						t.Fatalf("budget %d in chunks of %d: exit %s at %#x", n, chunk, last.Kind.testName(), last.PC)
					}
					left -= c
				}
				for _, d := range want.diff(h, last) {
					t.Errorf("budget %d in chunks of %d: %s", n, chunk, d)
				}
			}
			// A burst of at least k, at most n: the state of the
			// count it ran.
			for _, k := range []int{1, n / 2} {
				h := newTestHart(t)
				setup(h)
				x := h.RunBurst(uint64(k), uint64(n))
				got := int(h.CSR.Instret)
				if x.Kind != ExitBudget || got < min(k, n) || got > n {
					t.Fatalf("RunBurst(%d, %d): exit %s at %#x after %d instructions", k, n, x.Kind.testName(), x.PC, got)
				}
				for _, d := range states[got].diff(h, x) {
					t.Errorf("RunBurst(%d, %d), %d run: %s", k, n, got, d)
				}
			}
		}
	})
}

// TestRunBurst: RunBurst(n, budget) on straightProgram's loop without its
// traps runs at least n instructions (budget if fewer, and never more), on
// to the first block boundary: the target of
// a taken branch or jump, or the start of a page (within a page of the
// budget's end, blocks may also end before a branch or jump). It ends in
// the state the same count of single steps gives.
func TestRunBurst(t *testing.T) {
	for _, addr := range []uint64{testPC, testPC + 0x1000 - 40} { // the second crosses a page
		ref := newTestHart(t)
		straightLoop(t, ref, addr, false)
		states := stepStates(t, ref, 200)
		// target reports whether the instruction at step k starts a
		// block: the one before it went elsewhere than the next
		// instruction, or it starts a page. control reports whether it
		// is a branch or jump.
		word := func(pc uint64) uint32 {
			b, _ := ref.Mem.Slice(pc, 4)
			return le.Uint32(b)
		}
		target := func(k int) bool {
			prev, pc := states[k-1].PC, states[k].PC
			return pc != prev+4 || pc&0xfff == 0
		}
		control := func(k int) bool {
			op := word(states[k].PC) & 0x7f
			return op == 0x63 || op == 0x6f || op == 0x67
		}
		stops := 0
		for n := 0; n <= 120; n++ {
			for _, budget := range []int{n, n + 3, 1 << 20} {
				h := newTestHart(t)
				straightLoop(t, h, addr, false)
				x := h.RunBurst(uint64(n), uint64(budget))
				k := int(h.CSR.Instret)
				if x.Kind != ExitBudget || k < n || k > budget || k >= len(states) {
					t.Fatalf("start %#x, RunBurst(%d, %d): exit %s after %d instructions", addr, n, budget, x.Kind.testName(), k)
				}
				for _, d := range states[k].diff(h, x) {
					t.Errorf("start %#x, RunBurst(%d, %d) ran %d: %s", addr, n, budget, k, d)
				}
				if k > n && k < budget && !target(k) && !control(k) {
					t.Errorf("start %#x, RunBurst(%d, %d) stopped at %d, pc %#x, not a block boundary", addr, n, budget, k, h.PC)
				}
				if budget < 1<<20 {
					continue // near the budget's end, blocks end before branches too, not always
				}
				for j := max(n, 1); j < k; j++ {
					if target(j) {
						t.Errorf("start %#x, RunBurst(%d, %d) ran %d, past the block boundary at %d", addr, n, budget, k, j)
					}
				}
				if k > n && !target(k) {
					t.Errorf("start %#x, RunBurst(%d, %d) stopped at %d, pc %#x, not the target of a jump nor a page's start", addr, n, budget, k, h.PC)
				}
				if k > n {
					stops++
				}
			}
		}
		if stops == 0 {
			t.Errorf("start %#x: no burst ran past its count: the test does not test what it says", addr)
		}
	}
}

// TestRunBurstLoop: a burst in a loop within one page (whose blocks run
// without returning to Run's loop) stops within an iteration of its count.
func TestRunBurstLoop(t *testing.T) {
	h := newTestHart(t)
	prog(t, h, testPC,
		"addi a0, a0, 1",
		"addi a1, a1, 2",
		"j .-8",
	)
	h.PC = testPC
	for _, n := range []uint64{1, 10, 1000, 5000} {
		before := h.CSR.Instret
		if x := h.RunBurst(n, 1<<24); x.Kind != ExitBudget {
			t.Fatalf("RunBurst(%d): exit %s", n, x.Kind.testName())
		}
		ran := h.CSR.Instret - before
		if ran < n || ran >= n+3 || h.PC != testPC {
			t.Errorf("RunBurst(%d) in a 3-instruction loop ran %d, stopped at %#x; want %d to %d, at the loop's head %#x", n, ran, h.PC, n, n+2, testPC)
		}
	}
	if h.X[10] == 0 || h.X[11] != 2*h.X[10] {
		t.Errorf("a0 %d, a1 %d: the loop did not run as written", h.X[10], h.X[11])
	}
}
