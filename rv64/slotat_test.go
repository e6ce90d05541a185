package rv64

import (
	"math/rand"
	"testing"
	"unsafe"
)

// TestSlotAtBounds checks what codePage.at relies on instead of a bounds
// check: a page has exactly two slots past the last halfword's, both
// opEnd, and they stay opEnd however the page is decoded, written, run and
// limited; and at addresses the same slot as indexing.
func TestSlotAtBounds(t *testing.T) {
	var p codePage
	if len(p) != pageSlots+2 {
		t.Fatalf("a page has %d slots, want pageSlots+2 = %d", len(p), pageSlots+2)
	}
	for _, i := range []uint64{0, 1, pageSlots - 1, pageSlots, pageSlots + 1} {
		if p.at(i) != &p[i] {
			t.Fatalf("at(%d) = %p, &p[%d] = %p", i, p.at(i), i, &p[i])
		}
	}
	if unsafe.Sizeof(slot{}) != 16 {
		t.Logf("slot is %d bytes", unsafe.Sizeof(slot{}))
	}
	rng := rand.New(rand.NewSource(1))
	h := newTestHart(t)
	h.UserTrapsExit = true
	for round := 0; round < 200; round++ {
		// Random halfwords, mostly compressed instructions and short
		// jumps and branches, over two pages, run with varied budgets.
		b, _ := h.Mem.Slice(testBase, 2<<pageShift)
		for i := 0; i+1 < len(b); i += 2 {
			hw := uint16(rng.Uint32())
			if rng.Intn(4) == 0 {
				hw |= 3 // the low half of a 4-byte instruction
			}
			b[i], b[i+1] = byte(hw), byte(hw>>8)
		}
		h.Invalidate(testBase, 2<<pageShift)
		h.PC = testBase + uint64(rng.Intn(2<<pageShift-8))&^1
		h.Priv = 0 // U-mode: every trap exits
		for i := range h.X {
			h.X[i] = testBase + uint64(rng.Intn(2<<pageShift))
		}
		h.Run(uint64(rng.Intn(5000)))
		for pn, pg := range h.code {
			if pg != nil && (pg[pageSlots].op != opEnd || pg[pageSlots+1].op != opEnd) {
				t.Fatalf("round %d: page %d's sentinels are ops %d, %d, want opEnd", round, pn, pg[pageSlots].op, pg[pageSlots+1].op)
			}
		}
	}
}
