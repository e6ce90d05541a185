package rv64

import (
	"testing"
	"unsafe"

	"github.com/rvsim/rvsim/csr"
)

// hartSink makes the harts of TestHartRegistersPageOffset escape, as the
// monitor's does.
var hartSink *Hart

// TestHartRegistersPageOffset checks that New places the integer
// registers at page offset hartLead whatever was allocated before: a
// Hart is too large for a size class, so it starts a page of its own.
func TestHartRegistersPageOffset(t *testing.T) {
	var keep [][]byte
	for n := 1; n < 3000; n += 97 {
		keep = append(keep, make([]byte, n)) // move the small-object allocator on
		h := New(Memory{Base: 0x1000, Data: make([]byte, 4096)}, csr.New(testHost()))
		hartSink = h
		if off := uintptr(unsafe.Pointer(&h.X)) % 4096; off != hartLead {
			t.Fatalf("after %d small allocations: X at page offset %#x, want %#x", len(keep), off, hartLead)
		}
	}
}
