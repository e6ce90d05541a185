//go:build linux && amd64

package jit

import (
	"fmt"
	"testing"

	"github.com/rvsim/rvsim/rv64"
)

// TestIndexedLoad runs table lookups as compilers emit them (slli x, y, s;
// add x, b, x; l* x, imm(x); and add x, b, x; l* x, imm(x)), which the
// engine runs as one load (fuse_linux_amd64.go), with every load width,
// shifts 0 to 3, the add's operands either way round, the index in the
// base register itself, and indexes that put the address in the data,
// at the end of memory, past it and below memory (a fault, which the
// interpreter takes at the load with the registers as they were).
// Registers, memory, traps and counts must be the interpreter's; the
// lookups in range must run without the interpreter.
func TestIndexedLoad(t *testing.T) {
	loads := map[string]func(rd, rs1 uint32, imm int64) uint32{
		"lb": func(rd, rs1 uint32, imm int64) uint32 { return insI(imm, rs1, 0, rd, opLoad) },
		"lh": func(rd, rs1 uint32, imm int64) uint32 { return insI(imm, rs1, 1, rd, opLoad) },
		"lw": lw, "ld": ld, "lbu": lbu,
		"lhu": func(rd, rs1 uint32, imm int64) uint32 { return insI(imm, rs1, 5, rd, opLoad) },
		"lwu": func(rd, rs1 uint32, imm int64) uint32 { return insI(imm, rs1, 6, rd, opLoad) },
	}
	for name, l := range loads {
		for shift := -1; shift <= 3; shift++ { // -1: no slli
			for _, swap := range []bool{false, true} {
				for _, self := range []bool{false, true} { // b is y
					t.Run(fmt.Sprintf("%s shift %d swap %v self %v", name, shift, swap, self), func(t *testing.T) {
						b := uint32(rA1)
						if self {
							b = rA2
						}
						var code []uint32
						if shift >= 0 {
							code = append(code, insI(int64(shift), rA2, 1, rA0, opImm)) // slli a0, a2, shift
						} else {
							code = append(code, addi(rA0, rA2, 0)) // mv a0, a2: the index
						}
						if swap {
							code = append(code, add(rA0, rA0, b))
						} else {
							code = append(code, add(rA0, b, rA0))
						}
						code = append(code, l(rA0, rA0, 8), jSelf)
						m := progMachine(code...)
						p := newPair(t, m)
						p.eng.hotAfter = 0
						s := uint64(1) << max(shift, 0)
						for i, idx := range []uint64{0, 1, 5, 63, (memEnd - dataPtr - 16) / s, 1 << 40, ^uint64(0)} {
							p.both(func(h *rv64.Hart) {
								h.PC = codeAt
								h.X[rA1], h.X[rA2] = dataPtr, idx
								if self {
									h.X[rA2] = dataPtr + idx
								}
								if d, ok := h.Mem.Slice(dataPtr, 1024); ok {
									for q := range d {
										d[q] = byte(q*37 + 11)
									}
								}
							})
							if n := p.stepInterpreted(uint64(len(code))); i < 4 && !self && n != 0 {
								t.Errorf("index %d: the interpreter ran", idx)
							}
						}
					})
				}
			}
		}
	}
}

// TestIndexedLoadRewritten: a store in the same block rewrites the add or
// the load of a table lookup the engine runs as one load, before they
// run: the rewritten instructions run, as in the interpreter.
func TestIndexedLoadRewritten(t *testing.T) {
	for _, at := range []int64{8, 12} { // the add, the load
		t.Run(fmt.Sprint("store at +", at), func(t *testing.T) {
			code := []uint32{
				sw(rA3, rA4, at),            // +0: rewrites the add or the load
				insI(2, rA2, 1, rA0, opImm), // +4: slli a0, a2, 2
				add(rA0, rA1, rA0),          // +8
				lw(rA0, rA0, 0),             // +12
				jSelf,                       // +16
			}
			m := progMachine(code...)
			// The new instruction: addi a0, a0, 7 in place of either.
			m.x[rA1], m.x[rA2], m.x[rA3], m.x[rA4] = dataPtr, 3, uint64(addi(rA0, rA0, 7)), codeAt
			p := newPair(t, m)
			p.eng.hotAfter = 0
			for range 4 {
				p.both(func(h *rv64.Hart) {
					h.PC = codeAt
					h.X[rA0] = 0
				})
				p.step(5)
			}
		})
	}
}
