package rv64

import (
	"testing"

	"github.com/rvsim/rvsim/csr"
	"github.com/rvsim/rvsim/ndbuf"
)

// benchProgram runs lines (an endless loop) for b.N instructions and
// reports MIPS; one op is one instruction.
func benchProgram(b *testing.B, h *Hart, lines ...string) {
	b.Helper()
	prog(b, h, testPC, lines...)
	b.ReportAllocs()
	b.ResetTimer()
	start := h.Instret()
	var drained []ndbuf.Entry
	for done := uint64(0); done < uint64(b.N); done = h.Instret() - start {
		e := h.Run(min(uint64(b.N)-done, 1<<20))
		switch e.Kind {
		case ExitBudget:
		case ExitNDFull: // record: drain, as the monitor does
			drained = h.ND.Drain(drained[:0])
		default:
			b.Fatalf("exit %s at %#x", e.Kind.testName(), e.PC)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds()/1e6, "MIPS")
}

// memLoop loads and stores doublewords, words and bytes on a small buffer.
var memLoop = []string{
	"lui t1, 2",
	"add t1, t1, gp", // t1 = gp + 0x2000: a data page apart from the code
	"ld a0, 0(t1)",   // +8
	"addi a0, a0, 1",
	"sd a0, 0(t1)",
	"lw a1, 8(t1)",
	"sw a0, 12(t1)",
	"lbu a2, 3(t1)",
	"sb a2, 17(t1)",
	"j .-28",
}

// BenchmarkLoadStore: memory traffic through the load and store paths.
func BenchmarkLoadStore(b *testing.B) {
	h := newTestHart(b)
	h.X[3] = testBase // gp: the buffer is at testBase+0x2000, off the code page
	benchProgram(b, h, memLoop...)
}

// csrLoop reads cycle and time in a loop of four instructions.
var csrLoop = []string{
	"csrr a0, cycle",
	"csrr a1, time",
	"add a2, a0, a1",
	"j .-12",
}

// BenchmarkCSRNormal: cycle and time reads in normal mode.
func BenchmarkCSRNormal(b *testing.B) {
	benchProgram(b, newTestHart(b), csrLoop...)
}

// BenchmarkCSRRecord: the same reads recorded into a 4096-entry buffer,
// drained (and discarded) on every cause 24.
func BenchmarkCSRRecord(b *testing.B) {
	h := newTestHart(b)
	h.ND = ndbuf.New(h.CSR, ndbuf.Record, h.Mem.End(), 4096)
	benchProgram(b, h, csrLoop...)
}

// BenchmarkCSRReplay: the same reads replayed from a buffer filled with the
// entries a recording of this program made; one op is one pass over the
// whole buffer (16384 reads), and MIPS counts the instructions replayed.
func BenchmarkCSRReplay(b *testing.B) {
	h := newTestHart(b)
	prog(b, h, testPC, csrLoop...)
	h.ND = ndbuf.New(h.CSR, ndbuf.Record, h.Mem.End(), 1<<14)
	for h.Run(1<<20).Kind != ExitNDFull {
	}
	entries := h.ND.Drain(nil)
	h.CSR.Set(csr.Ndmode, uint64(ndbuf.Replay))
	var total uint64
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		h.PC, h.CSR.Instret = testPC, 0
		h.ND.Fill(entries)
		b.StartTimer()
		if e := h.Run(1 << 30); e.Kind != ExitNDEmpty {
			b.Fatalf("exit %s at %#x", e.Kind.testName(), e.PC)
		}
		total += h.Instret()
	}
	b.StopTimer()
	b.ReportMetric(float64(total)/b.Elapsed().Seconds()/1e6, "MIPS")
}

// BenchmarkShortBudgets runs a loop of eight instructions, followed in
// its page by a thousand that are not jumps, in budgets of 2,048: the
// size of the interpreter's runs between a translating engine's native
// ones. Every block starts within a page's worth of instructions of the
// budget's end, where Run walks ahead to mark it; the walk from the
// loop's branch must not go down the code past the loop each time round.
func BenchmarkShortBudgets(b *testing.B) {
	h := newTestHart(b)
	lines := []string{
		"lui t0, 0x40000",
		"addi a0, a0, 1",
		"xor a1, a1, a0",
		"add a2, a2, a1",
		"slli a3, a2, 3",
		"srli a4, a3, 5",
		"or a5, a4, a0",
		"addi t0, t0, -1",
		"bne t0, zero, .-28",
	}
	for range 1000 {
		lines = append(lines, "addi a6, a6, 1")
	}
	prog(b, h, testPC, lines...)
	b.ReportAllocs()
	b.ResetTimer()
	for done := 0; done < b.N; done += 2048 {
		if e := h.Run(2048); e.Kind != ExitBudget {
			b.Fatalf("exit %s at %#x", e.Kind.testName(), e.PC)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds()/1e6, "MIPS")
}
