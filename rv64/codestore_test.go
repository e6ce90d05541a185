package rv64

import (
	"testing"
)

// storeLoop stores a counter into the word at t1 on every iteration: three
// instructions, one of them a store.
var storeLoop = []string{
	"addi t0, t0, 1",
	"sw t0, 0(t1)",
	"j .-8",
}

// BenchmarkStoreNearCode runs storeLoop with the stored word in the page
// that holds the loop (as .data or .tohost placed right after .text) and in
// a page of its own; ns/store is the time per iteration, one store each.
func BenchmarkStoreNearCode(b *testing.B) {
	for _, c := range []struct {
		name string
		addr uint64
	}{
		{"own-page", testPC + 0x800},
		{"other-page", testPC + 0x2000},
	} {
		b.Run(c.name, func(b *testing.B) {
			h := newTestHart(b)
			h.X[6] = c.addr // t1
			benchProgram(b, h, storeLoop...)
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/(float64(b.N)/3), "ns/store")
		})
	}
}

// codePageOf returns the decoded page that holds addr, or nil.
func codePageOf(h *Hart, addr uint64) *codePage {
	if h.code == nil {
		return nil
	}
	return h.code[(addr-h.Mem.Base)>>pageShift]
}

// TestStoreNearCodeKeepsPage: a loop that stores to a data word in the page
// it runs from (as .data or .tohost right after .text) keeps the decoded
// page: no store decodes the page again, and Run allocates nothing.
func TestStoreNearCodeKeepsPage(t *testing.T) {
	h := newTestHart(t)
	prog(t, h, testPC, storeLoop...)
	h.X[6] = testPC + 0x800 // t1: a data word in the code page
	if e := h.Run(30); e.Kind != ExitBudget {
		t.Fatalf("exit %s at %#x", e.Kind.testName(), e.PC)
	}
	pg := codePageOf(h, testPC)
	if pg == nil {
		t.Fatal("the code page is not decoded after running it")
	}
	allocs := testing.AllocsPerRun(10, func() {
		if e := h.Run(3000); e.Kind != ExitBudget {
			t.Fatalf("exit %s at %#x", e.Kind.testName(), e.PC)
		}
	})
	if got := codePageOf(h, testPC); got != pg {
		t.Error("stores to a data word decoded the code page again")
	}
	if allocs != 0 {
		t.Errorf("Run allocates %v times per 1000 stores next to code", allocs)
	}
	b, _ := h.Mem.Slice(testPC+0x800, 4)
	// 30 instructions, then AllocsPerRun's warm-up and 10 runs of 3000.
	const iters = (30 + 11*3000) / 3
	if got, t0 := uint64(le.Uint32(b)), h.X[5]; got != iters || t0 != iters {
		t.Errorf("stored word %d, t0 %d, want both %d", got, t0, iters)
	}
}

// TestInvalidateKeepsPage: the monitor writing a word into a decoded page
// (a read system call into a buffer beside code) keeps the page decoded,
// and a write that covers a whole page drops it.
func TestInvalidateKeepsPage(t *testing.T) {
	h := newTestHart(t)
	prog(t, h, testPC, "li a0, 1", "j .")
	h.Run(2)
	pg := codePageOf(h, testPC)
	if pg == nil {
		t.Fatal("the code page is not decoded after running it")
	}
	b, _ := h.Mem.Slice(testPC+0x800, 8)
	le.PutUint64(b, 0x1234)
	h.Invalidate(testPC+0x800, 8)
	if codePageOf(h, testPC) != pg {
		t.Error("an 8-byte write decoded the whole page again")
	}
	h.Invalidate(testPC-0x10, 0x1020)
	if codePageOf(h, testPC) != nil {
		t.Error("a write over the whole page left it decoded")
	}
	h.PC = testPC
	h.Run(2)
	expectRegs(t, h, map[string]uint64{"a0": 1})
}

// word returns the instruction word at addr.
func word(t testing.TB, h *Hart, addr uint64) uint32 {
	t.Helper()
	b, ok := h.Mem.Slice(addr, 4)
	if !ok {
		t.Fatalf("%#x outside memory", addr)
	}
	return le.Uint32(b)
}

// checkAgainstFresh runs the program setup loads for every budget up to
// steps, at once and in chunks of several sizes, and compares each final
// state with a reference that drops every decoded page before each single
// step, so that it fetches and decodes every instruction anew: what the
// ISA describes. It returns the reference hart at the end.
func checkAgainstFresh(t *testing.T, steps int, setup func(h *Hart)) *Hart {
	t.Helper()
	ref := newTestHart(t)
	setup(ref)
	var states []*expected
	for n := 0; n <= steps; n++ {
		s := snapshot(ref)
		s.Exit = Exit{Kind: ExitBudget, PC: ref.PC}
		states = append(states, s)
		ref.code = nil // fetch anew
		if e := ref.Run(1); e.Kind != ExitBudget {
			t.Fatalf("reference step %d: exit %s at %#x", n, e.Kind.testName(), e.PC)
		}
	}
	for n, want := range states {
		for _, chunk := range []int{n, 1, 2, 3, 5, 1 << 20} {
			h := newTestHart(t)
			setup(h)
			last := Exit{Kind: ExitBudget, PC: h.PC}
			for left := n; left > 0; {
				c := min(chunk, left)
				last = h.Run(uint64(c))
				left -= c
			}
			for _, d := range want.diff(h, last) {
				t.Errorf("budget %d in chunks of %d: %s", n, chunk, d)
			}
		}
	}
	return ref
}

// toggler returns the value to xor into a register so that storing it
// flips the instruction at addr between its word and alt.
func toggler(t testing.TB, h *Hart, addr uint64, alt string) uint64 {
	return uint64(word(t, h, addr) ^ mustAsm(alt)[0])
}

// TestStoreRewritesNextSlot: each iteration rewrites the instruction two
// slots on (then the very next one), flipping it between two forms; the first iteration rewrites a
// slot decoded but never run, the later ones a slot run the iteration
// before, and the budget ends on it, before it and after it.
func TestStoreRewritesNextSlot(t *testing.T) {
	ref := checkAgainstFresh(t, 60, func(h *Hart) {
		prog(t, h, testPC,
			"xor a1, a1, s2",
			"sw a1, 12(a2)", // the instruction at +12
			"nop",
			"li a0, 3", // <-> li a0, 7
			"add a4, a4, a0",
			"j .-20",
		)
		h.X[12] = testPC                               // a2
		h.X[11] = uint64(word(t, h, testPC+12))        // a1
		h.X[18] = toggler(t, h, testPC+12, "li a0, 7") // s2
	})
	expectRegs(t, ref, map[string]uint64{"a4": 5*7 + 5*3})

	// The very next slot.
	ref = checkAgainstFresh(t, 50, func(h *Hart) {
		prog(t, h, testPC,
			"xor a1, a1, s2",
			"sw a1, 8(a2)", // the next instruction
			"li a0, 3",     // <-> li a0, 7
			"add a4, a4, a0",
			"j .-16",
		)
		h.X[12] = testPC
		h.X[11] = uint64(word(t, h, testPC+8))
		h.X[18] = toggler(t, h, testPC+8, "li a0, 7")
	})
	expectRegs(t, ref, map[string]uint64{"a4": 5*7 + 5*3})
}

// TestStoreRewritesFusedBranch: the store flips the branch of a fused
// add+branch pair to an add and back, so that the add before it is split
// from it and fused with it again; a third store writes a branch after a
// plain add, which fuses them.
func TestStoreRewritesFusedBranch(t *testing.T) {
	ref := checkAgainstFresh(t, 80, func(h *Hart) {
		prog(t, h, testPC,
			"xor a1, a1, s2",
			"sw a1, 20(a2)", // the branch at +20
			"xor a5, a5, s3",
			"sw a5, 36(a2)",       // the instruction at +36
			"addi t0, t0, 1",      // fused with the branch at +16 while it is one
			"beq zero, zero, .+8", // <-> addi a0, a0, 7
			"addi a3, a3, 1",      // skipped while +16 is a taken branch
			"addw t1, t1, t0",
			"addi t2, t2, 2",
			"addi a4, a4, 1", // <-> bne t2, zero, .+8: fuses the addi above
			"addi a6, a6, 1",
			"j .-44",
		)
		h.X[12] = testPC
		h.X[11] = uint64(word(t, h, testPC+20))
		h.X[18] = toggler(t, h, testPC+20, "addi a0, a0, 7")
		h.X[15] = uint64(word(t, h, testPC+36))
		h.X[19] = toggler(t, h, testPC+36, "bne t2, zero, .+8")
	})
	// Odd iterations run addi a0 and bne; even ones beq and addi a4.
	if ref.X[10] == 0 || ref.X[13] == 0 || ref.X[14] == 0 || ref.X[16] == 0 {
		t.Errorf("not every form ran: a0 %d a3 %d a4 %d a6 %d", ref.X[10], ref.X[13], ref.X[14], ref.X[16])
	}
}

// TestStoreRewritesFusedAdd: the store flips the add of a fused pair to
// an xori (not fused) and back.
func TestStoreRewritesFusedAdd(t *testing.T) {
	ref := checkAgainstFresh(t, 70, func(h *Hart) {
		prog(t, h, testPC,
			"xor a1, a1, s2",
			"sw a1, 12(a2)", // the add at +12
			"nop",
			"addi t0, t0, 1", // <-> xori t0, t0, 5
			"blt t0, s3, .+8",
			"addi a3, a3, 1",
			"addi a4, a4, 1",
			"j .-28",
		)
		h.X[12] = testPC
		h.X[11] = uint64(word(t, h, testPC+12))
		h.X[18] = toggler(t, h, testPC+12, "xori t0, t0, 5")
		h.X[19] = 6 // s3
	})
	if ref.X[13] == 0 || ref.X[13] == ref.X[14] {
		t.Errorf("the branch was always or never taken: a3 %d a4 %d", ref.X[13], ref.X[14])
	}
}

// TestStoreStraddlesSlots: a misaligned word store rewrites the upper half
// of one instruction and the lower half of the next.
func TestStoreStraddlesSlots(t *testing.T) {
	ref := checkAgainstFresh(t, 60, func(h *Hart) {
		prog(t, h, testPC,
			"xor a1, a1, s2",
			"sw a1, 14(a2)", // bytes +14..+17
			"nop",
			"li a0, 3", // <-> li a0, 7 (upper half)
			"li a6, 3", // <-> li a7, 3 (lower half)
			"j .-20",
		)
		h.X[12] = testPC
		b, _ := h.Mem.Slice(testPC+14, 4)
		h.X[11] = uint64(le.Uint32(b))
		alt := mustAsm("li a0, 7", "li a7, 3")
		h.X[18] = uint64(alt[0]>>16|alt[1]<<16) ^ h.X[11]
	})
	// Ten iterations: the last one ran the words as loaded.
	expectRegs(t, ref, map[string]uint64{"a0": 3, "a6": 3, "a7": 3})
}

// TestStoreStraddlesPages: a doubleword store rewrites the last
// instruction of the page running and the first of the next page, the
// next two to run; both pages stay decoded.
func TestStoreStraddlesPages(t *testing.T) {
	const at = testPC + 0x1000 - 12
	ref := checkAgainstFresh(t, 70, func(h *Hart) {
		prog(t, h, at,
			"xor s1, s1, s2",
			"sd s1, 8(a2)", // +8..+15, across the page end at +12
			"li a0, 3",     // <-> li a0, 7; the last of its page
			"li a1, 3",     // <-> li a1, 9; the first of the next page
			"add a4, a4, a0",
			"add a5, a5, a1",
			"j .-24",
		)
		h.PC = at
		h.X[12] = at
		b, _ := h.Mem.Slice(at+8, 8)
		h.X[9] = le.Uint64(b)
		alt := mustAsm("li a0, 7", "li a1, 9")
		h.X[18] = (uint64(alt[0]) | uint64(alt[1])<<32) ^ h.X[9]
	})
	expectRegs(t, ref, map[string]uint64{"a4": 5*7 + 5*3, "a5": 5*9 + 5*3})
}

// TestStoreRewritesItself: a store that rewrites its own word runs the
// new word the next time round (here a store to another address).
func TestStoreRewritesItself(t *testing.T) {
	ref := checkAgainstFresh(t, 30, func(h *Hart) {
		prog(t, h, testPC,
			"addi t0, t0, 1",
			"sw a1, 0(a2)", // -> sw t0, 0(a3)
			"j .-8",
		)
		h.X[12] = testPC + 4
		h.X[11] = uint64(mustAsm("sw t0, 0(a3)")[0])
		h.X[13] = testPC + 0x2000
	})
	b, _ := ref.Mem.Slice(testPC+0x2000, 4)
	if got := le.Uint32(b); got != 10 {
		t.Errorf("the rewritten store stored %d, want 10", got)
	}
}

// TestInvalidateSplitsFusedPair: the monitor overwrites the branch of a
// fused pair, decoded and run, with an add; the pair's add then runs alone
// and the new word after it.
func TestInvalidateSplitsFusedPair(t *testing.T) {
	h := newTestHart(t)
	prog(t, h, testPC,
		"addi t0, t0, 1",
		"bne t0, zero, .+8",
		"li a0, 1",
		"li a1, 2",
		"j .",
	)
	h.Run(4)
	expectRegs(t, h, map[string]uint64{"t0": 1, "a0": 0, "a1": 2})
	if op := codePageOf(h, testPC)[0].op; op != opADDIb {
		t.Fatalf("the add before the branch runs as op %d, not fused", op)
	}
	b, _ := h.Mem.Slice(testPC+4, 4)
	le.PutUint32(b, mustAsm("addi a2, t0, 5")[0])
	h.Invalidate(testPC+4, 4)
	h.PC = testPC
	expectExit(t, h.Run(5), Exit{Kind: ExitBudget, PC: testPC + 16})
	expectRegs(t, h, map[string]uint64{"t0": 2, "a0": 1, "a1": 2, "a2": 7})
	if op := codePageOf(h, testPC)[0].op; op != opADDI {
		t.Errorf("the add runs as op %d, not plain", op)
	}
	// And back: the branch, fused again once it has run.
	le.PutUint32(b, mustAsm("bne t0, zero, .+8")[0])
	h.Invalidate(testPC+4, 4)
	h.PC, h.X[10] = testPC, 0
	h.Run(4)
	expectRegs(t, h, map[string]uint64{"t0": 3, "a0": 0})
	if op := codePageOf(h, testPC)[0].op; op != opADDIb {
		t.Errorf("the add runs as op %d, not fused again", op)
	}
}

// TestOnlyCodePagesDecoded: Run decodes the pages it fetches from and no
// other, so that stores to a data page never take the slow path for
// stores into decoded code.
func TestOnlyCodePagesDecoded(t *testing.T) {
	h := newTestHart(t)
	prog(t, h, testPC, storeLoop...)
	h.X[6] = testBase // t1: data in page 0, which holds no code that runs
	h.Run(300)
	for pn, p := range h.code {
		if want := uint64(pn) == (testPC-testBase)>>pageShift; (p != nil) != want {
			t.Errorf("page %d decoded: %v, want %v", pn, p != nil, want)
		}
	}
}

// TestCodeHull: CodeHull holds every page with a decode cache, the pages
// code ran from and those WatchCode named; it stays as wide when a page
// is dropped, and is empty once the whole cache is.
func TestCodeHull(t *testing.T) {
	h := newTestHart(t)
	if lo, hi := h.CodeHull(); lo != hi {
		t.Fatalf("a new hart's hull [%#x, %#x), want empty", lo, hi)
	}
	prog(t, h, testPC, storeLoop...)
	h.X[6] = testBase
	h.Run(30)
	pc := uint64(testPC-testBase) &^ (1<<pageShift - 1)
	want := func(lo, hi uint64) {
		t.Helper()
		if glo, ghi := h.CodeHull(); glo != lo || ghi != hi {
			t.Errorf("hull [%#x, %#x), want [%#x, %#x)", glo, ghi, lo, hi)
		}
		for pn, p := range h.code {
			if off := uint64(pn) << pageShift; p != nil && (off < lo || off+1<<pageShift > hi) {
				t.Errorf("page at %#x has a decode cache, outside the hull", off)
			}
		}
	}
	want(pc, pc+1<<pageShift)
	h.WatchCode(testBase+0xa010, 8)
	want(pc, 0xb000)
	h.WatchCode(testBase+0xffe, 4) // the last two bytes of page 0, the first two of page 1
	want(0, 0xb000)
	h.Invalidate(testBase+0xa000, 1<<pageShift)
	if codePageOf(h, testBase+0xa000) != nil {
		t.Fatal("Invalidate of the whole page kept its decode cache")
	}
	want(0, 0xb000)
	h.Close()
	if lo, hi := h.CodeHull(); lo != hi {
		t.Errorf("hull [%#x, %#x) after Close, want empty", lo, hi)
	}
}
