package rv64

import (
	"testing"
)

// TestRunDoesNotAllocate runs the loop program (arithmetic, memory,
// counter reads, a trap and mret per iteration) for many instructions and
// checks that Run allocates nothing.
func TestRunDoesNotAllocate(t *testing.T) {
	h := newTestHart(t)
	loopProgram(t, h)
	h.Run(1000) // warm up
	allocs := testing.AllocsPerRun(20, func() {
		if e := h.Run(100_000); e.Kind != ExitBudget {
			t.Fatalf("exit %s at %#x", e.Kind.testName(), e.PC)
		}
	})
	if allocs != 0 {
		t.Errorf("Run allocates: %v allocations per 100000 instructions", allocs)
	}
}

// benchLoop is a tight arithmetic and branch loop: five instructions per
// iteration, forever.
var benchLoop = []string{
	"li t0, 0",
	"li t1, 1000",
	"addi t0, t0, 1", // +8
	"add a0, a0, t0",
	"xor a1, a1, a0",
	"slli a2, a1, 3",
	"bne t0, t1, .-16",
	"li t0, 0",
	"j .-24",
}

// BenchmarkRunLoop reports the simulation speed on benchLoop in millions
// of instructions per second; one op is one instruction.
func BenchmarkRunLoop(b *testing.B) {
	benchProgram(b, newTestHart(b), benchLoop...)
}

// decodeWords is a mix of instruction formats for BenchmarkDecode.
var decodeWords = mustAsm(
	"add a0, a1, a2", "addi a0, a1, -5", "ld a0, 8(sp)", "sd ra, -8(sp)",
	"beq a1, a2, .+16", "jal ra, .+2048", "lui a0, 0x80000", "csrr a0, cycle",
	"mulhsu a0, a1, a2", "sraiw a0, a1, 31", "auipc t0, 1", "jalr ra, 16(a1)",
)

var decodeSink uint64

// BenchmarkDecode measures field and immediate extraction (Insn), the
// decode work of every instruction; one op is one instruction word.
func BenchmarkDecode(b *testing.B) {
	var acc uint64
	for i := 0; i < b.N; i++ {
		in := Insn(decodeWords[i%len(decodeWords)])
		acc += uint64(in.Opcode()^in.Rd()^in.Rs1()^in.Rs2()^in.Funct3()^in.Funct7()) +
			in.ImmI() + in.ImmS() + in.ImmB() + in.ImmU() + in.ImmJ() + uint64(in.CSR())
	}
	decodeSink = acc
}
