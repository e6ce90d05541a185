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
