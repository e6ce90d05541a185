package vmm

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rvsim/rvsim/csr"
	"github.com/rvsim/rvsim/logfmt"
)

// buildFPDiff builds testdata/fpdiff.c, a Linux program that runs every F
// and D operation on boundary values in every rounding mode, for rv64imfd
// with the project's runtime and picolibc. It skips when the toolchain or
// qemu-riscv64, the referee, is absent.
func buildFPDiff(t *testing.T) string {
	t.Helper()
	const picolibc = "/usr/lib/picolibc/riscv64-unknown-elf"
	for _, tool := range []string{"riscv64-unknown-elf-gcc", "qemu-riscv64"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed", tool)
		}
	}
	if _, err := os.Stat(filepath.Join(picolibc, "picolibc.specs")); err != nil {
		t.Skip("picolibc not installed")
	}
	rt, err := filepath.Abs("../programs/runtime")
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "fpdiff.elf")
	cmd := exec.Command("riscv64-unknown-elf-gcc", "--specs="+picolibc+"/picolibc.specs",
		"-march=rv64imfd", "-mabi=lp64d", "-misa-spec=2.2", "-mcmodel=medany", "-static", "-nostartfiles",
		"-fno-pic", "-O2", "-Wall", "-Werror", "-I"+rt, "-T"+rt+"/linux.ld", rt+"/crt0.S", rt+"/sys.c",
		"testdata/fpdiff.c", "-o", out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v: %v\n%s", cmd, err, b)
	}
	return out
}

// TestFPAgainstQemu runs fpdiff under rvsim and under qemu-riscv64: the
// results and exception flags of every F and D operation on its table of
// boundary values (zeros, subnormals, infinities, quiet and signalling
// NaNs, values at the edges of the integer conversions), in all five
// rounding modes, hashed per operation and mode, must be identical. A
// recording of the run replays to the same final state, f registers and
// fcsr included.
func TestFPAgainstQemu(t *testing.T) {
	elf := buildFPDiff(t)
	want, err := exec.Command("qemu-riscv64", elf).Output()
	if err != nil {
		t.Fatalf("qemu-riscv64: %v", err)
	}
	if !bytes.Contains(want, []byte("lines 330670 fcsr 80")) {
		t.Fatalf("qemu-riscv64 printed an unexpected summary:\n%s", want)
	}
	prog, err := LoadFile(elf)
	if err != nil {
		t.Fatal(err)
	}
	var got, trace bytes.Buffer
	m, err := New(prog, Config{MemSize: 64 << 20, Args: []string{elf}, Stdin: strings.NewReader(""),
		Stdout: &got, Stderr: io.Discard, Record: &trace, TraceName: "fp.zst"})
	if err != nil {
		t.Fatal(err)
	}
	rec, err := m.Run()
	if err != nil {
		t.Fatal(err)
	}
	if rec.Status != 0 {
		t.Errorf("exit status %d", rec.Status)
	}
	if g, w := got.String(), string(want); g != w {
		gl, wl := strings.Split(g, "\n"), strings.Split(w, "\n")
		for i := range min(len(gl), len(wl)) {
			if gl[i] != wl[i] {
				t.Fatalf("line %d: rvsim %q, qemu-riscv64 %q (run %s with an argument to see every result)", i+1, gl[i], wl[i], elf)
			}
		}
		t.Fatalf("rvsim printed %d lines, qemu-riscv64 %d", len(gl), len(wl))
	}
	if fs := m.Hart.CSR.Get(csr.Mstatus) & csr.MstatusFS; fs != csr.FSDirty {
		t.Errorf("mstatus.FS = %#x after FP work, want Dirty", fs)
	}

	r, err := logfmt.NewReader(bytes.NewReader(trace.Bytes()), "fp.zst")
	if err != nil {
		t.Fatal(err)
	}
	h := r.Header()
	m2, err := New(prog, Config{MemSize: h.MemSize, Args: h.Args, Env: h.Env, Stdin: strings.NewReader(""),
		Stdout: io.Discard, Stderr: io.Discard, Replay: r})
	if err != nil {
		t.Fatal(err)
	}
	res, err := m2.Run()
	if err != nil {
		t.Fatalf("replay: %v", err)
	}
	if res.Stats.Digest != rec.Stats.Digest || res.Instret != rec.Instret {
		t.Errorf("replay: %d instructions, digest %s; recorded %d, %s", res.Instret, res.Stats.Digest, rec.Instret, rec.Stats.Digest)
	}
}

// TestDigestCoversFP: a change of one f register or of fcsr changes the
// final-state digest.
func TestDigestCoversFP(t *testing.T) {
	prog, err := LoadFile(filepath.Join("..", "programs", "bin", "hello.elf"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := New(prog, Config{MemSize: 1 << 20, Args: []string{prog.Path}, Stdin: strings.NewReader(""),
		Stdout: io.Discard, Stderr: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	base := m.Digest()
	m.Hart.F[31] = 1
	f31 := m.Digest()
	m.Hart.F[31] = 0
	if again := m.Digest(); again != base {
		t.Fatalf("digest not a function of the state: %s, then %s", base, again)
	}
	m.Hart.CSR.Set(csr.Fflags, csr.FflagsMask)
	fcsr := m.Digest()
	if f31 == base || fcsr == base {
		t.Errorf("digest %s unchanged by f31 (%s) or fcsr (%s)", base, f31, fcsr)
	}
	if fs := m.Hart.CSR.Get(csr.Mstatus) & csr.MstatusFS; fs != csr.FSInitial {
		t.Errorf("a Linux program starts with mstatus.FS %#x, want Initial", fs)
	}
}

// TestGlibcFPAgainstQemu builds testdata/fpglibc.c with Debian's
// riscv64-linux-gnu-gcc (RV64GC, lp64d), static and dynamic, and runs it
// under rvsim and qemu-riscv64: glibc's printf of doubles, libm, fenv's
// rounding modes and flags must print the same. The dynamic build is
// recorded and replays to the same final state.
func TestGlibcFPAgainstQemu(t *testing.T) {
	const sysroot = "/usr/riscv64-linux-gnu"
	for _, tool := range []string{"riscv64-linux-gnu-gcc", "qemu-riscv64"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed", tool)
		}
	}
	if _, err := os.Stat(sysroot); err != nil {
		t.Skipf("no sysroot %s", sysroot)
	}
	dir := t.TempDir()
	for _, link := range []string{"static", "dynamic"} {
		t.Run(link, func(t *testing.T) {
			elf := filepath.Join(dir, "fpglibc-"+link)
			args := []string{"-O2", "-o", elf, "testdata/fpglibc.c", "-lm"}
			if link == "static" {
				args = append([]string{"-static"}, args...)
			}
			if b, err := exec.Command("riscv64-linux-gnu-gcc", args...).CombinedOutput(); err != nil {
				t.Fatalf("riscv64-linux-gnu-gcc %v: %v\n%s", args, err, b)
			}
			want, err := exec.Command("qemu-riscv64", "-L", sysroot, elf).Output()
			if err != nil {
				t.Fatalf("qemu-riscv64: %v", err)
			}
			prog, err := LoadFile(elf)
			if err != nil {
				t.Fatal(err)
			}
			var got, trace bytes.Buffer
			m, err := New(prog, Config{MemSize: 256 << 20, Args: []string{elf}, Stdin: strings.NewReader(""),
				Stdout: &got, Stderr: io.Discard, Sysroot: sysroot, Record: &trace, TraceName: "fp.zst"})
			if err != nil {
				t.Fatal(err)
			}
			rec, err := m.Run()
			if err != nil {
				t.Fatal(err)
			}
			if rec.Status != 0 || got.String() != string(want) {
				t.Fatalf("exit status %d; rvsim printed:\n%s\nqemu-riscv64 printed:\n%s", rec.Status, got.String(), want)
			}
			r, err := logfmt.NewReader(bytes.NewReader(trace.Bytes()), "fp.zst")
			if err != nil {
				t.Fatal(err)
			}
			h := r.Header()
			m2, err := New(prog, Config{MemSize: h.MemSize, Args: h.Args, Env: h.Env, Stdin: strings.NewReader(""),
				Stdout: io.Discard, Stderr: io.Discard, Sysroot: sysroot, Replay: r})
			if err != nil {
				t.Fatal(err)
			}
			res, err := m2.Run()
			if err != nil {
				t.Fatalf("replay: %v", err)
			}
			if res.Stats.Digest != rec.Stats.Digest || res.Instret != rec.Instret {
				t.Errorf("replay: %d instructions, digest %s; recorded %d, %s", res.Instret, res.Stats.Digest, rec.Instret, rec.Stats.Digest)
			}
		})
	}
}
