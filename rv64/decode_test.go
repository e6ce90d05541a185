package rv64

import "testing"

// TestMonitorWriteInvalidates: code the monitor writes into guest memory
// (as a read system call would) runs once the monitor calls Invalidate,
// even though the old code was already decoded.
func TestMonitorWriteInvalidates(t *testing.T) {
	h := newTestHart(t)
	prog(t, h, testPC, "li a0, 1", "j .")
	h.PC = testPC
	h.Run(2)
	expectRegs(t, h, map[string]uint64{"a0": 1})
	// The monitor overwrites the first instruction with li a0, 2.
	w := mustAsm("li a0, 2")[0]
	b, _ := h.Mem.Slice(testPC, 4)
	le.PutUint32(b, w)
	h.Invalidate(testPC, 4)
	h.PC = testPC
	h.Run(1)
	expectRegs(t, h, map[string]uint64{"a0": 2})
}

// TestStoreIntoCurrentPage: a store that rewrites the next instruction in
// the page being executed takes effect at once, without fence.i, and so do
// stores that straddle two pages.
func TestStoreIntoCurrentPage(t *testing.T) {
	h := newTestHart(t)
	next := mustAsm("li a0, 7")[0]
	prog(t, h, testPC,
		"sw a1, 8(a2)", // rewrite the instruction at testPC+8
		"nop",
		"li a0, 3", // replaced by li a0, 7 before it runs
		"j .",
	)
	h.X[11], h.X[12] = uint64(next), uint64(testPC)
	h.PC = testPC
	h.Run(3)
	expectRegs(t, h, map[string]uint64{"a0": 7})

	// A doubleword store across a page boundary rewrites the first
	// instruction of the next page.
	end := uint64(testPC + 0x1000) // the next page starts here
	prog(t, h, end, "li a0, 5", "j .")
	h.PC = end
	h.Run(1) // decode the page
	expectRegs(t, h, map[string]uint64{"a0": 5})
	h.X[11] = uint64(mustAsm("li a0, 9")[0]) << 32
	prog(t, h, testPC, "sd a1, -4(a2)", "j .")
	h.X[12] = end
	h.PC = testPC
	h.Run(1)
	h.PC = end
	h.Run(1)
	expectRegs(t, h, map[string]uint64{"a0": 9})
}
