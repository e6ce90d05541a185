//go:build linux && amd64

package jit

import "testing"

// Targeted tests of a block translated while the watch range was empty,
// whose stores then do not check it (xlate.watchGuard): when the range
// is no longer empty, the block is translated again with its stores
// checking it, before it stores anything.

// lrD is "lr.d rd, (rs1)" and scD "sc.d rd, rs2, (rs1)".
func lrD(rd, rs1 uint32) uint32      { return insR(0b00010<<2, 0, rs1, 3, rd, opAmo) }
func scD(rd, rs2, rs1 uint32) uint32 { return insR(0b00011<<2, rs2, rs1, 3, rd, opAmo) }

// watchedLoop stores a1 at a4 a3 times in a loop (translated as native
// code, the watch range empty), then takes a reservation of a4 with
// lr.d and runs the loop ten times more: its first store breaks the
// reservation, so that the sc.d at the end fails (t1 = 1) and stores
// nothing (t2, loaded after it, holds a1).
var watchedLoop = []uint32{
	addi(rA2, rA2, 1),  // +0
	sd(rA1, rA4, 0),    // +4
	blt(rA2, rA3, -8),  // +8: to +0
	bne(rA5, 0, 20),    // +12: the second time: to +32
	lrD(rT0, rA4),      // +16
	addi(rA3, rA3, 10), // +20
	addi(rA5, 0, 1),    // +24
	jal(0, -28),        // +28: to +0
	scD(rT1, rA6, rA4), // +32
	ld(rT2, rA4, 0),    // +36
	jSelf,              // +40
}

// TestWatchAppearsAfterTranslation runs watchedLoop cut into budgets of
// every size: a store that did not check the watch range would leave the
// reservation in place, and the sc.d would succeed and store a6.
func TestWatchAppearsAfterTranslation(t *testing.T) {
	const n = 300
	total := uint64(3*(n+10) + 1 + 5 + 3)
	for _, chunk := range chunkSizes {
		m := progMachine(watchedLoop...)
		m.x[rA1], m.x[rA3], m.x[rA4], m.x[rA6] = 0x1111, n, dataAt, 0x6666
		p := newPair(t, m)
		p.eng.hotAfter = 0 // translated at once, whatever the pairs before
		p.runChunks(total, chunk)
		p.expectAt(codeAt+40, total)
		p.expectX(map[int]uint64{rA2: n + 10, rT0: 0x1111, rT1: 1, rT2: 0x1111})
		if chunk > 64 && p.eng.Stats().Watched == 0 {
			t.Errorf("chunk %d: no block was translated again with its stores checking the watch range", chunk)
		}
		if r, l := p.jh.Reservation(); l != 0 {
			t.Errorf("chunk %d: reservation %#x+%d left after sc.d", chunk, r, l)
		}
	}
}
