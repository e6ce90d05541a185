//go:build linux

package vmm

import (
	"slices"
	"syscall"
	"testing"
	"unsafe"
)

// TestDigestIgnoresResidency: the pages the digest reads do not depend on
// whether the host keeps them in RAM. mincore(2), which the digest used to
// ask, says "not resident" for a written page the host swapped out; this
// test asks the kernel to page the written pages out (MADV_PAGEOUT: it
// works only where the host has swap) and checks the digest against a
// full scan, and that Written still names every written page.
func TestDigestIgnoresResidency(t *testing.T) {
	m := newHello(t, 64<<20)
	mem := &m.Hart.Mem
	var written []uint64
	for i := uint64(0); i < 64; i++ {
		off := (i*977 + 3) % (mem.Size() / PageSize) * PageSize
		mem.Data[off+i] = byte(i + 1)
		written = append(written, off)
	}
	want := m.Digest()
	const madvPageout = 21
	data := mem.Data
	_, _, e := syscall.Syscall(syscall.SYS_MADVISE, uintptr(unsafe.Pointer(&data[0])), uintptr(len(data)), madvPageout)
	out := 0
	for _, off := range written {
		out += notResident(data[off : off+PageSize])
	}
	t.Logf("MADV_PAGEOUT: errno %v; %d of %d written pages not resident after it", e, out, len(written))
	seen := map[uint64]bool{}
	mem.Written(func(off, n uint64) {
		for p := off &^ (PageSize - 1); p < off+n; p += PageSize {
			seen[p] = true
		}
	})
	for _, off := range written {
		if !seen[off] {
			t.Fatalf("written page at offset %#x is not in Written", off)
		}
	}
	if got := m.Digest(); got != want {
		t.Fatalf("digest changed with the host's paging: %s, was %s", got, want)
	}
	if fast, full := pageList(digestMemory, mem), pageList(digestMemoryFull, mem); !slices.Equal(fast, full) {
		t.Fatalf("digest pages (%d) differ from a full scan (%d)", len(fast), len(full))
	}
}
