package vmm

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rvsim/rvsim/logfmt"
)

// buildPIE compiles a small C program with Debian's glibc cross compiler,
// by default a dynamic position-independent executable.
func buildPIE(t *testing.T, extra ...string) string {
	t.Helper()
	if _, err := exec.LookPath("riscv64-linux-gnu-gcc"); err != nil {
		t.Skip("riscv64-linux-gnu-gcc not installed (Debian: gcc-riscv64-linux-gnu)")
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "p.c")
	if err := os.WriteFile(src, []byte("#include <stdio.h>\nint main(void) { puts(\"hi\"); return 0; }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "p")
	args := append(append([]string{"-O2"}, extra...), "-o", out, src)
	if b, err := exec.Command("riscv64-linux-gnu-gcc", args...).CombinedOutput(); err != nil {
		t.Fatalf("riscv64-linux-gnu-gcc: %v\n%s", err, b)
	}
	return out
}

// TestParsePIE: a PIE built by gcc is moved to PIEBase: its entry, its
// segments and its program headers move by the same amount, as debug/elf
// reads them from the file, and PT_INTERP names the interpreter.
func TestParsePIE(t *testing.T) {
	path := buildPIE(t)
	p, err := LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var low uint64 = ^uint64(0)
	var interp string
	var phdrVaddr uint64
	for _, ph := range f.Progs {
		switch ph.Type {
		case elf.PT_LOAD:
			low = min(low, ph.Vaddr&^(PageSize-1))
		case elf.PT_INTERP:
			b, _ := io.ReadAll(ph.Open())
			interp = strings.TrimRight(string(b), "\x00")
		case elf.PT_PHDR:
			phdrVaddr = ph.Vaddr
		}
	}
	bias := PIEBase - low
	switch {
	case !p.PIE || p.Bias != bias:
		t.Errorf("PIE %v bias %#x, want a PIE with bias %#x", p.PIE, p.Bias, bias)
	case p.Entry != f.Entry+bias:
		t.Errorf("entry %#x, want %#x", p.Entry, f.Entry+bias)
	case p.Phdr != phdrVaddr+bias || phdrVaddr == 0:
		t.Errorf("program headers at %#x, want PT_PHDR's %#x moved to %#x", p.Phdr, phdrVaddr, phdrVaddr+bias)
	case p.Interp != interp || interp != "/lib/ld-linux-riscv64-lp64d.so.1":
		t.Errorf("interpreter %q, PT_INTERP says %q", p.Interp, interp)
	case p.Low() != PIEBase:
		t.Errorf("lowest address %#x, want PIEBase", p.Low())
	}
	if p.Flags != uint32(binary.LittleEndian.Uint32(readELF(t, path)[48:])) || p.Flags&efRVC == 0 {
		t.Errorf("e_flags %#x: want Debian's RVC | lp64d", p.Flags)
	}
}

// TestInterpreterLoaded: a dynamic program starts at its interpreter's
// entry, loaded below the stack; the auxiliary vector points at both, and
// the interpreter's bytes are the sysroot's.
func TestInterpreterLoaded(t *testing.T) {
	path := buildPIE(t)
	sysroot := "/usr/riscv64-linux-gnu"
	ldso := filepath.Join(sysroot, "lib", "ld-linux-riscv64-lp64d.so.1")
	if _, err := os.Stat(ldso); err != nil {
		t.Skipf("no sysroot at %s", sysroot)
	}
	p, err := LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m, err := New(p, Config{MemSize: 64 << 20, Sysroot: sysroot, Stdout: io.Discard, Stderr: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	f, err := elf.Open(ldso)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	base := m.linux.interpBase
	if base == 0 || base%PageSize != 0 || base < m.linux.brkStart || base >= m.linux.mmapTop {
		t.Fatalf("interpreter at %#x, outside the mmap area [%#x, %#x)", base, m.linux.brkStart, m.linux.mmapTop)
	}
	if m.Hart.PC != base+f.Entry {
		t.Errorf("pc %#x, want the interpreter's entry %#x", m.Hart.PC, base+f.Entry)
	}
	for _, ph := range f.Progs {
		if ph.Type != elf.PT_LOAD {
			continue
		}
		want, _ := io.ReadAll(ph.Open())
		got, _ := m.guest(base+ph.Vaddr, uint64(len(want)))
		if string(got) != string(want) {
			t.Errorf("the interpreter's segment at %#x differs from the file's", ph.Vaddr)
		}
	}
	// The auxiliary vector, after argc, argv and envp on the stack.
	sp := m.Hart.X[2]
	word := func(a uint64) uint64 { b, _ := m.guest(a, 8); return binary.LittleEndian.Uint64(b) }
	a := sp + 8*(word(sp)+2) // past argc, argv and its NULL
	for word(a) != 0 {
		a += 8
	}
	aux := map[uint64]uint64{}
	for a += 8; word(a) != atNull; a += 16 {
		aux[word(a)] = word(a + 8)
	}
	if aux[atBase] != base || aux[atEntry] != p.Entry || aux[atPhdr] != p.Phdr || aux[atPhnum] != p.Phnum || aux[atPagesz] != PageSize {
		t.Errorf("auxv %v: want AT_BASE %#x, AT_ENTRY %#x, AT_PHDR %#x, AT_PHNUM %d", aux, base, p.Entry, p.Phdr, p.Phnum)
	}
}

// TestNoSysroot: a dynamic program without a sysroot, or with one that
// lacks its interpreter, is refused before it runs, saying what to give.
func TestNoSysroot(t *testing.T) {
	p, err := LoadFile(buildPIE(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, root := range []string{"", t.TempDir()} {
		_, err := New(p, Config{MemSize: 16 << 20, Sysroot: root, Stdout: io.Discard, Stderr: io.Discard})
		if !errors.Is(err, ErrNoInterpreter) || !strings.Contains(err.Error(), "/lib/ld-linux-riscv64-lp64d.so.1") ||
			!strings.Contains(err.Error(), "-L DIR, --sysroot DIR or RVSIM_LD_PREFIX") {
			t.Errorf("sysroot %q: %v, want ErrNoInterpreter naming the interpreter and how to give a sysroot", root, err)
		}
	}
}

// TestReplayRecordedInterpreterChecked: a trace whose recorded interpreter
// claims a size over MaxInterpSize, or whose first piece is not an ELF
// file, is a divergence found before anything is assembled, and says that
// it is the trace's interpreter.
func TestReplayRecordedInterpreterChecked(t *testing.T) {
	p, trace := recordPIE(t)
	for _, c := range []struct {
		name string
		edit func(*logfmt.Event)
		want string
	}{
		{"size", func(e *logfmt.Event) { e.Value = MaxInterpSize + 1 }, "at offset 0 of 33554433, after 0 bytes"},
		{"magic", func(e *logfmt.Event) { e.Writes[0].Data[0] = 'X' }, "does not start with the ELF magic"},
	} {
		t.Run(c.name, func(t *testing.T) {
			first := true
			bad := rewriteTrace(t, trace, func(e *logfmt.Event) {
				if first && e.Kind == logfmt.KindInput && e.Value != 0 {
					c.edit(e)
					first = false
				}
			})
			r, err := logfmt.NewReader(bytes.NewReader(bad), "t.zst")
			if err != nil {
				t.Fatal(err)
			}
			h := r.Header()
			m, err := New(p, Config{MemSize: h.MemSize, Args: h.Args, Env: h.Env, Stdout: io.Discard, Stderr: io.Discard, Replay: r})
			if err == nil {
				_, err = m.Run()
				m.Close()
			}
			if !errors.Is(err, ErrDivergence) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("replay: %v, want a divergence saying %q", err, c.want)
			}
		})
	}
}

// TestReplayMappingPiecesChecked: the input events that carry a file
// mapping's bytes past its first MiB must be the next pieces of that
// mapping; one moved elsewhere is a divergence at the mmap, before it is
// written.
func TestReplayMappingPiecesChecked(t *testing.T) {
	p, trace := recordPIE(t)
	moved := false
	bad := rewriteTrace(t, trace, func(e *logfmt.Event) {
		if !moved && e.Kind == logfmt.KindInput && e.Instret != 0 {
			e.Writes[0].Addr += PageSize
			moved = true
		}
	})
	if !moved {
		t.Fatal("the recording holds no mapping piece past the first MiB (libc is larger)")
	}
	_, err := replayWithin(t, p, bad, 30e9)
	if !errors.Is(err, ErrDivergence) || !strings.Contains(err.Error(), "is not the next piece of the mapping") {
		t.Errorf("replay: %v, want a divergence at the mmap", err)
	}
}

// recordPIE records buildPIE's program with the default sysroot (the test
// is skipped without one) and returns it and its trace.
func recordPIE(t *testing.T) (*Program, []byte) {
	t.Helper()
	path := buildPIE(t)
	sysroot := "/usr/riscv64-linux-gnu"
	if _, err := os.Stat(filepath.Join(sysroot, "lib", "ld-linux-riscv64-lp64d.so.1")); err != nil {
		t.Skipf("no sysroot at %s", sysroot)
	}
	p, err := LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var trace bytes.Buffer
	m, err := New(p, Config{MemSize: 64 << 20, Sysroot: sysroot, Stdout: io.Discard, Stderr: io.Discard, Record: &trace, TraceName: "t.zst"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Run(); err != nil {
		t.Fatal(err)
	}
	m.Close()
	return p, trace.Bytes()
}
