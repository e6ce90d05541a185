package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"log"
	"os"
	"strings"
)

const (
	sigILL = 4
	sigBUS = 7
)

// illegalRM returns golden cases for reserved rounding modes: a static rm
// of 5 or 6 (made with .insn, since no mnemonic takes them), and dynamic
// rounding with frm 5, 6 or 7. The ISA manual makes them illegal;
// qemu-riscv64 must agree (each case runs alone and must die of SIGILL).
func illegalRM(g *gen) string {
	type ill struct {
		asm, text string
		frm       int
	}
	var cs []ill
	for _, st := range []struct{ asm, name string }{
		{".insn r OP_FP, %d, 0x00, fa0, fa1, fa2", "fadd.s fa0, fa1, fa2"},
		{".insn r OP_FP, %d, 0x01, fa0, fa1, fa2", "fadd.d fa0, fa1, fa2"},
		{".insn r OP_FP, %d, 0x2d, fa0, fa1, f0", "fsqrt.d fa0, fa1"},
		{".insn r OP_FP, %d, 0x61, a0, fa1, x0", "fcvt.w.d a0, fa1"},
		{".insn r OP_FP, %d, 0x20, fa0, fa1, f1", "fcvt.s.d fa0, fa1"},
		{".insn r OP_FP, %d, 0x68, fa0, a1, x2", "fcvt.s.l fa0, a1"},
		{".insn r4 MADD, %d, 1, fa0, fa1, fa2, fa3", "fmadd.d fa0, fa1, fa2, fa3"},
		{".insn r4 NMSUB, %d, 0, fa0, fa1, fa2, fa3", "fnmsub.s fa0, fa1, fa2, fa3"},
	} {
		for _, rm := range []int{5, 6} {
			cs = append(cs, ill{asm: fmt.Sprintf(st.asm, rm), text: fmt.Sprintf("; %s with rm=%d (reserved)", st.name, rm)})
		}
	}
	for _, text := range []string{"fadd.d fa0, fa1, fa2", "fmul.s fa0, fa1, fa2", "fcvt.l.s a0, fa1",
		"fmsub.d fa0, fa1, fa2, fa3", "fsqrt.s fa0, fa1", "fcvt.d.lu fa0, a1"} {
		for _, frm := range []int{5, 6, 7} {
			cs = append(cs, ill{asm: text, text: text, frm: frm})
		}
	}
	var b strings.Builder
	b.WriteString("# Reserved rounding modes, static (rm field 5, 6) and dynamic (frm 5, 6, 7): illegal\n")
	b.WriteString("# by the ISA manual; qemu-riscv64 raised SIGILL for each.\n")
	for _, c := range cs {
		src := fmt.Sprintf("\tli t0, %d\n\tfscsr t0\ncase0:\n\t%s\n", c.frm<<5, c.asm)
		p := g.build(program(src, 8))
		if sig := signal(p); sig != sigILL {
			fatalf("%s (frm %d): qemu-riscv64 ended with signal %d, want SIGILL", c.asm, c.frm, sig)
		}
		enc, err := encodings(p, 1, 1)
		if err != nil {
			fatalf("%v", err)
		}
		before := fmt.Sprintf("mstatus=%#x", mstatusFSDirty)
		if c.frm != 0 {
			before += fmt.Sprintf(" frm=%d", c.frm)
		}
		fmt.Fprintf(&b, "%08x %s | %s | trap=illegal tval=insn\n", enc[0][0], c.text, before)
	}
	return b.String()
}

// amoCase is a sequence of A instructions on the doublewords at memAddr
// (buf) and memAddr+8 (buf+8) with registers a0-a4.
type amoCase struct {
	insns  []string
	a1off  int // a1 = buf + a1off
	a2, a4 uint64
	m0, m1 uint64 // the doublewords
}

// amoRegs are the state an A case may change, in the order saved.
var amoRegs = []string{"a0", "a2", "a3"}

func amoCases() (titles []string, secs [][]amoCase) {
	vals := []uint64{0, 1, 0xffffffffffffffff, 0x80000000, 0xffffffff, 0x8000000000000000, 0x123456789abcdef0}
	ops := []string{"amoswap", "amoadd", "amoxor", "amoand", "amoor", "amomin", "amomax", "amominu", "amomaxu"}
	for _, w := range []string{"w", "d"} {
		var cs []amoCase
		for _, op := range ops {
			for _, m := range vals {
				for _, v := range vals {
					cs = append(cs, amoCase{insns: []string{fmt.Sprintf("%s.%s a0, a2, (a1)", op, w)}, a2: v, m0: m})
				}
			}
			for _, ord := range []string{".aq", ".rl", ".aqrl"} {
				cs = append(cs, amoCase{insns: []string{fmt.Sprintf("%s.%s%s a0, a2, (a1)", op, w, ord)}, a2: 0xfedcba9876543210, m0: 0x123456789abcdef0})
			}
			// rd is rs2: the old value is read before the source
			// goes to memory; rd zero: memory changes only.
			cs = append(cs,
				amoCase{insns: []string{fmt.Sprintf("%s.%s a2, a2, (a1)", op, w)}, a2: 0x80000001, m0: 0xffffffff00000005},
				amoCase{insns: []string{fmt.Sprintf("%s.%s zero, a2, (a1)", op, w)}, a2: 0x80000001, m0: 0xffffffff00000005})
		}
		titles = append(titles, "AMOs ("+w+")")
		secs = append(secs, cs)
		// LR/SC.
		cs = nil
		lr, sc := "lr."+w+" a0, (a1)", "sc."+w+" a3, a2, (a1)"
		for _, m := range []uint64{0x123456789abcdef0, 0xffffffff80000000} {
			cs = append(cs,
				amoCase{insns: []string{lr, sc}, a2: 0xfedcba9876543210, m0: m},                                                     // succeeds
				amoCase{insns: []string{sc}, a2: 0xfedcba9876543210, m0: m},                                                         // no reservation
				amoCase{insns: []string{lr, "sd a4, 0(a1)", sc}, a2: 0xfedcba9876543210, a4: 0x5555, m0: m},                         // a store breaks it
				amoCase{insns: []string{lr, "sc." + w + " a3, a2, (a4)"}, a2: 0xfedcba9876543210, a4: memAddr + 8, m0: m, m1: 0x77}, // another address
				amoCase{insns: []string{lr, sc, sc}, a2: 0xfedcba9876543210, m0: m},                                                 // one SC per LR
				amoCase{insns: []string{lr + "", "lr." + w + ".aq a3, (a1)", "sc." + w + ".rl a3, a2, (a1)"}, a2: 7, m0: m})
		}
		titles = append(titles, "LR/SC ("+w+")")
		secs = append(secs, cs)
	}
	return
}

// misaligned are A instructions at a misaligned address: the ISA manual
// allows a misaligned-address exception (cause 4 for LR, 6 for AMOs,
// tval the address), which rvsim raises; qemu-riscv64 must agree (SIGBUS).
var misaligned = []struct {
	insn  string
	off   int
	cause int
}{
	{"amoadd.w a0, a2, (a1)", 2, 6}, {"amoswap.d a0, a2, (a1)", 4, 6}, {"amoor.d a0, a2, (a1)", 1, 6},
	{"lr.d a0, (a1)", 4, 4}, {"lr.w a0, (a1)", 2, 4},
	// No SC: the manual requires the exception for a misaligned SC too,
	// but qemu-riscv64 fails an SC without a reservation before it looks
	// at the address, so it cannot referee those.
}

func (c amoCase) asm(i int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "\tla a1, buf\n\tli t0, %#x\n\tsd t0, 0(a1)\n\tli t0, %#x\n\tsd t0, 8(a1)\n", c.m0, c.m1)
	fmt.Fprintf(&b, "\taddi a1, a1, %d\n\tli a2, %#x\n\tli a4, %#x\n\tli a0, 0\n\tli a3, 0\n", c.a1off, c.a2, c.a4)
	if c.a4 == memAddr+8 {
		b.WriteString("\tla a4, buf\n\taddi a4, a4, 8\n")
	}
	fmt.Fprintf(&b, "case%d:\n", i)
	for _, in := range c.insns {
		fmt.Fprintf(&b, "\t%s\n", in)
	}
	b.WriteString("\tla t1, buf\n\tld t2, 0(t1)\n\tld t3, 8(t1)\n")
	b.WriteString("\tsd a0, 0(s0)\n\tsd a2, 8(s0)\n\tsd a3, 16(s0)\n\tsd t2, 24(s0)\n\tsd t3, 32(s0)\n\taddi s0, s0, 40\n")
	return b.String()
}

func (c amoCase) golden(enc []uint32, res []byte) string {
	var ins []string
	for k, in := range c.insns {
		ins = append(ins, fmt.Sprintf("%08x %s", enc[k], in))
	}
	before := []string{fmt.Sprintf("a1=%#x", memAddr+c.a1off), fmt.Sprintf("a2=%#x", c.a2)}
	if c.a4 != 0 {
		before = append(before, fmt.Sprintf("a4=%#x", c.a4))
	}
	before = append(before, fmt.Sprintf("m64[%#x]=%#x", memAddr, c.m0))
	if c.m1 != 0 {
		before = append(before, fmt.Sprintf("m64[%#x]=%#x", memAddr+8, c.m1))
	}
	var after []string
	for k, r := range amoRegs {
		after = append(after, fmt.Sprintf("%s=%#x", r, binary.LittleEndian.Uint64(res[8*k:])))
	}
	after = append(after, fmt.Sprintf("m64[%#x]=%#x", memAddr, binary.LittleEndian.Uint64(res[24:])),
		fmt.Sprintf("m64[%#x]=%#x", memAddr+8, binary.LittleEndian.Uint64(res[32:])))
	return fmt.Sprintf("%s | %s | %s", strings.Join(ins, " / "), strings.Join(before, " "), strings.Join(after, " "))
}

func writeAMO(g *gen, out string) {
	titles, secs := amoCases()
	var all []amoCase
	for _, cs := range secs {
		all = append(all, cs...)
	}
	var src strings.Builder
	for i, c := range all {
		src.WriteString(c.asm(i))
	}
	p := g.build(program(src.String(), 40*len(all)))
	res := run("qemu-riscv64", p)
	if len(res) != 40*len(all) {
		fatalf("qemu-riscv64 wrote %d bytes, want %d", len(res), 40*len(all))
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, `#@ assembled
# Golden cases for the A extension, written by scripts/gengolden: DO NOT
# EDIT. Each case's encodings are the GNU assembler's (built with
# riscv64-linux-gnu-gcc -march=rv64g) and its results are what
# qemu-riscv64 computed when it ran the case: this file is that referee's
# output, not rvsim's. See golden_test.go for the syntax.
#
# a1 is the address (0x%x), a2 the source, a0 or a3 the destination; the
# results list a0, a2, a3 and both doublewords whether they changed or not.
`, memAddr)
	text, err := readText(p)
	if err != nil {
		fatalf("%v", err)
	}
	k := 0
	for si, cs := range secs {
		fmt.Fprintf(&b, "# %s\n", titles[si])
		for _, c := range cs {
			enc, err := text.words(fmt.Sprintf("case%d", k), len(c.insns))
			if err != nil {
				fatalf("%v", err)
			}
			fmt.Fprintln(&b, c.golden(enc, res[40*k:]))
			k++
		}
	}
	b.WriteString("# Misaligned addresses: a misaligned-address exception (ISA manual, section\n")
	b.WriteString("# \"A\": cause 4 for LR, 6 for AMOs); qemu-riscv64 raised SIGBUS for each.\n")
	for _, c := range misaligned {
		ac := amoCase{insns: []string{c.insn}, a1off: c.off, a2: 5, m0: 0x123456789abcdef0}
		p := g.build(program(ac.asm(0), 40))
		if sig := signal(p); sig != sigBUS {
			fatalf("%s at buf+%d: qemu-riscv64 ended with signal %d, want SIGBUS", c.insn, c.off, sig)
		}
		enc, err := encodings(p, 1, 1)
		if err != nil {
			fatalf("%v", err)
		}
		fmt.Fprintf(&b, "%08x %s | a1=%#x a2=5 m64[%#x]=%#x | trap=%d tval=%#x\n",
			enc[0][0], c.insn, memAddr+c.off, memAddr, ac.m0, c.cause, memAddr+c.off)
	}
	if err := os.WriteFile(out, b.Bytes(), 0o644); err != nil {
		fatalf("%v", err)
	}
	log.Printf("%d cases written to %s", len(all)+len(misaligned), out)
}
