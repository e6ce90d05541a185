package vmm

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rvsim/rvsim/logfmt"
	"github.com/rvsim/rvsim/rv64"
)

// newHello returns a machine running hello.elf with memSize bytes of
// memory, closed at the end of the test.
func newHello(t *testing.T, memSize uint64) *Machine {
	t.Helper()
	prog, err := LoadFile(helloELF)
	if err != nil {
		t.Fatal(err)
	}
	m, err := New(prog, Config{MemSize: memSize, Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	return m
}

// TestMmapPagesCoalesce maps 10,000 single pages one after another: they
// are adjacent and stay one mapping, so that each mmap costs O(1); munmap
// of a page in the middle splits it, and mapping it again merges it back.
func TestMmapPagesCoalesce(t *testing.T) {
	m := newHello(t, 256<<20)
	const prot, flags = 3, 0x22 // PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS
	var first, last uint64
	for i := range 10000 {
		a := m.sysMmap(0, PageSize, prot, flags, ^uint64(0), 0)
		if int64(a) < 0 {
			t.Fatalf("mmap %d: errno %d", i, -int64(a))
		}
		if i == 0 {
			first = a
		} else if a != last-PageSize {
			t.Fatalf("mmap %d at %#x, want %#x", i, a, last-PageSize)
		}
		last = a
	}
	if n := len(m.linux.maps); n != 1 {
		t.Fatalf("10000 adjacent mmaps leave %d mappings, want 1", n)
	}
	if got := m.linux.maps[0]; got != (mapping{lo: last, hi: first + PageSize}) {
		t.Fatalf("mapping %v, want [%#x, %#x)", got, last, first+PageSize)
	}
	mid := last + 5000*PageSize
	b, _ := m.guestWrite(mid, PageSize)
	b[0] = 1
	if r := m.sysMunmap(mid, PageSize); r != 0 {
		t.Fatalf("munmap: %d", int64(r))
	}
	if want := []mapping{{lo: last, hi: mid}, {lo: mid + PageSize, hi: first + PageSize}}; !slices.Equal(m.linux.maps, want) {
		t.Fatalf("after munmap of one page: %v, want %v", m.linux.maps, want)
	}
	if a := m.sysMmap(0, PageSize, prot, flags, ^uint64(0), 0); a != mid {
		t.Fatalf("mmap into the hole at %#x, want %#x", a, mid)
	}
	if n := len(m.linux.maps); n != 1 {
		t.Fatalf("filling the hole leaves %d mappings, want 1", n)
	}
	if b, _ := m.guest(mid, PageSize); b[0] != 0 {
		t.Fatal("a page unmapped and mapped again does not read zero")
	}
	// Unmapping everything, in pieces across mapping boundaries.
	if r := m.sysMunmap(last+PageSize, 9998*PageSize); r != 0 {
		t.Fatalf("munmap: %d", int64(r))
	}
	if want := []mapping{{lo: last, hi: last + PageSize}, {lo: first, hi: first + PageSize}}; !slices.Equal(m.linux.maps, want) {
		t.Fatalf("after munmap of the middle: %v, want %v", m.linux.maps, want)
	}
	if r := m.sysMunmap(last, first+PageSize-last); r != 0 || len(m.linux.maps) != 0 || m.linux.mmapLow != m.linux.mmapTop {
		t.Fatalf("munmap of all: %d, maps %v, mmapLow %#x (top %#x)", int64(r), m.linux.maps, m.linux.mmapLow, m.linux.mmapTop)
	}
}

// TestMmapUntilENOMEM maps pages one by one until the guest's memory is
// used up, as a guest probing for memory does: one mapping all along, and
// ENOMEM exactly when the next page would reach the heap.
func TestMmapUntilENOMEM(t *testing.T) {
	m := newHello(t, 16<<20)
	l := m.linux
	n := 0
	for {
		a := m.sysMmap(0, PageSize, 3, 0x22, ^uint64(0), 0)
		if int64(a) < 0 {
			if a != errno(eNOMEM) {
				t.Fatalf("mmap %d: errno %d, want ENOMEM", n, -int64(a))
			}
			break
		}
		n++
	}
	if want := (l.mmapTop - pageUp(l.brk)) / PageSize; uint64(n) != want || len(l.maps) != 1 {
		t.Fatalf("%d pages mapped in %d mappings, want %d in 1", n, len(l.maps), want)
	}
}

// pageList is what digestMemory hands out: addresses and a hash of each page.
func pageList(f func(*rv64.Memory, func(uint64, []byte)), mem *rv64.Memory) []string {
	var out []string
	f(mem, func(addr uint64, page []byte) {
		out = append(out, string(binary.LittleEndian.AppendUint64(nil, addr))+fmt.Sprintf("%x", sha256.Sum256(page)))
	})
	return out
}

// digestMemoryFull is digestMemory reading every page.
func digestMemoryFull(mem *rv64.Memory, fn func(addr uint64, page []byte)) {
	data := mem.Data
	for p := uint64(0); p < uint64(len(data)); p += PageSize {
		if page := data[p:min(p+PageSize, uint64(len(data)))]; !allZero(page) {
			fn(mem.Base+p, page)
		}
	}
}

// TestDigestMatchesFullScan fills random pages of 64 MiB of memory with
// random bytes, zeroes some of them again by writing zeros (they stay
// written) and gives others back (Memory.Zero), and checks that the
// digest's pages are those of a scan of every page, in the same order.
func TestDigestMatchesFullScan(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 5 {
		m := newHello(t, 64<<20)
		mem := &m.Hart.Mem
		for range 300 {
			off := rng.Uint64N(mem.Size())
			n := min(rng.Uint64N(3*PageSize)+1, mem.Size()-off)
			b := mem.Data[off : off+n]
			switch rng.IntN(4) {
			case 0:
				clear(b) // written, yet zero
			case 1:
				mem.Zero(mem.Base+off, n)
			default:
				for i := range b {
					b[i] = byte(rng.Uint32())
				}
			}
		}
		fast, full := pageList(digestMemory, mem), pageList(digestMemoryFull, mem)
		if len(fast) == 0 || !slices.Equal(fast, full) {
			t.Fatalf("round %d: digest pages (%d) differ from a full scan (%d)", round, len(fast), len(full))
		}
	}
}

// TestDigestSkipsOnlyUnwritten checks the property the digest's speed
// rests on: Written names the written pages, not all of memory, so a
// digest of 1 TiB of memory reads only what the guest wrote.
func TestDigestSkipsOnlyUnwritten(t *testing.T) {
	m := newHello(t, 1<<40)
	mem := &m.Hart.Mem
	mem.Data[mem.Size()-1] = 7 // the last byte
	var total uint64
	mem.Written(func(off, n uint64) { total += n })
	if total == 0 || total > 64<<20 {
		t.Fatalf("Written names %d bytes of a 1 TiB memory holding hello.elf", total)
	}
}

// BenchmarkDigest digests the final state of hello.elf in memories of
// several sizes: the cost follows what the guest wrote, not the size.
func BenchmarkDigest(b *testing.B) {
	prog, err := LoadFile(helloELF)
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		size uint64
	}{{"256M", 256 << 20}, {"64G", 64 << 30}, {"1T", 1 << 40}} {
		b.Run(c.name, func(b *testing.B) {
			m, err := New(prog, Config{MemSize: c.size, Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: io.Discard})
			if err != nil {
				b.Fatal(err)
			}
			defer m.Close()
			if _, err := m.Run(); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				m.Digest()
			}
		})
	}
}

// TestMachinesRelease builds thousands of machines, closed or refused by
// New (a program that does not fit): no file descriptor is left open.
func TestMachinesRelease(t *testing.T) {
	prog, err := LoadFile(helloELF)
	if err != nil {
		t.Fatal(err)
	}
	fds := func() int {
		d, err := os.ReadDir("/proc/self/fd")
		if err != nil {
			t.Skip("no /proc/self/fd on this system")
		}
		return len(d)
	}
	before := fds()
	for i := range 2000 {
		cfg := Config{MemSize: 1 << 30, Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: io.Discard, FSRoot: t.TempDir()}
		if i%2 == 1 {
			cfg.MemSize = 2 * PageSize // too small for hello
		}
		m, err := New(prog, cfg)
		if i%2 == 1 {
			if !errors.Is(err, ErrLayout) {
				t.Fatalf("New with 8K: %v, want ErrLayout", err)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		m.Close()
	}
	if after := fds(); after > before {
		t.Fatalf("%d descriptors open after 2000 machines, %d before", after, before)
	}
}

// TestMmapAboveSv39: with more guest memory than Sv39's 256 GiB of user
// address space, mmap hands out addresses above 2^38, and munmap takes
// them back.
func TestMmapAboveSv39(t *testing.T) {
	m := newHello(t, 1<<40)
	a := m.sysMmap(0, 3*PageSize, 3, 0x22, ^uint64(0), 0)
	if int64(a) < 0 || a < userEnd {
		t.Fatalf("mmap: %#x, want an address above %#x", a, uint64(userEnd))
	}
	if r := m.sysMunmap(a, 3*PageSize); r != 0 || len(m.linux.maps) != 0 {
		t.Fatalf("munmap of %#x: %d, maps %v", a, int64(r), m.linux.maps)
	}
	if r := m.sysMunmap(m.Hart.Mem.End(), PageSize); r != errno(eINVAL) {
		t.Fatalf("munmap past the end of memory: %d, want EINVAL", int64(r))
	}
}

// TestNewChecksHeader: a replayed trace's header is checked before memory
// is reserved, and each refusal wraps ErrWrongELF or ErrBadHeader; a
// memory the host cannot reserve wraps rv64.ErrReserve.
func TestNewChecksHeader(t *testing.T) {
	prog, err := LoadFile(helloELF)
	if err != nil {
		t.Fatal(err)
	}
	good := logfmt.Header{ELF: prog.Path, ELFSHA256: fmt.Sprintf("%x", prog.SHA256), Args: []string{prog.Path},
		ISA: ISA, Kind: prog.Kind.String(), MemSize: 1 << 20, NDBuffer: 16}
	for _, c := range []struct {
		name string
		edit func(*logfmt.Header)
		want error
	}{
		// A good header gets past the checks, to the start-up input the
		// trace, with no events, does not have.
		{"good", func(*logfmt.Header) {}, ErrDivergence},
		{"other ELF, 2^62 bytes", func(h *logfmt.Header) { h.ELFSHA256 = strings.Repeat("0", 64); h.MemSize = 1 << 62 }, ErrWrongELF},
		{"mem_size 0", func(h *logfmt.Header) { h.MemSize = 0 }, ErrBadHeader},
		{"mem_size 2^62", func(h *logfmt.Header) { h.MemSize = 1 << 62 }, ErrBadHeader},
		{"mem_size odd", func(h *logfmt.Header) { h.MemSize = 1<<20 + 8 }, ErrBadHeader},
		{"nd_buffer 0", func(h *logfmt.Header) { h.NDBuffer = 0 }, ErrBadHeader},
		{"nd_buffer huge", func(h *logfmt.Header) { h.NDBuffer = 1 << 32 }, ErrBadHeader},
		{"kind", func(h *logfmt.Header) { h.Kind = "bare-metal" }, ErrBadHeader},
		{"isa", func(h *logfmt.Header) { h.ISA = "rv32i" }, ErrBadHeader},
		{"no args", func(h *logfmt.Header) { h.Args = nil }, ErrBadHeader},
		{"huge env", func(h *logfmt.Header) { h.Env = []string{strings.Repeat("x", maxArgBytes)} }, ErrBadHeader},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := good
			c.edit(&h)
			var buf bytes.Buffer
			w, err := logfmt.NewWriter(&buf, h)
			if err != nil {
				t.Fatal(err)
			}
			if err := w.Close(logfmt.Footer{Reason: ReasonExit}); err != nil {
				t.Fatal(err)
			}
			r, err := logfmt.NewReader(&buf, "t.zst")
			if err != nil {
				t.Fatal(err)
			}
			m, err := New(prog, Config{Replay: r, TraceName: "t.zst", Args: h.Args, Env: h.Env,
				Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: io.Discard})
			if err == nil {
				m.Close()
			}
			if c.want == ErrDivergence {
				if !errors.Is(err, ErrDivergence) || errors.Is(err, ErrBadHeader) {
					t.Fatalf("New: %v, want ErrDivergence", err)
				}
				return
			}
			if !errors.Is(err, c.want) || !strings.Contains(err.Error(), `trace "t.zst"`) {
				t.Fatalf("New: %v, want %v naming the trace", err, c.want)
			}
		})
	}
	_, err = New(prog, Config{MemSize: 1 << 47, Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: io.Discard})
	if !errors.Is(err, rv64.ErrReserve) {
		t.Fatalf("New with 128 TiB: %v, want rv64.ErrReserve", err)
	}
}

// TestMemHintLoads: the --mem that a load error names for a Linux program
// too small for its memory is the least that loads it: with it the
// machine is built, with a page less it is not. For a program with a
// heap of its own in its segments, as for one without.
func TestMemHintLoads(t *testing.T) {
	for _, name := range []string{"hello", "crc", "glibc_hello_static"} {
		prog, err := LoadFile(filepath.Join("..", "programs", "bin", name+".elf"))
		if err != nil {
			t.Fatal(err)
		}
		cfg := Config{MemSize: 4 << 10, Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: io.Discard}
		_, err = New(prog, cfg)
		var size string
		if _, e := fmt.Sscanf(after(fmt.Sprint(err), "it needs --mem "), "%s", &size); e != nil {
			t.Fatalf("%s in 4K: %v, want a hint naming a --mem", name, err)
		}
		need := linuxMem(prog.Low()&^(PageSize-1), prog.High(), 0)
		if got := sizeString(memHint(need)); got != size {
			t.Errorf("%s: the hint says %q, linuxMem %s", name, size, got)
		}
		cfg.MemSize = need
		m, err := New(prog, cfg)
		if err != nil {
			t.Fatalf("%s in %d bytes, the least: %v", name, need, err)
		}
		m.Close()
		cfg.MemSize = need - PageSize
		if _, err := New(prog, cfg); !errors.Is(err, ErrLayout) {
			t.Errorf("%s in a page less than the least: %v, want ErrLayout", name, err)
		}
	}
}

// TestMemHintLoadsDynamic: for a dynamic program the first hint counts
// its segments only and says so; the interpreter's names the least that
// loads it too.
func TestMemHintLoadsDynamic(t *testing.T) {
	if _, err := os.Stat(DefaultSysroot); err != nil {
		t.Fatalf("the sysroot %s is needed (Debian: libc6-dev-riscv64-cross): %v", DefaultSysroot, err)
	}
	prog, err := LoadFile(filepath.Join("..", "programs", "bin", "glibc_hello_dynamic.elf"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{MemSize: 4 << 10, Sysroot: DefaultSysroot, Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: io.Discard}
	_, err = New(prog, cfg)
	var size string
	if _, e := fmt.Sscanf(after(fmt.Sprint(err), "it needs --mem "), "%s", &size); e != nil || !strings.Contains(fmt.Sprint(err), "(and more for its interpreter)") {
		t.Fatalf("in 4K: %v, want a hint naming a --mem, and more for the interpreter", err)
	}
	cfg.MemSize = hintSize(t, size)
	_, err = New(prog, cfg)
	if _, e := fmt.Sscanf(after(fmt.Sprint(err), "raise --mem to "), "%s", &size); e != nil {
		t.Fatalf("in %s: %v, want the interpreter's hint", size, err)
	}
	cfg.MemSize = hintSize(t, size)
	m, err := New(prog, cfg)
	if err != nil {
		t.Fatalf("in %s, the interpreter's hint: %v", size, err)
	}
	m.Close()
}

// after returns what follows the first sep in s, or "".
func after(s, sep string) string {
	if _, a, ok := strings.Cut(s, sep); ok {
		return a
	}
	return ""
}

// hintSize reads a size as sizeString writes it (a number, then K, M, G
// or T).
func hintSize(t *testing.T, s string) uint64 {
	t.Helper()
	var n uint64
	var unit string
	if _, err := fmt.Sscanf(s, "%d%s", &n, &unit); err != nil {
		t.Fatalf("size %q: %v", s, err)
	}
	shift, ok := map[string]uint{"K": 10, "M": 20, "G": 30, "T": 40}[unit]
	if !ok {
		t.Fatalf("size %q: unit %q", s, unit)
	}
	return n << shift
}
