//go:build linux && amd64

package jit

import (
	"fmt"
	"testing"

	"github.com/rvsim/rvsim/rv64"
)

// amoInsn returns an AMO: funct5 f5, .D when d, aq and rl set now and then.
func amoInsn(f5 uint32, d bool, rd, rs1, rs2 uint32, aqrl uint32) uint32 {
	f3 := uint32(2)
	if d {
		f3 = 3
	}
	return insR(f5<<2|aqrl&3, rs2, rs1, f3, rd, opAmo)
}

// amoValues are the old values and sources of TestAMOEdges: signs,
// 32-bit edges (the .W forms compare and sign-extend the low half).
var amoValues = []uint64{0, 1, ^uint64(0), 1 << 63, 1<<63 - 1, 1 << 31, 1<<31 - 1, 0xffffffff, 0x1_0000_0000, 0x8000_0000_7fff_ffff, 0x7fff_ffff_8000_0000, 0x12345678_9abcdef0}

// TestAMOEdges runs each AMO, .W and .D, in a block the engine translates,
// on pairs of values at the edges of its operation, and at addresses that
// fault: misaligned (the store/AMO misaligned exception), past the end of
// memory, straddling it. Registers, memory, traps and counts must be the
// interpreter's; the aligned cases must have run as native code.
func TestAMOEdges(t *testing.T) {
	names := []string{"amoswap", "amoadd", "amoxor", "amoand", "amoor", "amomin", "amomax", "amominu", "amomaxu"}
	f5s := []uint32{0x01, 0x00, 0x04, 0x0c, 0x08, 0x10, 0x14, 0x18, 0x1c}
	for i, name := range names {
		for _, d := range []bool{false, true} {
			sfx, n := ".w", uint64(4)
			if d {
				sfx, n = ".d", 8
			}
			for _, rd := range []uint32{rA0, 0, rA2} { // a0, x0, the source itself
				t.Run(fmt.Sprintf("%s%s rd x%d", name, sfx, rd), func(t *testing.T) {
					m := progMachine(amoInsn(f5s[i], d, rd, rA1, rA2, uint32(i)), jSelf)
					p := newPair(t, m)
					k := 0
					for _, old := range amoValues {
						for j := 0; j < 4; j++ {
							src := amoValues[(k*5+j)%len(amoValues)]
							addr := uint64(dataPtr) + uint64(k%4)*n
							switch k % 23 {
							case 5:
								addr += n / 2 // misaligned
							case 11:
								addr = memEnd - n/2 // straddles the end
							case 17:
								addr = memEnd // past it
							}
							p.both(func(h *rv64.Hart) {
								h.PC = codeAt
								h.X[rA1], h.X[rA2] = addr, src
								if b, ok := h.Mem.Slice(dataPtr, 32); ok {
									for q := range b {
										b[q] = byte(old >> (8 * (q % 8)))
									}
								}
							})
							p.log = append(p.log, fmt.Sprintf("old %#x src %#x at %#x", old, src, addr))
							p.step(1 + uint64(k%2))
							k++
						}
					}
					if b := p.eng.blocks[codeAt]; b == nil || b.code == 0 {
						t.Error("the AMO was not translated")
					}
				})
			}
		}
	}
}

// TestAMOBreaksReservation: an AMO in translated code on the bytes an LR
// reserved breaks the reservation, so the SC after it fails, as in the
// interpreter; on other bytes it leaves it, and the SC succeeds.
func TestAMOBreaksReservation(t *testing.T) {
	for _, off := range []int64{0, 4, 8, 64} {
		t.Run(fmt.Sprint("AMO at +", off), func(t *testing.T) {
			// lr.d t0, (a1); amoadd.w a0, a2, (a3); sc.d t1, a2, (a1);
			// addi t2, t2, 1; j back to the lr (four times round)
			code := []uint32{
				insR(0x02<<2, 0, rA1, 3, rT0, opAmo),
				amoInsn(0x00, false, rA0, rA3, rA2, 0),
				insR(0x03<<2, rA2, rA1, 3, rT1, opAmo),
				addi(rT2, rT2, 1),
				blt(rT2, rT3, -16),
				jSelf,
			}
			m := progMachine(code...)
			m.x[rA1], m.x[rA3], m.x[rA2], m.x[rT3] = dataPtr, uint64(int64(dataPtr)+off), 5, 40
			p := newPair(t, m)
			for s := 0; s < 100; s++ {
				p.step(3)
			}
			want := uint64(0) // SC succeeded
			if off < 8 {
				want = 1
			}
			p.expectX(map[int]uint64{rT1: want, rT2: 40})
		})
	}
}
