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

// TestBreaksReservation: a store or an AMO in translated code between an
// LR and an SC in the same block breaks the reservation if it touches the
// reserved bytes, so that the SC fails, as in the interpreter; elsewhere
// it leaves it, and the SC succeeds.
func TestBreaksReservation(t *testing.T) {
	for _, c := range []struct {
		name   string
		insn   uint32 // a2 to (a3)
		offs   []int64
		budget uint64
	}{
		{"amoadd.w a0, a2, (a3)", amoInsn(0x00, false, rA0, rA3, rA2, 0), []int64{-8, -4, 0, 4, 8, 64}, 3},
		{"sw a2, 0(a3)", sw(rA2, rA3, 0), []int64{-8, -4, -1, 0, 4, 7, 8, 64}, 5},
	} {
		for _, off := range c.offs {
			t.Run(fmt.Sprint(c.name, " at ", off), func(t *testing.T) {
				// lr.d t0, (a1); the store; sc.d t1, a2, (a1);
				// addi t2, t2, 1; back to the lr while t2 < t3 (40)
				code := []uint32{
					lrInsn(true, rT0, rA1),
					c.insn,
					scInsn(true, rT1, rA2, rA1),
					addi(rT2, rT2, 1),
					blt(rT2, rT3, -16),
					jSelf,
				}
				m := progMachine(code...)
				m.x[rA1], m.x[rA3], m.x[rA2], m.x[rT3] = dataPtr, uint64(int64(dataPtr)+off), 5, 40
				p := newPair(t, m)
				for range 100 {
					p.step(c.budget)
				}
				want := uint64(0) // the SC succeeded
				if off > -4 && off < 8 {
					want = 1
				}
				p.expectX(map[int]uint64{rT1: want, rT2: 40})
				if b := p.eng.blocks[codeAt]; b == nil || b.code == 0 {
					t.Error("the block was not translated")
				}
			})
		}
	}
}

// lrInsn is "lr.w/.d rd, (rs1)" and scInsn "sc.w/.d rd, rs2, (rs1)", .D
// when d.
func lrInsn(d bool, rd, rs1 uint32) uint32 { return amoInsn(0x02, d, rd, rs1, 0, 0) }
func scInsn(d bool, rd, rs2, rs1 uint32) uint32 {
	return amoInsn(0x03, d, rd, rs1, rs2, 0)
}

// TestLRSCEdges runs an LR and an SC, .W and .D in each of the four
// pairings, in a block the engine translates, from many reservations
// (none, the LR's bytes, others, fewer bytes), at addresses the same, a
// word or a doubleword apart, misaligned, past the end of memory,
// straddling it and in the page of the code, with tohost watched next to
// them or not, and with rd x0, the address register or the source.
// Registers, memory, the reservation, traps and counts must be the
// interpreter's; the block must have run as native code.
func TestLRSCEdges(t *testing.T) {
	type place struct {
		name string
		addr func(n uint64) uint64
	}
	places := []place{
		{"data", func(uint64) uint64 { return dataPtr }},
		{"data+4", func(uint64) uint64 { return dataPtr + 4 }},
		{"data+8", func(uint64) uint64 { return dataPtr + 8 }},
		{"misaligned", func(n uint64) uint64 { return dataPtr + n/2 }},
		{"straddles the end", func(n uint64) uint64 { return memEnd - n/2 }},
		{"past the end", func(uint64) uint64 { return memEnd }},
		{"code page", func(uint64) uint64 { return codeAt + 0x100 }},
	}
	rds := [][2]uint32{{rA0, rA4}, {0, 0}, {rA1, rA2}, {rA0, rA3}} // the LR's rd, the SC's
	for _, lw := range []bool{false, true} {
		for _, sw := range []bool{false, true} {
			for _, host := range []bool{false, true} {
				name := fmt.Sprintf("lr.%s sc.%s", map[bool]string{false: "w", true: "d"}[lw], map[bool]string{false: "w", true: "d"}[sw])
				if host {
					name += " tohost"
				}
				t.Run(name, func(t *testing.T) {
					for ri, rd := range rds {
						m := progMachine(lrInsn(lw, rd[0], rA1), scInsn(sw, rd[1], rA2, rA3), jSelf)
						if host {
							m.tohost = hostAt + 8
						}
						p := newPair(t, m)
						p.eng.hotAfter = 0
						k := 0
						for _, pl := range places {
							for _, sc := range places {
								for res := 0; res < 4; res++ {
									la, sa := pl.addr(4+4*b2u(lw)), sc.addr(4+4*b2u(sw))
									p.both(func(h *rv64.Hart) {
										h.PC = codeAt
										h.X[rA1], h.X[rA3], h.X[rA2] = la, sa, 0x8765_4321_0fed_cba9+uint64(k)
										switch res {
										case 0:
											h.SetReservation(0, 0)
										case 1:
											h.SetReservation(sa, 8)
										case 2:
											h.SetReservation(sa, 4)
										case 3:
											h.SetReservation(dataPtr+64, 8)
										}
										if b, ok := h.Mem.Slice(dataPtr, 16); ok {
											for q := range b {
												b[q] = byte(k + q)
											}
										}
									})
									p.log = append(p.log, fmt.Sprintf("lr at %s, sc at %s, reservation %d", pl.name, sc.name, res))
									// From the SC alone too: the reservation set above.
									if k%3 == 2 {
										p.both(func(h *rv64.Hart) { h.PC = codeAt + 4 })
									}
									p.step(3 + uint64(k%2))
									k++
								}
							}
						}
						if b := p.eng.blocks[codeAt]; b == nil || b.code == 0 {
							t.Errorf("rd %d: the LR and SC were not translated", ri)
						}
					}
				})
			}
		}
	}
}

// b2u is 1 for true.
func b2u(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

// TestLRThenToHost: after an LR widens the watch range in translated
// code, a store into tohost, below the reservation or above it, still
// exits to the monitor, as in the interpreter.
func TestLRThenToHost(t *testing.T) {
	for _, off := range []int64{-64, -8, 16, 64} {
		t.Run(fmt.Sprint("tohost at ", off), func(t *testing.T) {
			host := uint64(int64(dataPtr) + off)
			code := []uint32{
				lrInsn(true, rT0, rA1),
				addi(rT2, rT2, 1),
				blt(rT2, rT3, 12), // the first times: no store
				sd(rA2, rA3, 0),
				jSelf,
				jal(0, -20), // to the LR
			}
			m := progMachine(code...)
			m.tohost = host
			m.x[rA1], m.x[rA3], m.x[rA2], m.x[rT3] = dataPtr, host, 5, 10
			p := newPair(t, m)
			p.eng.hotAfter = 0
			e := p.step(100)
			if e.Kind != rv64.ExitHost {
				t.Errorf("exit %s, want the store into tohost", exitString(e))
			}
			if b := p.eng.blocks[codeAt]; b == nil || b.code == 0 {
				t.Error("the LR was not translated")
			}
		})
	}
}

// TestLRNearZero: with guest memory at address 0, an LR in translated code
// of a word whose watch range starts below 7 (the stores that may touch it
// start at 0), with tohost at 0, above or nowhere: a store into tohost
// exits and a store that touches the reserved word breaks the
// reservation, as in the interpreter.
func TestLRNearZero(t *testing.T) {
	for _, host := range []int64{-1, 0, 0x100} {
		for _, res := range []uint64{0, 2, 8, 0x40} {
			for _, at := range []uint64{0, 4, 8, 16, 0x40, 0x100} {
				t.Run(fmt.Sprintf("tohost %d lr at %#x store at %#x", host, res, at), func(t *testing.T) {
					code := []uint32{
						lrInsn(true, rT0, rA1),
						sd(rA2, rA3, 0),
						scInsn(true, rT1, rA2, rA1),
						jSelf,
					}
					m := progMachineAt(0, code...)
					m.atZero = true
					if host >= 0 {
						m.prepare = func(h *rv64.Hart) { h.WatchToHost(uint64(host)) }
					}
					m.x[rA1], m.x[rA3], m.x[rA2] = res&^7, at, 1
					p := newPair(t, m)
					p.eng.hotAfter = 0
					for range 3 {
						p.both(func(h *rv64.Hart) { h.PC = codeAt - memBase })
						p.step(4)
					}
					if b := p.eng.blocks[codeAt-memBase]; b == nil || b.code == 0 {
						t.Error("the block was not translated")
					}
				})
			}
		}
	}
}

// TestToHostAfterTranslation: an LR/SC loop translated while the watch
// range had no fixed part (its LR then sets the range to the
// reservation's alone, and its SC empties it) is dropped when tohost
// is watched afterwards: a store into tohost after the LR, in the same
// block, exits to the monitor, as in the interpreter.
func TestToHostAfterTranslation(t *testing.T) {
	host := uint64(dataPtr + 64)
	code := []uint32{
		lrInsn(true, rT0, rA1), // +0
		sd(rA2, rA3, 0),        // +4: into tohost once it is watched
		scD(rT1, rA2, rA1),     // +8
		addi(rT2, rT2, 1),      // +12
		jal(0, -16),            // +16: to the LR
	}
	m := progMachine(code...)
	m.x[rA1], m.x[rA3], m.x[rA2] = dataPtr, host, 5
	p := newPair(t, m)
	p.eng.hotAfter = 0
	p.runChunks(500, 500)
	if b := p.eng.blocks[codeAt]; b == nil || b.code == 0 {
		t.Fatal("the loop was not translated")
	}
	flushes := p.eng.Stats().Flushes
	p.both(func(h *rv64.Hart) { h.WatchToHost(host) })
	if e := p.step(100); e.Kind != rv64.ExitHost || e.PC != codeAt+8 {
		t.Errorf("exit %s, want the store into tohost, at pc %#x after it", exitString(e), codeAt+8)
	}
	if p.eng.Stats().Flushes == flushes {
		t.Error("the code translated without tohost was kept")
	}
}
