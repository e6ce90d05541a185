package rv64

import (
	"fmt"
	"strings"
	"testing"
)

func TestDisasm(t *testing.T) {
	const pc = 0x80001000
	for _, c := range []struct {
		word uint32
		want string
	}{
		{0x00b50533, "add a0, a0, a1"},
		{0x40c58533, "sub a0, a1, a2"},
		{0x02c5a533, "mulhsu a0, a1, a2"},
		{0x02c5c53b, "divw a0, a1, a2"},
		{0xc0002573, "csrr a0, cycle"},
		{0xc0102573, "csrr a0, time"},
		{0x01502573, "csrr a0, seed"},        // csrrs a0, seed, zero (traps, but decodes)
		{0x01501573, "csrrw a0, seed, zero"}, // the legal way to read seed
		{0x7c002573, "csrr a0, ndmode"},
		{0x7c459073, "csrw ndtail, a1"},
		{0x74759073, "csrw mseccfg, a1"},
		{0x3405a573, "csrrs a0, mscratch, a1"},
		{0x300467f3, "csrrsi a5, mstatus, 8"},
		{0x34129073, "csrw mepc, t0"},
		{0xf1502573, "csrr a0, mconfigptr"},
		{0x00102573, "csrr a0, fflags"},
		{0x7c502573, "csrr a0, 0x7c5"},
		{0x00000073, "ecall"},
		{0x00100073, "ebreak"},
		{0x30200073, "mret"},
		{0x10500073, "wfi"},
		{0x0000100f, "fence.i"},
		{0x0ff0000f, "fence"},
		{0x00000013, "nop"},
		{0xfff00513, "li a0, -1"},
		{0x00058513, "mv a0, a1"},
		{0x03f59513, "slli a0, a1, 0x3f"},
		{0x4015d51b, "sraiw a0, a1, 0x1"},
		{0x80000537, "lui a0, 0x80000"},
		{0x00813503, "ld a0, 8(sp)"},
		{0xfe113c23, "sd ra, -8(sp)"},
		{0x0005e503, "lwu a0, 0(a1)"},
		{0x008000ef, "jal 0x80001008"},
		{0xff9ff06f, "j 0x80000ff8"},
		{0x0080056f, "jal a0, 0x80001008"},
		{0x00c58863, "beq a1, a2, 0x80001010"},
		{0xfe051ce3, "bnez a0, 0x80000ff8"},
		{0x00c5e863, "bltu a1, a2, 0x80001010"},
		{0x00008067, "ret"},
		{0x000580e7, "jalr a1"},
		{0x00058067, "jr a1"},
		{0xffc58567, "jalr a0, -4(a1)"},
		{0x00000000, ".word 0x00000000 (illegal)"},
		{0xffffffff, ".word 0xffffffff (illegal)"},
		{0x00004501, ".word 0x00004501 (illegal)"}, // c.li: no C extension
		{0x00008082, ".word 0x00008082 (illegal)"}, // c.ret
		{0x04159513, ".word 0x04159513 (illegal)"}, // slli with imm[6] set
		{0x0005f503, ".word 0x0005f503 (illegal)"}, // load funct3=7
		{0x10200073, ".word 0x10200073 (illegal)"}, // sret
	} {
		if got := Disasm(c.word, pc); got != c.want {
			t.Errorf("Disasm(%08x) = %q, want %q", c.word, got, c.want)
		}
	}
	// Other extensions keep the decoder's syntax, with ABI names.
	if got := Disasm(0x00c5b52f, pc); got != "amoadd.d a0, a2, (a1)" {
		t.Errorf("Disasm(amoadd.d) = %q", got)
	}
}

// TestDisasmRoundTrip disassembles every golden encoding and, where the
// text is in the test assembler's syntax, assembles it back.
func TestDisasmRoundTrip(t *testing.T) {
	back := 0
	for _, c := range readGolden(t) {
		for _, in := range c.insns {
			s := Disasm(in.word, testPC)
			if s == "" || strings.Contains(s, "Unknown") || strings.Contains(s, "Op(") {
				t.Errorf("%v: Disasm = %q", c, s)
				continue
			}
			mn, _, _ := strings.Cut(s, " ")
			_, r := rOps[mn]
			_, i := iOps[mn]
			_, sh := shOps[mn]
			_, l := loadOps[mn]
			_, st := storeOps[mn]
			_, cs := csrOps[mn]
			_, fx := fixed[mn]
			fx = fx && mn != "fence.i" // the decoder drops fence.i's ignored fields
			if !(r || i || sh || l || st || cs || fx || mn == "li" || mn == "mv" || mn == "csrr" || mn == "csrw") {
				continue
			}
			w, err := asm(s)
			if err != nil {
				t.Errorf("%v: Disasm = %q: %v", c, s, err)
			} else if w != in.word {
				t.Errorf("%v: Disasm = %q, which assembles to %08x", c, s, w)
			}
			back++
		}
	}
	if back < 500 {
		t.Errorf("only %d golden encodings round-tripped", back)
	}
}

func BenchmarkDisasm(b *testing.B) {
	for i := 0; i < b.N; i++ {
		Disasm(0x00c58863, testPC)
	}
}

func ExampleDisasm() {
	fmt.Println(Disasm(0x00b50533, 0x80000000))
	fmt.Println(Disasm(0xc0002573, 0x80000000))
	fmt.Println(Disasm(0xfe051ce3, 0x80000010))
	fmt.Println(Disasm(0x00000000, 0x80000000))
	// Output:
	// add a0, a0, a1
	// csrr a0, cycle
	// bnez a0, 0x80000008
	// .word 0x00000000 (illegal)
}
