package rv64

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// gnuChecked are the golden files whose assembly texts the GNU assembler
// checks (TestRVCGoldenAssembler), not the test assembler, which knows
// neither compressed nor atomic instructions.
var gnuChecked = map[string]bool{"rvc.txt": true, "amo.txt": true}

// gnuTool returns the path of a riscv64-unknown-elf binutils program, or
// skips the test when it is not installed.
func gnuTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath("riscv64-unknown-elf-" + name)
	if err != nil {
		t.Skipf("riscv64-unknown-elf-%s not installed", name)
	}
	return p
}

// objdumpLine matches a line of objdump -d: address, encoding, mnemonic
// and operands.
var objdumpLine = regexp.MustCompile(`^\s*([0-9a-f]+):\s+([0-9a-f]+)\s+(\S+)\s*(.*)$`)

// TestRVCGoldenAssembler assembles the text of every case of rvc.txt and
// amo.txt with the GNU assembler and checks that it gives the case's
// encoding: each instruction at its own label, so that branch offsets
// (".+N") come out as written.
func TestRVCGoldenAssembler(t *testing.T) {
	as, objdump := gnuTool(t, "as"), gnuTool(t, "objdump")
	type item struct {
		c  *goldenCase
		in goldenInsn
	}
	var items []item
	var src strings.Builder
	src.WriteString(".option rvc\n")
	for _, c := range readGolden(t) {
		if !gnuChecked[filepath.Base(c.file)] {
			continue
		}
		for _, in := range c.insns {
			if in.text == "" || strings.HasPrefix(in.text, ";") {
				continue
			}
			text := in.text
			if in.size == 4 {
				// A 32-bit form the assembler would compress.
				src.WriteString(".option norvc\n")
			}
			text = regexp.MustCompile(`\.([+-]\d+)$`).ReplaceAllString(text, "1b$1")
			fmt.Fprintf(&src, "1: %s\n.option rvc\n", text)
			items = append(items, item{c, in})
		}
	}
	dir := t.TempDir()
	s, o := filepath.Join(dir, "g.s"), filepath.Join(dir, "g.o")
	if err := os.WriteFile(s, []byte(src.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(as, "-march=rv64imafdc", "-o", o, s).CombinedOutput(); err != nil {
		t.Fatalf("as: %v\n%s", err, out)
	}
	out, err := exec.Command(objdump, "-d", "-M", "no-aliases", o).Output()
	if err != nil {
		t.Fatalf("objdump: %v", err)
	}
	var lines [][]string
	for _, line := range strings.Split(string(out), "\n") {
		if m := objdumpLine.FindStringSubmatch(line); m != nil && strings.Contains(line, "\t") {
			lines = append(lines, m)
		}
	}
	if len(lines) != len(items) {
		t.Fatalf("objdump lists %d instructions, want %d", len(lines), len(items))
	}
	for k, it := range items {
		m := lines[k]
		want := fmt.Sprintf("%0*x", it.in.size*2, it.in.word)
		if m[2] != want {
			t.Errorf("%v: %s assembles to %s", it.c, it.in.text, m[2])
		}
		// Disasm writes C and A instructions as objdump does.
		mn, args := m[3], m[4]
		if i := strings.Index(args, " <"); i >= 0 {
			args = args[:i] // objdump's symbol for a target
		}
		if strings.HasPrefix(mn, "c.") || strings.HasPrefix(mn, "lr.") || strings.HasPrefix(mn, "sc.") || strings.HasPrefix(mn, "amo") {
			addr, _ := strconv.ParseUint(m[1], 16, 64)
			text := strings.TrimSpace(mn + " " + strings.ReplaceAll(args, ",", ", "))
			text = regexp.MustCompile(`(^|[ ,])([0-9a-f]+)$`).ReplaceAllString(text, "${1}0x$2") // targets
			if strings.HasPrefix(mn, "c.j") && !strings.HasPrefix(mn, "c.jr") && !strings.HasPrefix(mn, "c.jalr") || strings.HasPrefix(mn, "c.b") {
				if d := Disasm(it.in.word, addr); d != text {
					t.Errorf("%v: Disasm %q, objdump %q", it.c, d, text)
				}
			} else if d := Disasm(it.in.word, addr); d != strings.TrimSpace(mn+" "+strings.ReplaceAll(args, ",", ", ")) {
				t.Errorf("%v: Disasm %q, objdump %q %q", it.c, d, mn, args)
			}
		}
	}
	t.Logf("%d instructions checked", len(items))
}

// rvcOps are, for each C mnemonic as objdump -M no-aliases writes it, the
// ops its 32-bit expansion must decode to (before rd = x0 forms), or a
// major opcode and funct3 for the FP loads and stores.
var rvcOps = map[string][]op{
	"c.addi4spn": {opADDI}, "c.lw": {opLW}, "c.ld": {opLD}, "c.sw": {opSW}, "c.sd": {opSD},
	"c.addi": {opADDI, opNOP}, "c.addiw": {opADDIW}, "c.li": {opADDI, opNOP},
	"c.addi16sp": {opADDI}, "c.lui": {opLUI, opNOP},
	"c.srli": {opSRLI}, "c.srli64": {opSRLI}, "c.srai": {opSRAI}, "c.srai64": {opSRAI},
	"c.andi": {opANDI}, "c.sub": {opSUB}, "c.xor": {opXOR}, "c.or": {opOR}, "c.and": {opAND},
	"c.subw": {opSUBW}, "c.addw": {opADDW}, "c.j": {opJ}, "c.beqz": {opBEQ}, "c.bnez": {opBNE},
	"c.slli": {opSLLI, opNOP}, "c.slli64": {opSLLI, opNOP}, "c.lwsp": {opLW}, "c.ldsp": {opLD},
	"c.jr": {opJR}, "c.jalr": {opJALR}, "c.mv": {opADD, opNOP}, "c.add": {opADD, opNOP},
	"c.ebreak": {opEBREAK}, "c.swsp": {opSW}, "c.sdsp": {opSD},
}

// rvcFP are the FP loads and stores: major opcode and funct3 of the expansion.
var rvcFP = map[string][2]uint32{
	"c.fld": {majLoadFP, 3}, "c.fldsp": {majLoadFP, 3}, "c.fsd": {majStoreFP, 3}, "c.fsdsp": {majStoreFP, 3},
}

// TestRVCObjdump walks all 49152 16-bit parcels (the 65536 halfwords whose
// low two bits are not 11) and checks each against the GNU disassembler's
// listing of them all: illegal exactly where objdump finds no instruction
// (".2byte", or c.unimp for the all-zero parcel); otherwise the expansion
// decodes to the mnemonic's operation, and Disasm writes what objdump
// -M no-aliases writes, but for spaces after commas.
func TestRVCObjdump(t *testing.T) {
	objdump := gnuTool(t, "objdump")
	var bin bytes.Buffer
	var parcels []uint16
	for p := range 1 << 16 {
		if p&3 != 3 {
			parcels = append(parcels, uint16(p))
			bin.Write([]byte{byte(p), byte(p >> 8)})
		}
	}
	f := filepath.Join(t.TempDir(), "all.bin")
	if err := os.WriteFile(f, bin.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(objdump, "-D", "-b", "binary", "-m", "riscv:rv64", "-M", "no-aliases", f).Output()
	if err != nil {
		t.Fatalf("objdump: %v", err)
	}
	type line struct{ mn, args string }
	got := map[uint64]line{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		m := objdumpLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		a, _ := strconv.ParseUint(m[1], 16, 64)
		got[a] = line{m[3], m[4]}
	}
	// The one place the specification and binutils differ: c.addi16sp
	// with nzimm 0 is reserved, and objdump lists it as c.addi16sp sp,0.
	const addi16spZero = 0x6101
	bad := 0
	for k, p := range parcels {
		pc := uint64(2 * k)
		l, ok := got[pc]
		if !ok {
			t.Fatalf("objdump has no line for %#04x at %#x", p, pc)
		}
		w, legal := expandC(p)
		wantLegal := l.mn != ".2byte" && l.mn != "c.unimp" && p != addi16spZero
		s := decodeC(p)
		if s.insn != Insn(p) {
			t.Errorf("%#04x: slot insn %#x, want the parcel", p, s.insn)
		}
		switch {
		case legal != wantLegal:
			t.Errorf("%#04x: legal %v, objdump: %s %s", p, legal, l.mn, l.args)
		case !legal:
			if s.op != opIllegal {
				t.Errorf("%#04x: illegal, but decodes to op %d", p, s.op)
			}
			continue
		default:
			if fp, ok := rvcFP[l.mn]; ok {
				if w.Opcode() != fp[0] || w.Funct3() != fp[1] {
					t.Errorf("%#04x %s: expands to %#08x", p, l.mn, uint32(w))
				}
			} else if ops, ok := rvcOps[l.mn]; !ok {
				t.Errorf("%#04x: objdump's %s is not a C mnemonic this test knows", p, l.mn)
			} else if o := decode(w).op; !containsOp(ops, o) {
				t.Errorf("%#04x %s %s: expands to %#08x, op %d", p, l.mn, l.args, uint32(w), o)
			}
			want := l.mn
			if i := strings.Index(l.args, " #"); i >= 0 {
				l.args = l.args[:i] // objdump's comment on the value
			}
			if l.args != "" {
				want += " " + strings.ReplaceAll(l.args, ",", ", ")
			}
			if d := Disasm(uint32(p), pc); d != want {
				t.Errorf("%#04x: Disasm %q, objdump %q", p, d, want)
			}
		}
		if t.Failed() {
			if bad++; bad > 20 {
				t.Fatal("too many differences")
			}
		}
	}
}

func containsOp(ops []op, o op) bool {
	for _, x := range ops {
		if x == o {
			return true
		}
	}
	return false
}

// TestRVCCoverage checks that the golden files run every C and A mnemonic
// (but the FP loads and stores, which need the F and D extensions).
func TestRVCCoverage(t *testing.T) {
	count := map[string]int{}
	for _, c := range readGolden(t) {
		for _, in := range c.insns {
			if f := strings.Fields(in.text); len(f) > 0 {
				m := f[0]
				for _, sfx := range []string{".aqrl", ".aq", ".rl"} {
					m = strings.TrimSuffix(m, sfx)
				}
				count[m]++
			}
		}
	}
	var all []string
	for m := range rvcOps {
		if !strings.HasSuffix(m, "64") {
			all = append(all, m)
		}
	}
	all = append(all, "c.nop", "lr.w", "lr.d", "sc.w", "sc.d")
	for _, a := range []string{"swap", "add", "xor", "and", "or", "min", "max", "minu", "maxu"} {
		all = append(all, "amo"+a+".w", "amo"+a+".d")
	}
	for _, m := range all {
		if count[m] == 0 {
			t.Errorf("no golden case for %s", m)
		}
	}
}
