package rv64

import (
	"bytes"
	"os"
	"strconv"
	"strings"
	"testing"
	"unsafe"
)

// TestMemoryWithoutMemfd: where neither the pagemap nor memfd_create can
// be used, memory is an anonymous reservation; Written then names the
// whole memory (the digest scans it all: slow, exact), and Zero clears.
func TestMemoryWithoutMemfd(t *testing.T) {
	noMemfd, noPagemap = true, true
	defer func() { noMemfd, noPagemap = false, false }()
	before := openFDs(t)
	m, err := NewMemory(0x10000, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	if m.host.fd != -1 || openFDs(t) != before {
		t.Fatalf("memory has file %d", m.host.fd)
	}
	m.Data[5*4096+7] = 9
	var got [][2]uint64
	m.Written(func(off, n uint64) { got = append(got, [2]uint64{off, n}) })
	if len(got) != 1 || got[0] != [2]uint64{0, 1 << 30} {
		t.Fatalf("Written: %v, want the whole memory", got)
	}
	m.Zero(0x10000, 16*4096)
	if m.Data[5*4096+7] != 0 {
		t.Fatal("Zero did not clear")
	}
	m.Close()
}

// fdTarget returns what descriptor fd of this process is.
func fdTarget(t *testing.T, fd int) string {
	t.Helper()
	s, err := os.Readlink("/proc/self/fd/" + strconv.Itoa(fd))
	if err != nil {
		t.Skipf("no /proc/self/fd on this system: %v", err)
	}
	return s
}

// vmFlags returns the VmFlags line of /proc/self/smaps for the mapping
// that starts at p.
func vmFlags(t *testing.T, p *byte) string {
	t.Helper()
	b, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		t.Skipf("no /proc/self/smaps on this system: %v", err)
	}
	start := strconv.FormatUint(uint64(uintptr(unsafe.Pointer(p))), 16) + "-"
	in := false
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, start) {
			in = true
		} else if in && strings.HasPrefix(line, "VmFlags:") {
			return strings.TrimSpace(strings.TrimPrefix(line, "VmFlags:"))
		}
	}
	t.Fatalf("no mapping at %s in /proc/self/smaps", start)
	return ""
}

// writtenPages returns the pages Written names.
func writtenPages(m *Memory) map[uint64]bool {
	pages := map[uint64]bool{}
	m.Written(func(off, n uint64) {
		for p := off / 4096; p < (off+n+4095)/4096; p++ {
			pages[p] = true
		}
	})
	return pages
}

// TestMemoryKinds: memory up to anonMax is anonymous, its written pages
// named by the pagemap; larger memory, or memory where the pagemap is not
// to be used, is a memory file. Either way Written names every page
// written and none given back, so that a digest is the same from both.
func TestMemoryKinds(t *testing.T) {
	const size = 64 << 20
	kinds := map[string]func() (Memory, error){
		"anonymous": func() (Memory, error) { return NewMemory(0, size) },
		"memory file": func() (Memory, error) {
			noPagemap = true
			defer func() { noPagemap = false }()
			return NewMemory(0, size)
		},
	}
	var nonZero []map[uint64]bool
	for _, name := range []string{"anonymous", "memory file"} {
		m, err := kinds[name]()
		if err != nil {
			t.Fatal(err)
		}
		target := fdTarget(t, m.host.fd)
		if want := name == "anonymous"; m.host.pagemap != want || strings.HasSuffix(target, "/pagemap") != want ||
			strings.Contains(target, memfdName) == want {
			t.Fatalf("%s memory: pagemap %v, descriptor %s", name, m.host.pagemap, target)
		}
		if flags := vmFlags(t, &m.Data[0]); name == "anonymous" && !strings.Contains(" "+flags+" ", " nh ") {
			t.Errorf("anonymous memory has VmFlags %q, want nh (MADV_NOHUGEPAGE)", flags)
		}
		for _, p := range []int{0, 7, 4096, 16383} {
			m.Data[p*4096+p%4096] = byte(p%255 + 1)
		}
		_ = m.Data[9000*4096] // a page only read
		m.Data[100*4096] = 1
		m.Zero(100*4096, 4096) // given back
		pages := writtenPages(&m)
		nz := map[uint64]bool{}
		for p := range pages {
			for _, b := range m.Data[p*4096 : (p+1)*4096] {
				if b != 0 {
					nz[p] = true
					break
				}
			}
		}
		for _, p := range []uint64{0, 7, 4096, 16383} {
			if !pages[p] {
				t.Errorf("%s memory: page %d was written, Written does not name it", name, p)
			}
		}
		if pages[100] || len(pages) > 5 {
			t.Errorf("%s memory: Written names %d pages (page 100, given back: %v), want the 4 written (and at most the one read)",
				name, len(pages), pages[100])
		}
		nonZero = append(nonZero, nz)
		m.Close()
	}
	if len(nonZero[0]) != 4 || len(nonZero[1]) != 4 {
		t.Errorf("non-zero pages named: %v (anonymous), %v (memory file), want 4 each", nonZero[0], nonZero[1])
	}
	big, err := NewMemory(0, anonMax+4096)
	if err != nil {
		t.Fatal(err)
	}
	defer big.Close()
	if target := fdTarget(t, big.host.fd); big.host.pagemap || !strings.Contains(target, memfdName) {
		t.Errorf("memory of anonMax+4096 bytes: pagemap %v, descriptor %s, want a memory file", big.host.pagemap, target)
	}
}

// TestMemoryMove: Move moves whole pages of anonymous memory without
// copying them: the bytes are at the destination, the source reads zero,
// is no longer named by Written and can be written again. It refuses, and
// changes nothing, for a memory file, overlapping ranges, ranges not of
// whole pages or outside memory, and after a move that failed; after
// maxMoves moves it counts the process's memory areas and goes on.
func TestMemoryMove(t *testing.T) {
	const base, page = 0x10000, 4096
	m, err := NewMemory(base, 64<<20)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if !m.host.pagemap {
		t.Skip("no pagemap: memory is a memory file here")
	}
	src, dst, n := uint64(16*page), uint64(4096*page), uint64(300*page)
	for i := range m.Data[src : src+n] {
		m.Data[src+uint64(i)] = byte(i%253 + 1)
	}
	want := append([]byte(nil), m.Data[src:src+n]...)
	for _, c := range []struct {
		name        string
		dst, src, n uint64
	}{
		{"overlapping", base + src + page, base + src, n},
		{"not whole pages", base + dst + 8, base + src, n},
		{"outside memory", base + 64<<20 - page, base + src, 2 * page},
		{"empty", base + dst, base + src, 0},
	} {
		if moved, err := m.Move(c.dst, c.src, c.n); moved || err != nil {
			t.Errorf("%s: Move moved (%v, %v)", c.name, moved, err)
		}
	}
	if !bytes.Equal(m.Data[src:src+n], want) {
		t.Fatal("a refused Move changed the source")
	}
	moved, err := m.Move(base+dst, base+src, n)
	if !moved || err != nil {
		t.Fatalf("Move: %v, %v", moved, err)
	}
	if !bytes.Equal(m.Data[dst:dst+n], want) {
		t.Error("the bytes moved are not at the destination")
	}
	pages := writtenPages(&m)
	for p := src / page; p < (src+n)/page; p++ {
		if m.Data[p*page] != 0 || pages[p] {
			t.Fatalf("source page %d after the move: byte %d, named by Written %v", p, m.Data[p*page], pages[p])
		}
	}
	m.Data[src] = 7 // the source is still mapped
	if m.Data[src] != 7 || !writtenPages(&m)[src/page] {
		t.Error("a write to the source after the move did not stick")
	}
	m.host.moves = maxMoves // the areas are counted again, and there is room
	if moved, err := m.Move(base+src+page, base+dst, page); !moved || err != nil || m.host.moves != 1 {
		t.Errorf("after maxMoves moves: Move (%v, %v), %d moves counted", moved, err, m.host.moves)
	}
	m.host.noMoves = true
	if moved, _ := m.Move(base+dst, base+src+page, page); moved {
		t.Error("Move moved after a failed move")
	}

	noPagemap = true
	f, err := NewMemory(base, 64<<20)
	noPagemap = false
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	f.Data[src] = 1
	if moved, err := f.Move(base+dst, base+src, page); moved || err != nil || f.Data[src] != 1 {
		t.Errorf("a memory file: Move (%v, %v), source byte %d", moved, err, f.Data[src])
	}
}
