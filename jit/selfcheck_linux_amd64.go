//go:build linux && amd64

package jit

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/rvsim/rvsim/csr"
	"github.com/rvsim/rvsim/rv64"
)

// Encoders for the self-check's program (unprivileged specification,
// chapter 2.3: the R, I, S and B formats).
func encR(f7, rs2, rs1, f3, rd, op uint32) uint32 {
	return f7<<25 | rs2<<20 | rs1<<15 | f3<<12 | rd<<7 | op
}

func encI(imm int32, rs1, f3, rd, op uint32) uint32 {
	return uint32(imm)<<20 | rs1<<15 | f3<<12 | rd<<7 | op
}

func encS(imm int32, rs2, rs1, f3 uint32) uint32 {
	u := uint32(imm)
	return (u>>5&0x7f)<<25 | rs2<<20 | rs1<<15 | f3<<12 | (u&0x1f)<<7 | 0x23
}

func encB(imm int32, rs2, rs1, f3 uint32) uint32 {
	u := uint32(imm)
	return (u>>12&1)<<31 | (u>>5&0x3f)<<25 | rs2<<20 | rs1<<15 | f3<<12 | (u>>1&0xf)<<8 | (u>>11&1)<<7 | 0x63
}

// selfCheckProgram is a loop of arithmetic, a division by zero, a store,
// a load and double-precision arithmetic (300 times, 4,804 instructions
// in all). The data is in the page after the code: a store into a page
// that holds code leaves native code for the interpreter, and the loop
// would hardly run natively.
func selfCheckProgram() []uint32 {
	const (
		a0, a1, t0, t1, t2, t3, t4 = 10, 11, 5, 6, 7, 28, 29
		ft0, ft1, ft2, ft3, fa0    = 0, 1, 2, 3, 10
		opImm, opOp, opLoad, opFP  = 0x13, 0x33, 0x03, 0x53
		dyn                        = 7
	)
	return []uint32{
		encI(0, 0, 0, a0, opImm),             // li a0, 0
		encI(300, 0, 0, a1, opImm),           // li a1, 300
		encI(-7, 0, 0, t0, opImm),            // li t0, -7
		0x00001e17,                           // auipc t3, 1 (data: the next page)
		encR(1, t0, a1, 0, t1, opOp),         // loop: mul t1, a1, t0
		encR(1, a1, t1, 4, t2, opOp),         // div t2, t1, a1
		encR(1, 0, t1, 6, t4, opOp),          // rem t4, t1, zero
		encR(0, t2, a0, 0, a0, opOp),         // add a0, a0, t2
		encR(0x20, t4, a0, 0, a0, opOp),      // sub a0, a0, t4
		encI(13, a0, 1, t4, opImm),           // slli t4, a0, 13
		encS(512, t4, t3, 3),                 // sd t4, 512(t3)
		encI(512, t3, 2, t2, opLoad),         // lw t2, 512(t3)
		encR(0, t2, a0, 4, a0, opOp),         // xor a0, a0, t2
		encR(0x69, 2, a1, dyn, ft0, opFP),    // fcvt.d.l ft0, a1
		encR(0x09, ft0, ft0, dyn, ft1, opFP), // fmul.d ft1, ft0, ft0
		encR(0x2d, 0, ft1, dyn, ft2, opFP),   // fsqrt.d ft2, ft1
		encR(0x01, ft2, fa0, dyn, fa0, opFP), // fadd.d fa0, fa0, ft2
		encR(0x0d, ft1, fa0, dyn, ft3, opFP), // fdiv.d ft3, fa0, ft1 (inexact)
		encI(-1, a1, 0, a1, opImm),           // addi a1, a1, -1
		encB(-60, 0, a1, 1),                  // bne a1, zero, loop
		encI(0, 0, 0, 0, opImm),              // nop
		encB(0, 0, 0, 0),                     // beq zero, zero, . (spins)
	}
}

// SelfCheck runs a small built-in program on the interpreter and on the
// engine, in several budgets, and compares the registers, pc,
// instruction count and memory after each. A host where it fails must use
// the interpreter. When it passes, its code cache is kept for the next New.
//
// Both runs use one hart, to keep the check cheap at start-up: the
// interpreter runs first and what it leaves after each budget is kept;
// the hart's state and the data page are then put back as they were, and
// the engine runs the same budgets from there. The code's page, which
// neither run writes, stays decoded.
func SelfCheck() error {
	const base, page = 0x80000000, 1 << 12 // the code's page, then the data's
	m, err := rv64.NewMemory(base, 2*page)
	if err != nil {
		return fmt.Errorf("jit self-check: %w", err)
	}
	for i, w := range selfCheckProgram() {
		binary.LittleEndian.PutUint32(m.Data[4*i:], w)
	}
	h := rv64.New(m, csr.New(csr.Host{Cycle: func() uint64 { return 0 }, Time: func() uint64 { return 0 }, Entropy: func() uint16 { return 0 }}))
	h.PC = base
	h.CSR.Set(csr.Mstatus, csr.FSDirty)
	budgets := [...]uint64{1, 7, 50, 3000}
	type state struct {
		x           rv64.Exit
		regs, f     [32]uint64
		fcsr        uint64
		pc, instret uint64
		mem         []byte
	}
	var ref [len(budgets)]state
	start := new(rv64.State)
	h.Save(start)
	for i, budget := range budgets {
		x := h.Run(budget)
		ref[i] = state{x, h.X, h.F, h.CSR.Get(csr.Fcsr), h.PC, h.CSR.Instret, bytes.Clone(m.Data)}
	}
	h.Restore(start)
	clear(m.Data[page:])
	h.Invalidate(base+page, page)
	e, err := New(h)
	if err != nil {
		return fmt.Errorf("jit self-check: %w", err)
	}
	defer e.Close()
	e.hotAfter = 0 // translate at once: the check is of native code
	for i, budget := range budgets {
		xe, r := e.Run(budget), &ref[i]
		switch {
		case xe != r.x:
			return fmt.Errorf("jit self-check: exit %+v, the interpreter's %+v", xe, r.x)
		case h.X != r.regs:
			return fmt.Errorf("jit self-check: registers %x, the interpreter's %x", h.X, r.regs)
		case h.F != r.f || h.CSR.Get(csr.Fcsr) != r.fcsr:
			return fmt.Errorf("jit self-check: f registers %x fcsr %#x, the interpreter's %x %#x", h.F, h.CSR.Get(csr.Fcsr), r.f, r.fcsr)
		case h.PC != r.pc || h.CSR.Instret != r.instret:
			return fmt.Errorf("jit self-check: pc %#x instret %d, the interpreter's %#x %d", h.PC, h.CSR.Instret, r.pc, r.instret)
		case !bytes.Equal(m.Data, r.mem):
			return fmt.Errorf("jit self-check: memory differs from the interpreter's")
		}
	}
	if e.Stats().Blocks == 0 {
		return fmt.Errorf("jit self-check: nothing was translated")
	}
	e.park() // the machine's engine takes its code cache
	return nil
}
