package vmm

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"go.uber.org/zap"

	"github.com/rvsim/rvsim/csr"
	"github.com/rvsim/rvsim/logfmt"
	"github.com/rvsim/rvsim/ndbuf"
)

// mapped reports whether the pages of b are mapped in this process:
// msync(2) fails with ENOMEM on a range that is not.
func mapped(b []byte) bool {
	_, _, e := syscall.Syscall(syscall.SYS_MSYNC, uintptr(unsafe.Pointer(unsafe.SliceData(b))), uintptr(len(b)), syscall.MS_ASYNC)
	return !errors.Is(e, syscall.ENOMEM)
}

// notResident returns how many pages of b are not in memory (mincore(2)).
func notResident(b []byte) int {
	vec := make([]byte, (len(b)+PageSize-1)/PageSize)
	syscall.Syscall(syscall.SYS_MINCORE, uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)), uintptr(unsafe.Pointer(&vec[0])))
	out := 0
	for _, v := range vec {
		if v&1 == 0 {
			out++
		}
	}
	return out
}

// TestSpareBuffersOffHeap checks that the spare ND buffers of a
// recording are made outside the Go heap (a recording that made them on
// it brought on a garbage collection early in every run), those made
// ahead in one mapping with their pages in memory, and that a
// stopped recording unmaps every one, after giving the unit back the
// buffer it started with, holding what the unit's last buffer held.
func TestSpareBuffersOffHeap(t *testing.T) {
	w, err := logfmt.NewWriter(io.Discard, logfmt.Header{})
	if err != nil {
		t.Fatal(err)
	}
	u := ndbuf.New(csr.New(csr.DefaultHost()), ndbuf.Record, 1<<32, DefaultNDBuffer)
	home := u.Mem
	size := len(u.Mem)
	var events [256]uint64
	r := newRecorder(w, "t.zst", &events, zap.NewNop(), u)
	defer r.stop()
	n := spareBuffers(size)

	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	var taken [][]byte
	taken = append(taken, r.buffer(size)) // the first swap: n are then made ahead
	for deadline := time.Now().Add(10 * time.Second); len(r.fresh) < n-1; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d of at least %d buffers made ahead after 10 s", len(r.fresh), n-1)
		}
	}
	for len(taken) < n+2 { // those made ahead, then new ones
		taken = append(taken, r.buffer(size))
	}
	runtime.ReadMemStats(&after)
	if grew := after.TotalAlloc - before.TotalAlloc; grew >= uint64(size) {
		t.Errorf("%d ND buffers of %d bytes made: the Go heap allocated %d bytes, want less than one buffer", len(taken), size, grew)
	}
	// The first and those made ahead are slices of one mapping, their
	// pages in memory; where the kernel gives huge pages, all but the
	// first smallHead lie in huge pages from a 2 MiB boundary on.
	if len(r.mapped) == 0 || !within(taken[0], r.mapped[0]) {
		t.Fatalf("the first buffer is not in the first mapping")
	}
	region := r.mapped[0]
	if hugePages() {
		rest := taken[smallHead]
		if p := uintptr(unsafe.Pointer(&rest[0])); p%hugePage != 0 {
			t.Errorf("the buffers after the first %d start at %#x, not on a 2 MiB boundary", smallHead, p)
		}
		if !thpEligible(t, rest) {
			t.Errorf("the buffers after the first %d are not eligible for huge pages (smaps THPeligible)", smallHead)
		}
	}
	inRegion := 0
	for i, b := range taken {
		if len(b) != size || !r.isMapped(b) || !mapped(b) {
			t.Fatalf("buffer %d: %d bytes, from mapBuffer %v, mapped %v; want %d, true, true", i, len(b), r.isMapped(b), mapped(b), size)
		}
		if within(b, region) {
			inRegion++
			if out := notResident(b); out > 0 {
				t.Errorf("buffer %d, made ahead: %d of its %d pages not in memory", i, out, len(b)/PageSize)
			}
		}
		b[0], b[len(b)-1] = byte(i), byte(i)
	}
	if inRegion < n {
		t.Errorf("%d of the %d buffers taken lie in the mapping of those made ahead, want at least %d", inRegion, len(taken), n)
	}

	// The unit holds one of them when the recording stops.
	last := taken[len(taken)-1]
	for i := range last {
		last[i] = byte(i * 7)
	}
	want := bytes.Clone(last)
	u.Mem = last
	if err := r.stop(); err != nil {
		t.Fatal(err)
	}
	if unsafe.SliceData(u.Mem) != unsafe.SliceData(home) || !bytes.Equal(u.Mem, want) {
		t.Errorf("after the stop, the unit's buffer is its own %v and holds what its last did %v; want both",
			unsafe.SliceData(u.Mem) == unsafe.SliceData(home), bytes.Equal(u.Mem, want))
	}
	for i, b := range taken {
		if mapped(b) {
			t.Errorf("buffer %d still mapped after the recording stopped", i)
		}
	}
	if len(r.mapped) != 0 || len(r.spare) != 0 || len(r.fresh) != 0 {
		t.Errorf("after the stop: %d mapped, %d spare, %d made ahead; want none", len(r.mapped), len(r.spare), len(r.fresh))
	}
}

// thpEligible reports whether the mapping that holds b may take
// transparent huge pages, as /proc/self/smaps says (THPeligible).
func thpEligible(t *testing.T, b []byte) bool {
	smaps, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		t.Skipf("no smaps: %v", err)
	}
	p := uint64(uintptr(unsafe.Pointer(&b[0])))
	in := false
	for _, l := range strings.Split(string(smaps), "\n") {
		var lo, hi uint64
		if n, _ := fmt.Sscanf(l, "%x-%x ", &lo, &hi); n == 2 {
			in = lo <= p && p < hi
			continue
		}
		if in && strings.HasPrefix(l, "THPeligible:") {
			return strings.TrimSpace(strings.TrimPrefix(l, "THPeligible:")) == "1"
		}
	}
	t.Fatalf("no mapping of %#x with THPeligible in smaps", p)
	return false
}

// TestMapSpareLayout checks the buffers mapSpare lays out, for buffer
// sizes that are and are not whole pages: at least as many as asked, each
// of the size asked, one after another without overlapping, inside the
// mapping, writable; and, where huge pages are used, all but the first
// smallHead from a 2 MiB boundary on, those in pages of their own.
func TestMapSpareLayout(t *testing.T) {
	for _, entries := range []int{512, 1000, 4096, 4097, 21845, 43690} {
		size := entries * ndbuf.EntrySize
		n := spareBuffers(size)
		if n == 0 {
			t.Fatalf("%d entries: no spares", entries)
		}
		m, bufs := mapSpare(size, n)
		if m == nil {
			t.Fatalf("%d entries: mapSpare failed", entries)
		}
		if len(bufs) < n {
			t.Errorf("%d entries: %d buffers, want at least %d", entries, len(bufs), n)
		}
		huge := hugePages() && (n-smallHead)*size >= hugePage
		base := uintptr(unsafe.Pointer(&m[0]))
		end := uintptr(0)
		for i, b := range bufs {
			p := uintptr(unsafe.Pointer(&b[0]))
			switch {
			case len(b) != size || cap(b) != size:
				t.Fatalf("%d entries: buffer %d: %d bytes, capacity %d, want %d", entries, i, len(b), cap(b), size)
			case !within(b, m) || p+uintptr(size) > base+uintptr(len(m)):
				t.Fatalf("%d entries: buffer %d at %#x is not inside the mapping [%#x, %#x)", entries, i, p, base, base+uintptr(len(m)))
			case i > 0 && p < end:
				t.Fatalf("%d entries: buffer %d at %#x overlaps the one before, which ends at %#x", entries, i, p, end)
			case i == 0 && p%PageSize != 0:
				t.Errorf("%d entries: the first buffer at %#x does not start a page", entries, p)
			case i == smallHead && huge && p%hugePage != 0:
				t.Errorf("%d entries: buffer %d at %#x is not on a 2 MiB boundary", entries, i, p)
			case i == smallHead && huge && p < (end+PageSize-1)&^(PageSize-1):
				t.Errorf("%d entries: buffer %d shares a page with the one before", entries, i)
			}
			end = p + uintptr(size)
			b[0], b[size-1] = 1, 1
		}
		unmapBuffer(m)
	}
}
