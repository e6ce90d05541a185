package vmm

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/rvsim/rvsim/logfmt"
)

const (
	protRW      = 3
	privateAnon = mapPrivate | mapAnonymous
	mremapMove  = 1
)

// fillGuest writes a pattern over [addr, addr+n) and returns it.
func fillGuest(t *testing.T, m *Machine, addr, n uint64) []byte {
	t.Helper()
	b, ok := m.guestWrite(addr, n)
	if !ok {
		t.Fatalf("%#x+%#x is outside guest memory", addr, n)
	}
	for i := range b {
		b[i] = byte(i*7 + i>>12)
	}
	return bytes.Clone(b)
}

func checkGuest(t *testing.T, m *Machine, addr uint64, want []byte) {
	t.Helper()
	got, ok := m.guest(addr, uint64(len(want)))
	if !ok || !bytes.Equal(got, want) {
		t.Fatalf("the %d bytes at %#x are not those written before the move", len(want), addr)
	}
}

// TestMremapGrowsInPlace: a large anonymous mapping has room above it to
// grow to four times its size without moving; beyond that it moves with
// its bytes. A replay of a trace older than logfmt.RoomVersion (packed)
// places mappings as they were recorded, at the top of their hole, where
// the same growth moves at once.
func TestMremapGrowsInPlace(t *testing.T) {
	const n = 4 << 20
	m := newHello(t, 256<<20)
	a := m.sysMmap(0, n, protRW, privateAnon, ^uint64(0), 0)
	if int64(a) < 0 {
		t.Fatalf("mmap: errno %d", -int64(a))
	}
	want := fillGuest(t, m, a, n)
	// Something else mapped after it leaves its room alone.
	if b := m.sysMmap(0, 64<<10, protRW, privateAnon, ^uint64(0), 0); b >= a && b < a+4*n {
		t.Errorf("a 64 KiB mapping went to %#x, inside the room of the mapping at %#x", b, a)
	}
	for _, size := range []uint64{2 * n, 4 * n} {
		if r := m.sysMremap(a, size/2, size, mremapMove, 0); r != a {
			t.Fatalf("mremap of %#x from %d to %d bytes: %#x, want it grown in place", a, size/2, size, r)
		}
	}
	checkGuest(t, m, a, want)
	b := m.sysMremap(a, 4*n, 8*n, mremapMove, 0)
	if b == a || int64(b) < 0 {
		t.Fatalf("mremap beyond the room: %#x, want a move from %#x", b, a)
	}
	checkGuest(t, m, b, want)

	p := newHello(t, 256<<20)
	p.linux.packed = true
	a = p.sysMmap(0, n, protRW, privateAnon, ^uint64(0), 0)
	want = fillGuest(t, p, a, n)
	if a+n != p.linux.mmapTop {
		t.Errorf("packed: the first mapping is at %#x, want it right below the mmap area's top %#x", a, p.linux.mmapTop)
	}
	if b := p.sysMremap(a, n, 2*n, mremapMove, 0); b == a || int64(b) < 0 {
		t.Errorf("packed: mremap: %#x, want a move from %#x", b, a)
	} else {
		checkGuest(t, p, b, want)
	}
}

// largestMap returns the largest anonymous mapping m can still make (a
// multiple of 64 KiB), found by bisection, each try unmapped again.
func largestMap(m *Machine) uint64 {
	lo, hi := uint64(0), m.Hart.Mem.Size()/(64<<10)+1 // lo fits, hi does not
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		if a := m.sysMmap(0, mid*(64<<10), protRW, privateAnon, ^uint64(0), 0); int64(a) >= 0 {
			m.sysMunmap(a, mid*(64<<10))
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo * (64 << 10)
}

// rooms returns the room of all the mappings.
func rooms(m *Machine) uint64 {
	var n uint64
	for _, mp := range m.linux.maps {
		n += mp.room
	}
	return n
}

// TestMmapRoomCostsLittle: rooms are gaps between mappings, so they cost
// the largest mapping the guest can still make, and brk's growth; the
// rooms of all mappings together stay within 1/roomShare of the memory
// that was free, and a room goes with its mapping.
func TestMmapRoomCostsLittle(t *testing.T) {
	type setup struct {
		name string
		mem  uint64
		run  func(m *Machine)
	}
	mmap := func(m *Machine, n uint64) uint64 { return m.sysMmap(0, n, protRW, privateAnon, ^uint64(0), 0) }
	for _, c := range []setup{
		{"1 MiB mappings until none fits", 16 << 20, func(m *Machine) {
			for int64(mmap(m, 1<<20)) >= 0 {
			}
		}},
		{"32 blocks of 1 MiB", 256 << 20, func(m *Machine) {
			for range 32 {
				mmap(m, 1<<20)
			}
		}},
		{"64 times a 1 MiB and a 4 KiB mapping, the 1 MiB one unmapped", 256 << 20, func(m *Machine) {
			for range 64 {
				a := mmap(m, 1<<20)
				mmap(m, 4<<10)
				m.sysMunmap(a, 1<<20)
			}
		}},
		{"4 blocks of 1 MiB", 64 << 20, func(m *Machine) {
			for range 4 {
				mmap(m, 1<<20)
			}
		}},
		{"blocks of 256 KiB to 16 MiB", 256 << 20, func(m *Machine) {
			for n := uint64(256 << 10); n <= 16<<20; n *= 2 {
				mmap(m, n)
			}
		}},
	} {
		var largest, brk, mapped [2]uint64
		var free uint64
		for i, packed := range []bool{false, true} {
			m := newHello(t, c.mem)
			m.linux.packed = packed
			if i == 0 {
				free = m.linux.mmapLow - pageUp(m.linux.brk)
			}
			c.run(m)
			if r := rooms(m); r > free/roomShare {
				t.Errorf("%s: rooms of %d bytes, more than 1/%d of the %d bytes free", c.name, r, roomShare, free)
			}
			for _, mp := range m.linux.maps {
				mapped[i] += mp.hi - mp.lo
			}
			largest[i] = largestMap(m)
			brk[i] = m.linux.mmapLow - pageUp(m.linux.brk)
		}
		if mapped[0] != mapped[1] {
			t.Errorf("%s: %d bytes mapped with rooms, %d without", c.name, mapped[0], mapped[1])
		}
		if largest[0]+free/roomShare < largest[1] {
			t.Errorf("%s: the largest mapping left is %d bytes with rooms, %d without: more than 1/%d of %d lost",
				c.name, largest[0], largest[1], roomShare, free)
		}
		if brk[0]+free/roomShare < brk[1] {
			t.Errorf("%s: brk can grow %d bytes with rooms, %d without: more than 1/%d of %d lost",
				c.name, brk[0], brk[1], roomShare, free)
		}
	}
	// A room goes with its mapping, though mappings merge.
	m := newHello(t, 256<<20)
	a := mmap(m, 1<<20)
	b := m.sysMmap(a-4096, 4096, protRW, privateAnon|mapFixed, ^uint64(0), 0)
	if b != a-4096 || len(m.linux.maps) != 1 || rooms(m) == 0 {
		t.Fatalf("a page mapped below a 1 MiB mapping with room: %#x, maps %v", b, m.linux.maps)
	}
	m.sysMunmap(a, 1<<20)
	if r := rooms(m); r != 0 {
		t.Errorf("the page left below an unmapped 1 MiB mapping has %d bytes of room", r)
	}
	// A mapping of too large a share of what is free gets none.
	m = newHello(t, 64<<20)
	free := m.linux.mmapLow - pageUp(m.linux.brk)
	big := pageUp(free / 8)
	if a := mmap(m, big); a+big != m.linux.mmapTop || rooms(m) != 0 {
		t.Errorf("a mapping of %d of %d free bytes is at %#x with %d bytes of room, want it at the top (%#x) with none",
			big, free, a, rooms(m), m.linux.mmapTop-big)
	}
}

// TestMremapSameSize: an mremap of the head of a mapping to the same
// number of pages leaves the mapping whole, so that a later mremap of all
// of it finds it in one piece.
func TestMremapSameSize(t *testing.T) {
	m := newHello(t, 64<<20)
	a := m.sysMmap(0, 4*PageSize, protRW, privateAnon, ^uint64(0), 0)
	if r := m.sysMremap(a, 2*PageSize, 2*PageSize-100, 0, 0); r != a {
		t.Fatalf("mremap to the same pages: %#x, want %#x", r, a)
	}
	if len(m.linux.maps) != 1 {
		t.Fatalf("after an mremap to the same pages the mapping is %d pieces: %v", len(m.linux.maps), m.linux.maps)
	}
	if r := m.sysMremap(a, 4*PageSize, 5*PageSize, mremapMove, 0); int64(r) < 0 {
		t.Fatalf("mremap of all four pages: errno %d", -int64(r))
	}
}

// relabel returns trace with the format version of its header and footer
// frames set to ver, their CRC-32C made again: the bytes of the segments
// are those of every version from logfmt.RunsVersion on.
func relabel(t *testing.T, trace []byte, ver int) []byte {
	t.Helper()
	out := bytes.Clone(trace)
	frame := func(at int, tag string) {
		size := int(binary.LittleEndian.Uint32(out[at+4:]))
		p := out[at+8 : at+8+size]
		if string(p[:len(tag)]) != tag {
			t.Fatalf("no %s frame at offset %d", tag, at)
		}
		binary.LittleEndian.PutUint32(p[len(tag):], uint32(ver))
		js := p[len(tag)+4 : size-4]
		old := []byte(`"version":` + string(rune('0'+logfmt.Version)))
		if i := bytes.Index(js, old); i >= 0 {
			js[i+len(old)-1] = byte('0' + ver)
		} else if tag == "RVSIMHDR" {
			t.Fatalf("the header has no %s", old)
		}
		binary.LittleEndian.PutUint32(p[size-4:], crc32.Checksum(p[:size-4], crc32.MakeTable(crc32.Castagnoli)))
	}
	frame(0, "RVSIMHDR")
	footer := -1
	for at := len(out) - 12; at >= 0; at-- {
		if binary.LittleEndian.Uint32(out[at:]) == 0x184D2A51 && at+8+int(binary.LittleEndian.Uint32(out[at+4:])) == len(out) {
			footer = at
			break
		}
	}
	if footer < 0 {
		t.Fatal("no footer frame at the end of the trace")
	}
	frame(footer, "RVSIMFTR")
	return out
}

// TestReplayOlderLayout records glibc_realloc_static, which grows a block
// with mremap and leaves it in memory at exit (so the final state depends
// on where it is), with mappings packed as rvsim placed them before
// logfmt.RoomVersion. Labelled with version 3, the trace replays
// identically: the replay packs them too. Labelled with the current
// version it diverges, as such a trace would if the replay placed the
// mappings by the current rule.
func TestReplayOlderLayout(t *testing.T) {
	p, err := LoadFile("../programs/bin/glibc_realloc_static.elf")
	if err != nil {
		t.Fatal(err)
	}
	var trace bytes.Buffer
	m, err := New(p, Config{Record: &trace, Stdout: io.Discard, Stderr: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	m.linux.packed = true
	rec, err := m.Run()
	if err != nil {
		t.Fatal(err)
	}
	replay := func(data []byte) (Result, error) { return replayWithin(t, p, data, time.Minute) }
	old := relabel(t, trace.Bytes(), logfmt.RoomVersion-1)
	res, err := replay(old)
	if err != nil {
		t.Fatalf("replay of the trace as version %d: %v", logfmt.RoomVersion-1, err)
	}
	if res.Stats.Digest != rec.Stats.Digest || res.Instret != rec.Instret {
		t.Errorf("replay as version %d: %d instructions, digest %s; recorded %d, %s",
			logfmt.RoomVersion-1, res.Instret, res.Stats.Digest, rec.Instret, rec.Stats.Digest)
	}
	if _, err := replay(trace.Bytes()); !errors.Is(err, ErrDivergence) {
		t.Errorf("replay of the packed recording as version %d: %v, want a divergence", logfmt.Version, err)
	}
}

// TestHostErrorEnds: once the host has lost guest memory (a move that
// failed half way, hostErr), the machine never runs the guest again: not
// in a run, not in a debugger's Advance, however often it is asked.
func TestHostErrorEnds(t *testing.T) {
	lost := errors.New("guest memory lost")
	m := newHello(t, 64<<20)
	m.hostErr = lost
	pc := m.Hart.PC
	if _, err := m.Run(); !errors.Is(err, lost) {
		t.Errorf("Run: %v, want %v", err, lost)
	}
	d := replayDbg(t, recordDbg(t, dbgProg("nondet")), nil)
	d.hostErr = lost
	for i := range 3 {
		if st := d.Advance(^uint64(0)); !errors.Is(st.Err, lost) || d.Hart.Instret() != 0 {
			t.Fatalf("Advance %d: %+v at instruction %d, want the error at 0", i, st, d.Hart.Instret())
		}
	}
	if m.Hart.PC != pc {
		t.Errorf("the run moved the pc from %#x to %#x", pc, m.Hart.PC)
	}
}

// TestMremapFileMapping: a mapping of a file does not merge with an
// anonymous one beside it (an mremap across both is EFAULT, as with
// Linux's two areas); growing it maps the file's next bytes, moved or in
// place, after its descriptor is closed too (the monitor opens the file
// again by its path: a mapping holds no host descriptor); growing an
// anonymous mapping adds zeros. Once the path names another file, the
// new pages read zero, with a warning.
func TestMremapFileMapping(t *testing.T) {
	dir := t.TempDir()
	data := make([]byte, 3*PageSize+100)
	for i := range data {
		data[i] = byte(i*7 + 3)
	}
	if err := os.WriteFile(filepath.Join(dir, "data.bin"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	prog, err := LoadFile(helloELF)
	if err != nil {
		t.Fatal(err)
	}
	core, logs := observer.New(zap.WarnLevel)
	m, err := New(prog, Config{MemSize: 64 << 20, FSRoot: dir, Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: io.Discard, Log: zap.New(core)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	fd := openPath(t, m, "data.bin")
	if int64(fd) < 0 {
		t.Fatalf("open: errno %d", -int64(fd))
	}
	host := m.file(fd).f
	a := m.sysMmap(0, 2*PageSize, protRW, privateAnon, ^uint64(0), 0)
	if int64(a) < 0 {
		t.Fatalf("mmap: errno %d", -int64(a))
	}
	if b := m.sysMmap(a, PageSize, 1, mapPrivate|mapFixed, fd, 0); b != a {
		t.Fatalf("mmap of the file over its first page: %#x, want %#x", b, a)
	}
	if r := m.sysMremap(a, 2*PageSize, 4*PageSize, mremapMove, 0); r != errno(eFAULT) {
		t.Errorf("mremap across the file's and the anonymous mapping: %#x, want EFAULT", r)
	}
	c := m.sysMremap(a+PageSize, PageSize, 2*PageSize, mremapMove, 0)
	if int64(c) < 0 {
		t.Fatalf("growing the anonymous mapping: errno %d", -int64(c))
	}
	checkGuest(t, m, c+PageSize, make([]byte, PageSize))
	if r := m.sysClose(fd); r != 0 {
		t.Fatalf("close: %d", int64(r))
	}
	if _, err := host.Stat(); !errors.Is(err, os.ErrClosed) {
		t.Errorf("the host file is open after the guest closed it: %v", err)
	}
	r := m.sysMremap(a, PageSize, 4*PageSize, mremapMove, 0)
	if int64(r) < 0 {
		t.Fatalf("growing the file's mapping: errno %d", -int64(r))
	}
	checkGuest(t, m, r, append(bytes.Clone(data), make([]byte, 4*PageSize-len(data))...))
	// Shrunk and grown back in place: the file's bytes again.
	if s := m.sysMremap(r, 4*PageSize, PageSize, 0, 0); s != r {
		t.Fatalf("shrinking: %#x, want %#x", s, r)
	}
	if g := m.sysMremap(r, PageSize, 2*PageSize, 0, 0); g != r {
		t.Fatalf("growing in place: %#x, want %#x", g, r)
	}
	checkGuest(t, m, r, data[:2*PageSize])
	if len(logs.All()) != 0 {
		t.Errorf("warnings: %v", logs.All())
	}
	// Another file at the path: zeros, and a warning.
	if err := os.Remove(filepath.Join(dir, "data.bin")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "data.bin"), bytes.Repeat([]byte{0xee}, len(data)), 0o644); err != nil {
		t.Fatal(err)
	}
	if g := m.sysMremap(r, 2*PageSize, 3*PageSize, 0, 0); g != r {
		t.Fatalf("growing in place: %#x, want %#x", g, r)
	}
	checkGuest(t, m, r, append(bytes.Clone(data[:2*PageSize]), make([]byte, PageSize)...))
	if all := logs.All(); len(all) != 1 || !strings.Contains(all[0].Message, "its path no longer names") {
		t.Errorf("warnings %v, want one that the path names another file", all)
	}
}
