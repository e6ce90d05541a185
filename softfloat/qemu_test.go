package softfloat

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// TestQemuCrossCheck runs every F and D operation the package implements on
// qemu-riscv64 (a second, independent implementation of the RISC-V rules:
// NaN handling, fcvt saturation, fmin/fmax, flags) through the program in
// testdata/qemu, built here by riscv64-linux-gnu-gcc, and compares result
// bits and fflags. It skips when either tool is missing.
func TestQemuCrossCheck(t *testing.T) {
	gcc, err := exec.LookPath("riscv64-linux-gnu-gcc")
	if err != nil {
		t.Skip("riscv64-linux-gnu-gcc not installed")
	}
	qemu, err := exec.LookPath("qemu-riscv64")
	if err != nil {
		t.Skip("qemu-riscv64 not installed")
	}
	bin := filepath.Join(t.TempDir(), "fpref")
	if out, err := exec.Command(gcc, "-O2", "-static", "-o", bin, "testdata/qemu/fpref.c").CombinedOutput(); err != nil {
		t.Fatalf("building the qemu referee: %v\n%s", err, out)
	}

	type vec struct {
		op      string
		rm      RM
		a, b, c uint64
	}
	b2u := func(v bool, f Flags) (uint64, Flags) {
		if v {
			return 1, f
		}
		return 0, f
	}
	s2u := func(r uint32, f Flags) (uint64, Flags) { return uint64(r), f }
	u32 := func(a uint64) uint32 { return uint32(a) }
	ops := map[string]func(v vec) (uint64, Flags){
		"fadd.d":    func(v vec) (uint64, Flags) { return F64Add(v.a, v.b, v.rm) },
		"fsub.d":    func(v vec) (uint64, Flags) { return F64Sub(v.a, v.b, v.rm) },
		"fmul.d":    func(v vec) (uint64, Flags) { return F64Mul(v.a, v.b, v.rm) },
		"fdiv.d":    func(v vec) (uint64, Flags) { return F64Div(v.a, v.b, v.rm) },
		"fsqrt.d":   func(v vec) (uint64, Flags) { return F64Sqrt(v.a, v.rm) },
		"fmadd.d":   func(v vec) (uint64, Flags) { return F64MulAdd(v.a, v.b, v.c, v.rm) },
		"fmin.d":    func(v vec) (uint64, Flags) { return F64Min(v.a, v.b) },
		"fmax.d":    func(v vec) (uint64, Flags) { return F64Max(v.a, v.b) },
		"feq.d":     func(v vec) (uint64, Flags) { return b2u(F64Eq(v.a, v.b)) },
		"flt.d":     func(v vec) (uint64, Flags) { return b2u(F64Lt(v.a, v.b)) },
		"fle.d":     func(v vec) (uint64, Flags) { return b2u(F64Le(v.a, v.b)) },
		"fclass.d":  func(v vec) (uint64, Flags) { return F64Class(v.a), 0 },
		"fcvt.w.d":  func(v vec) (uint64, Flags) { return F64ToI32(v.a, v.rm) },
		"fcvt.wu.d": func(v vec) (uint64, Flags) { return F64ToU32(v.a, v.rm) },
		"fcvt.l.d":  func(v vec) (uint64, Flags) { return F64ToI64(v.a, v.rm) },
		"fcvt.lu.d": func(v vec) (uint64, Flags) { return F64ToU64(v.a, v.rm) },
		"fcvt.d.w":  func(v vec) (uint64, Flags) { return I32ToF64(v.a, v.rm) },
		"fcvt.d.wu": func(v vec) (uint64, Flags) { return U32ToF64(v.a, v.rm) },
		"fcvt.d.l":  func(v vec) (uint64, Flags) { return I64ToF64(v.a, v.rm) },
		"fcvt.d.lu": func(v vec) (uint64, Flags) { return U64ToF64(v.a, v.rm) },
		"fcvt.s.d":  func(v vec) (uint64, Flags) { return s2u(F64ToF32(v.a, v.rm)) },
		"fcvt.d.s":  func(v vec) (uint64, Flags) { return F32ToF64(u32(v.a)) },
		"fadd.s":    func(v vec) (uint64, Flags) { return s2u(F32Add(u32(v.a), u32(v.b), v.rm)) },
		"fsub.s":    func(v vec) (uint64, Flags) { return s2u(F32Sub(u32(v.a), u32(v.b), v.rm)) },
		"fmul.s":    func(v vec) (uint64, Flags) { return s2u(F32Mul(u32(v.a), u32(v.b), v.rm)) },
		"fdiv.s":    func(v vec) (uint64, Flags) { return s2u(F32Div(u32(v.a), u32(v.b), v.rm)) },
		"fsqrt.s":   func(v vec) (uint64, Flags) { return s2u(F32Sqrt(u32(v.a), v.rm)) },
		"fmadd.s":   func(v vec) (uint64, Flags) { return s2u(F32MulAdd(u32(v.a), u32(v.b), u32(v.c), v.rm)) },
		"fmin.s":    func(v vec) (uint64, Flags) { return s2u(F32Min(u32(v.a), u32(v.b))) },
		"fmax.s":    func(v vec) (uint64, Flags) { return s2u(F32Max(u32(v.a), u32(v.b))) },
		"feq.s":     func(v vec) (uint64, Flags) { return b2u(F32Eq(u32(v.a), u32(v.b))) },
		"flt.s":     func(v vec) (uint64, Flags) { return b2u(F32Lt(u32(v.a), u32(v.b))) },
		"fle.s":     func(v vec) (uint64, Flags) { return b2u(F32Le(u32(v.a), u32(v.b))) },
		"fclass.s":  func(v vec) (uint64, Flags) { return F32Class(u32(v.a)), 0 },
		"fcvt.w.s":  func(v vec) (uint64, Flags) { return F32ToI32(u32(v.a), v.rm) },
		"fcvt.wu.s": func(v vec) (uint64, Flags) { return F32ToU32(u32(v.a), v.rm) },
		"fcvt.l.s":  func(v vec) (uint64, Flags) { return F32ToI64(u32(v.a), v.rm) },
		"fcvt.lu.s": func(v vec) (uint64, Flags) { return F32ToU64(u32(v.a), v.rm) },
		"fcvt.s.w":  func(v vec) (uint64, Flags) { return s2u(I32ToF32(v.a, v.rm)) },
		"fcvt.s.wu": func(v vec) (uint64, Flags) { return s2u(U32ToF32(v.a, v.rm)) },
		"fcvt.s.l":  func(v vec) (uint64, Flags) { return s2u(I64ToF32(v.a, v.rm)) },
		"fcvt.s.lu": func(v vec) (uint64, Flags) { return s2u(U64ToF32(v.a, v.rm)) },
	}

	per := cases(t) / 5
	var vs []vec
	var in bytes.Buffer
	names := make([]string, 0, len(ops))
	for name := range ops {
		names = append(names, name)
	}
	sort.Strings(names)
	for i, name := range names {
		single := strings.HasSuffix(name, ".s") || name == "fcvt.d.s" || strings.HasPrefix(name, "fcvt.s.") && name != "fcvt.s.d"
		f := ref64
		if single {
			f = ref32
		}
		g := newGen(int64(900+i), f)
		for k := 0; k < per; k++ {
			v := vec{op: name, rm: g.rm()}
			switch {
			case strings.HasPrefix(name, "fcvt.d.") && name != "fcvt.d.s",
				strings.HasPrefix(name, "fcvt.s.") && name != "fcvt.s.d":
				v.a = g.r.Uint64() >> uint(g.r.Intn(64))
				if g.r.Intn(2) == 0 {
					v.a = -v.a
				}
			case strings.HasPrefix(name, "fcvt.w"), strings.HasPrefix(name, "fcvt.l"):
				v.a = g.intOperand()
			case strings.HasPrefix(name, "fmadd"):
				v.a, v.b, v.c = g.triple()
			default:
				op := strings.TrimSuffix(strings.TrimSuffix(name[1:], ".d"), ".s")
				v.a, v.b = g.pair(op)
			}
			vs = append(vs, v)
			fmt.Fprintf(&in, "%s %d %x %x %x\n", v.op, v.rm, v.a, v.b, v.c)
		}
	}
	cmd := exec.Command(qemu, bin)
	cmd.Stdin = &in
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("qemu-riscv64: %v", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	n, bad := 0, 0
	for _, v := range vs {
		if !sc.Scan() {
			t.Fatalf("qemu output ended after %d of %d lines", n, len(vs))
		}
		var want uint64
		var wfl Flags
		if _, err := fmt.Sscanf(sc.Text(), "%x %x", &want, &wfl); err != nil {
			t.Fatalf("qemu line %q: %v", sc.Text(), err)
		}
		got, gfl := ops[v.op](v)
		n++
		if got != want || gfl != wfl {
			bad++
			if bad <= 20 {
				t.Errorf("%s rm=%d a=%#x b=%#x c=%#x: got %#x %s, qemu %#x %s", v.op, v.rm, v.a, v.b, v.c, got, gfl, want, wfl)
			}
		}
	}
	t.Logf("%d cases over %d operations compared with qemu-riscv64, %d differ", n, len(ops), bad)
}
