// Command gengolden writes rv64/testdata/fp.txt, golden instruction cases
// for every F and D instruction whose expected results come from
// qemu-riscv64, not from rvsim.
//
// For every case (an instruction, a rounding mode, static or dynamic, and
// boundary inputs) it emits assembly that sets fcsr, loads the inputs,
// runs the instruction and saves the destination and fcsr; it builds the
// program with riscv64-linux-gnu-gcc -static, runs it under qemu-riscv64,
// and takes each instruction's encoding from the built ELF (so the GNU
// assembler made it) and its results from qemu's output.
//
// usage (from the repository's top):
//
//	go run ./scripts/gengolden [-o rv64/testdata/fp.txt]
//
// It needs riscv64-linux-gnu-gcc and qemu-riscv64 (Debian packages
// gcc-riscv64-linux-gnu and qemu-user).
package main

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
)

// Register use in every case: the destination is fa0 (f10) or a0 (x10),
// the sources fa1-fa3 (f11-f13) or a1 (x11).
const (
	memAddr = 0x80008000 // where load and store cases put their doubleword in the golden test's memory

	mstatusFSInitial = 0x2000
	mstatusFSDirty   = 0x6000
	mstatusSDDirty   = 0x8000000000006000
)

// Values as raw bit patterns.
var (
	d = map[string]uint64{
		"0": 0, "-0": 0x8000000000000000, "1": 0x3ff0000000000000, "-1": 0xbff0000000000000,
		"1/3": 0x3fd5555555555555, "-1/3": 0xbfd5555555555555, "0.5": 0x3fe0000000000000,
		"-0.5": 0xbfe0000000000000, "1.5": 0x3ff8000000000000, "2.5": 0x4004000000000000,
		"-2.5": 0xc004000000000000, "3": 0x4008000000000000,
		"maxsub": 0x000fffffffffffff, "minsub": 0x0000000000000001, "minnorm": 0x0010000000000000,
		"max": 0x7fefffffffffffff, "-max": 0xffefffffffffffff, "inf": 0x7ff0000000000000,
		"-inf": 0xfff0000000000000, "qnan": 0x7ff8000000000000, "snan": 0x7ff0000000000001,
		"-qnanp": 0xfff8000000000123, "-minsub": 0x8000000000000001,
		"2^31": 0x41e0000000000000, "-2^31": 0xc1e0000000000000, "2^31-0.5": 0x41dfffffffe00000,
		"-2^31-1": 0xc1e0000000200000, "2^32": 0x41f0000000000000, "2^32-1": 0x41efffffffe00000,
		"2^63": 0x43e0000000000000, "-2^63": 0xc3e0000000000000, "2^64": 0x43f0000000000000,
		"2^63-1024": 0x43dfffffffffffff, "1+ulp": 0x3ff0000000000001, "2^-53": 0x3ca0000000000000, "hulp": 0x3ca0000000000000,
		"1e300": 0x7e37e43c8800759c, "1e-300": 0x01a56e1fc2f8f359, "-1e300": 0xfe37e43c8800759c,
	}
	s = map[string]uint64{
		"0": 0, "-0": 0x80000000, "1": 0x3f800000, "-1": 0xbf800000, "1/3": 0x3eaaaaab,
		"-1/3": 0xbeaaaaab, "0.5": 0x3f000000, "-0.5": 0xbf000000, "1.5": 0x3fc00000,
		"2.5": 0x40200000, "-2.5": 0xc0200000, "3": 0x40400000,
		"maxsub": 0x007fffff, "minsub": 0x00000001, "minnorm": 0x00800000, "max": 0x7f7fffff,
		"-max": 0xff7fffff, "inf": 0x7f800000, "-inf": 0xff800000, "qnan": 0x7fc00000,
		"snan": 0x7f800001, "-qnanp": 0xffc00123, "-minsub": 0x80000001,
		"2^31": 0x4f000000, "-2^31": 0xcf000000, "2^32": 0x4f800000, "2^63": 0x5f000000,
		"-2^63": 0xdf000000, "2^64": 0x5f800000, "1+ulp": 0x3f800001, "hulp": 0x33800000,
		"1e30": 0x7149f2ca, "1e-30": 0x0da24260, "-1e30": 0xf149f2ca,
	}
)

// box NaN-boxes a single.
func box(v uint64) uint64 { return v | 0xffffffff00000000 }

// fmtInfo describes one of the two formats.
type fmtInfo struct {
	suffix string
	vals   map[string]uint64
	boxed  func(uint64) uint64
}

var (
	fmtS = fmtInfo{"s", s, box}
	fmtD = fmtInfo{"d", d, func(v uint64) uint64 { return v }}
)

// unboxed returns singles that are not properly NaN-boxed (they must
// read as the canonical NaN), none for doubles.
func (f fmtInfo) unboxed() []uint64 {
	if f.suffix != "s" {
		return nil
	}
	return []uint64{0x3f800000, 0xfffffffe3f800000, 0x7fffffffbf800000}
}

func (f fmtInfo) v(names ...string) []uint64 {
	var out []uint64
	for _, n := range names {
		x, ok := f.vals[n]
		if !ok {
			fatalf("no %s value %q", f.suffix, n)
		}
		out = append(out, f.boxed(x))
	}
	return out
}

// Value sets.
var (
	arithVals  = []string{"0", "-0", "1", "-1", "1/3", "1.5", "minsub", "maxsub", "minnorm", "max", "-max", "inf", "-inf", "qnan", "snan", "-qnanp"}
	roundPairs = [][2]string{{"1", "1/3"}, {"-1", "1/3"}, {"1", "hulp"}, {"1+ulp", "1/3"}, {"max", "max"},
		{"-max", "-max"}, {"minsub", "0.5"}, {"minnorm", "1/3"}, {"1/3", "3"}, {"-1/3", "3"}}
	cvtVals = []string{"0", "-0", "0.5", "-0.5", "1.5", "2.5", "-2.5", "1/3", "-1/3", "1", "-1", "2^31", "-2^31",
		"2^32", "2^63", "-2^63", "2^64", "max", "-max", "inf", "-inf", "qnan", "snan", "minsub"}
	cvtValsD = []string{"2^31-0.5", "-2^31-1", "2^32-1", "2^63-1024"}
	ints     = []uint64{0, 1, 0xffffffffffffffff, 0x7fffffff, 0xffffffff80000000, 0x80000000, 0xffffffff,
		0x100000001, 0x20000001, 0x1000001, 0x7fffffffffffffff, 0x8000000000000000, 0x8000000000000401,
		0x123456789abcdef, 0xfffffffffffffffd}
)

// rm is a rounding mode in the assembly (static) or in frm (dynamic).
type rm struct {
	static string // "" for dynamic
	frm    int
}

var (
	rne      = rm{static: "rne"}
	allModes = []rm{{static: "rne"}, {static: "rtz"}, {static: "rdn"}, {static: "rup"}, {static: "rmm"},
		{frm: 0}, {frm: 1}, {frm: 2}, {frm: 3}, {frm: 4}}
)

// gcase is one generated case.
type gcase struct {
	mn      string   // mnemonic
	dst     byte     // 'f', 'x' or 'm' (a store: the doubleword at memAddr)
	srcs    []byte   // 'f' or 'x' for each source
	in      []uint64 // source values
	mode    *rm      // nil: no rounding mode operand
	load    bool     // a load from memAddr, whose doubleword is in[0]
	comment string
}

func (c *gcase) asmText() string {
	var ops []string
	switch c.dst {
	case 'f':
		ops = append(ops, "fa0")
	case 'x':
		ops = append(ops, "a0")
	}
	if c.load {
		return fmt.Sprintf("%s fa0, 0(a1)", c.mn)
	}
	if c.dst == 'm' {
		return fmt.Sprintf("%s fa1, 0(a2)", c.mn)
	}
	for i, k := range c.srcs {
		if k == 'f' {
			ops = append(ops, fmt.Sprintf("fa%d", i+1))
		} else {
			ops = append(ops, "a1")
		}
	}
	if c.mode != nil && c.mode.static != "" {
		ops = append(ops, c.mode.static)
	}
	return c.mn + " " + strings.Join(ops, ", ")
}

// asmCase emits case i: set fcsr, load the sources, run, save results.
func (c *gcase) asmCase(w io.Writer, i int) {
	frm := 0
	if c.mode != nil && c.mode.static == "" {
		frm = c.mode.frm
	}
	fmt.Fprintf(w, "\tli t0, %d\n\tfscsr t0\n", frm<<5)
	for k, v := range c.in {
		switch {
		case c.load:
			fmt.Fprintf(w, "\tla a1, buf\n\tli t0, %#x\n\tsd t0, 0(a1)\n", v)
		case c.dst == 'm':
			fmt.Fprintf(w, "\tla a2, buf\n\tsd zero, 0(a2)\n\tli t0, %#x\n\tfmv.d.x fa1, t0\n", v)
		case c.srcs[k] == 'f':
			fmt.Fprintf(w, "\tli t0, %#x\n\tfmv.d.x fa%d, t0\n", v, k+1)
		default:
			fmt.Fprintf(w, "\tli a1, %#x\n", v)
		}
	}
	fmt.Fprintf(w, "\tfmv.d.x fa0, zero\n\tli a0, 0\n")
	fmt.Fprintf(w, "case%d:\n\t%s\n", i, c.asmText())
	switch c.dst {
	case 'f':
		fmt.Fprintf(w, "\tfmv.x.d t1, fa0\n")
	case 'x':
		fmt.Fprintf(w, "\tmv t1, a0\n")
	case 'm':
		fmt.Fprintf(w, "\tld t1, 0(a2)\n")
	}
	fmt.Fprintf(w, "\tfrcsr t2\n\tsd t1, 0(s0)\n\tsd t2, 8(s0)\n\taddi s0, s0, 16\n")
}

// golden formats the case's golden line from its encoding and results.
func (c *gcase) golden(enc uint32, res, fcsr uint64) string {
	var before, after []string
	changes := c.dst == 'f' || fcsr&0x1f != 0 // FP state written: FS must become Dirty
	if changes {
		before = append(before, fmt.Sprintf("mstatus=%#x", mstatusFSInitial))
		after = append(after, fmt.Sprintf("mstatus=%#x", uint64(mstatusSDDirty)))
	} else {
		before = append(before, fmt.Sprintf("mstatus=%#x", mstatusFSDirty))
	}
	if c.mode != nil && c.mode.static == "" {
		before = append(before, fmt.Sprintf("frm=%d", c.mode.frm))
	}
	for k, v := range c.in {
		switch {
		case c.load:
			before = append(before, fmt.Sprintf("a1=%#x m64[%#x]=%#x", memAddr, memAddr, v))
		case c.dst == 'm':
			before = append(before, fmt.Sprintf("a2=%#x f11=%#x", memAddr, v))
		case c.srcs[k] == 'f':
			before = append(before, fmt.Sprintf("f%d=%#x", 11+k, v))
		default:
			before = append(before, fmt.Sprintf("a1=%#x", v))
		}
	}
	switch c.dst {
	case 'f':
		after = append(after, fmt.Sprintf("f10=%#x", res))
	case 'x':
		after = append(after, fmt.Sprintf("a0=%#x", res))
	case 'm':
		after = append(after, fmt.Sprintf("m64[%#x]=%#x", memAddr, res))
	}
	if fcsr&0x1f != 0 {
		after = append(after, fmt.Sprintf("fflags=%#x", fcsr&0x1f))
	}
	line := fmt.Sprintf("%08x %s | %s | %s", enc, c.asmText(), strings.Join(before, " "), strings.Join(after, " "))
	return line
}

// cases lists every case, in sections with a heading comment.
func cases() (sections []string, bySection [][]*gcase) {
	add := func(title string, cs []*gcase) {
		sections = append(sections, title)
		bySection = append(bySection, cs)
	}
	modeP := func(m rm) *rm { return &m }
	for _, f := range []fmtInfo{fmtS, fmtD} {
		sfx := "." + f.suffix
		var cs []*gcase
		// Arithmetic: every pair of boundary values (round to nearest),
		// and pairs whose results are inexact in every rounding mode.
		for _, op := range []string{"fadd", "fsub", "fmul", "fdiv"} {
			for _, a := range f.v(arithVals...) {
				for _, b := range f.v(arithVals...) {
					cs = append(cs, &gcase{mn: op + sfx, dst: 'f', srcs: []byte("ff"), in: []uint64{a, b}, mode: modeP(rne)})
				}
			}
			for _, p := range roundPairs {
				for _, m := range allModes {
					cs = append(cs, &gcase{mn: op + sfx, dst: 'f', srcs: []byte("ff"), in: f.v(p[0], p[1]), mode: modeP(m)})
				}
			}
			for _, u := range f.unboxed() {
				one := f.v("1")[0]
				cs = append(cs, &gcase{mn: op + sfx, dst: 'f', srcs: []byte("ff"), in: []uint64{u, one}, mode: modeP(rne)},
					&gcase{mn: op + sfx, dst: 'f', srcs: []byte("ff"), in: []uint64{one, u}, mode: modeP(rne)})
			}
		}
		add("fadd, fsub, fmul, fdiv ("+f.suffix+")", cs)
		cs = nil
		for _, a := range f.v(append(arithVals, "3", "2.5", "1+ulp")...) {
			for _, m := range allModes {
				cs = append(cs, &gcase{mn: "fsqrt" + sfx, dst: 'f', srcs: []byte("f"), in: []uint64{a}, mode: modeP(m)})
			}
		}
		add("fsqrt ("+f.suffix+")", cs)
		cs = nil
		// Fused multiply-add: one rounding of a*b+c.
		triples := [][3]string{{"1", "1", "1"}, {"1/3", "3", "-1"}, {"1+ulp", "1+ulp", "-1"}, {"max", "max", "-inf"},
			{"max", "3", "-max"}, {"inf", "0", "qnan"}, {"inf", "0", "1"}, {"snan", "1", "1"}, {"1", "snan", "qnan"},
			{"-0", "1", "0"}, {"0", "1", "-0"}, {"minsub", "0.5", "0"}, {"minnorm", "1/3", "minsub"}, {"-1", "1", "1"},
			{"inf", "1", "-inf"}, {"1/3", "1/3", "1/3"}, {"qnan", "1", "1"}, {"-qnanp", "inf", "0"}}
		for _, op := range []string{"fmadd", "fmsub", "fnmsub", "fnmadd"} {
			for i, tr := range triples {
				modes := []rm{rne}
				if i < 6 || i == 12 || i == 15 {
					modes = allModes
				}
				for _, m := range modes {
					cs = append(cs, &gcase{mn: op + sfx, dst: 'f', srcs: []byte("fff"), in: f.v(tr[0], tr[1], tr[2]), mode: modeP(m)})
				}
			}
		}
		add("fmadd, fmsub, fnmsub, fnmadd ("+f.suffix+")", cs)
		cs = nil
		// Sign injection, min/max, compares: every pair; fclass: every value.
		signVals := []string{"0", "-0", "1", "-1", "-1/3", "minsub", "max", "inf", "-inf", "qnan", "snan", "-qnanp"}
		for _, op := range []string{"fsgnj", "fsgnjn", "fsgnjx", "fmin", "fmax", "feq", "flt", "fle"} {
			dst := byte('f')
			if op[1] == 'e' || op[1] == 'l' {
				dst = 'x'
			}
			for _, a := range f.v(signVals...) {
				for _, b := range f.v(signVals...) {
					cs = append(cs, &gcase{mn: op + sfx, dst: dst, srcs: []byte("ff"), in: []uint64{a, b}})
				}
			}
			for _, u := range f.unboxed() {
				one := f.v("-1")[0]
				cs = append(cs, &gcase{mn: op + sfx, dst: dst, srcs: []byte("ff"), in: []uint64{u, one}},
					&gcase{mn: op + sfx, dst: dst, srcs: []byte("ff"), in: []uint64{one, u}})
			}
		}
		add("fsgnj, fsgnjn, fsgnjx, fmin, fmax, feq, flt, fle ("+f.suffix+")", cs)
		cs = nil
		for _, a := range append(f.v(append(signVals, "0.5", "maxsub", "-minsub", "-max", "minnorm")...), f.unboxed()...) {
			cs = append(cs, &gcase{mn: "fclass" + sfx, dst: 'x', srcs: []byte("f"), in: []uint64{a}})
		}
		add("fclass ("+f.suffix+")", cs)
		cs = nil
		// To integers: saturation, NaN, halfway values in every mode.
		vals := cvtVals
		if f.suffix == "d" {
			vals = append(append([]string{}, cvtVals...), cvtValsD...)
		}
		for _, it := range []string{"w", "wu", "l", "lu"} {
			for _, a := range f.v(vals...) {
				for _, m := range allModes {
					cs = append(cs, &gcase{mn: "fcvt." + it + sfx, dst: 'x', srcs: []byte("f"), in: []uint64{a}, mode: modeP(m)})
				}
			}
		}
		add("fcvt to integers ("+f.suffix+")", cs)
		cs = nil
		for _, it := range []string{"w", "wu", "l", "lu"} {
			for _, a := range ints {
				if f.suffix == "d" && it[0] == 'w' {
					// Exact: the assembler takes no rounding mode.
					cs = append(cs, &gcase{mn: "fcvt." + f.suffix + "." + it, dst: 'f', srcs: []byte("x"), in: []uint64{a}})
					continue
				}
				for _, m := range allModes {
					cs = append(cs, &gcase{mn: "fcvt." + f.suffix + "." + it, dst: 'f', srcs: []byte("x"), in: []uint64{a}, mode: modeP(m)})
				}
			}
		}
		add("fcvt from integers ("+f.suffix+")", cs)
		cs = nil
		// Moves, loads and stores (no rounding, no flags).
		w := "w"
		if f.suffix == "d" {
			w = "d"
		}
		for _, a := range append(f.v("1", "-1", "qnan", "snan", "-0"), 0x3f800000, 0x123456789abcdef) {
			cs = append(cs, &gcase{mn: "fmv.x." + w, dst: 'x', srcs: []byte("f"), in: []uint64{a}})
		}
		for _, a := range []uint64{0, 0x3f800000, 0xffffffff, 0x80000000, 0x7f800001, 0xffffffff3f800000, 0x123456789abcdef} {
			cs = append(cs, &gcase{mn: "fmv." + w + ".x", dst: 'f', srcs: []byte("x"), in: []uint64{a}})
		}
		ld, st := "flw", "fsw"
		if f.suffix == "d" {
			ld, st = "fld", "fsd"
		}
		for _, a := range []uint64{0x3f800000, 0x7f800001, 0xfedcba9876543210, 0xffffffffffffffff} {
			cs = append(cs, &gcase{mn: ld, dst: 'f', in: []uint64{a}, load: true})
		}
		for _, a := range append(f.v("1", "snan"), 0x3f800000, 0xfedcba9876543210) {
			cs = append(cs, &gcase{mn: st, dst: 'm', in: []uint64{a}})
		}
		add("fmv, loads, stores ("+f.suffix+")", cs)
	}
	// Conversions between the formats.
	var cs []*gcase
	for _, a := range fmtD.v(append(append([]string{}, arithVals...), "1e300", "1e-300", "-1e300", "2^-53", "1/3", "-1/3", "1+ulp")...) {
		for _, m := range allModes {
			cs = append(cs, &gcase{mn: "fcvt.s.d", dst: 'f', srcs: []byte("f"), in: []uint64{a}, mode: modeP(m)})
		}
	}
	for _, a := range append(fmtS.v(append(append([]string{}, arithVals...), "1e30", "1e-30", "-1/3")...), 0x3f800000) {
		cs = append(cs, &gcase{mn: "fcvt.d.s", dst: 'f', srcs: []byte("f"), in: []uint64{a}})
	}
	add("fcvt.s.d, fcvt.d.s", cs)
	return
}

func main() {
	out := flag.String("o", "rv64/testdata/fp.txt", "the F and D golden file to write")
	amoOut := flag.String("amo", "rv64/testdata/amo_qemu.txt", "the A golden file to write")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("gengolden: ")
	dir, err := os.MkdirTemp("", "gengolden")
	if err != nil {
		fatalf("%v", err)
	}
	tmpDir = dir
	g := &gen{dir: dir}
	writeFP(g, *out)
	writeAMO(g, *amoOut)
	os.RemoveAll(dir)
}

// tmpDir is the scratch directory, removed also when the run fails.
var tmpDir string

// fatalf reports an error, removes the scratch directory and exits.
func fatalf(format string, args ...any) {
	if tmpDir != "" {
		os.RemoveAll(tmpDir)
	}
	log.Fatalf(format, args...)
}

// gen builds and runs programs in a scratch directory.
type gen struct {
	dir string
	n   int
}

// run runs a command and returns its standard output; it fails on any
// error.
func run(name string, args ...string) []byte {
	cmd := exec.Command(name, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := stderr.String()
		if len(msg) > 2000 {
			msg = msg[:2000] + "..."
		}
		fatalf("%s: %v\n%s", name, err, msg)
	}
	return stdout.Bytes()
}

// build assembles and links src (which defines _start) into a static
// Linux executable and returns its path. -march=rv64g: no compressed
// instructions, so every case is a 32-bit word.
func (g *gen) build(src string) string {
	g.n++
	asmPath := filepath.Join(g.dir, fmt.Sprintf("p%d.S", g.n))
	elfPath := filepath.Join(g.dir, fmt.Sprintf("p%d", g.n))
	if err := os.WriteFile(asmPath, []byte(src), 0o644); err != nil {
		fatalf("%v", err)
	}
	run("riscv64-linux-gnu-gcc", "-static", "-nostdlib", "-march=rv64g", "-mabi=lp64d", "-o", elfPath, asmPath)
	return elfPath
}

// signal runs a program under qemu-riscv64 and returns the signal that
// killed it, 0 if it exited with status 0.
func signal(elfPath string) int {
	cmd := exec.Command("qemu-riscv64", elfPath)
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return int(ws.Signal())
		}
	}
	if err != nil {
		fatalf("qemu-riscv64 %s: %v", elfPath, err)
	}
	return 0
}

// program wraps case code: s0 points at results (n bytes), written to
// stdout at the end; buf is a doubleword of data.
func program(body string, n int) string {
	return fmt.Sprintf("\t.text\n\t.globl _start\n_start:\n\tla s0, results\n%s"+
		"\tli a0, 1\n\tla a1, results\n\tli a2, %d\n\tli a7, 64\n\tecall\n"+
		"\tli a0, 0\n\tli a7, 93\n\tecall\n"+
		"\t.data\n\t.balign 8\nbuf:\t.dword 0, 0\n\t.bss\n\t.balign 8\nresults:\t.zero %d\n", body, n, n)
}

func writeFP(g *gen, out string) {
	titles, secs := cases()
	var all []*gcase
	for _, cs := range secs {
		all = append(all, cs...)
	}
	var src bytes.Buffer
	for i, c := range all {
		c.asmCase(&src, i)
	}
	elfPath := g.build(program(src.String(), 16*len(all)))
	res := run("qemu-riscv64", elfPath)
	if len(res) != 16*len(all) {
		fatalf("qemu-riscv64 wrote %d bytes, want %d", len(res), 16*len(all))
	}
	encs, err := encodings(elfPath, len(all), 1)
	if err != nil {
		fatalf("%v", err)
	}

	var b bytes.Buffer
	fmt.Fprintf(&b, `#@ assembled
# Golden cases for the F and D extensions, written by scripts/gengolden:
# DO NOT EDIT. Each case's encoding is the GNU assembler's (the program was
# built with riscv64-linux-gnu-gcc -march=rv64g) and its results are what
# qemu-riscv64 computed when it ran the case: this file is that referee's
# output, not rvsim's. See golden_test.go for the syntax.
#
# Destinations are fa0 (f10) or a0; sources fa1-fa3 (f11-f13) or a1. A case
# that writes FP state starts with mstatus.FS Initial and must leave it
# Dirty (SD set); the others start Dirty. "frm=N" before is a dynamic
# rounding mode. Single values are NaN-boxed f registers (upper 32 bits
# all ones); unboxed ones must read as the canonical NaN.
`)
	k := 0
	for si, cs := range secs {
		fmt.Fprintf(&b, "# %s\n", titles[si])
		for _, c := range cs {
			r := binary.LittleEndian.Uint64(res[16*k:])
			fcsr := binary.LittleEndian.Uint64(res[16*k+8:])
			fmt.Fprintln(&b, c.golden(encs[k][0], r, fcsr))
			k++
		}
	}
	b.WriteString(illegalRM(g))
	if err := os.WriteFile(out, b.Bytes(), 0o644); err != nil {
		fatalf("%v", err)
	}
	log.Printf("%d cases written to %s", len(all), out)
}

// elfText is the .text of a built program and its symbols.
type elfText struct {
	addr uint64
	data []byte
	syms map[string]uint64
}

func readText(path string) (*elfText, error) {
	f, err := elf.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	syms, err := f.Symbols()
	if err != nil {
		return nil, err
	}
	text := f.Section(".text")
	if text == nil {
		return nil, fmt.Errorf("%s: no .text", path)
	}
	data, err := text.Data()
	if err != nil {
		return nil, err
	}
	t := &elfText{addr: text.Addr, data: data, syms: map[string]uint64{}}
	for _, s := range syms {
		t.syms[s.Name] = s.Value
	}
	return t, nil
}

// words returns the n instruction words at label, each a 32-bit one.
func (t *elfText) words(label string, n int) ([]uint32, error) {
	a, ok := t.syms[label]
	if !ok {
		return nil, fmt.Errorf("no label %s", label)
	}
	off := a - t.addr
	if off+uint64(4*n) > uint64(len(t.data)) {
		return nil, fmt.Errorf("%s at %#x is outside .text", label, a)
	}
	var ws []uint32
	for k := 0; k < n; k++ {
		w := binary.LittleEndian.Uint32(t.data[off+uint64(4*k):])
		if w&3 != 3 {
			return nil, fmt.Errorf("%s+%d: %#x is a compressed instruction", label, 4*k, w)
		}
		ws = append(ws, w)
	}
	return ws, nil
}

// encodings reads the words instruction words at each label caseN of the
// ELF, N from 0 to n-1.
func encodings(path string, n, words int) ([][]uint32, error) {
	t, err := readText(path)
	if err != nil {
		return nil, err
	}
	encs := make([][]uint32, n)
	for i := range encs {
		if encs[i], err = t.words(fmt.Sprintf("case%d", i), words); err != nil {
			return nil, err
		}
	}
	return encs, nil
}
