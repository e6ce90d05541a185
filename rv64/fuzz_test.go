package rv64

import (
	"testing"

	"github.com/rvsim/rvsim/csr"
	"github.com/rvsim/rvsim/ndbuf"
)

// FuzzDecodeExecute runs arbitrary instruction words on a fresh hart with
// the smallest memory. The word fills memory (so traps run it again at
// mtvec), the registers hold the two values and addresses inside memory,
// and mode picks the privilege, UserTrapsExit, a watched tohost and the
// record/replay unit. Whatever happens, Run must not panic, x0 must stay
// zero and the hart must stay in a state the ISA allows.
func FuzzDecodeExecute(f *testing.F) {
	for _, s := range []struct {
		w    uint32
		a, b uint64
		mode uint8
	}{
		{0x00b50533, 5, 7, 0},                // add
		{0x02b54533, 1 << 63, ^uint64(0), 0}, // div overflow
		{0x0005b503, 0, 8, 0},                // ld
		{0x00b53023, 3, 4, 4},                // sd, tohost watched
		{0x00b50863, 1, 1, 0},                // beq
		{0x008000ef, 0, 0, 1},                // jal in U
		{0x000580e7, 2, 0, 3},                // jalr, misaligned, U with exits
		{0x80000537, 0, 0, 0},                // lui
		{0x00000517, 0, 0, 0},                // auipc
		{0x03f59513, ^uint64(0), 0, 0},       // slli 63
		{0x4015d51b, 1 << 31, 0, 0},          // sraiw
		{0x0000100f, 0, 0, 0},                // fence.i
		{0x00000073, 0, 0, 3},                // ecall from U
		{0x00100073, 0, 0, 0},                // ebreak
		{0x30200073, 0, 0, 0},                // mret
		{0x10500073, 0, 0, 1},                // wfi in U
		{0xc0002573, 0, 0, 8},                // csrr cycle, recording
		{0x01501573, 0, 0, 16},               // csrrw seed, replaying
		{0xb0259073, 100, 0, 0},              // csrw minstret
		{0x7c002573, 0, 0, 0},                // Xndrr CSR
		{0x00000000, 0, 0, 0},                // illegal
		{0xffffffff, 0, 0, 2},                // illegal
		{0x00004501, 0, 0, 0},                // compressed
		{0x0215951b, 0, 0, 0},                // reserved slliw
	} {
		f.Add(s.w, s.a, s.b, s.mode)
	}
	f.Fuzz(func(t *testing.T, word uint32, a, b uint64, mode uint8) {
		mem, err := NewMemory(testBase, MinMemory)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i+4 <= len(mem.Data); i += 4 {
			le.PutUint32(mem.Data[i:], word)
		}
		h := New(mem, csr.New(testHost()))
		h.CSR.Set(csr.Mtvec, testBase+0x100)
		h.CSR.Set(csr.Mcounteren, uint64(mode>>5))
		h.PC = testBase + uint64(a&0xffc)
		for i := 1; i < 32; i++ {
			switch i % 3 {
			case 0:
				h.X[i] = a
			case 1:
				h.X[i] = b
			default:
				h.X[i] = testBase + (a+b+uint64(i))&0xfff
			}
		}
		if mode&1 != 0 {
			h.Priv = csr.PrivU
		}
		h.UserTrapsExit = mode&2 != 0
		if mode&4 != 0 {
			h.WatchToHost(testBase + 0x800)
		}
		switch {
		case mode&8 != 0:
			h.ND = ndbuf.New(h.CSR, ndbuf.Record, 1<<40, 2)
		case mode&16 != 0:
			h.ND = ndbuf.New(h.CSR, ndbuf.Replay, 1<<40, 2)
		}
		for i := 0; i < 4; i++ {
			before := h.Instret()
			e := h.Run(8)
			if h.X[0] != 0 {
				t.Fatalf("x0 = %#x", h.X[0])
			}
			if h.PC&1 != 0 {
				t.Fatalf("pc %#x not aligned", h.PC)
			}
			if h.Priv != csr.PrivU && h.Priv != csr.PrivM {
				t.Fatalf("priv %d", h.Priv)
			}
			if mpp := h.CSR.Get(csr.Mstatus) & csr.MstatusMPP; mpp != 0 && mpp != csr.MstatusMPP {
				t.Fatalf("mstatus.MPP = %d", mpp>>11)
			}
			if n := h.Instret() - before; n > 8 || e.Kind == ExitBudget && n != 8 {
				t.Fatalf("Run(8) retired %d, exit %s", n, e.Kind.testName())
			}
			if e.Kind != ExitBudget && e.Kind != ExitHost && e.PC != h.PC {
				t.Fatalf("exit %s pc %#x, hart pc %#x", e.Kind.testName(), e.PC, h.PC)
			}
			if e.Kind != ExitBudget && e.Kind != ExitHost {
				break
			}
		}
	})
}
