package vmm

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
	"time"
)

// Real ELF files built by the cross compiler (scripts/build-programs.sh).
var (
	helloELF = filepath.Join("..", "programs", "bin", "hello.elf")
	bareELF  = filepath.Join("..", "programs", "bin", "bare_hello.elf")
)

func readELF(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// phdr returns the offset of program header i.
func phdr(b []byte, i int) int {
	return int(binary.LittleEndian.Uint64(b[32:])) + i*int(binary.LittleEndian.Uint16(b[54:]))
}

// loadIndexes returns the indexes of the PT_LOAD program headers.
func loadIndexes(b []byte) []int {
	var out []int
	for i := 0; i < int(binary.LittleEndian.Uint16(b[56:])); i++ {
		if elf.ProgType(binary.LittleEndian.Uint32(b[phdr(b, i):])) == elf.PT_LOAD {
			out = append(out, i)
		}
	}
	return out
}

func TestParseRealPrograms(t *testing.T) {
	p, err := Parse(helloELF, readELF(t, helloELF))
	if err != nil {
		t.Fatal(err)
	}
	if p.Kind != KindLinux || p.Entry == 0 || p.Phdr == 0 && p.Phnum == 0 {
		t.Errorf("hello.elf: kind %v entry %#x phnum %d", p.Kind, p.Entry, p.Phnum)
	}
	b, err := Parse(bareELF, readELF(t, bareELF))
	if err != nil {
		t.Fatal(err)
	}
	if b.Kind != KindBare || b.ToHost == 0 {
		t.Errorf("bare_hello.elf: kind %v tohost %#x, want bare-metal with tohost", b.Kind, b.ToHost)
	}
}

func TestParseRejects(t *testing.T) {
	good := readELF(t, helloELF)
	mutate := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(good)) }
	loads := loadIndexes(good)
	cases := []struct {
		name string
		data []byte
		want error
		text string
	}{
		{"text file", []byte("#!/bin/sh\necho hi\n"), ErrNotELF, "offset 0"},
		{"empty", nil, ErrNotELF, "no ELF magic"},
		{"header cut", good[:40], ErrTruncated, "shorter than an ELF64 header"},
		{"32-bit", mutate(func(b []byte) []byte { b[elf.EI_CLASS] = byte(elf.ELFCLASS32); return b }), ErrForeign, "ELFCLASS64"},
		{"big-endian", mutate(func(b []byte) []byte { b[elf.EI_DATA] = byte(elf.ELFDATA2MSB); return b }), ErrForeign, "little-endian"},
		{"x86-64", mutate(func(b []byte) []byte { binary.LittleEndian.PutUint16(b[18:], uint16(elf.EM_X86_64)); return b }), ErrForeign, "EM_RISCV"},
		{"relocatable object", mutate(func(b []byte) []byte { binary.LittleEndian.PutUint16(b[16:], uint16(elf.ET_REL)); return b }), ErrForeign, "ET_EXEC or ET_DYN"},
		{"core file", mutate(func(b []byte) []byte { binary.LittleEndian.PutUint16(b[16:], uint16(elf.ET_CORE)); return b }), ErrForeign, "ET_EXEC or ET_DYN"},
		{"entry outside code", mutate(func(b []byte) []byte { binary.LittleEndian.PutUint64(b[24:], 4); return b }), ErrLayout, "entry point"},
		{"segment beyond file", mutate(func(b []byte) []byte {
			binary.LittleEndian.PutUint64(b[phdr(b, loads[0])+32:], uint64(len(b))+1) // p_filesz
			binary.LittleEndian.PutUint64(b[phdr(b, loads[0])+40:], uint64(len(b))+1) // p_memsz
			return b
		}), ErrTruncated, "beyond the end of the file"},
		{"file cut inside a segment", good[:len(good)/2], ErrTruncated, ""},
	}
	if len(loads) >= 2 {
		cases = append(cases, struct {
			name string
			data []byte
			want error
			text string
		}{"overlapping segments", mutate(func(b []byte) []byte {
			first := binary.LittleEndian.Uint64(b[phdr(b, loads[0])+16:])
			binary.LittleEndian.PutUint64(b[phdr(b, loads[1])+16:], first+4)
			return b
		}), ErrLayout, "overlap"})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("prog.elf", c.data)
			if !errors.Is(err, c.want) {
				t.Fatalf("error %v, want %v", err, c.want)
			}
			if !strings.HasPrefix(err.Error(), "load prog.elf: ") || !strings.Contains(err.Error(), c.text) {
				t.Errorf("message %q should name the file and say %q", err, c.text)
			}
		})
	}
}

func TestSegmentsMustFitMemory(t *testing.T) {
	p, err := Parse(helloELF, readELF(t, helloELF))
	if err != nil {
		t.Fatal(err)
	}
	_, err = New(p, Config{MemSize: PageSize, Stdout: io.Discard, Stderr: io.Discard})
	if !errors.Is(err, ErrLayout) || !strings.Contains(err.Error(), "does not fit") && !strings.Contains(err.Error(), "no room") {
		t.Fatalf("error %v, want a layout error saying the program does not fit", err)
	}
}

// FuzzParse loads arbitrary bytes as an ELF file and, when they load, runs
// the program briefly: neither may panic.
func FuzzParse(f *testing.F) {
	// Small real programs keep the fuzzer fast: a Linux one and a
	// bare-metal one with tohost.
	f.Add(readELF(f, filepath.Join("..", "programs", "bin", "load_null.elf")))
	f.Add(readELF(f, filepath.Join("..", "programs", "bin", "bare_spin.elf")))
	f.Fuzz(func(t *testing.T, data []byte) {
		// A hang is a bug as much as a panic: fail loudly, with every stack.
		done := make(chan struct{})
		defer close(done)
		go func() {
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				debug.SetTraceback("all")
				panic("FuzzParse: loading and 2000 instructions did not end in 10 s")
			}
		}()
		p, err := Parse("fuzz.elf", data)
		if err != nil {
			return
		}
		m, err := New(p, Config{MemSize: 1 << 20, MaxInsns: 2000, Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: io.Discard})
		if err != nil {
			return
		}
		m.Run()
	})
}

// A bare-metal program linked as riscv-tests' programs are, with LOAD
// segments that carry no flags (programs/runtime/bare/noflags.ld), loads
// with every segment readable, writable and executable, and runs to its
// end; a Linux program with such segments is still refused.
func TestSegmentsWithoutFlags(t *testing.T) {
	path := filepath.Join("..", "programs", "bin", "bare_noflags.elf")
	data := readELF(t, path)
	loads := loadIndexes(data)
	for _, i := range loads {
		if f := binary.LittleEndian.Uint32(data[phdr(data, i)+4:]); f != 0 {
			t.Fatalf("%s: segment %d has flags %#x: the file is not the case under test", path, i, f)
		}
	}
	p, err := Parse(path, data)
	if err != nil {
		t.Fatal(err)
	}
	if p.Kind != KindBare || len(p.Segments) != len(loads) {
		t.Fatalf("kind %v, %d segments; want bare-metal with %d", p.Kind, len(p.Segments), len(loads))
	}
	for _, s := range p.Segments {
		if s.Flags != elf.PF_R|elf.PF_W|elf.PF_X {
			t.Errorf("segment at %#x: flags %v, want R+W+X", s.Vaddr, s.Flags)
		}
	}
	var out strings.Builder
	m, err := New(p, Config{MaxInsns: 10_000_000, Stdout: &out, Stderr: &out})
	if err != nil {
		t.Fatal(err)
	}
	res, err := m.Run()
	if err != nil || res.Status != 0 || !strings.Contains(out.String(), "all checks passed") {
		t.Fatalf("status %d, error %v, output %q: want the program's checks passed", res.Status, err, out.String())
	}

	linux := bytes.Clone(readELF(t, helloELF))
	for _, i := range loadIndexes(linux) {
		binary.LittleEndian.PutUint32(linux[phdr(linux, i)+4:], 0)
	}
	_, err = Parse("prog.elf", linux)
	if !errors.Is(err, ErrLayout) || !strings.Contains(err.Error(), "is not inside an executable segment") {
		t.Fatalf("a Linux program without segment flags: error %v, want the entry point refused", err)
	}
}

// TestParseRefusesFlags: an ELF whose e_flags ask for what the RV64GC
// hart lacks (the E base, the quad-float ABI) is refused at load, naming
// offset 48 and the rebuild flags; compressed instructions and the lp64f
// and lp64d ABIs load.
func TestParseRefusesFlags(t *testing.T) {
	good := readELF(t, "../programs/bin/hello.elf")
	if _, err := Parse("hello.elf", good); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		flags uint32
		want  string // "" when the flags are accepted
	}{
		{0x1, ""},  // RVC
		{0x5, ""},  // RVC, lp64d: Debian's default
		{0x4, ""},  // lp64d
		{0x2, ""},  // lp64f
		{0x3, ""},  // RVC, lp64f
		{0x10, ""}, // EF_RISCV_TSO
		{0x6, "lp64q quad-float ABI"},
		{0x7, "lp64q quad-float ABI"},
		{0x8, "RV64E base"},
		{0xd, "RV64E base"},
	} {
		b := append([]byte(nil), good...)
		binary.LittleEndian.PutUint32(b[48:], c.flags)
		p, err := Parse("x.elf", b)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("e_flags %#x: %v, want it accepted", c.flags, err)
		case c.want == "" && p.Flags != c.flags:
			t.Errorf("e_flags %#x: Program.Flags %#x", c.flags, p.Flags)
		case c.want == "":
		case !errors.Is(err, ErrForeign):
			t.Errorf("e_flags %#x: %v, want ErrForeign", c.flags, err)
		case !strings.HasPrefix(err.Error(), "load x.elf: offset 48: e_flags") || !strings.Contains(err.Error(), c.want) ||
			!strings.Contains(err.Error(), "-march=rv64gc"):
			t.Errorf("e_flags %#x: %q does not say %q, where and how to rebuild", c.flags, err, c.want)
		}
	}
}
