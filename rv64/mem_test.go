package rv64

import (
	"errors"
	"os"
	"runtime"
	"testing"
	"time"
	"unsafe"

	"github.com/rvsim/rvsim/csr"
)

// openFDs counts the process's open file descriptors.
func openFDs(t *testing.T) int {
	t.Helper()
	d, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd on this system")
	}
	return len(d)
}

// TestMemoryHuge reserves 1 TiB: nothing is allocated until touched, so
// the first and the last byte can be written on any host.
func TestMemoryHuge(t *testing.T) {
	m, err := NewMemory(0x10000, 1<<40)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	m.Data[0], m.Data[len(m.Data)-1] = 1, 2
	var n uint64
	m.Written(func(off, size uint64) { n += size })
	if n == 0 || n > 1<<20 {
		t.Errorf("Written names %d bytes after two bytes were written", n)
	}
	if _, err := NewMemory(0, 1<<62); !errors.Is(err, ErrReserve) {
		t.Errorf("NewMemory(2^62): %v, want ErrReserve", err)
	}
	if small, _ := NewMemory(0, smallMemory); small.host != nil {
		t.Error("a small memory is reserved, want it on the Go heap")
	}
}

// TestMemoryCloseReleases makes and closes thousands of memories: no file
// descriptor stays open, and closing twice does nothing.
func TestMemoryCloseReleases(t *testing.T) {
	before := openFDs(t)
	for range 3000 {
		m, err := NewMemory(0, 1<<30)
		if err != nil {
			t.Fatal(err)
		}
		h := New(m, nil)
		h.Mem.Data[12345] = 1
		h.Close()
		h.Close()
		m.Close() // another copy of the same memory
	}
	if after := openFDs(t); after > before {
		t.Fatalf("%d descriptors open after 3000 closed memories, %d before", after, before)
	}
}

// TestMemoryCleanup drops thousands of memories without closing them: the
// garbage collector's cleanups release them.
func TestMemoryCleanup(t *testing.T) {
	before := openFDs(t)
	for range 3000 {
		m, err := NewMemory(0, 1<<30)
		if err != nil {
			t.Fatal(err)
		}
		m.Data[0] = 1
	}
	after := 0
	for range 100 {
		runtime.GC()
		if after = openFDs(t); after <= before+10 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%d descriptors open after 3000 dropped memories were collected, %d before", after, before)
}

// TestMemoryZeroWritten: Zero reads back zero, gives whole pages back (they
// leave Written) and clears only the bytes asked for around them; Written
// names every page that holds a non-zero byte.
func TestMemoryZeroWritten(t *testing.T) {
	const base, page = 0x80000000, 4096
	m, err := NewMemory(base, 1024*page)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	for i := range m.Data[:16*page] {
		m.Data[i] = byte(i%251 + 1)
	}
	m.Zero(base+page+100, 3*page) // [page+100, 4*page+100)
	// Written first: reading a page of a memory file allocates it again.
	pages := map[uint64]bool{}
	m.Written(func(off, n uint64) {
		for p := off / page; p < (off+n+page-1)/page; p++ {
			pages[p] = true
		}
	})
	for p := uint64(0); p < 16; p++ {
		if !pages[p] && p != 2 && p != 3 {
			t.Errorf("page %d holds data but is not in Written", p)
		}
	}
	if pages[2] || pages[3] {
		t.Errorf("pages 2 and 3 were given back but are in Written: %v", pages)
	}
	for i := range 16 * page {
		want := byte(i%251 + 1)
		if i >= page+100 && i < 4*page+100 {
			want = 0
		}
		if m.Data[i] != want {
			t.Fatalf("byte %#x is %d after Zero, want %d", i, m.Data[i], want)
		}
	}
	m.Zero(base, 0) // nothing
	m.Zero(base+1023*page, 2*page)
	if m.Data[0] != 1 {
		t.Error("an empty or out-of-range Zero changed memory")
	}
}

// TestDecodedPagesSurviveGC: the decode cache table lives outside the Go
// heap, where the collector does not look. Decoded pages must stay alive
// all the same: the hart runs code on eight pages, the collector runs and
// the heap is filled with garbage of the size of a decoded page, and the
// same code still runs as decoded.
func TestDecodedPagesSurviveGC(t *testing.T) {
	mem, err := NewMemory(testBase, 4<<20) // above smallMemory: reserved
	if err != nil {
		t.Fatal(err)
	}
	h := New(mem, csr.New(testHost()))
	defer h.Close()
	if mem.host == nil || mem.host.tableB == nil {
		t.Skip("the decode table is on the Go heap on this system")
	}
	h.CSR.Set(csr.Mtvec, testVec)
	h.PC = testPC
	const pages = 8
	for p := range pages {
		addr := testPC + uint64(p)*4096
		next := int64(4096 - 4)
		if p == pages-1 {
			next = -int64(pages-1)*4096 - 4
		}
		load(t, h, addr, mustAsm("addi a0, a0, 1")[0], encJ(next, 0, 0x6f))
	}
	run := func(want uint64) {
		t.Helper()
		if e := h.Run(pages * 2 * 100); e.Kind != ExitBudget {
			t.Fatalf("exit %s at %#x", e.Kind.testName(), e.PC)
		}
		if h.X[10] != want {
			t.Fatalf("a0 = %d, want %d", h.X[10], want)
		}
	}
	run(pages * 100)
	var junk [][]byte
	for range 3 {
		runtime.GC()
		for range 2000 {
			b := make([]byte, unsafe.Sizeof(codePage{}))
			for i := range b {
				b[i] = 0xff
			}
			junk = append(junk, b)
		}
	}
	run(2 * pages * 100)
	runtime.KeepAlive(junk)
}
